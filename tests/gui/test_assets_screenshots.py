"""Renders the asset screen to PNG under tests/output/ (git-ignored) for people to look at.

Why a test: it drives the screen into a realistic state (an asset with conflicting sources
selected, its lineage, the quality report of a CMDB export, the duplicate review, dark theme) and
fails if rendering breaks; the images are reviewed by eye after GUI changes.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from core.bootstrap import Core
from desktop_app.main_window import MainWindow
from desktop_app.screens.assets.screen import TAB_DUPLICATES, TAB_INVENTORY, TAB_QUALITY, AssetsScreen
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager
from desktop_app.theme import apply_theme

from .test_assets_estate import build_asset_estate, new_engagement

SIZE = (1440, 900)


def _save(widget: QWidget, path: Path) -> None:
    assert widget.grab().save(str(path)), path
    assert path.stat().st_size > 10_000, f"{path} looks empty"


def test_render_asset_screens(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, core: Core, output_dir: Path
) -> None:
    estate = build_asset_estate(core, new_engagement(core, "Corp"))
    window = MainWindow(tasks, store)
    qtbot.addWidget(window)
    window.resize(*SIZE)
    window.show()
    qtbot.waitUntil(lambda: window._ready_emitted, timeout=10_000)
    window.refresh_navigation()
    key = f"e:{estate.engagement.engagement_id}"
    qtbot.waitUntil(lambda: window.sidebar.model_.find_key(key).isValid())
    window.sidebar.select_key(key)
    window.navigate("assets", estate.selection)
    screen = window.current_screen()
    assert isinstance(screen, AssetsScreen)
    qtbot.waitUntil(lambda: screen.model.is_loaded and screen.choices is not None, timeout=10_000)

    # sorted by memory, largest first: the top machines are ones the exports disagree on; the
    # current cell is a memory value, so the panel shows its file, row, column and raw cell
    screen.model.sort(screen.model.column_of("memory_gb"), Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: screen.model.query.sort == "memory_gb" and screen.model.is_loaded)
    screen.select_cell(0, "memory_gb")
    qtbot.waitUntil(lambda: screen.lineage.detail is not None, timeout=10_000)
    qtbot.waitUntil(tasks.is_idle, timeout=10_000)
    _save(window, output_dir / "07_assets.png")
    sizes = screen.splitter.sizes()
    screen.splitter.setSizes([180, sum(sizes) - 180])  # room for the whole panel
    screen.lineage.select_field("memory_gb")
    _save(screen.lineage, output_dir / "08_assets_lineage.png")
    screen.splitter.setSizes(sizes)

    screen.tabs.setCurrentIndex(TAB_QUALITY)
    screen.quality.picker.setCurrentIndex(screen.quality.picker.findData(str(estate.cmdb.import_id)))
    qtbot.waitUntil(lambda: screen.quality.loaded_import == estate.cmdb.import_id)
    qtbot.waitUntil(tasks.is_idle, timeout=10_000)
    _save(window, output_dir / "09_data_quality.png")

    screen.tabs.setCurrentIndex(TAB_DUPLICATES)
    qtbot.waitUntil(lambda: screen.duplicates.loaded and screen.duplicates.group is not None)
    qtbot.waitUntil(tasks.is_idle, timeout=10_000)
    _save(window, output_dir / "10_duplicates.png")

    screen.tabs.setCurrentIndex(TAB_INVENTORY)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, "dark")
    try:
        window.repaint()
        _save(window, output_dir / "11_assets_dark.png")
    finally:
        apply_theme(app, "light")
    qtbot.waitUntil(tasks.is_idle, timeout=10_000)
