"""What the status bar says about an engagement's sync, in one read.

Why one read: the status bar refreshes after every write; the outbox count, the open conflicts
and refusals and the last sync with a server are four small counts on the same unit of work
(`core.actions.sync` has each as its own function, each opening a unit of work).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text

from core.db.models import SyncConflict, SyncRejection, SyncState
from core.uow import Tenant, UnitOfWorkFactory


@dataclass(frozen=True)
class SyncStatus:
    """Local changes waiting, open conflicts and refusals, the last sync (server as stored)."""

    pending: int
    conflicts: int
    rejections: int
    server: str | None
    last_synced_at: dt.datetime | None
    last_error: str | None


def sync_status(uows: UnitOfWorkFactory, tenant: Tenant, server: str | None = None) -> SyncStatus:
    """The engagement's sync state; `server` (as stored, no password) picks that server's row."""
    with uows(tenant) as uow:
        s = uow.session
        pending = int(s.scalar(text("SELECT count(*) FROM sync_changes WHERE origin IS NULL")) or 0)
        conflicts = s.scalar(
            select(func.count()).select_from(SyncConflict).where(SyncConflict.resolved_at.is_(None))
        )
        rejections = s.scalar(
            select(func.count()).select_from(SyncRejection).where(SyncRejection.resolved_at.is_(None))
        )
        q = select(SyncState).order_by(SyncState.updated_at.desc()).limit(1)
        if server is not None:
            q = select(SyncState).where(SyncState.server == server).limit(1)
        state = s.scalar(q)
        last = None
        if state is not None:
            stamps = [t for t in (state.last_push_at, state.last_pull_at) if t is not None]
            last = max(stamps) if stamps else None
        return SyncStatus(
            pending=pending,
            conflicts=int(conflicts or 0),
            rejections=int(rejections or 0),
            server=state.server if state is not None else None,
            last_synced_at=last,
            last_error=state.last_error if state is not None else None,
        )


WHO_COLUMNS = ("decided_by", "approved_by", "moved_by", "split_by", "taught_by", "imported_by",
               "started_by", "created_by", "changed_by")  # fmt: skip
"""Columns of synced rows that say who made the change, most specific first."""


def who_changed(uows: UnitOfWorkFactory, tenant: Tenant, rows: list[dict[str, Any] | None]) -> list[str]:
    """Per row (a conflict's server side), the consultant named by its first "who" column.

    A server's user id this laptop does not know (a colleague never pulled) is shown by its prefix.
    """
    picked: list[str | None] = []
    for row in rows:
        value = next((row[c] for c in WHO_COLUMNS if row and row.get(c)), None)
        picked.append(str(value) if value is not None else None)
    ids = {v for v in picked if v and _is_uuid(v)}
    names: dict[str, str] = {}
    if ids:
        with uows(tenant) as uow:
            found = uow.session.execute(
                text("SELECT id::text, display_name FROM users WHERE id::text = ANY(:ids)"),
                {"ids": list(ids)},
            )
            names = {i: n for i, n in found}
    return [names.get(v) or (f"consultant {v[:8]}" if _is_uuid(v) else v) if v else "" for v in picked]


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
