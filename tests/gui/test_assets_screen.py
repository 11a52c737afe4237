"""The asset screen driven with qtbot: table, column chooser, lineage, quality, merge, export, shell links.

Real assets (cleansing + inventory on three overlapping imports), the real task manager on the
qasync loop; every wait is on a condition.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from core.bootstrap import Core
from core.changes import OpChanges
from core.cleansing import quality_report
from core.db.models import DataImport, RawImportRecord
from core.inventory import count_assets
from desktop_app.main_window import MainWindow
from desktop_app.screens.assets import quality_data
from desktop_app.screens.assets.column_chooser import COLUMNS_KEY, WIDTHS_KEY
from desktop_app.screens.assets.lineage_panel import COL_FIELD, LINEAGE_ROLE
from desktop_app.screens.assets.model import ASSET_ID_ROLE, VALUE_ROLE
from desktop_app.screens.assets.screen import (
    ACTION_EXPORT_XLSX,
    TAB_DUPLICATES,
    TAB_QUALITY,
    AssetsScreen,
)
from desktop_app.screens.registry import ScreenContext
from desktop_app.screens.timeline.screen import ACTION_OPEN_ASSETS, TimelineScreen
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager
from desktop_app.theme import colors

from .test_assets_estate import BAD_RAM, CMDB_ROWS, AssetEstate, build_asset_estate, new_engagement


@pytest.fixture(scope="module")
def estate(core: Core) -> AssetEstate:
    return build_asset_estate(core, new_engagement(core, "screen"))


def open_screen(qtbot: QtBot, tasks: TaskManager, store: SettingsStore, estate: AssetEstate) -> AssetsScreen:
    screen = AssetsScreen(ScreenContext(tasks=tasks, settings=store, navigate=lambda *_: None))
    qtbot.addWidget(screen)
    screen.resize(1400, 860)
    screen.show()
    screen.set_selection(estate.selection)
    screen.on_shown()
    qtbot.waitUntil(lambda: screen.model.is_loaded and screen.choices is not None, timeout=10_000)
    return screen


@pytest.fixture
def screen(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, estate: AssetEstate
) -> Iterator[AssetsScreen]:
    widget = open_screen(qtbot, tasks, store, estate)
    yield widget
    qtbot.waitUntil(tasks.is_idle, timeout=20_000)


def _header_click(qtbot: QtBot, screen: AssetsScreen, field: str) -> None:
    header = screen.view.horizontalHeader()
    col = screen.model.column_of(field)
    x = header.sectionViewportPosition(col) + header.sectionSize(col) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))


def test_table_scrolls_lazily_sorts_by_header_and_filters_in_sql(
    qtbot: QtBot, screen: AssetsScreen, core: Core, estate: AssetEstate
) -> None:
    model, view = screen.model, screen.view
    with core.uow(estate.tenant) as uow:
        total = count_assets(uow)
    assert model.rowCount() == total and f"{total:,} assets" in screen.subtitle.text()
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert "Memory (GB)" in headers and "Storage (GB)" in headers and "Virtual" in headers
    view.scrollToBottom()
    view.viewport().repaint()  # paints placeholders and asks for the last page
    last = total - 1
    qtbot.waitUntil(lambda: model.is_row_loaded(last))
    assert model.pages_requested <= 3  # the last page (and a neighbour), not the table

    _header_click(qtbot, screen, "memory_gb")
    qtbot.waitUntil(lambda: model.query.sort == "memory_gb" and model.is_loaded)
    first_direction = model.query.descending
    _header_click(qtbot, screen, "memory_gb")
    qtbot.waitUntil(lambda: model.query.descending != first_direction and model.is_loaded)
    model.ensure_rows(0, 20)
    qtbot.waitUntil(lambda: model.is_row_loaded(0))
    mem = model.column_of("memory_gb")
    values = [model.data(model.index(r, mem), VALUE_ROLE) for r in range(20)]
    present = [v for v in values if v is not None]
    assert present == sorted(present, reverse=model.query.descending)

    qtbot.keyClicks(screen.filters.search, "web00")
    qtbot.waitUntil(lambda: model.query.search == "web00" and model.is_loaded)
    with core.uow(estate.tenant) as uow:
        assert model.rowCount() == count_assets(uow, {"search": "web00"}) > 0
    assert "match the filters" in screen.subtitle.text()
    screen.filters.environment.setCurrentIndex(screen.filters.environment.findData("production"))
    qtbot.waitUntil(lambda: model.query.equal("environment") == "production" and model.is_loaded)
    with core.uow(estate.tenant) as uow:
        assert model.rowCount() == count_assets(uow, {"search": "web00", "environment": "production"})
    screen.filters.clear_button.click()
    qtbot.waitUntil(lambda: not model.query.filtered and model.is_loaded)
    assert model.rowCount() == total and screen.filters.search.text() == ""


def test_column_chooser_is_remembered(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, estate: AssetEstate, screen: AssetsScreen
) -> None:
    chooser = screen.chooser
    chooser.action("cpu_model").trigger()  # type: ignore[union-attr]
    chooser.build_menu()
    chooser.action("fqdn").trigger()  # type: ignore[union-attr]
    assert "cpu_model" in screen.model.columns and "fqdn" not in screen.model.columns
    screen.view.setColumnWidth(screen.model.column_of("asset_name"), 333)
    screen.view.horizontalHeader().moveSection(0, 2)  # dragged: name is now the third column
    chooser.save()
    assert json.loads(store.q.value(COLUMNS_KEY)) == chooser.shown() != list(screen.model.columns)
    assert chooser.shown()[2] == "asset_name"
    assert json.loads(store.q.value(WIDTHS_KEY))["asset_name"] == 333
    shown = chooser.shown()

    again = open_screen(qtbot, tasks, SettingsStore(), estate)  # a new window, same user settings
    assert list(again.model.columns) == shown and again.model.columns[2] == "asset_name"
    assert again.view.columnWidth(again.model.column_of("asset_name")) == 333
    again.chooser.build_menu()
    again.chooser.action("cpu_model").trigger()  # type: ignore[union-attr]
    assert "cpu_model" not in again.model.columns


def test_lineage_panel_shows_file_row_column_and_the_exact_raw_cell(
    qtbot: QtBot, screen: AssetsScreen, core: Core, estate: AssetEstate
) -> None:
    qtbot.keyClicks(screen.filters.search, "web000.corp")
    qtbot.waitUntil(lambda: screen.model.is_loaded and screen.model.rowCount() == 1)
    screen.select_cell(0, "memory_gb")
    asset_id = screen.model.data(screen.model.index(0, 0), ASSET_ID_ROLE)
    panel = screen.lineage
    qtbot.waitUntil(lambda: panel.detail is not None and panel.detail["id"] == str(asset_id))
    assert panel.fields.currentItem().text(COL_FIELD) == "Memory (GB)"  # the table's current column
    shown = panel.field_row("memory_gb")
    # RVTools (discovery) wins; its row 2 (the first data row) column "Memory" held 8192 (MB)
    assert shown["Value"] == "8" and shown["File"] == "rvtools.xlsx"
    assert shown["Row"] == "2" and shown["Column"] == "Memory" and shown["Raw value"] == "8192"
    assert "scale ×0.0009765625" in shown["Rule applied"]  # MB → GB
    lineage = panel._items["memory_gb"].data(COL_FIELD, LINEAGE_ROLE)
    with core.uow(estate.tenant) as uow:  # the exact raw cell behind the value
        index, cells, columns = uow.session.execute(
            select(RawImportRecord.record_index, RawImportRecord.cells, DataImport.columns)
            .join(DataImport, DataImport.id == RawImportRecord.data_import_id)
            .where(RawImportRecord.id == uuid.UUID(lineage["record_id"]))
        ).one()
    assert index == 2 and cells[columns.index(shown["Column"])] == shown["Raw value"]
    others = panel.conflict_rows("memory_gb")  # CMDB said 4 GB, the spreadsheet 12 GB
    assert {(o["Value"], o["File"]) for o in others} == {
        ("8", "rvtools.xlsx"),
        ("4", "cmdb_ci_server.csv"),
        ("12", "server_list.xlsx"),
    }
    assert [o["Field"] for o in others].count("chosen") == 1
    cmdb = next(o for o in others if o["File"] == "cmdb_ci_server.csv")  # the losing value's own cell
    assert (cmdb["Row"], cmdb["Column"], cmdb["Raw value"]) == ("2", "ram_mb", "4096")
    sources = {(file, row) for file, row, _kind in panel.source_rows()}
    assert sources == {("cmdb_ci_server.csv", "2"), ("rvtools.xlsx", "2"), ("server_list.xlsx", "2")}
    assert "rvtools.xlsx</b> row 2" in panel.sources.text()
    screen.select_cell(0, "environment")  # another cell of the same asset: no reload, the field is shown
    assert panel.fields.currentItem().text(COL_FIELD) == "Environment"
    assert panel.field_row("environment")["File"] == "cmdb_ci_server.csv"


def test_quality_tab_shows_the_report_and_paints_its_bars(
    qtbot: QtBot, screen: AssetsScreen, core: Core, estate: AssetEstate
) -> None:
    tab = screen.quality
    screen.tabs.setCurrentIndex(TAB_QUALITY)
    tab.picker.setCurrentIndex(tab.picker.findData(str(estate.cmdb.import_id)))
    qtbot.waitUntil(lambda: tab.loaded_import == estate.cmdb.import_id)
    with core.uow(estate.tenant) as uow:
        report = quality_report(uow, estate.cmdb.import_id)
    assert report is not None
    valid = CMDB_ROWS - len(BAD_RAM)
    assert f"{CMDB_ROWS:,} records" in tab.summary.text() and f"{valid:,} valid" in tab.summary.text()
    bars = {b.label: b for b in tab.completeness.bars()}
    assert bars["Memory (GB)"].value == pytest.approx(100.0 * valid / CMDB_ROWS, abs=0.01)
    assert bars["Memory (GB)"].text == f"{100.0 * valid / CMDB_ROWS:.0f} %"
    assert [b.label for b in tab.completeness.bars()] == [
        b.label for b in quality_data.completeness_bars(report)
    ]
    rules = tab.by_rule.bars()
    assert [(b.label, b.value) for b in rules] == [("number", float(len(BAD_RAM)))]
    assert "'lots' is not a number" in rules[0].tooltip
    assert tab.worst.rowCount() == len(BAD_RAM)
    assert {tab.worst.item(r, 0).text() for r in range(tab.worst.rowCount())} == {str(i + 2) for i in BAD_RAM}

    image = tab.completeness.grab().toImage()  # the bars are really painted, in their colours
    ratio = tab.completeness.devicePixelRatioF()
    for i, bar in enumerate(tab.completeness.bars()):
        rect = tab.completeness.bar_rect(i)
        if rect.width() < 6:
            continue
        pixel = image.pixelColor(int(rect.center().x() * ratio), int(rect.center().y() * ratio))
        assert pixel.name() == bar.colour.name(), bar.label
    low = [b for b in tab.completeness.bars() if b.value < quality_data.MID]
    assert low and low[0].colour == colors().bar_low  # e.g. FQDN: only every third CMDB row has one


def test_merge_review_merges_and_the_table_refreshes(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, core: Core
) -> None:
    fresh = build_asset_estate(core, new_engagement(core, "merge"))
    screen = open_screen(qtbot, tasks, store, fresh)
    before = screen.model.rowCount()
    screen.tabs.setCurrentIndex(TAB_DUPLICATES)
    tab = screen.duplicates
    qtbot.waitUntil(lambda: tab.loaded and tab.group is not None)
    assert [g.key for g in tab.groups] == ["dup01"] and "same host name" in tab.groups[0].reason
    assert tab.compare.columnCount() == 2 and screen.tabs.tabText(TAB_DUPLICATES) == "Duplicates (1)"
    keep = uuid.UUID(tab.keep.currentData())
    tab.merge_button.click()
    box = tab._confirm
    assert box is not None and box.isVisible() and "can be undone" in box.informativeText()
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: screen.model.rowCount() == before - 1 and screen.model.is_loaded, timeout=10_000)
    qtbot.waitUntil(lambda: tab.loaded and not tab.groups)
    with core.uow(fresh.tenant) as uow:
        assert count_assets(uow) == before - 1
        assert count_assets(uow, {"search": "dup01"}) == 1
    assert "No duplicate candidates" in tab.empty.text()
    screen.tabs.setCurrentIndex(0)
    qtbot.keyClicks(screen.filters.search, "dup01")
    qtbot.waitUntil(lambda: screen.model.is_loaded and screen.model.rowCount() == 1)
    screen.select_cell(0, "asset_name")
    qtbot.waitUntil(lambda: screen.lineage.detail is not None and screen.lineage.detail["id"] == str(keep))
    assert len(screen.lineage.detail["sources"]) == 2  # lineage kept: both records behind the kept asset


def test_export_writes_the_filtered_inventory(
    qtbot: QtBot, screen: AssetsScreen, core: Core, estate: AssetEstate, tmp_path: Path
) -> None:
    screen.filters.environment.setCurrentIndex(screen.filters.environment.findData("production"))
    qtbot.waitUntil(
        lambda: screen.model.query.equal("environment") == "production" and screen.model.is_loaded
    )
    shown = screen.model.rowCount()
    screen.actions_by_id[ACTION_EXPORT_XLSX].trigger()
    dialog = screen.exporter.dialog
    assert dialog is not None and dialog.isVisible()  # opened with open(), not exec()
    target = tmp_path / "acme assets.xlsx"
    dialog.selectFile(str(target))
    dialog.accept()
    qtbot.waitUntil(
        lambda: screen.exporter.message is not None and screen.exporter.message.isVisible(), timeout=20_000
    )
    assert str(target) in screen.exporter.message.text()
    assert not screen.export_progress.isVisible() and screen.export_xlsx.isEnabled()
    wb = openpyxl.load_workbook(target, read_only=True)
    assert wb.sheetnames == ["Assets", "Quality", "Conflicts"]
    rows = list(wb["Assets"].iter_rows(values_only=True))
    head = list(rows[0])
    assert len(rows) - 1 == shown and "memory_gb (GB)" in head
    assert {r[head.index("environment")] for r in rows[1:]} == {"production"}

    out = tmp_path / "all.csv"  # CSV, the whole inventory
    screen.clear_filters()
    qtbot.waitUntil(lambda: not screen.model.query.filtered and screen.model.is_loaded)
    screen.exporter.start(out, "csv", screen.selection, screen.model.query)
    qtbot.waitUntil(lambda: not screen.exporter.running and screen.exporter.message is not None)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == screen.model.rowCount()
    assert (tmp_path / "all.quality.csv").exists() and (tmp_path / "all.conflicts.csv").exists()

    stopped: list[str] = []
    screen.exporter.stopped.connect(stopped.append)
    handle = screen.exporter.start(tmp_path / "cancelled.xlsx", "xlsx", screen.selection, screen.model.query)
    assert screen.export_cancel.isVisible()
    screen.export_cancel.click()  # before the worker starts: nothing is written
    qtbot.waitUntil(lambda: bool(stopped))
    assert handle.state == "cancelled" and "cancelled" in stopped[0]
    assert not (tmp_path / "cancelled.xlsx").exists()


def test_writes_elsewhere_refresh_the_table(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, core: Core
) -> None:
    fresh = build_asset_estate(core, new_engagement(core, "refresh"))
    screen = open_screen(qtbot, tasks, store, fresh)
    tasks.operation_did_execute.connect(screen.on_operation)  # as the main window routes it
    before = screen.model.rowCount()
    from core.inventory import merge_assets

    with core.uow(fresh.tenant) as uow:  # e.g. a colleague's merge, or an inventory re-run
        from core.inventory import duplicate_candidates

        group = duplicate_candidates(uow)[0]
        ids = [uuid.UUID(i) for i in group["asset_ids"]]
        merge_assets(uow, ids[0], ids[1:])
        uow.commit()
    tasks.operation_did_execute.emit(OpChanges(assets=True), None)
    qtbot.waitUntil(lambda: screen.model.rowCount() == before - 1 and screen.model.is_loaded)


def test_engagement_double_click_and_timeline_link_open_the_assets(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, estate: AssetEstate
) -> None:
    window = MainWindow(tasks, store)
    qtbot.addWidget(window)
    window.resize(1400, 860)
    window.show()
    qtbot.waitUntil(lambda: window._ready_emitted, timeout=10_000)
    window.refresh_navigation()
    key = f"e:{estate.engagement.engagement_id}"
    qtbot.waitUntil(lambda: window.sidebar.model_.find_key(key).isValid())
    window.sidebar.select_key(key)
    window.sidebar.activated.emit(window.sidebar.model_.find_key(key))  # double-click / Enter
    assets = window.current_screen()
    assert (
        isinstance(assets, AssetsScreen) and assets.selection.engagement_id == estate.engagement.engagement_id
    )
    qtbot.waitUntil(lambda: assets.model.is_loaded and assets.model.rowCount() > 0)

    window.navigate("timeline", estate.import_selection(estate.sheet, "server_list.xlsx"))
    timeline = window.current_screen()
    assert isinstance(timeline, TimelineScreen)
    qtbot.waitUntil(lambda: timeline.actions_by_id[ACTION_OPEN_ASSETS].isEnabled())  # inventory completed
    timeline.actions_by_id[ACTION_OPEN_ASSETS].trigger()
    assert window.current_screen() is assets
    assets.tabs.setCurrentIndex(TAB_QUALITY)
    qtbot.waitUntil(lambda: assets.quality.loaded_import == estate.sheet.import_id)
    qtbot.waitUntil(tasks.is_idle, timeout=20_000)
