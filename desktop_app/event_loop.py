"""The qasync event loop: asyncio on top of the Qt event loop, so awaits never freeze the window.

The loop is installed as "already running" on the QApplication: Qt's own `exec()` (or, in tests,
pytest-qt's waits) drives it, and asyncio callbacks run whenever Qt processes events. The app and
the tests therefore run exactly the same loop and executor code.
"""

from __future__ import annotations

import asyncio
import contextlib

import qasync
from PySide6.QtCore import QCoreApplication


def install_event_loop(app: QCoreApplication) -> asyncio.AbstractEventLoop:
    """The asyncio loop bound to `app` (created once per process, reused afterwards)."""
    with contextlib.suppress(RuntimeError):
        current = asyncio.get_running_loop()
        if isinstance(current, qasync.QEventLoop) and not current.is_closed():
            return current
    loop = qasync.QEventLoop(app, already_running=True)
    asyncio.set_event_loop(loop)
    return loop


def close_event_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Detach and close the loop after Qt's event loop has returned (qasync leaves this to us)."""
    asyncio.events._set_running_loop(None)
    # `already_running` loops believe they still run; close() refuses a running loop.
    loop._QEventLoop__is_running = False  # type: ignore[attr-defined]
    with contextlib.suppress(RuntimeError):
        loop.close()
