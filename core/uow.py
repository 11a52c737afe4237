"""Unit of work: one SQLAlchemy session, one transaction, rolled back unless committed.

Every transaction of a tenant unit of work first runs `set_config('app.client_account_id', ..., true)`
(the `SET LOCAL` form), so row-level security sees the tenant for exactly that transaction and never leaks
it to a pooled connection.

Who commits: only use cases (`core.actions`) and the phase-run wrapper (`core.flows.run_phase`) call
`commit()`; the helpers they call take a `uow` and never commit. Code that writes says what it changed with
`uow.note(OpChanges(...))`; `commit()` runs every commit hook inside the transaction, just before COMMIT —
the one place where work that must commit with every change (the sync outbox) plugs in — and then exposes
the accumulated changes as `committed_changes`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

from sqlalchemy import event, text
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from core.changes import NOTHING, OpChanges


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


CommitHook = Callable[["UnitOfWork"], None]
"""Runs inside the transaction right before COMMIT, seeing `uow.changes` (e.g. writing outbox rows)."""


class UnitOfWork:
    """Context manager owning one session; `commit()` makes changes durable (see the module docstring)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        tenant: Tenant | None = None,
        *,
        hooks: Sequence[CommitHook] = (),
    ) -> None:
        self._sessions = sessions
        self.tenant = tenant
        self._hooks = tuple(hooks)
        self.session: Session
        self.changes: OpChanges = NOTHING
        """What this unit of work has changed so far (in its open transaction)."""
        self.committed_changes: OpChanges = NOTHING
        """What the commits of this unit of work made durable."""

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

    def note(self, changes: OpChanges) -> None:
        """Record what the current transaction changed (the core says what changed, not the front end)."""
        self.changes = self.changes.merged(changes)

    def commit(self) -> None:
        for hook in self._hooks:
            hook(self)
        self.session.commit()
        self.committed_changes = self.committed_changes.merged(self.changes)
        self.changes = NOTHING

    def rollback(self) -> None:
        self.session.rollback()
        self.changes = NOTHING

    @property
    def actor(self) -> str | None:
        return self.tenant.actor if self.tenant else None


class EngagementIds(Protocol):
    """Anything naming one engagement of one client (e.g. `core.tenancy.EngagementRef`)."""

    @property
    def client_account_id(self) -> uuid.UUID: ...
    @property
    def engagement_id(self) -> uuid.UUID: ...


class UnitOfWorkFactory:
    """Opens units of work on one session factory with the process's commit hooks (built by bootstrap).

    Services take this (as `uows`) instead of the composition root, so the core never depends on `Core`.
    It also knows who acts (`user_id`, `actor`), so a service that walks several engagements (reconcile,
    retention, navigation) can open a tenant unit of work for each.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        hooks: Sequence[CommitHook] = (),
        *,
        user_id: uuid.UUID | None = None,
        actor: str | None = None,
    ) -> None:
        self.sessions = sessions
        self.hooks: list[CommitHook] = list(hooks)
        self.user_id = user_id
        self.actor = actor

    def __call__(self, tenant: Tenant | None = None) -> UnitOfWork:
        return UnitOfWork(self.sessions, tenant, hooks=self.hooks)

    def tenant_for(self, ref: EngagementIds) -> Tenant:
        """The acting consultant on this engagement."""
        return Tenant(ref.client_account_id, ref.engagement_id, self.user_id, self.actor)

    def recording(self) -> RecordingFactory:
        """A factory like this one that also collects what its units of work committed.

        For use cases that commit in several steps through code taking a factory (a phase run:
        start, work, failure record): their `Outcome` says what all those commits changed.
        """
        return RecordingFactory(self)


class RecordingFactory(UnitOfWorkFactory):
    """Opens units of work like its base and remembers them, to merge what they committed."""

    def __init__(self, base: UnitOfWorkFactory) -> None:
        super().__init__(base.sessions, base.hooks, user_id=base.user_id, actor=base.actor)
        self._opened: list[UnitOfWork] = []

    def __call__(self, tenant: Tenant | None = None) -> UnitOfWork:
        uow = super().__call__(tenant)
        self._opened.append(uow)
        return uow

    @property
    def changes(self) -> OpChanges:
        """Everything the units of work opened so far have committed."""
        merged = NOTHING
        for uow in self._opened:
            merged = merged.merged(uow.committed_changes)
        return merged


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
