"""The mapping review screen, driven by keyboard and mouse against the real database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from core.actions import mapping as mapping_actions
from core.bootstrap import Core
from core.tenancy import EngagementRef
from core.uow import Tenant
from desktop_app import error_dialog
from desktop_app.screens.mapping_review.delegate import APPROVE, REJECT, button_rects
from desktop_app.screens.mapping_review.model import COL_ACTIONS, COL_SOURCE, CONFLICT_ROLE
from desktop_app.screens.mapping_review.target_picker import TargetPickerDialog
from desktop_app.screens.mapping_review.widget import (
    ACTION_BULK_APPROVE,
    ACTION_FINISH,
    MappingReviewScreen,
)
from desktop_app.screens.registry import ScreenContext, Selection
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager

from .builders import make_import, rows_by_source, status_of


@pytest.fixture
def imported(core: Core, tenant: Tenant) -> tuple[uuid.UUID, uuid.UUID]:
    return make_import(core, tenant)


@pytest.fixture
def screen(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    engagement: EngagementRef,
    imported: tuple[uuid.UUID, uuid.UUID],
) -> Iterator[MappingReviewScreen]:
    navigated: list[tuple[str, object]] = []
    ctx = ScreenContext(tasks=tasks, settings=store, navigate=lambda sid, sel: navigated.append((sid, sel)))
    widget = MappingReviewScreen(ctx)
    widget.navigated = navigated  # type: ignore[attr-defined]
    qtbot.addWidget(widget)
    widget.resize(1500, 700)
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
            "servers.csv",
            flow_id,
        )
    )
    widget.on_shown()
    qtbot.waitUntil(lambda: widget.is_loaded() and widget.model.rowCount() > 0)
    yield widget
    qtbot.waitUntil(tasks.is_idle, timeout=10_000)


def _activate(qtbot: QtBot, widget: MappingReviewScreen) -> None:
    """Shortcuts need their window active (a closed dialog may leave none active)."""
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget)


def _select(screen: MappingReviewScreen, source: str) -> None:
    for row in screen.model.rows():
        if row.source_field == source:
            assert screen.select_mapping(row.mapping_id)
            screen.view.setFocus()
            return
    raise AssertionError(source)


def _wait_status(
    qtbot: QtBot, core: Core, tenant: Tenant, import_id: uuid.UUID, source: str, status: str
) -> None:
    qtbot.waitUntil(lambda: rows_by_source(core, tenant, import_id)[source].status == status, timeout=10_000)


def test_keyboard_approve_and_reject(
    qtbot: QtBot,
    screen: MappingReviewScreen,
    core: Core,
    tenant: Tenant,
    imported: tuple[uuid.UUID, uuid.UUID],
) -> None:
    import_id = imported[0]
    _select(screen, "Hostname")
    qtbot.keyClick(screen.view, Qt.Key.Key_A)
    _wait_status(qtbot, core, tenant, import_id, "Hostname", "approved")
    # the cursor moved on to the next column: R rejects it
    assert screen.current_row().source_field == "IP Address"
    qtbot.keyClick(screen.view, Qt.Key.Key_R)
    _wait_status(qtbot, core, tenant, import_id, "IP Address", "rejected")
    stored = rows_by_source(core, tenant, import_id)
    assert stored["Hostname"].approved_by == "Test Consultant"
    qtbot.waitUntil(lambda: screen.model.counts()["approved"] == 1 and screen.model.counts()["rejected"] == 1)


def test_mouse_clicks_on_painted_buttons(
    qtbot: QtBot,
    screen: MappingReviewScreen,
    core: Core,
    tenant: Tenant,
    imported: tuple[uuid.UUID, uuid.UUID],
) -> None:
    import_id = imported[0]
    for source, action, status in (
        ("Operating System", APPROVE, "approved"),
        ("Zorglub", REJECT, "rejected"),
    ):
        row = next(r for r in screen.model.rows() if r.source_field == source)
        index = screen.proxy.mapFromSource(screen.model.index_of(row.mapping_id, COL_ACTIONS))
        cell = screen.view.visualRect(index)
        screen.view.scrollTo(index)
        cell = screen.view.visualRect(index)
        point: QPoint = button_rects(cell)[action].center()
        qtbot.mouseClick(screen.view.viewport(), Qt.MouseButton.LeftButton, pos=point)
        _wait_status(qtbot, core, tenant, import_id, source, status)


def test_edit_with_the_target_picker(
    qtbot: QtBot,
    screen: MappingReviewScreen,
    core: Core,
    tenant: Tenant,
    imported: tuple[uuid.UUID, uuid.UUID],
) -> None:
    import_id = imported[0]
    qtbot.waitUntil(lambda: bool(screen.targets))
    _select(screen, "RAM (MB)")
    qtbot.keyClick(screen.view, Qt.Key.Key_E)
    qtbot.waitUntil(
        lambda: (
            isinstance(QApplication.activeModalWidget(), TargetPickerDialog)
            or (isinstance(screen._dialog, TargetPickerDialog) and screen._dialog.isVisible())
        )
    )
    dialog = screen._dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.search, "memory_gb")
    dialog.select("memory_gb")
    dialog.scale.setText("0.0009765625")
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    _wait_status(qtbot, core, tenant, import_id, "RAM (MB)", "modified")
    _activate(qtbot, screen)
    stored = rows_by_source(core, tenant, import_id)["RAM (MB)"]
    assert stored.target_field == "memory_gb"
    assert stored.transformation_rules == {"scale": 0.0009765625}
    # the preview pane shows the converted values
    qtbot.waitUntil(
        lambda: screen.preview_model.rowCount() > 0 and screen.preview_model.item(0, 1).text() != ""
    )
    assert float(screen.preview_model.item(0, 1).text()) in (4.0, 8.0, 12.0, 16.0)


def test_undo_and_redo_persist_every_state(
    qtbot: QtBot,
    screen: MappingReviewScreen,
    core: Core,
    tenant: Tenant,
    imported: tuple[uuid.UUID, uuid.UUID],
) -> None:
    import_id = imported[0]
    _select(screen, "Environment")
    qtbot.keyClick(screen.view, Qt.Key.Key_A)
    _wait_status(qtbot, core, tenant, import_id, "Environment", "approved")
    _select(screen, "Environment")
    qtbot.keyClick(screen.view, Qt.Key.Key_R)
    _wait_status(qtbot, core, tenant, import_id, "Environment", "rejected")
    qtbot.keyClick(screen.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    _wait_status(qtbot, core, tenant, import_id, "Environment", "approved")
    qtbot.keyClick(screen.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    _wait_status(qtbot, core, tenant, import_id, "Environment", "suggested")
    qtbot.keyClick(
        screen.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    _wait_status(qtbot, core, tenant, import_id, "Environment", "approved")
    qtbot.keyClick(screen.view, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    _wait_status(qtbot, core, tenant, import_id, "Environment", "rejected")
    assert screen.undo_stack.index() == 2


def test_multi_select_is_one_undo_step(
    qtbot: QtBot,
    screen: MappingReviewScreen,
    core: Core,
    tenant: Tenant,
    imported: tuple[uuid.UUID, uuid.UUID],
) -> None:
    import_id = imported[0]
    screen.view.setFocus()
    screen.view.selectRow(0)
    qtbot.keyClick(screen.view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(screen.view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert len(screen.selected_rows()) == 3
    qtbot.keyClick(screen.view, Qt.Key.Key_R)
    qtbot.waitUntil(
        lambda: sum(r.status == "rejected" for r in rows_by_source(core, tenant, import_id).values()) == 3,
        timeout=10_000,
    )
    assert screen.undo_stack.count() == 1
    qtbot.keyClick(screen.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: all(r.status == "suggested" for r in rows_by_source(core, tenant, import_id).values()),
        timeout=10_000,
    )


def test_bulk_approve_and_undo(
    qtbot: QtBot,
    screen: MappingReviewScreen,
    core: Core,
    tenant: Tenant,
    imported: tuple[uuid.UUID, uuid.UUID],
) -> None:
    import_id = imported[0]
    before = rows_by_source(core, tenant, import_id)
    expected = {s for s, r in before.items() if r.target_field and r.confidence >= 0.8}
    assert expected, "the suggester should be confident about some columns"
    screen.threshold.setValue(80)
    screen.actions_by_id[ACTION_BULK_APPROVE].trigger()
    qtbot.waitUntil(
        lambda: (
            {s for s, r in rows_by_source(core, tenant, import_id).items() if r.status == "approved"}
            == expected
        ),
        timeout=10_000,
    )
    qtbot.waitUntil(lambda: screen.model.counts()["approved"] == len(expected))
    screen.undo_stack.undo()
    qtbot.waitUntil(
        lambda: all(r.status == "suggested" for r in rows_by_source(core, tenant, import_id).values()),
        timeout=10_000,
    )


def test_conflict_from_a_second_session_is_shown_not_overwritten(
    qtbot: QtBot,
    screen: MappingReviewScreen,
    core: Core,
    tenant: Tenant,
    imported: tuple[uuid.UUID, uuid.UUID],
) -> None:
    import_id = imported[0]
    row = next(r for r in screen.model.rows() if r.source_field == "Hostname")
    # someone else (a second unit of work) approves first
    mapping_actions.approve(core.uows, tenant, row.mapping_id, row.version, auto_finish=False)
    _select(screen, "Hostname")
    qtbot.keyClick(screen.view, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: screen.model.row_by_id(row.mapping_id).conflict is not None, timeout=10_000)
    shown = screen.model.row_by_id(row.mapping_id)
    assert shown.status == "approved"  # their decision is what the row shows
    assert "Test Consultant" in shown.conflict.text
    assert screen.banner.isVisible() and "decided first" in screen.banner.text()
    idx = screen.proxy.mapFromSource(screen.model.index_of(row.mapping_id, COL_SOURCE))
    assert idx.data(CONFLICT_ROLE) is not None
    assert rows_by_source(core, tenant, import_id)["Hostname"].status == "approved"  # never overwritten
    # deciding again works on the fresh version
    _select(screen, "Hostname")
    qtbot.keyClick(screen.view, Qt.Key.Key_R)
    _wait_status(qtbot, core, tenant, import_id, "Hostname", "rejected")


def test_finish_refused_with_pending_list_then_advances(
    qtbot: QtBot,
    screen: MappingReviewScreen,
    core: Core,
    tenant: Tenant,
    imported: tuple[uuid.UUID, uuid.UUID],
) -> None:
    import_id, flow_id = imported
    before = len(error_dialog.open_dialogs())
    screen.actions_by_id[ACTION_FINISH].trigger()
    qtbot.waitUntil(lambda: len(error_dialog.open_dialogs()) > before, timeout=10_000)
    box = error_dialog.open_dialogs()[-1]
    assert "still need a decision" in box.text() and "Hostname" in box.detailedText()
    box.close()
    assert screen.proxy.mode == "pending"
    _activate(qtbot, screen)
    # decide everything: reject all (select all rows, R)
    screen.filter.setCurrentIndex(0)
    screen.view.setFocus()
    screen.view.selectAll()
    qtbot.keyClick(screen.view, Qt.Key.Key_R)
    qtbot.waitUntil(
        lambda: all(r.status != "suggested" for r in rows_by_source(core, tenant, import_id).values()),
        timeout=10_000,
    )
    qtbot.keyClick(screen.view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: status_of(core, tenant, flow_id)["current_phase"] == "data_cleansing", timeout=10_000
    )
    qtbot.waitUntil(lambda: any(sid == "timeline" for sid, _ in screen.navigated))  # type: ignore[attr-defined]
