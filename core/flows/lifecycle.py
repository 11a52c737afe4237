"""Status changes that are not phase advances: pause, resume, cancel, start a phase, fail.

Each checks the transition against `phases.STATUS_TRANSITIONS`, writes one event carrying the new
version, and (unless `commit=False`) commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from core.db.models import DiscoveryFlow, FlowEvent
from core.flows import metrics
from core.flows.errors import InvalidTransitionError, StateValidationError
from core.flows.phases import STATUS_TRANSITIONS
from core.flows.store import after_commit, load_flow, record_event
from core.flows.validation import new_problems, snapshot_of, state_problems
from core.uow import UnitOfWork


@dataclass(frozen=True)
class StatusChange:
    flow_id: uuid.UUID
    previous_status: str
    status: str
    version: int


def change_status(
    uow: UnitOfWork,
    flow: DiscoveryFlow,
    action: str,
    new_status: str,
    *,
    event_type: str,
    phase: str | None = None,
    data: dict[str, Any] | None = None,
    field_updates: dict[str, Any] | None = None,
) -> StatusChange:
    """Validate and apply a status change on a locked flow (flush, event; no commit)."""
    previous = flow.status
    if previous not in STATUS_TRANSITIONS[action]:
        raise InvalidTransitionError(flow.id, previous, new_status, f"a {previous} flow cannot {action}")
    before = state_problems(snapshot_of(flow))
    flow.status = new_status
    for name, value in (field_updates or {}).items():
        setattr(flow, name, value)
    introduced = new_problems(before, state_problems(snapshot_of(flow)))
    if introduced:
        raise StateValidationError(flow.id, introduced)
    uow.session.flush()
    record_event(
        uow, flow, event_type, phase=phase, data={"from": previous, "to": new_status, **(data or {})}
    )
    uow.session.flush()
    version = flow.version
    after_commit(
        uow.session,
        lambda: metrics.log_change(
            event_type, id=flow.id, status=new_status, previous=previous, version=version
        ),
    )
    return StatusChange(flow.id, previous, new_status, version)


def _run(
    uow: UnitOfWork, flow_id: uuid.UUID | str, commit: bool, fn: Any, *args: Any, **kwargs: Any
) -> StatusChange:
    flow = load_flow(uow, flow_id, lock=True)
    try:
        change = fn(uow, flow, *args, **kwargs)
    except Exception:
        if commit:
            uow.rollback()
        raise
    if commit:
        uow.commit()
    return change


def pause_flow(
    uow: UnitOfWork, flow_id: uuid.UUID | str, *, reason: str | None = None, commit: bool = True
) -> StatusChange:
    """Stop scheduling work on the flow; `resume_flow` returns it to the status it had."""
    return _run(
        uow,
        flow_id,
        commit,
        lambda u, f: change_status(
            u,
            f,
            "pause",
            "paused",
            event_type="flow_paused",
            data={"paused_from": f.status, "reason": reason},
        ),
    )


def _paused_from(uow: UnitOfWork, flow: DiscoveryFlow) -> str:
    data = uow.session.scalar(
        select(FlowEvent.data)
        .where(FlowEvent.flow_id == flow.id, FlowEvent.event_type == "flow_paused")
        .order_by(FlowEvent.occurred_at.desc())
        .limit(1)
    )
    status = (data or {}).get("paused_from")
    return status if status in STATUS_TRANSITIONS["pause"] else "running"


def resume_flow(
    uow: UnitOfWork, flow_id: uuid.UUID | str, *, reason: str | None = None, commit: bool = True
) -> StatusChange:
    """Continue a paused flow in the status it was paused from."""
    return _run(
        uow,
        flow_id,
        commit,
        lambda u, f: change_status(
            u, f, "resume", _paused_from(u, f), event_type="flow_resumed", data={"reason": reason}
        ),
    )


def cancel_flow(
    uow: UnitOfWork, flow_id: uuid.UUID | str, *, reason: str | None = None, commit: bool = True
) -> StatusChange:
    """Abandon the flow for good (completed and cancelled flows cannot be cancelled)."""
    return _run(
        uow,
        flow_id,
        commit,
        lambda u, f: change_status(
            u, f, "cancel", "cancelled", event_type="flow_cancelled", data={"reason": reason}
        ),
    )
