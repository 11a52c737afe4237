"""The phase state machine and its single write path: valid, invalid and idempotent transitions."""

from __future__ import annotations

import uuid

import pytest

from core.actions.flows import pause_flow
from core.bootstrap import Core
from core.flows import (
    COMPLETED,
    PHASE_FLAG_MAP,
    PHASES,
    InvalidTransitionError,
    advance_phase,
    complete_phase,
    flow_status,
    mark_import_completed,
)
from core.flows.validation import snapshot_of, state_problems
from core.uow import Tenant

from .helpers import MakeFlow, add_import, admin_sql, advance, checkpoint_count, events, get_flow


def test_new_flow_is_initializing_with_an_event_and_initial_checkpoint(
    core: Core, tenant: Tenant, make_flow: MakeFlow
) -> None:
    flow_id = make_flow()
    flow = get_flow(core, tenant, flow_id)
    assert (flow.status, flow.current_phase, flow.phases_completed, flow.version) == (
        "initializing",
        "data_import",
        [],
        1,
    )
    assert flow.master_flow_id is not None
    assert [e.event_type for e in events(core, tenant, flow_id)] == ["flow_created"]
    assert checkpoint_count(core, tenant, flow_id) == 1
    assert state_problems(snapshot_of(flow)) == []


def test_each_transition_sets_the_prior_flag_list_phase_and_progress_once(
    core: Core, tenant: Tenant, make_flow: MakeFlow
) -> None:
    flow_id = make_flow()
    for i, target in enumerate([*PHASES[1:], COMPLETED], start=1):
        result = advance(core, tenant, flow_id, target)
        prior = PHASES[i - 1]
        assert result.success and not result.was_idempotent and result.prior_phase == prior
        flow = get_flow(core, tenant, flow_id)
        assert flow.current_phase == target
        assert flow.phases_completed == list(PHASES[:i])
        assert [getattr(flow, PHASE_FLAG_MAP[p]) for p in PHASES] == [j < i for j in range(len(PHASES))]
        assert flow.progress_percentage == round(100 * i / 6, 1)
        assert flow.version == 1 + i == result.version
        assert state_problems(snapshot_of(flow)) == []
    assert flow.status == "completed" and flow.completed_at is not None
    assert flow.progress_percentage == 100.0
    kinds = [e.event_type for e in events(core, tenant, flow_id)]
    assert kinds == ["flow_created"] + ["phase_advanced"] * 6
    assert checkpoint_count(core, tenant, flow_id) == 7


def test_flow_is_completed_only_when_every_flag_is_true(
    core: Core, tenant: Tenant, make_flow: MakeFlow
) -> None:
    flow_id = make_flow(at="tech_debt_assessment")
    flow = get_flow(core, tenant, flow_id)
    assert flow.status == "running" and flow.completed_at is None and flow.progress_percentage == 83.3
    with core.uow(tenant) as uow:
        result = complete_phase(uow, flow_id, "tech_debt_assessment")
        uow.commit()
    assert result.current_phase == COMPLETED and result.status == "completed"
    assert get_flow(core, tenant, flow_id).tech_debt_assessment_completed


@pytest.mark.parametrize(
    ("at", "target"),
    [
        ("data_import", "data_cleansing"),
        ("data_import", COMPLETED),
        ("field_mapping", "asset_inventory"),
        ("asset_inventory", "tech_debt_assessment"),
    ],
)
def test_skipping_a_phase_is_refused_and_names_both_phases(
    core: Core, tenant: Tenant, make_flow: MakeFlow, at: str, target: str
) -> None:
    flow_id = make_flow(at=at)
    before = get_flow(core, tenant, flow_id)
    with core.uow(tenant) as uow, pytest.raises(InvalidTransitionError) as err:
        advance_phase(uow, flow_id, target)
    assert at in str(err.value) and target in str(err.value)
    after = get_flow(core, tenant, flow_id)
    assert after.version == before.version and after.current_phase == at


@pytest.mark.parametrize("target", ["data_import", "bogus_phase"])
def test_unknown_or_initial_target_is_invalid(
    core: Core, tenant: Tenant, make_flow: MakeFlow, target: str
) -> None:
    flow_id = make_flow()
    with core.uow(tenant) as uow, pytest.raises(InvalidTransitionError, match=target):
        advance_phase(uow, flow_id, target)


def test_repeating_a_completed_transition_is_idempotent_and_says_so(
    core: Core, tenant: Tenant, make_flow: MakeFlow
) -> None:
    flow_id = make_flow(at="data_cleansing")
    before = get_flow(core, tenant, flow_id)
    n_events = len(events(core, tenant, flow_id))
    for target in ("field_mapping", "data_cleansing"):
        with core.uow(tenant) as uow:
            result = advance_phase(uow, flow_id, target)
        assert result.success and result.was_idempotent
        assert result.prior_phase == PHASES[PHASES.index(target) - 1]
    after = get_flow(core, tenant, flow_id)
    assert after.version == before.version and after.phases_completed == ["data_import", "field_mapping"]
    assert len(events(core, tenant, flow_id)) == n_events


