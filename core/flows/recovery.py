"""Recovery: bring a failed or corrupted flow back to its last valid checkpoint.

A checkpoint is trusted only if its snapshot passes the flow-state schema (`validation.py`);
invalid ones are marked `is_valid = false` and skipped. A flow whose *current* state is corrupted
is first archived (`flow_archive`, reason `corrupted state`); with no valid checkpoint left it is
reset to its initial state. Either way one event says what happened. The phase fields are written by
`transitions.restore_phase_state` (the one writer); nothing here commits.
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
from core.flows.errors import InvalidTransitionError
from core.flows.store import after_commit, load_flow
from core.flows.transitions import restore_phase_state
from core.flows.validation import FlowSnapshot, snapshot_of, state_problems
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


def recover(uow: UnitOfWork, flow_id: uuid.UUID | str) -> RecoveryResult:
    """Restore a failed (or corrupted) flow to its last valid checkpoint and mark it `recovered`.

    Never commits (the `recover_flow` use case in `core.actions.flows` does).
    """
    return _recover(uow, load_flow(uow, flow_id, lock=True))


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
    reset = snap is None and corrupted
    if snap is None and not corrupted:  # failed, state valid, no trustworthy checkpoint: keep the state
        warnings.append("no valid checkpoint; kept the current (valid) state")

    event_type = "flow_state_corrupted" if corrupted else "flow_recovered"
    if chosen is not None:
        action = f"restored checkpoint version {chosen.version}"
    else:
        action = "reset to the initial state" if reset else "kept the current state"
    restore_phase_state(
        uow,
        flow,
        snap,
        reset=reset,
        keep_partial=partial,
        event_type=event_type,
        event_data={
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
