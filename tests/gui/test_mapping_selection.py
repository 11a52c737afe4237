"""Review at speed on a wide RVTools sheet: keys over a selection, and columns without a target.

Issue 12.8 (A/R/E apply to the whole selection as one undoable step, saved whole or not at all) and
12.9 ("no target" rows in their own style, "leave all unmatched columns unmapped", ✓ on such a row
offers the target picker, the wizard counts them apart). Real widgets, real database.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from core.actions import mapping as mapping_actions
from core.bootstrap import Core
from core.tenancy import EngagementRef
from core.uow import Tenant
from desktop_app import error_dialog
from desktop_app.screens.mapping_review.delegate import APPROVE, button_rects
from desktop_app.screens.mapping_review.model import COL_ACTIONS, COL_CONFIDENCE, COL_SOURCE, COL_TARGET
from desktop_app.screens.mapping_review.rows import ReviewRow
from desktop_app.screens.mapping_review.target_picker import TargetPickerDialog
from desktop_app.screens.mapping_review.widget import ACTION_LEAVE_UNMATCHED, MappingReviewScreen
from desktop_app.screens.registry import ScreenContext, Selection
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager
from desktop_app.theme import colors
from desktop_app.wizard import service as wizard_service
from desktop_app.wizard.import_wizard import ImportWizard

from .builders import rows_by_source
from .review_builders import VINFO, make_rvtools_import


@pytest.fixture
def imported(core: Core, tenant: Tenant) -> tuple[uuid.UUID, uuid.UUID]:
    return make_rvtools_import(core, tenant)


@pytest.fixture
def screen(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    engagement: EngagementRef,
    imported: tuple[uuid.UUID, uuid.UUID],
) -> Iterator[MappingReviewScreen]:
    ctx = ScreenContext(tasks=tasks, settings=store, navigate=lambda *_a: None)
    widget = MappingReviewScreen(ctx)
    qtbot.addWidget(widget)
    widget.resize(1300, 760)
    with qtbot.waitActive(widget):
        widget.show()
    import_id, flow_id = imported
    widget.set_selection(
        Selection(
            engagement.client_account_id,
            engagement.client_name,
            engagement.engagement_id,
            engagement.engagement_name,
            import_id,
            "rvtools-vinfo.xlsx",
            flow_id,
        )
    )
    widget.on_shown()
    qtbot.waitUntil(lambda: widget.is_loaded() and widget.model.rowCount() == 58)
    yield widget
    qtbot.waitUntil(tasks.is_idle, timeout=10_000)


def _row(screen: MappingReviewScreen, source: str) -> ReviewRow:
    return next(r for r in screen.model.rows() if r.source_field == source)


def _click(
    qtbot: QtBot,
    screen: MappingReviewScreen,
    source: str,
    column: int,
    modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
    action: str | None = None,
) -> None:
    index = screen.proxy.mapFromSource(screen.model.index_of(_row(screen, source).mapping_id, column))
    screen.view.scrollTo(index)
    cell = screen.view.visualRect(index)
    point = button_rects(cell)[action].center() if action else cell.center()
    qtbot.mouseClick(screen.view.viewport(), Qt.MouseButton.LeftButton, modifier, point)


def _dialog_open(screen: MappingReviewScreen) -> bool:
    return isinstance(screen._dialog, TargetPickerDialog) and screen._dialog.isVisible()


# --------------------------------------------------------------------------------- 12.8 selection


def test_a_over_a_shift_selection_decides_every_row_as_one_step(
    qtbot: QtBot,
    screen: MappingReviewScreen,
    core: Core,
    tenant: Tenant,
    imported: tuple[uuid.UUID, uuid.UUID],
) -> None:
    import_id = imported[0]
    stored = rows_by_source(core, tenant, import_id)
    first19 = [r.source_field for r in sorted(stored.values(), key=lambda r: r.position)][:19]
    targeted = {s for s in first19 if stored[s].target_field}
    untargeted = set(first19) - targeted
    assert len(targeted) >= 5 and len(untargeted) >= 5, "the sheet mixes both kinds"
    rejected = next(s for s in first19[1:] if stored[s].target_field)
    screen.select_mapping(_row(screen, rejected).mapping_id)
    screen.view.setFocus()
    qtbot.keyClick(screen.view, Qt.Key.Key_R)
    qtbot.waitUntil(
        lambda: rows_by_source(core, tenant, import_id)[rejected].status == "rejected", timeout=10_000
    )
    qtbot.waitUntil(lambda: _row(screen, rejected).status == "rejected")

    _click(qtbot, screen, first19[0], COL_SOURCE)  # click the first row, shift-click the 19th
    _click(qtbot, screen, first19[-1], COL_SOURCE, Qt.KeyboardModifier.ShiftModifier)
    assert [r.source_field for r in screen.selected_rows()] == first19
    before = screen.undo_stack.count()
    qtbot.keyClick(screen.view, Qt.Key.Key_A)
    qtbot.waitUntil(
        lambda: all(rows_by_source(core, tenant, import_id)[s].status != "suggested" for s in first19),
        timeout=10_000,
    )
    now = rows_by_source(core, tenant, import_id)
    assert {s for s in first19 if now[s].status == "approved"} == targeted  # the rejected one too
    assert {s for s in first19 if now[s].status == "rejected"} == untargeted  # "no target" accepted
    assert screen.undo_stack.count() == before + 1  # one undoable step
    assert "19 columns" in screen.undo_stack.text(screen.undo_stack.count() - 1)
    qtbot.waitUntil(lambda: all(not _row(screen, s).pending for s in first19))

    screen.view.setFocus()
    qtbot.keyClick(screen.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: (
            {s: r.status for s, r in rows_by_source(core, tenant, import_id).items() if s in first19}
            == {s: "rejected" if s == rejected else "suggested" for s in first19}
        ),
        timeout=10_000,
    )


def test_a_selection_is_saved_whole_or_not_at_all(
    qtbot: QtBot,
    screen: MappingReviewScreen,
    core: Core,
    tenant: Tenant,
    imported: tuple[uuid.UUID, uuid.UUID],
) -> None:
    import_id = imported[0]
    vm, power = _row(screen, "VM"), _row(screen, "Powerstate")
    # a colleague approves "Powerstate" first, in another session
    mapping_actions.approve(core.uows, tenant, power.mapping_id, power.version, auto_finish=False)
    _click(qtbot, screen, "VM", COL_SOURCE)
    _click(qtbot, screen, "Powerstate", COL_SOURCE, Qt.KeyboardModifier.ShiftModifier)
    assert len(screen.selected_rows()) == 2
    qtbot.keyClick(screen.view, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: screen.model.row_by_id(power.mapping_id).conflict is not None, timeout=10_000)
    stored = rows_by_source(core, tenant, import_id)
    assert stored["VM"].status == "suggested"  # nothing of the selection was saved
    assert stored["Powerstate"].status == "approved"  # theirs, never overwritten
    assert screen.model.row_by_id(vm.mapping_id).status == "suggested"
    assert screen.banner.isVisible()
    qtbot.waitUntil(lambda: screen.undo_stack.count() == 0)  # the failed step is dropped


def test_e_over_a_selection_maps_every_row(
    qtbot: QtBot,
    screen: MappingReviewScreen,
    core: Core,
    tenant: Tenant,
    imported: tuple[uuid.UUID, uuid.UUID],
) -> None:
    import_id = imported[0]
    qtbot.waitUntil(lambda: bool(screen.targets))
    picked = ["Folder", "Resource pool", "Cluster"]
    _click(qtbot, screen, "Resource pool", COL_SOURCE)
    _click(qtbot, screen, "Folder", COL_SOURCE, Qt.KeyboardModifier.ControlModifier)
    _click(qtbot, screen, "Cluster", COL_SOURCE, Qt.KeyboardModifier.ControlModifier)
    assert {r.source_field for r in screen.selected_rows()} == set(picked)
    qtbot.keyClick(screen.view, Qt.Key.Key_E)
    qtbot.waitUntil(lambda: _dialog_open(screen))
    dialog = screen._dialog
    assert dialog is not None and dialog.windowTitle() == "Map 3 columns"
    dialog.select("hostname")  # takes one column: refused before anything is saved
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert "takes one column" in dialog.error.text() and dialog.isVisible()
    dialog.select("tags")
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    qtbot.waitUntil(
        lambda: all(rows_by_source(core, tenant, import_id)[s].target_field == "tags" for s in picked),
        timeout=10_000,
    )
    assert all(rows_by_source(core, tenant, import_id)[s].status == "modified" for s in picked)
    assert screen.undo_stack.count() == 1 and screen.undo_stack.text(0) == "Change 3 columns → tags"


# -------------------------------------------------------------------------------- 12.9 no target


def test_no_target_rows_have_their_own_style(qtbot: QtBot, screen: MappingReviewScreen) -> None:
    row = _row(screen, "Config status")
    assert row.no_target and row.confidence >= 0.9  # the suggester is sure nothing fits
    target = screen.model.index_of(row.mapping_id, COL_TARGET)
    assert target.data() == "no target"
    assert (
        isinstance(target.data(Qt.ItemDataRole.FontRole), QFont)
        and target.data(Qt.ItemDataRole.FontRole).italic()
    )
    assert target.data(Qt.ItemDataRole.ForegroundRole) == colors().muted
    confidence = screen.model.index_of(row.mapping_id, COL_CONFIDENCE)
    assert confidence.data() == ""
    # painted: no confidence bar in the cell (a good match has one)

    def bar_pixels(source: str) -> int:
        idx = screen.proxy.mapFromSource(
            screen.model.index_of(_row(screen, source).mapping_id, COL_CONFIDENCE)
        )
        screen.view.scrollTo(idx)
        rect = screen.view.visualRect(idx)
        img = screen.view.viewport().grab().toImage()
        bars = {colors().bar_high.rgb(), colors().bar_mid.rgb(), colors().bar_low.rgb()}
        return sum(
            img.pixelColor(x, y).rgb() in bars
            for x in range(rect.left(), rect.right())
            for y in range(rect.top(), rect.bottom())
        )

    assert bar_pixels("Config status") == 0
    assert bar_pixels("Powerstate") > 20


def test_leave_all_unmatched_columns_unmapped_is_one_step(
    qtbot: QtBot,
    screen: MappingReviewScreen,
    core: Core,
    tenant: Tenant,
    imported: tuple[uuid.UUID, uuid.UUID],
) -> None:
    import_id = imported[0]
    stored = rows_by_source(core, tenant, import_id)
    unmatched = {s for s, r in stored.items() if r.target_field is None}
    assert len(unmatched) >= 20
    assert f"({len(unmatched)} with no target)" in screen.counts.text()
    assert screen.leave_button.isEnabled() and str(len(unmatched)) in screen.leave_button.text()
    screen.leave_button.click()
    qtbot.waitUntil(
        lambda: (
            {s for s, r in rows_by_source(core, tenant, import_id).items() if r.status == "rejected"}
            == unmatched
        ),
        timeout=10_000,
    )
    now = rows_by_source(core, tenant, import_id)
    assert all(now[s].status == "suggested" for s in set(now) - unmatched)  # matched rows untouched
    assert screen.undo_stack.count() == 1
    qtbot.waitUntil(lambda: not screen.leave_button.isEnabled())
    assert "with no target" not in screen.counts.text()
    screen.undo_stack.undo()
    qtbot.waitUntil(
        lambda: all(r.status == "suggested" for r in rows_by_source(core, tenant, import_id).values()),
        timeout=10_000,
    )
    qtbot.waitUntil(lambda: screen.leave_button.isEnabled())
    screen.actions_by_id[ACTION_LEAVE_UNMATCHED].trigger()  # the menu action and Ctrl+Shift+R: the same
    qtbot.waitUntil(
        lambda: (
            sum(r.status == "rejected" for r in rows_by_source(core, tenant, import_id).values())
            == len(unmatched)
        ),
        timeout=10_000,
    )


def test_approve_on_a_no_target_row_offers_the_target_picker(
    qtbot: QtBot,
    screen: MappingReviewScreen,
    core: Core,
    tenant: Tenant,
    imported: tuple[uuid.UUID, uuid.UUID],
) -> None:
    import_id = imported[0]
    qtbot.waitUntil(lambda: bool(screen.targets))
    dialogs = len(error_dialog.open_dialogs())
    _click(qtbot, screen, "Folder", COL_ACTIONS, action=APPROVE)
    qtbot.waitUntil(lambda: _dialog_open(screen))
    assert len(error_dialog.open_dialogs()) == dialogs  # no "no suggested target to approve" error
    dialog = screen._dialog
    assert dialog is not None and "Folder" in dialog.windowTitle()
    dialog.select("tags")
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    qtbot.waitUntil(
        lambda: rows_by_source(core, tenant, import_id)["Folder"].target_field == "tags", timeout=10_000
    )
    qtbot.waitUntil(lambda: not _dialog_open(screen))
    # the A key on such a row alone does the same
    screen.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is screen)
    screen.select_mapping(_row(screen, "Heartbeat").mapping_id)
    screen.view.setFocus()
    qtbot.keyClick(screen.view, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: _dialog_open(screen) and "Heartbeat" in screen._dialog.windowTitle())  # type: ignore[union-attr]
    screen._dialog.reject()  # type: ignore[union-attr]
    assert rows_by_source(core, tenant, import_id)["Heartbeat"].status == "suggested"
    assert len(error_dialog.open_dialogs()) == dialogs


def test_the_wizard_counts_columns_without_a_target_apart(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    core: Core,
    engagement: EngagementRef,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("MD_NO_SEMANTIC", "1")
    path = tmp_path / "rvtools_vinfo.csv"
    path.write_bytes(VINFO.read_bytes())
    wizard = ImportWizard(tasks, store, Selection())
    qtbot.addWidget(wizard)
    wizard.path = str(path)
    wizard.target = wizard_service.Target(engagement.client_name, engagement.engagement_name, None)
    wizard.start_import()
    qtbot.waitUntil(lambda: wizard.outcome is not None, timeout=30_000)
    outcome = wizard.outcome
    assert outcome is not None
    stored = rows_by_source(core, core.tenant_for(engagement), outcome.import_id)
    none = sum(1 for r in stored.values() if r.target_field is None)
    assert none >= 3 and outcome.no_target == none and outcome.suggestions == len(stored)
    text = wizard.import_page.label.text()
    assert f"{len(stored) - none} columns have suggested targets" in text
    assert f"{none} columns have no target" in text
