"""First run: ask the consultant's name and e-mail, recorded on every decision they make."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLineEdit

from core.config import Identity, Settings, write_settings_file


class IdentityDialog(QDialog):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Welcome to Migration Discovery")
        self.name = QLineEdit()
        self.email = QLineEdit()
        self.name.setPlaceholderText("Full name")
        self.email.setPlaceholderText("name@firm.com")
        form = QFormLayout(self)
        form.addRow("Your name", self.name)
        form.addRow("E-mail", self.email)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _accept(self) -> None:
        if self.name.text().strip() and "@" in self.email.text():
            self.accept()

    def identity(self) -> Identity:
        return Identity(self.name.text().strip(), self.email.text().strip().lower())


def ask_identity_if_needed(settings: Settings) -> Identity | None:
    """The configured identity, or ask once and remember it in the settings file."""
    if settings.identity is not None or not settings.embedded:
        return settings.identity
    dialog = IdentityDialog()
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    identity = dialog.identity()
    write_settings_file(settings.data_dir, {"user_name": identity.display_name, "user_email": identity.email})
    return identity
