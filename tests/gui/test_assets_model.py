"""The lazy asset table model alone (no view): paging, SQL sorting and filtering, conflict flags.

The assets come from the real path (imports with decided mappings → cleansing → inventory); the
model runs its queries through the real task manager on the qasync loop, and the tests wait on
conditions.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.bootstrap import Core
from core.inventory import count_assets, fetch_assets
from desktop_app.screens.assets.columns import FALSE_MARK, TRUE_MARK, header
from desktop_app.screens.assets.model import (
    ASSET_ID_ROLE,
    CONFLICT_ROLE,
    LOADED_ROLE,
    PLACEHOLDER,
    AssetTableModel,
)
from desktop_app.screens.assets.rows import TableQuery
from desktop_app.task_manager import TaskManager

from .test_assets_estate import AssetEstate, build_asset_estate, new_engagement

PAGE = 50
COLUMNS = ("asset_name", "fqdn", "memory_gb", "cpu_cores", "is_virtual", "environment")


@pytest.fixture(scope="module")
def estate(core: Core) -> AssetEstate:
    return build_asset_estate(core, new_engagement(core, "model"))


@pytest.fixture
def model(qtbot: QtBot, tasks: TaskManager, estate: AssetEstate) -> Iterator[AssetTableModel]:
    m = AssetTableModel(tasks, page_size=PAGE, columns=COLUMNS)
    m.set_scope(estate.selection)
    qtbot.waitUntil(lambda: m.is_loaded, timeout=10_000)
    yield m
    qtbot.waitUntil(tasks.is_idle, timeout=10_000)


def _sql(core: Core, estate: AssetEstate, **kwargs: object) -> list[dict[str, object]]:
    with core.uow(estate.tenant) as uow:
        return fetch_assets(uow, columns=list(COLUMNS), limit=1000, **kwargs)  # type: ignore[arg-type]


def test_rows_come_in_pages_on_demand(
    qtbot: QtBot, model: AssetTableModel, core: Core, estate: AssetEstate
) -> None:
    with core.uow(estate.tenant) as uow:
        total = count_assets(uow)
    assert total > 200 and model.rowCount() == total  # the count, before any page beyond the first
    assert model.cached_pages() == [0]
    assert model.headerData(model.column_of("memory_gb"), Qt.Orientation.Horizontal) == "Memory (GB)"
    expected = _sql(core, estate)
    row = 3 * PAGE + 7
    first = model.index(row, 0)
    assert model.data(first) == PLACEHOLDER and model.data(first, LOADED_ROLE) is False  # asks for the page
    qtbot.waitUntil(lambda: model.is_row_loaded(row))
    assert model.data(first) == expected[row]["asset_name"]
    assert model.data(first, ASSET_ID_ROLE) == expected[row]["id"]
    # only the pages that were asked for (and their neighbours) were fetched, not the table
    assert set(model.cached_pages()) <= {0, 2, 3, 4} and model.pages_requested <= 3
    mem = model.index(row, model.column_of("memory_gb"))
    assert model.data(mem, Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight
    virtual = {model.data(model.index(r, model.column_of("is_virtual"))) for r in range(PAGE)}
    assert virtual <= {TRUE_MARK, FALSE_MARK, ""} and TRUE_MARK in virtual


def test_header_click_sorts_in_sql_and_follows_the_current_asset(
    qtbot: QtBot, model: AssetTableModel, core: Core, estate: AssetEstate
) -> None:
    followed = model.data(model.index(10, 0), ASSET_ID_ROLE)
    model.follow_asset = followed
    located: list[int] = []
    model.located.connect(located.append)
    model.sort(model.column_of("memory_gb"), Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: bool(located))
    assert model.query.sort == "memory_gb" and model.query.descending
    expected = _sql(core, estate, sort="memory_gb", descending=True)
    position = next(i for i, r in enumerate(expected) if r["id"] == followed)
    assert located == [position]  # the asset the user was on, in its new place
    assert model.asset_at(position) is not None and model.asset_at(position).asset_id == followed  # type: ignore[union-attr]
    model.ensure_rows(0, 0)
    qtbot.waitUntil(lambda: model.is_row_loaded(0))
    tops = [model.data(model.index(r, model.column_of("memory_gb"))) for r in range(3)]
    assert tops == [f"{expected[r]['memory_gb']:g}" for r in range(3)]
    last = model.rowCount() - 1
    model.ensure_rows(last, last)
    qtbot.waitUntil(lambda: model.is_row_loaded(last))
    assert model.data(model.index(last, 0), ASSET_ID_ROLE) == expected[last]["id"]  # NULLs last, same order


def test_search_and_field_filters_run_in_sql(
    qtbot: QtBot, model: AssetTableModel, core: Core, estate: AssetEstate
) -> None:
    model.set_query(TableQuery(search="WEB0"))
    qtbot.waitUntil(lambda: model.is_loaded and model.query.search == "WEB0")
    with core.uow(estate.tenant) as uow:
        assert model.rowCount() == count_assets(uow, {"search": "WEB0"}) > 0
        prod = count_assets(uow, {"search": "WEB0", "environment": "production"})
    names = [model.data(model.index(r, 0)) for r in range(min(model.rowCount(), PAGE))]
    assert all("web0" in n.lower() for n in names)
    model.set_query(TableQuery(search="WEB0").with_equal("environment", "production"))
    qtbot.waitUntil(lambda: model.is_loaded and model.rowCount() == prod)
    model.set_query(TableQuery(conflicts_only=True))
    qtbot.waitUntil(lambda: model.is_loaded and model.query.conflicts_only)
    with core.uow(estate.tenant) as uow:
        assert model.rowCount() == count_assets(uow, {"has_conflicts": True}) > 0
    flagged = [
        (r, c) for r in range(min(model.rowCount(), PAGE)) for c in range(model.columnCount())
        if model.data(model.index(r, c), CONFLICT_ROLE)
    ]  # fmt: skip
    assert flagged, "every asset shown has a conflict; memory conflicts are in a shown column"
    r, c = flagged[0]
    tip = model.data(model.index(r, c), Qt.ItemDataRole.ToolTipRole)
    assert "sources disagree" in tip and model.data(model.index(r, c), Qt.ItemDataRole.BackgroundRole)
    model.set_query(TableQuery(import_id=estate.sheet.import_id))
    qtbot.waitUntil(lambda: model.is_loaded and model.query.import_id == estate.sheet.import_id)
    with core.uow(estate.tenant) as uow:
        assert model.rowCount() == count_assets(uow, {"data_import_id": estate.sheet.import_id})


def test_columns_change_without_a_recount(qtbot: QtBot, model: AssetTableModel) -> None:
    total = model.rowCount()
    model.set_columns(["asset_name", "storage_gb", "nonsense"])
    assert model.columns == ("asset_name", "storage_gb") and model.rowCount() == total
    assert model.headerData(1, Qt.Orientation.Horizontal) == header("storage_gb") == "Storage (GB)"
    model.data(model.index(0, 1))
    qtbot.waitUntil(lambda: model.is_row_loaded(0))
