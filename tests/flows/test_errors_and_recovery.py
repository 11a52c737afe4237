"""Durable, classified phase errors; recovery from checkpoints; corrupted state; pause/resume/cancel."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from core.actions.flows import cancel_flow, pause_flow, recover_flow, resume_flow
from core.bootstrap import Core
from core.db.models import Asset, FlowArchive, FlowCheckpoint
from core.flows import (
    InvalidTransitionError,
    PhaseError,
    PhaseProgress,
    advance_phase,
    flow_status,
    flow_timeline,
    run_phase,
    save_flow_state,
)
from core.flows.validation import snapshot_of, state_problems
from core.uow import Tenant, UnitOfWork

from .helpers import MakeFlow, admin_sql, advance, events, get_flow


def _asset_count(core: Core, tenant: Tenant) -> int:
    with core.uow(tenant) as uow:
        return uow.session.scalar(select(func.count()).select_from(Asset))


def _failing_work(total: int, fail_at: int, exc: Exception):
    """Work that writes assets, reports progress, and fails part-way."""

    def work(uow: UnitOfWork, progress: PhaseProgress) -> None:
        t = uow.tenant
        progress.total = total
        for i in range(total):
            if i == fail_at:
                raise exc
            uow.session.add(
                Asset(hostname=f"h{i}", client_account_id=t.client_account_id, engagement_id=t.engagement_id)
            )
            uow.session.flush()
            progress.processed += 1
            progress.state = {"next_index": i + 1}

    return work


def test_run_phase_success_completes_the_phase_with_its_work(
    core: Core, tenant: Tenant, make_flow: MakeFlow
) -> None:
    flow_id = make_flow(at="data_cleansing")

    def work(uow: UnitOfWork, progress: PhaseProgress) -> str:
        progress.total = progress.processed = 3
        return "cleansed"

    assert run_phase(core.uows, tenant, flow_id, "data_cleansing", work) == "cleansed"
    flow = get_flow(core, tenant, flow_id)
    assert flow.data_cleansing_completed and flow.current_phase == "asset_inventory"
    kinds = [e.event_type for e in events(core, tenant, flow_id)]
    assert kinds[-2:] == ["phase_started", "phase_advanced"]
    timeline = {p["phase"]: p for p in flow_timeline_for(core, tenant, flow_id)["phases"]}
    assert timeline["data_cleansing"]["status"] == "completed"
    assert timeline["data_cleansing"]["counts"] == {"total": 3, "processed": 3, "failed": 0}
    assert timeline["data_cleansing"]["duration_seconds"] is not None
    assert timeline["asset_inventory"]["status"] == "in_progress"
    assert timeline["data_import"]["counts"] == {"total": 3, "processed": 0, "failed": 0}  # from the import


def flow_timeline_for(core: Core, tenant: Tenant, flow_id: uuid.UUID) -> dict:
    with core.uow(tenant) as uow:
        return flow_timeline(uow, flow_id)


def test_error_is_persisted_although_the_work_rolls_back(
    core: Core, tenant: Tenant, make_flow: MakeFlow
) -> None:
    flow_id = make_flow(at="asset_inventory")
    before_assets = _asset_count(core, tenant)
    with pytest.raises(ValueError, match="bad row"):
        run_phase(core.uows, tenant, flow_id, "asset_inventory", _failing_work(5, 3, ValueError("bad row 4")))
    assert _asset_count(core, tenant) == before_assets  # the work's writes were rolled back
    with core.uow(tenant) as uow:
        status = flow_status(uow, flow_id)
    assert status["status"] == "failed" and status["current_phase"] == "asset_inventory"
    error = status["error"]
    assert error["message"] == "bad row 4" and error["phase"] == "asset_inventory"
    details = error["details"]
    assert details["error_class"] == "partial" and details["error_code"] == "invalid_data"
    assert details["counts"] == {"total": 5, "processed": 3, "failed": 0}
    assert details["recovery_hint"]
    flow = get_flow(core, tenant, flow_id)
    assert flow.flow_state["partial_progress"]["asset_inventory"]["state"] == {"next_index": 3}
    assert not flow.asset_inventory_completed and flow.phases_completed == [
        "data_import",
        "field_mapping",
        "data_cleansing",
    ]
    failed = [e for e in events(core, tenant, flow_id) if e.event_type == "phase_failed"]
    assert len(failed) == 1 and failed[0].data["error_class"] == "partial"
    timeline = {p["phase"]: p for p in flow_timeline_for(core, tenant, flow_id)["phases"]}
    assert timeline["asset_inventory"]["status"] == "failed" and timeline["asset_inventory"]["errors"]


@pytest.mark.parametrize(
    ("exc", "fail_at", "code", "cls"),
    [
        (
            OperationalError("SELECT 1", {}, Exception("server closed the connection")),
            0,
            "transient_failure",
            "retryable",
        ),
        (RuntimeError("boom"), 0, "unexpected_error", "non_retryable"),
        (
            PhaseError(
                "license expired", error_code="license", error_class="non_retryable", recovery_hint="renew"
            ),
            2,
            "license",
            "non_retryable",
        ),
    ],
)
def test_errors_are_classified(
    core: Core, tenant: Tenant, make_flow: MakeFlow, exc: Exception, fail_at: int, code: str, cls: str
) -> None:
    flow_id = make_flow(at="data_cleansing")
    with pytest.raises(type(exc)):
        run_phase(core.uows, tenant, flow_id, "data_cleansing", _failing_work(4, fail_at, exc))
    details = get_flow(core, tenant, flow_id).error_details
    assert (details["error_code"], details["error_class"]) == (code, cls)


def test_failed_flow_cannot_advance_until_recovered(core: Core, tenant: Tenant, make_flow: MakeFlow) -> None:
    flow_id = make_flow(at="data_cleansing")
    with pytest.raises(RuntimeError):
        run_phase(core.uows, tenant, flow_id, "data_cleansing", _failing_work(2, 0, RuntimeError("x")))
    with core.uow(tenant) as uow, pytest.raises(InvalidTransitionError, match="failed"):
        advance_phase(uow, flow_id, "asset_inventory")
    result = recover_flow(core.uows, tenant, flow_id).value
    assert result.status == "recovered" and result.restored_checkpoint_version == 3 and not result.reset
    flow = get_flow(core, tenant, flow_id)
    assert flow.error_message is None and flow.current_phase == "data_cleansing"
    assert flow.flow_state["partial_progress"]["data_cleansing"]["processed"] == 0  # kept for the retry
    assert not advance(core, tenant, flow_id, "asset_inventory").was_idempotent
    assert get_flow(core, tenant, flow_id).status == "running"


def test_retry_resumes_from_the_partial_progress(core: Core, tenant: Tenant, make_flow: MakeFlow) -> None:
    flow_id = make_flow(at="asset_inventory")
    with pytest.raises(ValueError):
        run_phase(core.uows, tenant, flow_id, "asset_inventory", _failing_work(5, 2, ValueError("x")))
    seen: dict = {}

    def resume(uow: UnitOfWork, progress: PhaseProgress) -> None:
        seen.update(progress.state)

    run_phase(core.uows, tenant, flow_id, "asset_inventory", resume)  # a failed phase may be retried
    assert seen == {"next_index": 2}
    flow = get_flow(core, tenant, flow_id)
    assert flow.asset_inventory_completed and flow.status == "running" and flow.error_message is None


def test_recovery_restores_the_last_checkpoint(core: Core, tenant: Tenant, make_flow: MakeFlow) -> None:
    flow_id = make_flow(at="data_cleansing")
    with core.uow(tenant) as uow:
        save_flow_state(uow, flow_id, 3, {"flow_state": {"half": "written"}})
        uow.commit()
    with pytest.raises(RuntimeError):
        run_phase(core.uows, tenant, flow_id, "data_cleansing", _failing_work(1, 0, RuntimeError("x")))
    result = recover_flow(core.uows, tenant, flow_id).value
    flow = get_flow(core, tenant, flow_id)
    assert result.restored_checkpoint_version == 3 and flow.status == "recovered"
    assert "half" not in flow.flow_state  # state after the checkpoint is discarded
    assert state_problems(snapshot_of(flow)) == []
    assert events(core, tenant, flow_id)[-1].event_type == "flow_recovered"


def test_recovering_a_healthy_flow_is_refused(core: Core, tenant: Tenant, make_flow: MakeFlow) -> None:
    flow_id = make_flow(at="field_mapping")
    with pytest.raises(InvalidTransitionError):
        recover_flow(core.uows, tenant, flow_id)


def _archives(core: Core, tenant: Tenant, flow_id: uuid.UUID) -> list[FlowArchive]:
    with core.uow(tenant) as uow:
        rows = uow.session.scalars(select(FlowArchive).where(FlowArchive.flow_id == flow_id)).all()
        uow.session.expunge_all()
        return list(rows)


def test_corrupted_state_is_archived_and_restored_from_a_valid_checkpoint(
    core: Core, tenant: Tenant, make_flow: MakeFlow
) -> None:
    flow_id = make_flow(at="data_cleansing")
    admin_sql(
        core,
        "UPDATE discovery_flows SET flow_state = '\"garbage\"', phases_completed = '[\"bogus\"]',"
        " asset_inventory_completed = true WHERE id = :id",
        id=flow_id,
    )
    result = recover_flow(core.uows, tenant, flow_id).value
    assert result.archived_id is not None and not result.reset and result.restored_checkpoint_version == 3
    (archive,) = _archives(core, tenant, flow_id)
    assert (
        archive.archived_reason == "corrupted state" and archive.snapshot["state"]["flow_state"] == "garbage"
    )
    flow = get_flow(core, tenant, flow_id)
    assert flow.phases_completed == ["data_import", "field_mapping"] and not flow.asset_inventory_completed
    assert state_problems(snapshot_of(flow)) == []
    last = events(core, tenant, flow_id)[-1]
    assert last.event_type == "flow_state_corrupted" and last.data["archive_id"] == str(archive.id)


def test_corrupted_state_without_valid_checkpoint_is_archived_and_reset(
    core: Core, tenant: Tenant, make_flow: MakeFlow
) -> None:
    flow_id = make_flow(at="field_mapping")
    admin_sql(
        core, "UPDATE flow_checkpoints SET snapshot = '{\"broken\": true}' WHERE flow_id = :id", id=flow_id
    )
    admin_sql(core, "UPDATE discovery_flows SET current_phase = 'nowhere' WHERE id = :id", id=flow_id)
    result = recover_flow(core.uows, tenant, flow_id).value
    assert result.reset and result.archived_id is not None and result.invalid_checkpoints == 2
    flow = get_flow(core, tenant, flow_id)
    assert (flow.current_phase, flow.phases_completed, flow.progress_percentage, flow.status) == (
        "data_import",
        [],
        0.0,
        "recovered",
    )
    with core.uow(tenant) as uow:
        valid = uow.session.scalars(
            select(FlowCheckpoint.is_valid).where(FlowCheckpoint.flow_id == flow_id)
        ).all()
    assert valid == [False, False]
    last = events(core, tenant, flow_id)[-1]
    assert last.event_type == "flow_state_corrupted" and last.data["reset"] is True


def test_pause_resume_cancel_follow_the_status_machine(
    core: Core, tenant: Tenant, make_flow: MakeFlow
) -> None:
    flow_id = make_flow(records=2)
    advance(core, tenant, flow_id, "field_mapping", set_status="waiting_for_review")
    paused = pause_flow(core.uows, tenant, flow_id, reason="client holiday")
    assert paused.value.previous_status == "waiting_for_review"
    with pytest.raises(InvalidTransitionError, match="paused"):
        pause_flow(core.uows, tenant, flow_id)
    assert resume_flow(core.uows, tenant, flow_id).value.status == "waiting_for_review"  # back where it was
    with pytest.raises(InvalidTransitionError):
        resume_flow(core.uows, tenant, flow_id)
    cancel_flow(core.uows, tenant, flow_id, reason="scope change")
    for action in (pause_flow, resume_flow, cancel_flow):
        with pytest.raises(InvalidTransitionError, match="cancelled"):
            action(core.uows, tenant, flow_id)
    with core.uow(tenant) as uow, pytest.raises(InvalidTransitionError, match="cancelled"):
        advance_phase(uow, flow_id, "data_cleansing")
    kinds = [e.event_type for e in events(core, tenant, flow_id)]
    assert kinds[-3:] == ["flow_paused", "flow_resumed", "flow_cancelled"]


def test_completed_flow_cannot_be_paused_or_cancelled(
    core: Core, tenant: Tenant, make_flow: MakeFlow
) -> None:
    flow_id = make_flow(at="completed")
    for action in (pause_flow, cancel_flow, resume_flow):
        with pytest.raises(InvalidTransitionError, match="completed"):
            action(core.uows, tenant, flow_id)
    assert get_flow(core, tenant, flow_id).status == "completed"
