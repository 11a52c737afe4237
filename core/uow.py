"""Unit of work: one SQLAlchemy session, one transaction, rolled back unless committed.

`tenant_scope(...)` opens a unit of work whose every transaction first runs
`set_config('app.client_account_id', ..., true)` (the `SET LOCAL` form), so row-level security
sees the tenant for exactly that transaction and never leaks it to a pooled connection.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker


@dataclass(frozen=True)
class Tenant:
    """Who acts on which engagement; carried by every tenant-scoped unit of work."""

    client_account_id: uuid.UUID
    engagement_id: uuid.UUID
    user_id: uuid.UUID | None = None
    actor: str | None = None


_SET_TENANT = text(
    "SELECT set_config('app.client_account_id', :client, true),"
    " set_config('app.engagement_id', :engagement, true),"
    " set_config('app.user_id', :user, true)"
)


@event.listens_for(Session, "after_begin")
def _apply_tenant(session: Session, transaction: SessionTransaction, connection: Any) -> None:
    tenant: Tenant | None = session.info.get("tenant")
    if tenant is None:
        return
    connection.execute(
        _SET_TENANT,
        {
            "client": str(tenant.client_account_id),
            "engagement": str(tenant.engagement_id),
            "user": str(tenant.user_id) if tenant.user_id else "",
        },
    )


class UnitOfWork:
    """Context manager owning one session; `commit()` makes changes durable."""

    def __init__(self, sessions: sessionmaker[Session], tenant: Tenant | None = None) -> None:
        self._sessions = sessions
        self.tenant = tenant
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._sessions()
        if self.tenant is not None:
            self.session.info["tenant"] = self.tenant
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    @property
    def actor(self) -> str | None:
        return self.tenant.actor if self.tenant else None


@contextmanager
def tenant_scope(
    sessions: sessionmaker[Session],
    client_account_id: uuid.UUID,
    engagement_id: uuid.UUID,
    user_id: uuid.UUID | None = None,
    actor: str | None = None,
) -> Iterator[UnitOfWork]:
    """Open a unit of work acting for one consultant on one engagement."""
    with UnitOfWork(sessions, Tenant(client_account_id, engagement_id, user_id, actor)) as uow:
        yield uow
