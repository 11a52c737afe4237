"""The Profile pane beside the mapping preview, on the real database at the default 1360×840 window.

The import is the wide RVTools vInfo sheet (five times over, one VM with a planted memory outlier);
moving the current row shows that column's profile — type, gaps, distinct, top values, patterns,
numbers and outliers with their rows — from one background profile of the import.
`tests/output/12_mapping_profile.png` is for people to look at.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core.bootstrap import Core
from core.uow import Tenant
from desktop_app.main_window import MainWindow
from desktop_app.screens.mapping_review.widget import MappingReviewScreen
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager

from .review_builders import make_sheet_import, rvtools_sheet

SIZE = (1360, 840)
COPIES = 5
OUTLIER_LINE = 2 + 57  # the 58th record (sheet row 59) holds the planted memory size


@pytest.fixture
def imported(core: Core, tenant: Tenant) -> uuid.UUID:
    header, base = rvtools_sheet()
    vm, memory = header.index("VM"), header.index("Memory")
    rows = []
    for copy in range(COPIES):
        for cells in base:
            row = list(cells)
            row[vm] = f"{row[vm]}-{copy}"
            rows.append(row)
    rows[57][memory] = "4194304"  # 4 TiB: far outside the usual 4-256 GiB
    import_id, _flow = make_sheet_import(core, tenant, header, rows)
    return import_id


@pytest.fixture
def window(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, imported: uuid.UUID
) -> Iterator[MainWindow]:
    win = MainWindow(tasks, store)
    qtbot.addWidget(win)
    win.resize(*SIZE)
    win.show()
    qtbot.waitUntil(lambda: win._ready_emitted, timeout=10_000)
    yield win
    qtbot.waitUntil(tasks.is_idle, timeout=10_000)


def _review(qtbot: QtBot, window: MainWindow, import_id: uuid.UUID) -> MappingReviewScreen:
    window.refresh_navigation()
    qtbot.waitUntil(lambda: window.sidebar.model_.find_key(f"i:{import_id}").isValid())
    window.navigate("mapping_review")
    window.sidebar.select_key(f"i:{import_id}")
    screen = window.current_screen()
    assert isinstance(screen, MappingReviewScreen)
    qtbot.waitUntil(lambda: screen.is_loaded() and screen.model.rowCount() > 50, timeout=20_000)
    return screen


def _select(qtbot: QtBot, screen: MappingReviewScreen, column: str) -> None:
    row = next(r for r in screen.model.rows() if r.source_field == column)
    assert screen.select_mapping(row.mapping_id)
    pane = screen.profile
    qtbot.waitUntil(
        lambda: pane.title.text().endswith(f" · {column}") and "Profiling" not in pane.summary.text(),
        timeout=30_000,
    )


def test_the_profile_pane_shows_the_current_columns_profile(
    qtbot: QtBot, window: MainWindow, imported: uuid.UUID, output_dir: Path
) -> None:
    screen = _review(qtbot, window, imported)
    pane = screen.profile
    assert pane.isVisible() and screen.preview.isVisible()
    assert pane.x() > screen.preview.x()  # beside the preview, under the grid

    _select(qtbot, screen, "Memory")
    records = COPIES * 24
    assert f"all {records:,} records" in pane.scope.text()
    assert "<b>integer</b>" in pane.summary.text() and "0% null" in pane.summary.text()
    assert pane.values.rowCount() > 0 and pane.patterns.rowCount() > 0
    assert (
        f"rows {OUTLIER_LINE}," in pane.details.text()
        and f"row {OUTLIER_LINE}: 4194304" in pane.details.toolTip()
    )
    assert "IQR outlier" in pane.details.text() and "median" in pane.details.text()
    profile = screen.profiles.profile_of(imported)
    assert profile is not None and profile.records == records and not profile.sampled
    _save(window, output_dir / "12_mapping_profile.png")

    _select(qtbot, screen, "Primary IP Address")
    assert "<b>ip</b>" in pane.summary.text()
    assert pane.patterns.item(0, 0).text() == "IPv4"
    assert screen.profiles.profile_of(imported) is profile  # moving between rows reads no records again

    _select(qtbot, screen, "VM UUID")  # each VM five times over: a UUID column, no key
    assert "<b>uuid</b>" in pane.summary.text() and pane.patterns.item(0, 0).text() == "UUID"
    _select(qtbot, screen, "VM")
    assert "unique" in pane.summary.text() and "a key" in pane.details.text()


def _save(window: MainWindow, path: Path) -> None:
    assert window.grab().save(str(path)), path
    assert path.stat().st_size > 10_000, f"{path} looks empty"
