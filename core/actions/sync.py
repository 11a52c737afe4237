"""Sync use cases: push and pull engagements, list and settle conflicts and rejections.

Each runs on the laptop's database (`Database`, for its consultant and owner logins) and the
shared server's URL; the engine (`core.sync`) commits in steps — each batch is its own
transaction on both sides, so an interrupted sync keeps what was sent and goes on from there.
The value of `sync_all` is the `sync --json` shape of the contract.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, text

from core.actions.outcome import Outcome
from core.changes import OpChanges
from core.db.database import Database
from core.db.models import SyncConflict, SyncRejection, SyncState
from core.errors import UserInputError
from core.progress import CancelToken, Progress
from core.sync import tables
from core.sync.engine import SyncInterrupted, SyncRefused, SyncReport
from core.sync.link import display_url
from core.sync.service import SyncOptions, run
from core.tenancy import EngagementRef, list_engagements
from core.uow import Tenant, UnitOfWorkFactory

EVERYTHING = OpChanges(imports=True, mappings=True, flows=True, assets=True, analysis=True)


def last_server(uows: UnitOfWorkFactory, tenant: Tenant) -> str | None:
    """The server this engagement last synced with (as stored: no password)."""
    with uows(tenant) as uow:
        return uow.session.scalar(
            select(SyncState.server).order_by(SyncState.updated_at.desc(), SyncState.server).limit(1)
        )


def pending_changes(uows: UnitOfWorkFactory, tenant: Tenant) -> int:
    """Local changes of the engagement waiting to be pushed (the status bar's count)."""
    with uows(tenant) as uow:
        return int(uow.session.scalar(text("SELECT count(*) FROM sync_changes WHERE origin IS NULL")) or 0)


def sync_engagement(
    db: Database,
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    server_url: str,
    *,
    push: bool = True,
    pull: bool = True,
    batch_size: int = 500,
    attempts: int = SyncOptions.attempts,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
) -> Outcome[SyncReport]:
    """Push then pull one engagement (retrying a lost connection `attempts` times); the value is
    what it did."""
    report = run(
        db,
        tenant,
        server_url,
        options=SyncOptions(push=push, pull=pull, batch_size=batch_size, attempts=attempts),
        progress=progress,
        cancel=cancel,
    )
    return Outcome(report, EVERYTHING if report.pulled else OpChanges(engagements=True))


def sync_all(
    db: Database,
    uows: UnitOfWorkFactory,
    tenant_for: Callable[[EngagementRef], Tenant],
    server_url: str | None,
    *,
    only: EngagementRef | None = None,
    push: bool = True,
    pull: bool = True,
    batch_size: int = 500,
    attempts: int = SyncOptions.attempts,
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
) -> Outcome[dict[str, Any]]:
    """`sync`: every engagement of this laptop (or `only`) with the server; the contract's shape
    plus `engagements` (per engagement: status, reason) and `server`.

    An engagement the server refuses (not a member there, no such engagement) is listed in
    `rejected` with its reason; the others still sync. A lost connection that outlasts the
    retries raises `SyncInterrupted` after what was sent is kept.
    """
    refs = [only] if only is not None else list_engagements(db.app_sessions())
    total = SyncReport()
    per: list[dict[str, Any]] = []
    for ref in refs:
        tenant = tenant_for(ref)
        url = server_url or last_server(uows, tenant)
        if url is None:
            continue
        name = f"{ref.client_name} / {ref.engagement_name}"
        try:
            report = sync_engagement(
                db, uows, tenant, url, push=push, pull=pull, batch_size=batch_size, attempts=attempts,
                progress=progress, cancel=cancel,
            ).value  # fmt: skip
        except SyncRefused as exc:
            total.rejected.append({"engagement": name, "reason": exc.message, "hint": exc.hint})
            per.append({"engagement": name, "status": "refused", "reason": exc.message})
            continue
        for side, counts in ((total.pushed, report.pushed), (total.pulled, report.pulled)):
            for table, n in counts.items():
                total.count(side, table, n)
        total.conflicts += [{**c, "engagement": name} for c in report.conflicts]
        total.rejected += [{**r, "engagement": name} for r in report.rejected]
        total.bytes_pushed += report.bytes_pushed
        total.bytes_pulled += report.bytes_pulled
        total.batches += report.batches
        total.batches_already_applied += report.batches_already_applied
        per.append({"engagement": name, "status": "synced", "server": display_url(url)})
    if not per:
        raise UserInputError(
            "no server to sync with", hint="pass --server postgresql://YOUR_ROLE@HOST:5432/DATABASE"
        )
    value = {**total.to_dict(), "engagements": per}
    return Outcome(value, EVERYTHING if total.pulled else OpChanges(engagements=True))


# ------------------------------------------------------------------------ conflicts and rejections
def list_conflicts(
    uows: UnitOfWorkFactory, tenant: Tenant, *, open_only: bool = True
) -> list[dict[str, Any]]:
    """The engagement's sync conflicts: table, row, both values, when the server's changed."""
    with uows(tenant) as uow:
        q = select(SyncConflict).order_by(SyncConflict.created_at)
        if open_only:
            q = q.where(SyncConflict.resolved_at.is_(None))
        return [
            {
                "id": str(c.id),
                "table": c.table_name,
                "row_id": str(c.row_id),
                "local": c.local_row,
                "server": c.server_row,
                "server_updated_at": c.server_updated_at.isoformat() if c.server_updated_at else None,
                "changed_by": c.changed_by,
                "detected_at": c.created_at.isoformat(),
                "resolution": c.resolution,
            }
            for c in uow.session.scalars(q)
        ]


def resolve_conflict(
    uows: UnitOfWorkFactory, tenant: Tenant, conflict_id: uuid.UUID, action: str
) -> Outcome[dict[str, Any]]:
    """`reapply` writes our value over the server's (a new local change, pushed next sync);
    `drop` keeps the server's value. Either way the conflict is closed, with who and how."""
    if action not in ("reapply", "drop"):
        raise UserInputError(f"unknown action {action!r}", hint="use reapply or drop")
    with uows(tenant) as uow:
        c = uow.session.get(SyncConflict, conflict_id)
        if c is None or c.resolved_at is not None:
            raise UserInputError("no open conflict with this id", hint="list them with `sync conflicts`")
        if action == "reapply":
            parent = (c.server_row or {}).get("parent_deleted")
            if (
                parent
                and not uow.session.execute(
                    text(f'SELECT 1 FROM "{tables.table(parent["table"]).name}" WHERE id = :id'),
                    {"id": parent["row_id"]},
                ).first()
            ):
                owner = parent["table"].replace("_", " ")
                raise UserInputError(
                    f"this {c.table_name.replace('_', ' ')} row belonged to a {owner} row"
                    f" ({parent['row_id']}) that was deleted on the server; it cannot be re-applied",
                    hint="drop the conflict (the deletion stands), or bring the deleted row back first",
                )
            if c.local_row.get("deleted"):
                uow.session.execute(
                    text(f"DELETE FROM {tables.table(c.table_name).name} WHERE id = :id"), {"id": c.row_id}
                )
            else:
                _write_row(uow, c.table_name, c.row_id, c.local_row)
        c.resolved_at = uow.session.scalar(text("SELECT now()"))
        c.resolution = f"{action} by {tenant.actor or 'unknown'}"
        uow.note(EVERYTHING)
        uow.commit()
    return Outcome({"id": str(conflict_id), "resolution": action}, uow.committed_changes)


def _write_row(uow: Any, table: str, row_id: uuid.UUID, values: dict[str, Any]) -> None:
    """Our kept value back onto the row — inserted again when it is gone here (the server deleted
    it and the pull followed): every column but the key and the stamps."""
    t = tables.table(table)
    cols = [c.name for c in t.columns if c.name not in ("id", "created_at", "updated_at")]
    assignments = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in cols)
    uow.session.execute(
        text(
            f'INSERT INTO "{t.name}" SELECT * FROM jsonb_populate_record(NULL::"{t.name}", '
            f"CAST(:row AS jsonb)) ON CONFLICT (id) DO UPDATE SET {assignments}"
        ),
        {"row": json.dumps({**values, "id": str(row_id)}, default=str)},
    )


