"""One way to show a failure: a message, a hint, and expandable details; plus the excepthook.

Dialogs are opened with `open()` (never `exec()`), so showing an error from inside a coroutine or a
task callback cannot start a nested event loop (qasync #59).
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from types import TracebackType

import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from core.errors import MigrationDiscoveryError, UserInputError

log = logging.getLogger("desktop_app")

_open_dialogs: list[QMessageBox] = []  # keep Python wrappers alive while the dialogs are open


def describe(exc: BaseException) -> tuple[str, str | None, str]:
    """(message, hint, details) for any exception: expected errors read well, others show type."""
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    if isinstance(exc, UserInputError):
        where = exc.location()
        message = f"{where}: {exc.message}" if where else exc.message
        return message, exc.hint, details
    if isinstance(exc, MigrationDiscoveryError):
        return str(exc), getattr(exc, "hint", None), details
    return f"{type(exc).__name__}: {exc}", "This is a bug; the details help to fix it.", details


def show_error(
    exc: BaseException, parent: QWidget | None = None, *, title: str = "Migration Discovery"
) -> QMessageBox:
    """Open (non-blocking) an error dialog with the message and a "Show Details…" section."""
    message, hint, details = describe(exc)
    return show_message(message, parent, title=title, hint=hint, details=details)


def show_message(
    message: str,
    parent: QWidget | None = None,
    *,
    title: str = "Migration Discovery",
    hint: str | None = None,
    details: str | None = None,
    icon: QMessageBox.Icon = QMessageBox.Icon.Critical,
) -> QMessageBox:
    box = QMessageBox(icon, title, message, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorDialog")
    if hint:
        box.setInformativeText(hint)
    if details:
        box.setDetailedText(details)
    _open_dialogs.append(box)
    # finished, or deleted with its parent (a closed window) without ever finishing
    box.finished.connect(lambda _result: _forget(box))
    box.destroyed.connect(lambda *_: _forget(box))
    box.open()
    return box


def _forget(box: QMessageBox) -> None:
    if any(b is box for b in _open_dialogs):
        _open_dialogs[:] = [b for b in _open_dialogs if b is not box]


def open_dialogs() -> list[QMessageBox]:
    """Error dialogs currently shown (tests look at these); never one already deleted."""
    return [b for b in _open_dialogs if shiboken6.isValid(b)]


def install_excepthook(parent: Callable[[], QWidget | None]) -> None:
    """Log every unhandled exception and show it, instead of losing it in a slot or a coroutine."""
    previous = sys.excepthook

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            previous(exc_type, exc, tb)
            return
        log.error("unhandled exception", exc_info=(exc_type, exc, tb))
        if QApplication.instance() is None:
            previous(exc_type, exc, tb)
            return
        exc.__traceback__ = tb
        QTimer.singleShot(0, lambda: show_error(exc, parent()))

    sys.excepthook = hook
