"""A finished mapping in the GUI (issue 12, item 2): edits refused before any dialog, "Reopen mapping".

Before: after Finish, E still opened the target picker and only OK said the decisions could no longer
change. Now the review knows the mapping is finished (the core's `reopen_mapping` action), refuses
E/A/R without opening anything, shows a bar with the button (and a menu action) that reopens it, and
the timeline offers the same action.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QInputDialog
from pytestqt.qtbot import QtBot

from core.actions import mapping as mapping_actions
from core.bootstrap import Core
from core.tenancy import EngagementRef
from core.uow import Tenant
from desktop_app import error_dialog
from desktop_app.screens.mapping_review.actions import (
    ACTION_APPROVE,
    ACTION_EDIT,
    ACTION_REJECT,
    ACTION_REOPEN,
)
from desktop_app.screens.mapping_review.widget import MappingReviewScreen
from desktop_app.screens.registry import ScreenContext, Selection
from desktop_app.screens.timeline.screen import ACTION_REOPEN_MAPPING, TimelineScreen
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager

from .builders import make_import, rows_by_source, status_of
from .conftest import OUTPUT

REASON = "Criticality labels were unknown"


@pytest.fixture
def finished(core: Core, tenant: Tenant) -> tuple[uuid.UUID, uuid.UUID]:
    import_id, flow_id = make_import(core, tenant)
    mapping_actions.auto_map_remaining(core.uows, tenant, import_id)
    assert status_of(core, tenant, flow_id)["current_phase"] == "data_cleansing"
    return import_id, flow_id


def _selection(engagement: EngagementRef, ids: tuple[uuid.UUID, uuid.UUID]) -> Selection:
    return Selection(
        engagement.client_account_id,
        engagement.client_name,
        engagement.engagement_id,
        engagement.engagement_name,
        ids[0],
        "servers.csv",
        ids[1],
    )


@pytest.fixture
def review(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    engagement: EngagementRef,
    finished: tuple[uuid.UUID, uuid.UUID],
) -> Iterator[MappingReviewScreen]:
    widget = MappingReviewScreen(ScreenContext(tasks=tasks, settings=store, navigate=lambda *_: None))
    qtbot.addWidget(widget)
    widget.resize(1360, 840)
    with qtbot.waitActive(widget):
        widget.show()
    widget.set_selection(_selection(engagement, finished))
    widget.on_shown()
    qtbot.waitUntil(lambda: widget.is_loaded() and widget.model.rowCount() > 0)
    qtbot.waitUntil(lambda: widget.controller.reopener.finished, timeout=10_000)
    yield widget
    qtbot.waitUntil(tasks.is_idle, timeout=10_000)


def _reason_dialog(qtbot: QtBot, owner: object) -> QInputDialog:
    qtbot.waitUntil(lambda: isinstance(getattr(owner, "dialog", None), QInputDialog), timeout=5_000)
    dialog = owner.dialog  # type: ignore[attr-defined]
    assert dialog.isVisible()
    return dialog


def test_a_finished_mapping_refuses_edits_without_a_dialog_and_can_be_reopened(
    qtbot: QtBot,
    review: MappingReviewScreen,
    core: Core,
    tenant: Tenant,
    finished: tuple[uuid.UUID, uuid.UUID],
) -> None:
    import_id, flow_id = finished
    reopener = review.controller.reopener
    messages: list[str] = []
    review.status_message.connect(messages.append)
    bar, reopen = reopener.bar, review.actions_by_id[ACTION_REOPEN]
    assert bar.isVisible() and bar.button.isEnabled() and reopen.isEnabled()
    assert "finished" in bar.text.text() and "data cleansing" in bar.text.text()
    review.grab().save(str(OUTPUT / "mapping_review_finished.png"))
    assert reopen in [a for a in review.menu_actions() if a is not None]

    review.view.selectRow(0)
    dialogs_before = len(error_dialog.open_dialogs())
    stored = {n: (r.status, r.version) for n, r in rows_by_source(core, tenant, import_id).items()}
    review.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is review)
    review.view.setFocus()
    qtbot.keyClick(review.view, Qt.Key.Key_E)
    qtbot.keyClick(review.view, Qt.Key.Key_R)
    review.actions_by_id[ACTION_APPROVE].trigger()
    assert review._dialog is None and QApplication.activeModalWidget() is None  # no target picker
    assert len(error_dialog.open_dialogs()) == dialogs_before  # and no error box after the fact
    assert len(messages) == 3 and all("reopen" in m for m in messages)  # each key said why
    qtbot.wait(200)
    assert review.undo_stack.count() == 0  # nothing was pushed, so nothing was written
    assert {n: (r.status, r.version) for n, r in rows_by_source(core, tenant, import_id).items()} == stored

    bar.button.click()
    dialog = _reason_dialog(qtbot, reopener)
    dialog.setTextValue(REASON)
    dialog.accept()
    qtbot.waitUntil(
        lambda: status_of(core, tenant, flow_id)["current_phase"] == "field_mapping", timeout=10_000
    )
    qtbot.waitUntil(lambda: not bar.isVisible() and not reopen.isEnabled(), timeout=10_000)
    assert not reopener.finished

    row = review.current_row()  # editable again: R rejects the current row
    assert row is not None
    target = "rejected" if row.status != "rejected" else "approved"
    review.actions_by_id[ACTION_REJECT if target == "rejected" else ACTION_APPROVE].trigger()
    qtbot.waitUntil(
        lambda: rows_by_source(core, tenant, import_id)[row.source_field].status == target, timeout=10_000
    )
    review.actions_by_id[ACTION_EDIT].trigger()
    qtbot.waitUntil(lambda: review._dialog is not None and review._dialog.isVisible(), timeout=5_000)
    review._dialog.reject()


def test_the_timeline_offers_reopen_mapping(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    engagement: EngagementRef,
    core: Core,
    tenant: Tenant,
    finished: tuple[uuid.UUID, uuid.UUID],
) -> None:
    flow_id = finished[1]
    screen = TimelineScreen(ScreenContext(tasks=tasks, settings=store, navigate=lambda *_: None))
    qtbot.addWidget(screen)
    screen.resize(1360, 840)
    screen.show()
    screen.set_selection(_selection(engagement, finished))
    qtbot.waitUntil(lambda: screen.view is not None)
    button, action = screen.buttons[ACTION_REOPEN_MAPPING], screen.actions_by_id[ACTION_REOPEN_MAPPING]
    assert button.isEnabled() and action.isEnabled()
    screen.grab().save(str(OUTPUT / "timeline_reopen_mapping.png"))
    button.click()
    qtbot.waitUntil(lambda: isinstance(getattr(screen, "reopen_dialog", None), QInputDialog))
    screen.reopen_dialog.setTextValue(REASON)
    screen.reopen_dialog.accept()
    qtbot.waitUntil(
        lambda: status_of(core, tenant, flow_id)["current_phase"] == "field_mapping", timeout=10_000
    )
    qtbot.waitUntil(lambda: screen.view is not None and screen.view.current_phase == "field_mapping")
    qtbot.waitUntil(lambda: not button.isEnabled())
    assert "not finished" in button.toolTip()
    qtbot.waitUntil(tasks.is_idle, timeout=10_000)
