"""Status changes that are not phase advances: pause, resume, cancel.

Each locks the flow and applies the change through `transitions.apply_status` (the one writer of the
status), which checks it against `phases.STATUS_TRANSITIONS` and writes one event carrying the new
version. Nothing here commits: the use cases in `core.actions.flows` do.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from core.db.models import DiscoveryFlow, FlowEvent
from core.flows.phases import STATUS_TRANSITIONS
from core.flows.store import load_flow
from core.flows.transitions import StatusChange, apply_status
from core.uow import UnitOfWork

__all__ = ["StatusChange", "cancel", "pause", "resume"]


def pause(uow: UnitOfWork, flow_id: uuid.UUID | str, *, reason: str | None = None) -> StatusChange:
    """Stop scheduling work on the flow; `resume` returns it to the status it had."""
    flow = load_flow(uow, flow_id, lock=True)
    return apply_status(
        uow,
        flow,
        "pause",
        "paused",
        event_type="flow_paused",
        data={"paused_from": flow.status, "reason": reason},
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


def resume(uow: UnitOfWork, flow_id: uuid.UUID | str, *, reason: str | None = None) -> StatusChange:
    """Continue a paused flow in the status it was paused from."""
    flow = load_flow(uow, flow_id, lock=True)
    return apply_status(
        uow, flow, "resume", _paused_from(uow, flow), event_type="flow_resumed", data={"reason": reason}
    )


def cancel(uow: UnitOfWork, flow_id: uuid.UUID | str, *, reason: str | None = None) -> StatusChange:
    """Abandon the flow for good (completed and cancelled flows cannot be cancelled)."""
    flow = load_flow(uow, flow_id, lock=True)
    return apply_status(
        uow, flow, "cancel", "cancelled", event_type="flow_cancelled", data={"reason": reason}
    )
