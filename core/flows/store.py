"""Row access for flow state: tenant-scoped reads, row locks, events and after-commit hooks.

Every read here filters on the unit of work's tenant as well as relying on row-level security,
so a flow id from another engagement is simply "not found". Every write of a flow records one event
(`record_event`), which is also where the write is noted on the unit of work (`uow.note`), so no flow
change can go unreported to the use case that commits it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from core.changes import OpChanges, ids
from core.db.models import DiscoveryFlow, FlowEvent
from core.flows.errors import FlowNotFoundError, FlowReadOnlyError
from core.uow import Tenant, UnitOfWork

log = logging.getLogger("core.flows")

_AFTER_COMMIT = "md_flows_after_commit"


def require_tenant(uow: UnitOfWork) -> Tenant:
    """Flow state is tenant data: refuse a unit of work that acts for no engagement."""
    if uow.tenant is None:
        raise ValueError("flow state needs a tenant unit of work (core.uow(tenant))")
    return uow.tenant


def as_uuid(flow_id: uuid.UUID | str) -> uuid.UUID:
    if isinstance(flow_id, uuid.UUID):
        return flow_id
    try:
        return uuid.UUID(str(flow_id))
    except ValueError:
        raise FlowNotFoundError(
            message=f"{flow_id!r} is not a flow id", hint="a flow id looks like 1b4e28ba-2fa1-11d2-883f-…"
        ) from None


def load_flow(uow: UnitOfWork, flow_id: uuid.UUID | str, *, lock: bool = False) -> DiscoveryFlow:
    """The flow as stored now (refreshing any copy in the session); `lock` takes `FOR UPDATE`."""
    tenant = require_tenant(uow)
    fid = as_uuid(flow_id)
    stmt = (
        select(DiscoveryFlow)
        .where(
            DiscoveryFlow.id == fid,
            DiscoveryFlow.client_account_id == tenant.client_account_id,
            DiscoveryFlow.engagement_id == tenant.engagement_id,
        )
        .execution_options(populate_existing=True)
    )
    flow = uow.session.scalar(stmt.with_for_update() if lock else stmt)
    if flow is None:
        # FOR UPDATE also applies the UPDATE policy: a viewer sees the row but cannot lock it
        if lock and uow.session.scalar(stmt) is not None:
            raise FlowReadOnlyError.for_id(fid)
        raise FlowNotFoundError.for_id(fid)
    return flow


def record_event(
    uow: UnitOfWork,
    flow: DiscoveryFlow,
    event_type: str,
    *,
    phase: str | None = None,
    data: dict[str, Any] | None = None,
    imports: bool = False,
) -> FlowEvent:
    """Append to the audit log: who did what to which flow, with the version it produced.

    Also notes the write on the unit of work (the flow; with `imports` its data import too, for writes
    that change what the import shows).
    """
    tenant = require_tenant(uow)
    uow.note(
        OpChanges(
            flows=True,
            flow_ids=ids(flow.id),
            imports=imports,
            import_ids=ids(flow.data_import_id) if imports else frozenset(),
        )
    )
    ev = FlowEvent(
        flow_id=flow.id,
        master_flow_id=flow.master_flow_id,
        event_type=event_type,
        phase=phase,
        data={"version": flow.version, **(data or {})},
        actor=tenant.actor,
        actor_user_id=tenant.user_id,
        client_account_id=flow.client_account_id,
        engagement_id=flow.engagement_id,
        # the time of the event, not of its transaction's start (now()): a phase's work and its
        # `phase_advanced` share one transaction, and the timeline's duration is the gap between events
        occurred_at=func.clock_timestamp(),
    )
    uow.session.add(ev)
    return ev


def after_commit(session: Session, fn: Callable[[], None]) -> None:
    """Run `fn` once the session's transaction commits (dropped on rollback): metrics, logs."""
    session.info.setdefault(_AFTER_COMMIT, []).append(fn)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for fn in session.info.pop(_AFTER_COMMIT, []):
        try:
            fn()
        except Exception:  # a metrics/logging hook must never break a committed transaction
            log.exception("after-commit hook failed")


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)
