"""Recovery: bring a failed or corrupted flow back to its last valid checkpoint.

A checkpoint is trusted only if its snapshot passes the flow-state schema (`validation.py`);
invalid ones are marked `is_valid = false` and skipped. A flow whose *current* state is corrupted
is first archived (`flow_archive`, reason `corrupted state`); with no valid checkpoint left it is
reset to its initial state. Either way one event says what happened.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core.db.models import DiscoveryFlow, FlowArchive, FlowCheckpoint
from core.flows import metrics
from core.flows.errors import InvalidTransitionError, StateValidationError
from core.flows.phases import FLAG_FIELDS, PHASES
from core.flows.store import after_commit, load_flow, record_event
from core.flows.validation import STATE_FIELDS, FlowSnapshot, snapshot_of, state_problems
from core.uow import UnitOfWork


@dataclass(frozen=True)
class RecoveryResult:
    """How a flow was recovered: from which checkpoint, or reset; and what was archived."""

    flow_id: uuid.UUID
    status: str
    current_phase: str
    version: int
    restored_checkpoint_id: uuid.UUID | None
    restored_checkpoint_version: int | None
    archived_id: uuid.UUID | None
    reset: bool
    invalid_checkpoints: int
    warnings: list[str] = field(default_factory=list)


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _restore(flow: DiscoveryFlow, snap: FlowSnapshot, keep_partial: dict[str, Any] | None) -> None:
    for flag in FLAG_FIELDS:
        setattr(flow, flag, getattr(snap.flags, flag))
    flow.current_phase = snap.current_phase
    flow.phases_completed = list(snap.phases_completed)
    flow.progress_percentage = snap.progress_percentage
    for name in STATE_FIELDS:
        setattr(flow, name, dict(getattr(snap, name)))
    if keep_partial:
        flow.flow_state = {**flow.flow_state, "partial_progress": keep_partial}
    flow.completed_at = snap.completed_at
    flow.status = "completed" if snap.status == "completed" else "recovered"


def _reset(flow: DiscoveryFlow) -> None:
    for flag in FLAG_FIELDS:
        setattr(flow, flag, False)
    flow.current_phase = PHASES[0]
    flow.phases_completed = []
    flow.progress_percentage = 0.0
    for name in STATE_FIELDS:
        setattr(flow, name, {})
    flow.completed_at = None
    flow.status = "recovered"


def recover_flow(uow: UnitOfWork, flow_id: uuid.UUID | str, *, commit: bool = True) -> RecoveryResult:
    """Restore a failed (or corrupted) flow to its last valid checkpoint and mark it `recovered`."""
    flow = load_flow(uow, flow_id, lock=True)
    try:
        result = _recover(uow, flow)
    except Exception:
        if commit:
            uow.rollback()
        raise
    if commit:
        uow.commit()
    return result


def _recover(uow: UnitOfWork, flow: DiscoveryFlow) -> RecoveryResult:
    s = uow.session
    current = snapshot_of(flow)
    problems = state_problems(current)
    corrupted = bool(problems)
    if not corrupted and flow.status != "failed":
        raise InvalidTransitionError(
            flow.id,
            flow.status,
            "recovered",
            "only a failed flow, or one whose state is corrupted, is recovered",
        )
    warnings: list[str] = []
    archived_id: uuid.UUID | None = None
    if corrupted:
        archive = FlowArchive(
            flow_id=flow.id,
            master_flow_id=flow.master_flow_id,
            flow_name=str(flow.flow_name),
            status=str(flow.status),
            snapshot={"state": _json_safe(current), "problems": problems},
            archived_reason="corrupted state",
            flow_completed_at=flow.completed_at if isinstance(flow.completed_at, datetime) else None,
            client_account_id=flow.client_account_id,
            engagement_id=flow.engagement_id,
        )
        s.add(archive)
        s.flush()
        archived_id = archive.id
        metrics.CONSISTENCY_VIOLATIONS.labels(type="corrupted_state").inc()

    chosen: FlowCheckpoint | None = None
    snap: FlowSnapshot | None = None
    invalid = 0
    checkpoints = s.scalars(
        select(FlowCheckpoint)
        .where(FlowCheckpoint.flow_id == flow.id, FlowCheckpoint.is_valid.is_(True))
        .order_by(FlowCheckpoint.version.desc(), FlowCheckpoint.created_at.desc())
    ).all()
    for cp in checkpoints:
        data = cp.snapshot
        if isinstance(data, dict) and not state_problems(data) and data.get("flow_id") == str(flow.id):
            chosen, snap = cp, FlowSnapshot.model_validate(data)
            break
        cp.is_valid = False
        invalid += 1
    if invalid:
        warnings.append(f"{invalid} checkpoint(s) failed validation and were marked invalid")

    error = None
    if flow.error_message is not None or flow.error_details is not None:
        error = {"message": flow.error_message, "phase": flow.error_phase, "details": flow.error_details}
    state = flow.flow_state if isinstance(flow.flow_state, dict) else {}
    partial = state.get("partial_progress") if isinstance(state.get("partial_progress"), dict) else None
    reset = False
    if snap is not None:
        _restore(flow, snap, partial)
    elif corrupted:
        _reset(flow)
        reset = True
    else:  # failed, state valid, but no trustworthy checkpoint: keep the state, clear the failure
        flow.status = "recovered"
        warnings.append("no valid checkpoint; kept the current (valid) state")
    flow.error_message = None
    flow.error_phase = None
    flow.error_details = None
    after = state_problems(snapshot_of(flow))
    if after:
        raise StateValidationError(flow.id, after)
    s.flush()

    event_type = "flow_state_corrupted" if corrupted else "flow_recovered"
    if chosen is not None:
        action = f"restored checkpoint version {chosen.version}"
    else:
        action = "reset to the initial state" if reset else "kept the current state"
    record_event(
        uow,
        flow,
        event_type,
        phase=flow.current_phase,
        data={
            "action": action,
            "problems": problems,
            "archive_id": str(archived_id) if archived_id else None,
            "checkpoint_id": str(chosen.id) if chosen else None,
            "checkpoint_version": chosen.version if chosen else None,
            "invalid_checkpoints": invalid,
            "cleared_error": _json_safe(error),
            "reset": reset,
        },
    )
    s.flush()
    version, status = flow.version, flow.status
    after_commit(
        s, lambda: metrics.log_change(event_type, id=flow.id, action=action, version=version, status=status)
    )
    return RecoveryResult(
        flow_id=flow.id,
        status=status,
        current_phase=flow.current_phase,
        version=version,
        restored_checkpoint_id=chosen.id if chosen else None,
        restored_checkpoint_version=chosen.version if chosen else None,
        archived_id=archived_id,
        reset=reset,
        invalid_checkpoints=invalid,
        warnings=warnings,
    )
