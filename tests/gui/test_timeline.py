"""The flow timeline: its view model alone, then the screen running a phase and showing a failure."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from core import flows
from core.actions import mapping as mapping_actions
from core.bootstrap import Core
from core.flows import PhaseError
from core.pipeline import REGISTRY, PhaseJob
from core.tenancy import EngagementRef
from core.uow import Tenant
from desktop_app.screens.registry import ScreenContext, Selection
from desktop_app.screens.timeline.painter import TimelineWidget
from desktop_app.screens.timeline.screen import (
    ACTION_RECOVER,
    ACTION_RETRY,
    ACTION_RUN_NEXT,
    TimelineScreen,
)
from desktop_app.screens.timeline.view_model import format_duration, timeline_from_core
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager

from .builders import make_import, status_of


def test_view_model_from_the_core_timeline(qtbot: QtBot, core: Core, tenant: Tenant) -> None:
    _import_id, flow_id = make_import(core, tenant, suggest=False)
    with core.uow(tenant) as uow:
        view = timeline_from_core(flows.flow_timeline(uow, flow_id))
    assert [p.phase for p in view.phases][:2] == ["data_import", "field_mapping"]
    assert view.phase("data_import").status == "completed"
    assert view.phase("field_mapping").status == "in_progress"
    assert view.next_phase == "field_mapping"
    widget = TimelineWidget()
    qtbot.addWidget(widget)
    widget.resize(900, 200)
    widget.set_timeline(view)
    assert len(widget.node_centres()) == len(view.phases)
    assert widget.phase_at(widget.node_centres()[2]) == "data_cleansing"
    assert format_duration(75) == "75.0 s" and format_duration(3700) == "61 min 40 s"


@pytest.fixture
def mapped_flow(core: Core, tenant: Tenant) -> tuple[uuid.UUID, uuid.UUID]:
    """A flow whose mapping is finished: next phase data_cleansing."""
    import_id, flow_id = make_import(core, tenant)
    mapping_actions.auto_map_remaining(core.uows, tenant, import_id)
    return import_id, flow_id


@pytest.fixture
def screen(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    engagement: EngagementRef,
    mapped_flow: tuple[uuid.UUID, uuid.UUID],
) -> Iterator[TimelineScreen]:
    widget = TimelineScreen(ScreenContext(tasks=tasks, settings=store, navigate=lambda *_: None))
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    import_id, flow_id = mapped_flow
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
    qtbot.waitUntil(lambda: widget.view is not None)
    yield widget
    qtbot.waitUntil(tasks.is_idle, timeout=20_000)


def test_run_next_phase_updates_the_timeline(
    qtbot: QtBot, screen: TimelineScreen, core: Core, tenant: Tenant, mapped_flow: tuple[uuid.UUID, uuid.UUID]
) -> None:
    flow_id = mapped_flow[1]
    assert screen.view is not None and screen.view.current_phase == "data_cleansing"
    run = screen.actions_by_id[ACTION_RUN_NEXT]
    assert run.isEnabled() and "data cleansing" in screen.buttons[ACTION_RUN_NEXT].text()
    run.trigger()
    qtbot.waitUntil(
        lambda: status_of(core, tenant, flow_id)["current_phase"] == "asset_inventory", timeout=20_000
    )
    qtbot.waitUntil(
        lambda: screen.view is not None and screen.view.phase("data_cleansing").status == "completed"
    )
    cleansing = screen.view.phase("data_cleansing")
    assert cleansing.started_at is not None and cleansing.duration_seconds is not None
    assert screen.timeline.timeline() is screen.view


def test_a_failed_phase_shows_its_error_and_can_be_recovered(
    qtbot: QtBot,
    screen: TimelineScreen,
    core: Core,
    tenant: Tenant,
    mapped_flow: tuple[uuid.UUID, uuid.UUID],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    flow_id = mapped_flow[1]
    screen.actions_by_id[ACTION_RUN_NEXT].trigger()
    qtbot.waitUntil(
        lambda: screen.view is not None and screen.view.current_phase == "asset_inventory", timeout=20_000
    )

    def failing(uow: Any, job: PhaseJob) -> dict[str, Any]:
        raise PhaseError("the inventory engine ran out of disk", recovery_hint="free some space, then retry")

    # an engine that fails, installed where every engine is: the phase registry
    monkeypatch.setitem(REGISTRY, "asset_inventory", replace(REGISTRY["asset_inventory"], runner=failing))
    screen._update_actions()
    qtbot.waitUntil(lambda: screen.actions_by_id[ACTION_RUN_NEXT].isEnabled())
    screen.actions_by_id[ACTION_RUN_NEXT].trigger()
    qtbot.waitUntil(lambda: screen.view is not None and screen.view.status == "failed", timeout=20_000)
    assert status_of(core, tenant, flow_id)["status"] == "failed"
    failed = screen.view.phase("asset_inventory")
    assert failed.status == "failed" and failed.errors
    assert "ran out of disk" in screen.details.text() and "free some space" in screen.details.text()
    assert screen.actions_by_id[ACTION_RETRY].isEnabled() and screen.actions_by_id[ACTION_RECOVER].isEnabled()
    screen.actions_by_id[ACTION_RECOVER].trigger()
    qtbot.waitUntil(lambda: screen.view is not None and screen.view.status == "recovered", timeout=20_000)


def test_master_flow_stages_show_under_the_timeline(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    engagement: EngagementRef,
    core: Core,
    tenant: Tenant,
    mapped_flow: tuple[uuid.UUID, uuid.UUID],
) -> None:
    """Discovery → assessment → planning in one line; the 6R run moves it on; a button opens the board."""
    from core.actions import planning
    from core.phases import PHASES
    from core.pipeline import run_flow

    went: list[str] = []
    ctx = ScreenContext(tasks=tasks, settings=store, navigate=lambda sid, *_: went.append(sid))
    widget = TimelineScreen(ctx)
    qtbot.addWidget(widget)
    widget.resize(1360, 700)
    widget.show()
    import_id, flow_id = mapped_flow
    sel = Selection(
        engagement.client_account_id, engagement.client_name, engagement.engagement_id,
        engagement.engagement_name, import_id, "servers.csv", flow_id,
    )  # fmt: skip
    widget.set_selection(sel)
    qtbot.waitUntil(lambda: widget.view is not None)
    text = widget.master_stages.text()
    assert "<b>Discovery</b> ready" in text
    assert "<b>Assessment</b> waiting — discovery is not complete" in text
    assert widget.stage_buttons["assessment"].isHidden()
    run_flow(core.uows, tenant, flow_id, through=PHASES[-1])
    outcome = planning.run_sixr(core.uows, tenant)
    tasks.operation_did_execute.emit(outcome.changes, None)  # as the 6R board's run broadcasts it
    qtbot.waitUntil(lambda: "✔ <b>Assessment</b> completed" in widget.master_stages.text(), timeout=20_000)
    assert "● <b>Planning</b> ready" in widget.master_stages.text()
    assert "plan sixr" not in widget.master_stages.text()  # the GUI says it with a button, not a command
    assert not widget.stage_buttons["planning"].isHidden()
    widget.stage_buttons["planning"].click()
    assert went == ["waves"]
    qtbot.waitUntil(tasks.is_idle, timeout=20_000)
