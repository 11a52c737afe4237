"""The mapping grid read at the default 1360×840 window (issue 12.10), in light and dark themes.

Headers and reasons are not clipped, look-alike long headers stay distinct (middle elision) with the
full text as tooltip, the widths the consultant sets are remembered, what a row shows as reason and
confidence follows its current decision, and the painted buttons stay readable on a selected row.
Real widgets on the real database; `tests/output/02b_mapping_review_rvtools*.png` are for people.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QFontMetrics
from PySide6.QtWidgets import QApplication, QStyle, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from core.bootstrap import Core
from core.tenancy import EngagementRef
from core.uow import Tenant
from desktop_app.main_window import MainWindow
from desktop_app.screens.mapping_review.columns import REASON_MIN
from desktop_app.screens.mapping_review.delegate import APPROVE, BUTTONS, EDIT, REJECT, button_rects
from desktop_app.screens.mapping_review.grid import CELL_PADDING
from desktop_app.screens.mapping_review.model import (
    COL_ACTIONS,
    COL_CONFIDENCE,
    COL_EXPLANATION,
    COL_SOURCE,
    CONFIDENCE_ROLE,
    HEADERS,
)
from desktop_app.screens.mapping_review.rows import ReviewRow
from desktop_app.screens.mapping_review.widget import MappingReviewScreen
from desktop_app.screens.registry import ScreenContext, Selection
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager
from desktop_app.theme import apply_theme, colors

from .builders import rows_by_source
from .conftest import wait_idle
from .review_builders import make_rvtools_import

DEFAULT_WINDOW = (1360, 840)
OS_COLUMNS = ("OS according to the configuration file", "OS according to the VMware Tools")


@pytest.fixture
def imported(core: Core, tenant: Tenant) -> tuple[uuid.UUID, uuid.UUID]:
    return make_rvtools_import(core, tenant)


@pytest.fixture
def window(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, imported: tuple[uuid.UUID, uuid.UUID]
) -> Iterator[MainWindow]:
    win = MainWindow(tasks, store)
    qtbot.addWidget(win)
    win.resize(*DEFAULT_WINDOW)
    win.show()
    qtbot.waitUntil(lambda: win._ready_emitted, timeout=10_000)
    yield win
    wait_idle(qtbot, tasks)


def _review(qtbot: QtBot, window: MainWindow, import_id: uuid.UUID) -> MappingReviewScreen:
    window.refresh_navigation()
    qtbot.waitUntil(lambda: window.sidebar.model_.find_key(f"i:{import_id}").isValid())
    window.navigate("mapping_review")
    window.sidebar.select_key(f"i:{import_id}")
    screen = window.current_screen()
    assert isinstance(screen, MappingReviewScreen)
    qtbot.waitUntil(lambda: screen.is_loaded() and screen.model.rowCount() == 58)
    return screen


def _row(screen: MappingReviewScreen, source: str) -> ReviewRow:
    return next(r for r in screen.model.rows() if r.source_field == source)


def _shown(screen: MappingReviewScreen, source: str, column: int) -> str:
    """The text as painted: elided the way the column's delegate elides, to the column's width."""
    index = screen.proxy.mapFromSource(screen.model.index_of(_row(screen, source).mapping_id, column))
    opt = QStyleOptionViewItem()
    opt.font = screen.view.font()
    opt.textElideMode = screen.view.textElideMode()
    screen.view.itemDelegateForIndex(index).initStyleOption(opt, index)
    margin = screen.view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, screen.view) + 1
    return QFontMetrics(opt.font).elidedText(
        opt.text, opt.textElideMode, screen.view.columnWidth(column) - 2 * margin
    )


def test_columns_fit_the_default_window(
    qtbot: QtBot, window: MainWindow, imported: tuple[uuid.UUID, uuid.UUID]
) -> None:
    screen = _review(qtbot, window, imported[0])
    view = screen.view
    header = view.horizontalHeader()
    metrics = QFontMetrics(header.font())
    for col, text in enumerate(HEADERS):
        if text:  # no header is clipped ("planati")
            assert header.sectionSize(col) >= metrics.horizontalAdvance(text) + CELL_PADDING, text
    assert view.columnWidth(COL_EXPLANATION) >= REASON_MIN - 2  # the reason gets room ("'VM' i…")
    vm = _shown(screen, "VM", COL_EXPLANATION)
    assert len(vm.rstrip("…")) >= 30 and vm.startswith("'VM' is a name for asset_name"), vm
    # look-alike long headers stay apart, each with its full text as tooltip
    first, second = (_shown(screen, name, COL_SOURCE) for name in OS_COLUMNS)
    assert first != second, (first, second)
    assert first.startswith("OS ac") and second.endswith("Tools"), (first, second)
    for name in OS_COLUMNS:
        index = screen.model.index_of(_row(screen, name).mapping_id, COL_SOURCE)
        assert index.data(Qt.ItemDataRole.ToolTipRole) == name
    tip = screen.model.headerData(COL_EXPLANATION, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert tip and "reason" in tip
    # everything fits beside each other: no horizontal scrolling at the default size
    assert sum(view.columnWidth(c) for c in range(len(HEADERS))) <= view.viewport().width() + 1


def test_column_widths_are_remembered_per_screen(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    engagement: EngagementRef,
    imported: tuple[uuid.UUID, uuid.UUID],
) -> None:
    def open_screen() -> MappingReviewScreen:
        ctx = ScreenContext(tasks=tasks, settings=store, navigate=lambda *_a: None)
        widget = MappingReviewScreen(ctx)
        qtbot.addWidget(widget)
        widget.resize(1100, 700)
        widget.show()
        widget.set_selection(
            Selection(
                engagement.client_account_id,
                engagement.client_name,
                engagement.engagement_id,
                engagement.engagement_name,
                imported[0],
                "rvtools-vinfo.xlsx",
                imported[1],
            )
        )
        widget.on_shown()
        qtbot.waitUntil(lambda: widget.is_loaded() and widget.model.rowCount() == 58)
        return widget

    first = open_screen()
    fitted = first.view.columnWidth(COL_SOURCE)
    first.view.horizontalHeader().resizeSection(COL_SOURCE, fitted + 73)  # as a drag on the divider does
    first.save_state()
    first.close()
    second = open_screen()
    assert second.view.columnWidth(COL_SOURCE) == fitted + 73  # the consultant's width, not refitted
    second.resize(1300, 700)
    qtbot.waitUntil(lambda: second.view.viewport().width() > 1100)
    assert second.view.columnWidth(COL_SOURCE) == fitted + 73


def test_reason_and_confidence_follow_the_decision(
    qtbot: QtBot,
    window: MainWindow,
    core: Core,
    tenant: Tenant,
    imported: tuple[uuid.UUID, uuid.UUID],
) -> None:
    import_id = imported[0]
    screen = _review(qtbot, window, import_id)
    memory = _row(screen, "Memory")
    assert memory.target_field and "tags" not in dict(memory.alternatives)
    screen.controller.change_target(memory.mapping_id, "tags", None)
    qtbot.waitUntil(lambda: _row(screen, "Memory").status == "modified", timeout=10_000)
    index = screen.model.index_of(memory.mapping_id, COL_EXPLANATION)
    assert index.data() == f"Changed by Test Consultant (suggested {memory.target_field})"
    assert memory.explanation in index.data(Qt.ItemDataRole.ToolTipRole)  # the suggester's reason, apart
    confidence = screen.model.index_of(memory.mapping_id, COL_CONFIDENCE)
    assert confidence.data(CONFIDENCE_ROLE) is None and confidence.data() == ""  # tags was not scored

    vm = _row(screen, "VM")
    screen.controller.reject([vm])
    qtbot.waitUntil(lambda: _row(screen, "VM").status == "rejected", timeout=10_000)
    shown = screen.model.index_of(vm.mapping_id, COL_EXPLANATION).data()
    assert shown == f"Left unmapped by Test Consultant (suggested {vm.target_field})"
    assert screen.model.index_of(vm.mapping_id, COL_CONFIDENCE).data(CONFIDENCE_ROLE) is None

    screen.undo_stack.undo()  # back to the suggestion: the suggester's reason and confidence again
    qtbot.waitUntil(
        lambda: rows_by_source(core, tenant, import_id)["VM"].status == "suggested", timeout=10_000
    )
    qtbot.waitUntil(lambda: _row(screen, "VM").status == "suggested")
    assert screen.model.index_of(vm.mapping_id, COL_EXPLANATION).data() == vm.explanation
    assert screen.model.index_of(vm.mapping_id, COL_CONFIDENCE).data(CONFIDENCE_ROLE) == vm.confidence


def _contrast(a: QColor, b: QColor) -> float:
    def lum(c: QColor) -> float:
        def ch(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * ch(c.redF()) + 0.7152 * ch(c.greenF()) + 0.0722 * ch(c.blueF())

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_buttons_on_a_selected_row_are_readable(
    qtbot: QtBot,
    window: MainWindow,
    imported: tuple[uuid.UUID, uuid.UUID],
    theme: str,
    output_dir: Path,
) -> None:
    screen = _review(qtbot, window, imported[0])
    vm = _row(screen, "VM")
    screen.controller.approve([vm])
    qtbot.waitUntil(lambda: _row(screen, "VM").status == "approved", timeout=10_000)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, theme)
    try:
        for hovered in (APPROVE, REJECT):
            screen.select_mapping(vm.mapping_id)
            index = screen.proxy.mapFromSource(screen.model.index_of(vm.mapping_id, COL_ACTIONS))
            screen.view.decision_delegate._hover = (index.row(), hovered)  # the pointer rests on it
            screen.view.viewport().repaint()
            image = screen.view.viewport().grab().toImage()
            ratio = image.devicePixelRatio()
            rects = button_rects(screen.view.visualRect(index))
            highlight = screen.view.palette().color(screen.view.palette().ColorRole.Highlight)
            c = colors()
            accents = {APPROVE: c.approved, REJECT: c.rejected, EDIT: c.modified}
            for action, _label in BUTTONS:
                active = action == APPROVE  # the row is approved: ✓ shows it filled
                text = (QColor("#ffffff") if c.name == "light" else c.base) if active else accents[action]
                inside = rects[action].topLeft() + QPoint(5, 5)  # inside the fill, clear of the glyph
                painted = image.pixelColor(int(inside.x() * ratio), int(inside.y() * ratio))
                assert painted.rgb() != highlight.rgb(), (theme, action, hovered)  # nothing shows through
                assert _contrast(text, painted) >= 4.5, (theme, action, hovered, painted.name())
        screen.view.decision_delegate._hover = None
        window.repaint()
        assert window.grab().save(str(output_dir / f"02b_mapping_review_rvtools_{theme}.png"))
    finally:
        apply_theme(app, "light")


def test_fit_widths_gives_way_samples_first_and_never_cuts_a_header() -> None:
    from desktop_app.screens.mapping_review.columns import CAPS, FLOORS, fit_widths
    from desktop_app.screens.mapping_review.model import COL_MATCH, COL_SAMPLES, COL_STATUS, COL_TARGET

    wanted = {
        COL_SOURCE: 300,
        COL_SAMPLES: 400,
        COL_TARGET: 180,
        COL_CONFIDENCE: 90,
        COL_MATCH: 70,
        COL_EXPLANATION: 900,
        COL_STATUS: 80,
        COL_ACTIONS: 128,
    }
    headers = dict.fromkeys(wanted, 60) | {COL_SAMPLES: 118}
    roomy = fit_widths(wanted, 1800, headers)
    assert roomy[COL_SOURCE] == CAPS[COL_SOURCE] and roomy[COL_SAMPLES] == CAPS[COL_SAMPLES]
    tight = fit_widths(wanted, 1025, headers)
    assert 1025 - sum(tight.values()) >= REASON_MIN - 2  # the explanation keeps its room
    assert tight[COL_SAMPLES] == 118  # down to its header first (above its floor)
    assert tight[COL_SOURCE] < roomy[COL_SOURCE] and tight[COL_SOURCE] >= FLOORS[COL_SOURCE]
    assert COL_EXPLANATION not in tight
    cramped = fit_widths(wanted, 600, headers)  # no room at all: floors and headers hold
    assert cramped[COL_SAMPLES] >= 118 and cramped[COL_TARGET] >= FLOORS[COL_TARGET]
