"""The tech-debt screen: lifecycle and right-sizing findings of the selected engagement."""
