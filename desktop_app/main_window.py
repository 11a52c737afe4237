"""Main window: the shell hosting the registered screens, the sidebar and the status bar.

Why it stays thin: screens own their content; the shell opens the database in the background,
routes the sidebar selection and every `operation_did_execute` to the screens, and closes cleanly.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDragEnterEvent, QDropEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QStackedWidget,
    QStyle,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from core.bootstrap import Core, bootstrap
from core.changes import OpChanges
from core.config import Identity, Settings
from core.queries import navigation
from desktop_app import screens as _screens  # noqa: F401  (registers the screens)
from desktop_app.error_dialog import show_error
from desktop_app.screens.registry import Screen, ScreenContext, Selection, registered_screens, screen_class
from desktop_app.settings_store import SettingsStore
from desktop_app.sidebar import Sidebar
from desktop_app.status_bar import AppStatusBar
from desktop_app.sync_controller import SyncController
from desktop_app.task_manager import QueryOp, TaskManager
from desktop_app.warmup import warm_up

log = logging.getLogger(__name__)

ACTION_NEW_IMPORT = "file.new_import"
ACTION_SETTINGS = "file.settings"
ACTION_QUIT = "file.quit"
ACTION_REFRESH = "view.refresh"
ACTION_SYNC_CONNECTION = "engagement.sync_connection"
ACTION_SYNC_NOW = "engagement.sync_now"
ACTION_SYNC_ISSUES = "engagement.sync_issues"
WIZARD = "wizard"


def standard_icon(widget: QWidget, name: str) -> QIcon:
    """A QStyle standard icon by name (`SP_...`), empty when unknown."""
    pixmap = getattr(QStyle.StandardPixmap, name, None)
    return widget.style().standardIcon(pixmap) if pixmap is not None else QIcon()


class StartupPage(QWidget):
    """Shown while the database starts: the window is up at once, the work happens behind it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("startupPage")
        self.label = QLabel("Starting database…")
        self.label.setObjectName("screenTitle")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail = QLabel("The embedded PostgreSQL server is starting; this takes a second.")
        self.detail.setObjectName("screenSubtitle")
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setFixedWidth(320)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.label)
        layout.addWidget(self.detail)
        layout.addWidget(self.bar, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)

    def failed(self, message: str) -> None:
        self.label.setText("The database is not available")
        self.detail.setText(message + "\n\nFix it in File → Settings…, then restart the connection.")
        self.bar.hide()


