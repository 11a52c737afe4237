"""Renders the main screens to PNG under tests/output/ (git-ignored) for people to look at.

Why a test: it drives every screen into a realistic state (rows decided, a conflict, a failed
phase, the wizard's preview, both themes) and fails if rendering breaks; the images are reviewed
by eye after GUI changes.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from core.actions import mapping as mapping_actions
from core.bootstrap import Core
from core.flows import PhaseError
from core.pipeline import REGISTRY, PhaseJob
from core.tenancy import EngagementRef
from core.uow import Tenant
from desktop_app.main_window import MainWindow
from desktop_app.screens.mapping_review.widget import MappingReviewScreen
from desktop_app.screens.timeline.screen import ACTION_RUN_NEXT, TimelineScreen
from desktop_app.settings_dialog import SettingsDialog
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager
from desktop_app.theme import apply_theme
from desktop_app.wizard.import_wizard import ImportWizard

from .builders import make_import, write_csv

SIZE = (1360, 840)  # the main window's default size


def _save(widget: QWidget, path: Path) -> None:
    assert widget.grab().save(str(path)), path
    assert path.stat().st_size > 10_000, f"{path} looks empty"


@pytest.fixture
def window(qtbot: QtBot, tasks: TaskManager, store: SettingsStore) -> MainWindow:
    win = MainWindow(tasks, store)
    qtbot.addWidget(win)
    win.resize(*SIZE)
    win.show()
    qtbot.waitUntil(lambda: win._ready_emitted, timeout=10_000)
    return win


def _open_import(qtbot: QtBot, window: MainWindow, import_id: uuid.UUID, screen_id: str) -> Any:
    window.refresh_navigation()
    qtbot.waitUntil(lambda: window.sidebar.model_.find_key(f"i:{import_id}").isValid())
    window.navigate(screen_id)
    window.sidebar.select_key(f"i:{import_id}")
    return window.current_screen()


def test_render_main_screens(
    qtbot: QtBot,
    window: MainWindow,
    tasks: TaskManager,
    core: Core,
    tenant: Tenant,
    engagement: EngagementRef,
    output_dir: Path,
    tmp_path: Path,
) -> None:
    import_id, _flow_id = make_import(core, tenant, filename="acme-cmdb-export.csv", rows=60)
    second, _ = make_import(core, tenant, filename="rvtools-vinfo.xlsx", rows=20)

    # home with the engagement selected
    window.refresh_navigation()
    qtbot.waitUntil(lambda: window.sidebar.model_.find_key(f"i:{second}").isValid())
    window.navigate("home")
    window.sidebar.select_key(f"e:{engagement.engagement_id}")
    home = window.current_screen()
    qtbot.waitUntil(lambda: home.model.rowCount() == 2 and home.table.isVisible())  # type: ignore[union-attr]
    assert home.model.item(0, 0).text() in ("acme-cmdb-export.csv", "rvtools-vinfo.xlsx")  # type: ignore[union-attr]
    _save(window, output_dir / "01_home.png")

    # mapping review: some decisions, a conflict, the preview
    screen: MappingReviewScreen = _open_import(qtbot, window, import_id, "mapping_review")
    assert isinstance(screen, MappingReviewScreen)
    qtbot.waitUntil(lambda: screen.is_loaded() and screen.model.rowCount() == 7)
    rows = {r.source_field: r for r in screen.model.rows()}
    # a colleague decided "Environment" meanwhile
    mapping_actions.approve(
        core.uows, tenant, rows["Environment"].mapping_id, rows["Environment"].version, auto_finish=False
    )
    screen.select_mapping(rows["Hostname"].mapping_id)
    screen.view.setFocus()
    qtbot.keyClick(screen.view, Qt.Key.Key_A)
    screen.select_mapping(rows["Zorglub"].mapping_id)
    qtbot.keyClick(screen.view, Qt.Key.Key_R)
    screen.select_mapping(rows["Environment"].mapping_id)
    qtbot.keyClick(screen.view, Qt.Key.Key_R)
    qtbot.waitUntil(
        lambda: screen.model.counts()["conflicts"] == 1 and screen.model.counts()["approved"] >= 2
    )
    screen.select_mapping(rows["RAM (MB)"].mapping_id)
    qtbot.waitUntil(lambda: "RAM (MB)" in screen.preview.title.text() and screen.preview_model.rowCount() > 0)
    qtbot.waitUntil(tasks.is_idle)
    _save(window, output_dir / "02_mapping_review.png")

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, "dark")
    try:
        window.repaint()
        _save(window, output_dir / "03_mapping_review_dark.png")
    finally:
        apply_theme(app, "light")

    # timeline: cleansing ran, the inventory failed with a hint
    mapping_actions.auto_map_remaining(core.uows, tenant, import_id)

    def failing(uow: Any, job: PhaseJob) -> dict[str, Any]:
        job.report(37, 60)
        raise PhaseError(
            "asset_tag column holds 23 duplicate values",
            error_code="duplicate_key",
            recovery_hint="reject or fix the asset_tag mapping, then retry the phase",
        )

    timeline: TimelineScreen = _open_import(qtbot, window, import_id, "timeline")
    qtbot.waitUntil(lambda: timeline.view is not None and timeline.view.current_phase == "data_cleansing")
    timeline.actions_by_id[ACTION_RUN_NEXT].trigger()
    qtbot.waitUntil(
        lambda: timeline.view is not None and timeline.view.current_phase == "asset_inventory", timeout=20_000
    )
    with pytest.MonkeyPatch.context() as mp:  # a failing engine, where every engine is: the registry
        mp.setitem(REGISTRY, "asset_inventory", replace(REGISTRY["asset_inventory"], runner=failing))
        timeline._update_actions()
        timeline.actions_by_id[ACTION_RUN_NEXT].trigger()
        qtbot.waitUntil(
            lambda: timeline.view is not None and timeline.view.status == "failed", timeout=20_000
        )
    timeline.timeline.select_phase("asset_inventory")
    qtbot.waitUntil(tasks.is_idle)
    _save(window, output_dir / "04_timeline.png")

    # the wizard's preview page
    csv_path = write_csv(tmp_path / "servers.csv", n=25, delimiter=";")
    wizard = ImportWizard(tasks, window.store, window.sidebar.current_selection(), window)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.file_page.path.setText(str(csv_path))
    wizard.next()
    qtbot.waitUntil(wizard.preview_page.isComplete)
    _save(wizard, output_dir / "05_wizard_preview.png")
    wizard.close()

    dialog = SettingsDialog(core.settings, SettingsStore(), window)
    qtbot.addWidget(dialog)
    dialog.show()
    _save(dialog, output_dir / "06_settings.png")
    dialog.close()


def test_render_startup(qtbot: QtBot, loop: object, store: SettingsStore, output_dir: Path) -> None:
    manager = TaskManager(loop)  # type: ignore[arg-type]
    win = MainWindow(manager, store)
    qtbot.addWidget(win)
    win.resize(*SIZE)
    win.show()
    win.status.set_connection("Starting database…")
    _save(win, output_dir / "00_startup.png")
    manager.shutdown()
