"""Import wizard (pages in import_wizard.py, core calls in service.py)."""