def list_rejections(
    uows: UnitOfWorkFactory, tenant: Tenant, *, open_only: bool = True
) -> list[dict[str, Any]]:
    """Batches the server refused, with the reason and the changes they held."""
    with uows(tenant) as uow:
        q = select(SyncRejection).order_by(SyncRejection.created_at)
        if open_only:
            q = q.where(SyncRejection.resolved_at.is_(None))
        return [
            {
                "id": str(r.id),
                "reason": r.reason,
                "error_class": r.error_class,
                "changes": r.changes,
                "rejected_at": r.created_at.isoformat(),
                "resolution": r.resolution,
            }
            for r in uow.session.scalars(q)
        ]


def resolve_rejection(
    uows: UnitOfWorkFactory, tenant: Tenant, rejection_id: uuid.UUID, action: str
) -> Outcome[dict[str, Any]]:
    """`retry` queues the batch's changes again (after the consultant fixed the cause); `drop`
    gives them up on the server side (the laptop keeps its rows). The rejection is closed."""
    if action not in ("retry", "drop"):
        raise UserInputError(f"unknown action {action!r}", hint="use retry or drop")
    with uows(tenant) as uow:
        r = uow.session.get(SyncRejection, rejection_id)
        if r is None or r.resolved_at is not None:
            raise UserInputError("no open rejection with this id", hint="list them with `sync rejected`")
        if action == "retry":
            for change in r.changes:
                uow.session.execute(
                    text(
                        "INSERT INTO sync_changes (client_account_id, engagement_id, table_name, row_id, op)"
                        " VALUES (:c, :e, :t, :r, :op)"
                    ),
                    {"c": tenant.client_account_id, "e": tenant.engagement_id, "t": change["table"],
                     "r": change["row_id"], "op": change["op"]},
                )  # fmt: skip
        r.resolved_at = uow.session.scalar(text("SELECT now()"))
        r.resolution = f"{action} by {tenant.actor or 'unknown'}"
        uow.note(OpChanges(engagements=True))
        uow.commit()
    return Outcome({"id": str(rejection_id), "resolution": action}, uow.committed_changes)


__all__ = [
    "SyncInterrupted",
    "SyncRefused",
    "last_server",
    "list_conflicts",
    "list_rejections",
    "pending_changes",
    "resolve_conflict",
    "resolve_rejection",
    "sync_all",
    "sync_engagement",
]
