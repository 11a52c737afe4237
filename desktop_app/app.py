"""Desktop application entry: QApplication, theme, first-run identity, window, background start.

Why this order: the identity dialog (first run only) comes before the event loop starts, so it
may `exec()`; after that the window is shown at once and the database opens in the background
("Starting database…"), so the user never looks at a frozen or missing window.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from core.config import Settings
from desktop_app import credentials
from desktop_app.error_dialog import install_excepthook
from desktop_app.event_loop import close_event_loop, install_event_loop
from desktop_app.identity_dialog import ask_identity_if_needed
from desktop_app.logging_setup import configure_logging
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager
from desktop_app.theme import apply_theme

if TYPE_CHECKING:
    from core.bootstrap import Core
    from desktop_app.main_window import MainWindow

log = logging.getLogger(__name__)
ORGANIZATION = "Migration Discovery"
APPLICATION = "Migration Discovery"
EXIT_WAIT_S = 10.0


#: GIL switch interval while the GUI runs: a worker thread busy in Python hands the GIL back to the
#: GUI thread after at most this long (CPython's default, 5 ms, let stalls add up under load).
GIL_SWITCH_INTERVAL_S = 0.001


def application() -> QApplication:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName(APPLICATION)
    app.setOrganizationName(ORGANIZATION)
    return app


def with_stored_password(settings: Settings) -> Settings:
    """Add the keyring (or session) password to a shared-server URL stored without one."""
    if not settings.database_url:
        return settings
    bare, password = credentials.split_password(settings.database_url)
    if password:
        return settings
    stored = credentials.load_password(bare)
    return (
        dataclasses.replace(settings, database_url=credentials.with_password(bare, stored))
        if stored
        else settings
    )


def _bootstrap(settings: Settings) -> Core:
    """In the writer thread: import the core there too, so it loads while the GUI builds."""
    from core.bootstrap import bootstrap
    from core.flows.metrics import serve_metrics_from_settings

    core = bootstrap(settings, identity=settings.identity)
    serve_metrics_from_settings(core.settings)  # Prometheus endpoint on localhost when configured
    return core


def build_window(settings: Settings, store: SettingsStore | None = None) -> tuple[MainWindow, TaskManager]:
    """Task manager on the qasync loop, the database opening in its writer thread, then the window.

    The database starts first (initdb/server start run in subprocesses), so it comes up while the
    screens are imported and built; the window shows "Starting database…" until it is open.
    """
    app = application()
    store = store or SettingsStore()
    apply_theme(app, store.theme)
    loop = install_event_loop(app)
    tasks = TaskManager(loop)
    tasks.open_core(lambda: _bootstrap(settings))
    from desktop_app.main_window import MainWindow  # the screens' imports overlap the server start

    window = MainWindow(tasks, store)
    window.show()
    if tasks.core is None:
        window.start_database(settings, settings.identity, opening=True)
    return window, tasks


def _quit_on_termination(window: MainWindow) -> None:
    """SIGTERM / SIGINT cancel running work and close the window, so the embedded server stops too."""
    import signal

    def handler(signum: int, frame: object) -> None:
        QTimer.singleShot(0, window.terminate)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handler)
    # Python runs signal handlers only between bytecodes: wake the interpreter while Qt idles.
    wake = QTimer(window)
    wake.timeout.connect(lambda: None)
    wake.start(250)


def run(settings: Settings) -> int:
    configure_logging(settings.data_dir)  # the CLI's log file (kept as is when `main` set it up)
    app = application()
    store = SettingsStore()
    apply_theme(app, store.theme)
    install_excepthook(lambda: QApplication.activeWindow())
    identity = ask_identity_if_needed(settings)
    if identity is None:
        return 0
    settings = with_stored_password(dataclasses.replace(settings, identity=identity))
    window, tasks = build_window(settings, store)
    _quit_on_termination(window)
    try:
        return app.exec()
    finally:
        tasks.shutdown()
        app.processEvents()  # let the cancelled tasks finish on the (still installed) loop
        if not tasks.wait_for_workers(EXIT_WAIT_S):
            log.warning("background work did not stop within %.0f s", EXIT_WAIT_S)
        core = tasks.core
        if core is not None:
            core.close()
        close_event_loop(tasks.loop)
        del window