class MainWindow(QMainWindow):
    """Sidebar | current screen, a screen toolbar, menus and the status bar."""

    #: Emitted after the first paint that shows an open database (benchmarks wait on it).
    ready = Signal()

    def __init__(self, tasks: TaskManager, store: SettingsStore | None = None) -> None:
        super().__init__()
        self.tasks = tasks
        self.store = store or SettingsStore()
        self.settings: Settings | None = None
        self.identity: Identity | None = None
        self.actions_by_id: dict[str, QAction] = {}
        self._screens: dict[str, Screen] = {}
        self._closing = False
        self._ready_emitted = False
        self._warmed = False
        self.setObjectName("mainWindow")
        self.setWindowTitle("Migration Discovery")
        self.setAcceptDrops(True)
        self.resize(1360, 840)

        self.ctx = ScreenContext(tasks=tasks, settings=self.store, navigate=self.navigate)
        self.sidebar = Sidebar()
        self.sidebar.selection_changed.connect(self._on_selection)
        self.sidebar.open_requested.connect(self.navigate)  # an engagement → its asset inventory
        self.stack = QStackedWidget()
        self.stack.setObjectName("screenStack")
        self.startup = StartupPage()
        self.stack.addWidget(self.startup)
        self.splitter = QSplitter()
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([280, 1080])
        self.setCentralWidget(self.splitter)
        self.status = AppStatusBar(tasks)
        self.setStatusBar(self.status)
        self.sync = SyncController(tasks, self.store, self.status, self)
        self.sync.issues_requested.connect(self.open_sync_issues)
        self._build_actions()
        self.store.restore_geometry(self)
        self.store.restore_splitter("main", self.splitter)

        tasks.operation_did_execute.connect(self._on_operation)
        tasks.core_changed.connect(self._on_core_changed)
        tasks.core_failed.connect(self._database_failed)
        if tasks.core is not None:  # opened elsewhere (tests, a restarted window)
            self._on_core_changed(tasks.core)

    # -- actions and menus ---------------------------------------------------------------------

    def _action(
        self,
        action_id: str,
        text: str,
        slot: object,
        shortcut: QKeySequence | str | None = None,
        icon: str | None = None,
    ) -> QAction:
        action = QAction(text, self)
        action.setObjectName(action_id)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if icon:
            action.setIcon(standard_icon(self, icon))
        action.triggered.connect(slot)  # type: ignore[arg-type]
        self.actions_by_id[action_id] = action
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(
            self._action(
                ACTION_NEW_IMPORT, "&New import…", self.open_import_wizard, "Ctrl+I", "SP_FileDialogNewFolder"
            )
        )
        file_menu.addSeparator()
        file_menu.addAction(
            self._action(
                ACTION_SETTINGS, "&Settings…", self.open_settings, QKeySequence.StandardKey.Preferences
            )
        )
        file_menu.addSeparator()
        file_menu.addAction(self._action(ACTION_QUIT, "&Quit", self.close, QKeySequence.StandardKey.Quit))
        # the current screen's own actions (approve, undo, run phase…), rebuilt on navigation
        self.screen_menu = self.menuBar().addMenu("&Edit")
        self.screen_menu.setObjectName("screenMenu")
        view_menu = self.menuBar().addMenu("&View")
        self.view_menu = view_menu
        self.screen_toolbar = QToolBar("Screens")
        self.screen_toolbar.setObjectName("screenToolbar")
        self.screen_toolbar.setMovable(False)
        self.screen_toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.screen_toolbar)
        self.screen_toolbar.addAction(self.actions_by_id[ACTION_NEW_IMPORT])
        self.screen_toolbar.addSeparator()
        group = QActionGroup(self)
        group.setExclusive(True)
        for n, cls in enumerate(registered_screens(), start=1):
            action = self._action(
                f"screen.{cls.screen_id}",
                cls.title,
                lambda _=False, sid=cls.screen_id: self.navigate(sid, None),
                f"Ctrl+{n}" if n <= 9 else None,
                cls.icon,
            )
            action.setCheckable(True)
            group.addAction(action)
            view_menu.addAction(action)
            self.screen_toolbar.addAction(action)
        view_menu.addSeparator()
        view_menu.addAction(
            self._action(
                ACTION_REFRESH, "&Refresh", self.refresh_navigation, QKeySequence.StandardKey.Refresh
            )
        )
        engagement_menu = self.menuBar().addMenu("E&ngagement")
        engagement_menu.setObjectName("engagementMenu")
        engagement_menu.addAction(
            self._action(ACTION_SYNC_CONNECTION, "&Connection to shared server…", self.open_sync_connection)
        )
        sync_now = self._action(
            ACTION_SYNC_NOW, "&Sync now", self.sync_now, "Ctrl+Shift+S", "SP_BrowserReload"
        )
        sync_now.setToolTip("Push this engagement's offline changes to the shared server, pull what is new")
        engagement_menu.addAction(sync_now)
        engagement_menu.addAction(
            self._action(ACTION_SYNC_ISSUES, "Sync c&onflicts and refusals…", self.open_sync_issues)
        )
        self.screen_toolbar.insertAction(self.screen_toolbar.actions()[1], sync_now)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("&About", self._about)

    # -- start-up ------------------------------------------------------------------------------

    def start_database(self, settings: Settings, identity: Identity | None, *, opening: bool = False) -> None:
        """Show "Starting database…" and open it in the background (unless already `opening`)."""
        self.settings = settings
        self.identity = identity
        self.startup.label.setText("Starting database…")
        self.startup.bar.show()
        self.stack.setCurrentWidget(self.startup)
        self.status.set_connection("Starting database…")
        self.status.identity.setText(identity.label if identity else "")
        if not opening:
            self.tasks.open_core(lambda: bootstrap(settings, identity=identity))

    def _database_failed(self, exc: BaseException) -> None:
        self.status.set_connection("Offline", str(exc))
        self.startup.failed(str(exc))
        self.sidebar.empty_text = "The database is not available."
        self.sidebar.viewport().update()
        show_error(exc, self, title="The database could not be opened")

    def _on_core_changed(self, core: Core | None) -> None:
        if core is None:
            return
        db = core.db
        if db.mode == "embedded":
            self.status.set_connection("Embedded database", f"local PostgreSQL in {core.settings.data_dir}")
        else:
            self.status.set_connection(f"Shared server {db.server_label}", "shared PostgreSQL server")
        self.status.identity.setText(core.identity.label)
        self.sync.refresh()
        self.navigate(self.store.last_screen or "home", None)
        self.refresh_navigation()
        if not self._warmed:
            self._warmed = True
            QueryOp(None, warm_up, label="Preparing").run_in_background(self.tasks)

    def restart_connection(self, settings: Settings) -> None:
        """Close the current core (after running work) and open the database again."""
        old = self.tasks.core
        self.tasks.set_core(None, None)

        def close_old(_core: object) -> None:
            if old is not None:
                old.close()

        self.tasks.submit(
            close_old,
            kind="write",
            label="Closing the connection",
            needs_core=False,
            success=lambda _r: self.start_database(settings, self.identity),
            parent=self,
        )

    # -- navigation ----------------------------------------------------------------------------

    def refresh_navigation(self) -> None:
        QueryOp(self, lambda core: navigation.navigation(core.uows), label="Loading engagements").success(
            self._navigation_loaded
        ).run_in_background(self.tasks)

    def _navigation_loaded(self, clients: list[navigation.ClientNode]) -> None:
        self.sidebar.load(clients)
        sel = self.sidebar.current_selection()
        self.sync.set_selection(sel)
        for screen in self._screens.values():
            if sel != screen.selection and (sel.import_id == screen.selection.import_id):
                screen.set_selection(sel)  # e.g. a flow id appeared for the selected import
        if not self._ready_emitted:
            QTimer.singleShot(0, self._emit_ready)

    def _emit_ready(self) -> None:
        self._ready_emitted = True
        self.ready.emit()

    def screen(self, screen_id: str) -> Screen:
        """The screen instance (created on first use)."""
        existing = self._screens.get(screen_id)
        if existing is not None:
            return existing
        cls = screen_class(screen_id)
        instance = cls(self.ctx)
        instance.status_message.connect(lambda text: self.statusBar().showMessage(text, 5000))
        instance.set_selection(self.sidebar.current_selection())
        self._screens[screen_id] = instance
        self.stack.addWidget(instance)
        return instance

    def current_screen(self) -> Screen | None:
        widget = self.stack.currentWidget()
        return widget if isinstance(widget, Screen) else None

    def navigate(self, screen_id: str, selection: Selection | None = None) -> None:
        """Show a screen (optionally pointing the sidebar at an import first)."""
        if screen_id == WIZARD:
            self.open_import_wizard()
            return
        if selection is not None and selection.import_id is not None:
            self.sidebar.select_key(f"i:{selection.import_id}")
        screen = self.screen(screen_id)
        if selection is not None:
            screen.set_selection(selection)
        self.stack.setCurrentWidget(screen)
        action = self.actions_by_id.get(f"screen.{screen_id}")
        if action is not None:
            action.setChecked(True)
        self.store.last_screen = screen_id
        self._fill_screen_menu(screen)
        screen.on_shown()

    def _fill_screen_menu(self, screen: Screen) -> None:
        # Not QMenu.clear(): it deletes actions it shows even when a screen owns them (the undo and
        # redo actions QUndoStack created), so the next visit to that screen would crash.
        for action in self.screen_menu.actions():
            self.screen_menu.removeAction(action)
            if action.isSeparator() and action.parent() is self.screen_menu:
                action.deleteLater()
        actions = screen.menu_actions()
        self.screen_menu.setTitle(f"&{screen.title.split()[0]}" if actions else "&Edit")
        for action in actions:
            if action is None:
                self.screen_menu.addSeparator()
            else:
                self.screen_menu.addAction(action)
        self.screen_menu.menuAction().setVisible(bool(actions))

    def _on_selection(self, selection: Selection) -> None:
        self.sync.set_selection(selection)
        for screen in self._screens.values():
            screen.set_selection(selection)
        current = self.current_screen()
        if selection.import_id is not None and (current is None or current.screen_id == "home"):
            self.navigate("timeline", selection)

    def _on_operation(self, changes: OpChanges, initiator: object) -> None:
        if changes.navigation:
            self.refresh_navigation()
        for screen in self._screens.values():
            try:
                screen.on_operation(changes, initiator)
            except Exception:
                log.exception("screen %s failed to refresh", screen.screen_id)

    # -- dialogs -------------------------------------------------------------------------------

    def open_import_wizard(self, path: str | None = None) -> None:
        from desktop_app.wizard.import_wizard import ImportWizard

        wizard = ImportWizard(self.tasks, self.store, self.sidebar.current_selection(), self)
        wizard.import_finished.connect(self._import_finished)
        if path:
            wizard.set_file(path)
        self._wizard = wizard
        wizard.open()

    def _import_finished(self, selection: Selection) -> None:
        self.navigate("mapping_review", selection)

    def open_settings(self) -> None:
        from desktop_app.settings_dialog import SettingsDialog

        if self.settings is None:
            return
        dialog = SettingsDialog(self.settings, self.store, self)
        dialog.restart_requested.connect(self.restart_connection)
        self._settings_dialog = dialog
        dialog.open()

    def _engagement_selected(self) -> Selection | None:
        sel = self.sidebar.current_selection()
        if not sel.has_engagement:
            self.statusBar().showMessage("Select an engagement in the sidebar first.", 6000)
            return None
        return sel

    def open_sync_connection(self) -> None:
        from desktop_app.sync_dialogs import ConnectionDialog

        sel = self._engagement_selected()
        if sel is None:
            return
        dialog = ConnectionDialog(self.store, sel, self)
        dialog.saved.connect(self.sync.profile_changed)
        dialog.accepted.connect(self.sync.auto_sync_changed)
        self._sync_connection_dialog = dialog
        dialog.open()

    def sync_now(self) -> None:
        if self._engagement_selected() is not None:
            self.sync.sync_now()

    def open_sync_issues(self) -> None:
        from desktop_app.sync_dialogs import SyncIssuesDialog

        sel = self._engagement_selected()
        if sel is None:
            return
        dialog = SyncIssuesDialog(self.tasks, sel, self)
        self._sync_issues_dialog = dialog
        dialog.open()

    def _about(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Migration Discovery",
            "Migration Discovery — discovery for cloud migrations.\n"
            "Import inventories, review mappings, run discovery flows.",
            QMessageBox.StandardButton.Ok,
            self,
        )
        self._about_box = box
        box.open()  # never exec(): a nested event loop would re-enter running coroutines

    # -- drag and drop ---------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files and Path(files[0]).is_file():
            event.acceptProposedAction()
            self.open_import_wizard(files[0])

    # -- closing ---------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        busy = [t for t in self.tasks.running() if t.kind == "write" or t.cancellable]
        if busy and not self._closing:
            event.ignore()
            box = QMessageBox(
                QMessageBox.Icon.Question,
                "Work is still running",
                "Cancel "
                + ", ".join(t.label for t in busy[:3])
                + (" and more" if len(busy) > 3 else "")
                + " and quit?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                self,
            )
            box.setObjectName("quitQuestion")
            box.setDefaultButton(QMessageBox.StandardButton.No)
            box.finished.connect(lambda result: self._close_answer(result))
            self._quit_box = box
            box.open()
            return
        self._save_state()
        self.tasks.shutdown()
        event.accept()

    def terminate(self) -> None:
        """Close without asking (the session is ending): cancel running work, then quit."""
        self._closing = True
        self.tasks.cancel_all()
        self.close()

    def _close_answer(self, result: int) -> None:
        if result == QMessageBox.StandardButton.Yes:
            self._closing = True
            self.tasks.cancel_all()
            self.close()

    def _save_state(self) -> None:
        for screen in self._screens.values():
            screen.save_state()
        self.store.save_geometry(self)
        self.store.save_splitter("main", self.splitter)
        self.store.sync()


class FirstPaintWatcher(QObject):
    """Calls back on the first paint of a widget (start-up benchmark)."""

    def __init__(self, widget: QWidget, callback: object) -> None:
        super().__init__(widget)
        self._callback = callback
        widget.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self._callback is not None:
            cb, self._callback = self._callback, None
            QTimer.singleShot(0, cb)  # type: ignore[arg-type]
        return False


__all__ = ["MainWindow"]
