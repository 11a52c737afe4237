"""The list of open error dialogs forgets a dialog deleted with its window (it never finished).

Why: a window closed while its error dialog was open left a dead wrapper in the list, and a later
check for "no error dialog is open" failed on it (seen across tests in one session).
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from desktop_app import error_dialog


def test_a_dialog_deleted_with_its_parent_is_no_longer_listed(qtbot: QtBot) -> None:
    parent = QWidget()
    parent.show()
    before = len(error_dialog.open_dialogs())
    box = error_dialog.show_message("disk full", parent)
    assert box in error_dialog.open_dialogs() and len(error_dialog.open_dialogs()) == before + 1
    parent.deleteLater()  # the window goes, the dialog with it, without `finished`
    qtbot.waitUntil(lambda: len(error_dialog.open_dialogs()) == before, timeout=5_000)


def test_a_finished_dialog_is_no_longer_listed(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    box = error_dialog.show_message("disk full", parent)
    box.done(0)
    assert all(b is not box for b in error_dialog.open_dialogs())