def test_set_status_and_extra_updates_are_applied_in_the_same_write(
    core: Core, tenant: Tenant, make_flow: MakeFlow
) -> None:
    flow_id = make_flow(at="dependency_analysis")
    result = advance(
        core,
        tenant,
        flow_id,
        "tech_debt_assessment",
        set_status="waiting_for_review",
        extra_updates={"dependencies": {"edges": 12}},
    )
    flow = get_flow(core, tenant, flow_id)
    assert flow.status == "waiting_for_review" and flow.dependencies == {"edges": 12}
    assert flow.version == result.version


@pytest.mark.parametrize("field", ["current_phase", "status", "data_import_completed", "error_message"])
def test_extra_updates_cannot_write_protected_fields(
    core: Core, tenant: Tenant, make_flow: MakeFlow, field: str
) -> None:
    flow_id = make_flow()
    with core.uow(tenant) as uow, pytest.raises(ValueError, match=field):
        advance_phase(uow, flow_id, "field_mapping", extra_updates={field: "x"})
    assert get_flow(core, tenant, flow_id).version == 1


def test_paused_flow_cannot_advance(core: Core, tenant: Tenant, make_flow: MakeFlow) -> None:
    flow_id = make_flow(at="field_mapping")
    pause_flow(core.uows, tenant, flow_id)
    with core.uow(tenant) as uow, pytest.raises(InvalidTransitionError, match="paused"):
        advance_phase(uow, flow_id, "data_cleansing")


def test_mark_import_completed_commits_with_the_import_or_not_at_all(core: Core, tenant: Tenant) -> None:
    from core.flows import create_discovery_flow

    # rolled back: neither the import's rows nor the flow nor the flag exist
    with core.uow(tenant) as uow:
        import_id = add_import(uow, 5)
        flow = create_discovery_flow(uow, data_import_id=import_id, flow_name="rolled back")
        result = mark_import_completed(uow, flow.id)
        assert result.current_phase == "field_mapping"
        rolled_back = flow.id
        uow.rollback()
    with core.uow(tenant) as uow, pytest.raises(Exception, match="no discovery flow"):
        flow_status(uow, rolled_back)
    # committed by the caller: rows, flag and status together
    with core.uow(tenant) as uow:
        import_id = add_import(uow, 5)
        flow = create_discovery_flow(uow, data_import_id=import_id, flow_name="kept")
        mark_import_completed(uow, flow.id)
        uow.commit()
        kept = flow.id
    stored = get_flow(core, tenant, kept)
    assert stored.data_import_completed and stored.current_phase == "field_mapping"
    assert stored.status == "waiting_for_review" and stored.version == 2


def test_stale_flag_behind_the_current_phase_is_repaired_through_the_path(
    core: Core, tenant: Tenant, make_flow: MakeFlow
) -> None:
    flow_id = make_flow(at="data_cleansing")
    admin_sql(
        core,
        "UPDATE discovery_flows SET field_mapping_completed = false, phases_completed = '[\"data_import\"]',"
        " progress_percentage = 16.7 WHERE id = :id",
        id=flow_id,
    )
    result = advance(core, tenant, flow_id, "data_cleansing")
    assert not result.was_idempotent and any("repaired" in w for w in result.warnings)
    flow = get_flow(core, tenant, flow_id)
    assert flow.field_mapping_completed and flow.phases_completed == ["data_import", "field_mapping"]
    assert flow.current_phase == "data_cleansing" and flow.progress_percentage == 33.3
    assert state_problems(snapshot_of(flow)) == []
    assert events(core, tenant, flow_id)[-1].event_type == "flag_repaired"


def test_flow_status_has_exactly_the_contract_shape(core: Core, tenant: Tenant, make_flow: MakeFlow) -> None:
    flow_id = make_flow(at="field_mapping")
    with core.uow(tenant) as uow:
        status = flow_status(uow, flow_id)
    assert set(status) == {
        "flow_id",
        "status",
        "current_phase",
        "phases_completed",
        "progress_percentage",
        "flags",
        "version",
        "error",
    }
    assert status["flow_id"] == str(flow_id)
    assert status["flags"] == {PHASE_FLAG_MAP[p]: p == "data_import" for p in PHASES}
    assert (status["current_phase"], status["phases_completed"], status["version"]) == (
        "field_mapping",
        ["data_import"],
        2,
    )
    assert status["error"] is None


def test_unknown_flow_id_is_not_found(core: Core, tenant: Tenant) -> None:
    from core.flows import FlowNotFoundError

    with core.uow(tenant) as uow, pytest.raises(FlowNotFoundError):
        advance_phase(uow, uuid.uuid4(), "field_mapping")
