"""The 6R board: applications by recommended disposition, reasons, and consultants' overrides."""
