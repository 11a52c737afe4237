"""Desktop application entry: QApplication, first-run identity, main window."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QMessageBox

from core.bootstrap import bootstrap
from core.config import Settings
from core.errors import MigrationDiscoveryError
from desktop_app.identity_dialog import ask_identity_if_needed
from desktop_app.main_window import MainWindow


def run(settings: Settings) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Migration Discovery")
    app.setOrganizationName("Migration Discovery")
    identity = ask_identity_if_needed(settings)
    if identity is None:
        return 0
    try:
        core = bootstrap(settings, identity=identity)
    except MigrationDiscoveryError as exc:
        QMessageBox.critical(None, "Migration Discovery", str(exc))
        return 2
    try:
        window = MainWindow(core)
        window.show()
        return app.exec()
    finally:
        core.close()
