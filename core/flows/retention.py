"""Retention: archive old completed flows, remove abandoned ones.

Completed flows older than the cut-off are copied into `flow_archive` (their final snapshot plus a
summary of their event log) and removed from the working tables; their import and assets stay, as
they are the engagement's inventory. Flows abandoned in `initializing` or `failed` are removed
together with their data import (raw rows and mappings go with it by cascade) and, when nothing
else uses it, their master flow. The audit log (`flow_events`) is append-only and keeps every
event, including one saying the flow was archived or removed.

`cleanup_flows` is a use case over many engagements: it commits each engagement's clean-up in its own
unit of work and reports what the commits changed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select

from core import tenancy
from core.changes import NOTHING, OpChanges
from core.db.models import DataImport, DiscoveryFlow, FlowArchive, FlowEvent, MasterFlow
from core.errors import UserInputError
from core.flows import metrics
from core.flows.errors import FlowNotFoundError, FlowReadOnlyError
from core.flows.store import load_flow, record_event
from core.flows.validation import snapshot_of
from core.uow import UnitOfWork, UnitOfWorkFactory

ABANDONED_STATUSES = ("initializing", "failed")


@dataclass(frozen=True)
class CleanupItem:
    flow_id: str
    client: str
    engagement: str
    flow_name: str
    status: str
    action: str  # "archive" or "remove"
    last_change: str


@dataclass
class CleanupReport:
    applied: bool
    older_than_days: int
    items: list[CleanupItem] = field(default_factory=list)
    imports_removed: int = 0
    master_flows_removed: int = 0
    changes: OpChanges = NOTHING
    """What the committed clean-up changed (nothing for a dry run)."""

    def counts(self) -> dict[str, int]:
        return {
            "archived": sum(1 for i in self.items if i.action == "archive"),
            "removed": sum(1 for i in self.items if i.action == "remove"),
            "imports_removed": self.imports_removed,
            "master_flows_removed": self.master_flows_removed,
        }


def _candidates(uow: UnitOfWork, cutoff: datetime) -> list[tuple[uuid.UUID, str]]:
    completed = (DiscoveryFlow.status == "completed") & (
        func.coalesce(DiscoveryFlow.completed_at, DiscoveryFlow.updated_at) < cutoff
    )
    abandoned = DiscoveryFlow.status.in_(ABANDONED_STATUSES) & (DiscoveryFlow.updated_at < cutoff)
    rows = uow.session.execute(
        select(DiscoveryFlow.id, DiscoveryFlow.status)
        .where(or_(completed, abandoned))
        .order_by(DiscoveryFlow.created_at, DiscoveryFlow.id)
    ).all()
    return [(r[0], r[1]) for r in rows]


def _archive(uow: UnitOfWork, flow: DiscoveryFlow, days: int) -> None:
    s = uow.session
    event_counts = dict(
        s.execute(
            select(FlowEvent.event_type, func.count())
            .where(FlowEvent.flow_id == flow.id)
            .group_by(FlowEvent.event_type)
        ).all()
    )
    s.add(
        FlowArchive(
            flow_id=flow.id,
            master_flow_id=flow.master_flow_id,
            flow_name=flow.flow_name,
            status=flow.status,
            snapshot={
                "state": snapshot_of(flow),
                "data_import_id": str(flow.data_import_id),
                "events": event_counts,
            },
            archived_reason=f"retention: completed more than {days} day(s) ago",
            flow_completed_at=flow.completed_at,
            client_account_id=flow.client_account_id,
            engagement_id=flow.engagement_id,
        )
    )
    record_event(uow, flow, "flow_archived", data={"older_than_days": days})
    s.delete(flow)


def _remove(uow: UnitOfWork, flow: DiscoveryFlow, days: int, report: CleanupReport) -> None:
    s = uow.session
    record_event(
        uow,
        flow,
        "flow_removed",
        data={"status": flow.status, "older_than_days": days},
        imports=flow.data_import_id is not None,  # its import goes with it unless shared
    )
    import_id, master_id = flow.data_import_id, flow.master_flow_id
    s.delete(flow)
    s.flush()
    if import_id is not None:
        shared = s.scalar(select(func.count()).where(DiscoveryFlow.data_import_id == import_id))
        if not shared:
            report.imports_removed += (
                s.execute(delete(DataImport).where(DataImport.id == import_id)).rowcount or 0
            )
    still_used = s.scalar(select(func.count()).where(DiscoveryFlow.master_flow_id == master_id)) or s.scalar(
        select(func.count()).where(DataImport.master_flow_id == master_id)
    )
    if not still_used:
        report.master_flows_removed += (
            s.execute(delete(MasterFlow).where(MasterFlow.id == master_id)).rowcount or 0
        )


def cleanup_flows(
    uows: UnitOfWorkFactory, *, older_than_days: int, apply: bool = False, client: str | None = None
) -> CleanupReport:
    """List (dry run) or archive/remove old flows in every engagement the consultant can see."""
    if older_than_days < 0:
        raise UserInputError("--older-than must be 0 or more days", hint="e.g. --older-than 90")
    cutoff = datetime.now(UTC) - timedelta(days=older_than_days)
    engagements = tenancy.list_engagements(uows.sessions)
    if client:
        engagements = [e for e in engagements if e.client_name.lower() == client.strip().lower()]
        if not engagements:
            raise UserInputError(f"no client {client!r} among the engagements you are a member of")
    report = CleanupReport(applied=apply, older_than_days=older_than_days)
    for ref in engagements:
        with uows(uows.tenant_for(ref)) as uow:
            for flow_id, status in _candidates(uow, cutoff):
                try:
                    flow = load_flow(uow, flow_id, lock=True)
                except (FlowNotFoundError, FlowReadOnlyError):  # a viewer, or removed since listed
                    continue
                action = "archive" if status == "completed" else "remove"
                last = flow.completed_at if action == "archive" and flow.completed_at else flow.updated_at
                report.items.append(
                    CleanupItem(
                        str(flow.id),
                        ref.client_name,
                        ref.engagement_name,
                        flow.flow_name,
                        flow.status,
                        action,
                        last.isoformat() if last else "",
                    )
                )
                if not apply:
                    continue
                if action == "archive":
                    _archive(uow, flow, older_than_days)
                else:
                    _remove(uow, flow, older_than_days, report)
            if apply:
                uow.commit()
        report.changes = report.changes.merged(uow.committed_changes)
    metrics.log_change("flows_cleaned_up", applied=apply, older_than_days=older_than_days, **report.counts())
    return report


def cleanup_summary(report: CleanupReport) -> dict[str, Any]:
    return {"applied": report.applied, "older_than_days": report.older_than_days, **report.counts()}
