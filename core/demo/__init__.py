"""Demo data for trying the app: made through the real import, mapping and flow paths."""
