"""Issue 12.1: returning to the mapping review keeps its menu, and undo still works."""

from __future__ import annotations

import uuid

from pytestqt.qtbot import QtBot

from core.bootstrap import Core
from core.uow import Tenant
from desktop_app.main_window import MainWindow
from desktop_app.screens.mapping_review.widget import ACTION_UNDO, MappingReviewScreen
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager

from .builders import make_import


def _window(qtbot: QtBot, tasks: TaskManager, store: SettingsStore) -> MainWindow:
    win = MainWindow(tasks, store)
    qtbot.addWidget(win)
    win.resize(1360, 840)
    win.show()
    qtbot.waitUntil(lambda: win._ready_emitted, timeout=10_000)
    return win


def _open(qtbot: QtBot, window: MainWindow, import_id: uuid.UUID, screen_id: str) -> object:
    window.refresh_navigation()
    qtbot.waitUntil(lambda: window.sidebar.model_.find_key(f"i:{import_id}").isValid())
    window.navigate(screen_id)
    window.sidebar.select_key(f"i:{import_id}")
    return window.current_screen()


def test_switching_screens_back_and_forth_keeps_the_menu_and_undo(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, core: Core, tenant: Tenant
) -> None:
    import_id, _flow_id = make_import(core, tenant, rows=20)
    window = _window(qtbot, tasks, store)
    screen = _open(qtbot, window, import_id, "mapping_review")
    assert isinstance(screen, MappingReviewScreen)
    qtbot.waitUntil(lambda: screen.is_loaded() and screen.model.rowCount() > 0)
    row = screen.model.rows()[0]
    screen.select_mapping(row.mapping_id)
    screen.view.setFocus()
    screen.reject_selected()
    qtbot.waitUntil(lambda: screen.model.row_by_id(row.mapping_id).status == "rejected")  # type: ignore[union-attr]
    for other in ("timeline", "assets", "mapping_review", "timeline", "mapping_review"):
        window.navigate(other)
        qtbot.waitUntil(tasks.is_idle)
    assert window.current_screen() is screen
    texts = [a.text() for a in window.screen_menu.actions() if not a.isSeparator()]
    assert any("Undo" in t for t in texts) and any("Approve" in t for t in texts), texts
    undo = screen.actions_by_id[ACTION_UNDO]
    assert undo.isEnabled()
    undo.trigger()
    qtbot.waitUntil(lambda: screen.model.row_by_id(row.mapping_id).status == "suggested")  # type: ignore[union-attr]
