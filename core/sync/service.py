"""Running a sync for one engagement: connections, identities on both sides, retries.

Why here and not in the engine: the engine moves changes between two connections; this module
knows the app's databases (the laptop's consultant and owner logins), finds the consultant on the
server (`users.db_role = session_user`), brings an engagement that exists only on the server onto
the laptop ("pull it first"), and retries a lost connection with backoff without a new local write
(each retry reuses the saved batch key, so nothing is applied twice).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from core.db.database import Database
from core.errors import UserInputError
from core.progress import CancelToken, Progress
from core.sync.engine import Sync, SyncInterrupted, SyncRefused, SyncReport, check_revision
from core.sync.link import Scope, connect, display_url, libpq_url
from core.uow import Tenant

RETRY_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 8.0)
"""Waits between attempts after a lost connection (the last one repeats up to `attempts`)."""


@dataclass(frozen=True)
class SyncOptions:
    push: bool = True
    pull: bool = True
    batch_size: int = 500
    attempts: int = 6


def server_user(server: psycopg.Connection) -> uuid.UUID:
    """The server's `users.id` of this login (refused, with the fix, when there is none)."""
    with server.transaction(), server.cursor() as cur:
        cur.execute("SELECT id FROM users WHERE db_role = session_user")
        row = cur.fetchone()
        cur.execute("SELECT session_user")
        role = cur.fetchone()[0]  # type: ignore[index]
    if row is None:
        raise SyncRefused(
            f"the login {role!r} is not a consultant on this server",
            "ask the server's owner to add you: `migration-discovery --database-url SERVER db grant "
            f"{role} --client NAME --engagement NAME --role member`",
        )
    return row[0]


def find_on_server(server: psycopg.Connection, client: str, engagement: str) -> tuple[uuid.UUID, uuid.UUID]:
    """(client id, engagement id) of an engagement this login may see on the server."""
    with server.transaction(), server.cursor() as cur:
        cur.execute(
            "SELECT c.id, e.id FROM engagements e JOIN client_accounts c ON c.id = e.client_account_id"
            " WHERE lower(c.name) = lower(%s) AND lower(e.name) = lower(%s)",
            (client, engagement),
        )
        row = cur.fetchone()
    if row is None:
        raise UserInputError(
            f"the server has no engagement {engagement!r} of client {client!r} that this login may see",
            hint="check the names, or ask a lead to add you to it on the server",
        )
    return row[0], row[1]


def _admin(db: Database) -> psycopg.Connection | None:
    """The laptop's owner login (the embedded server's), which may write root rows (`users`)."""
    if not db.admin_url or db.admin_url == db.app_url:
        return None
    return psycopg.connect(libpq_url(db.admin_url), autocommit=True)


def run(
    db: Database,
    tenant: Tenant,
    server_url: str,
    *,
    options: SyncOptions = SyncOptions(),
    progress: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
    sleep: Callable[[float], None] | None = None,
) -> SyncReport:
    """Push then pull the engagement, retrying a lost connection with backoff (see the module docstring).

    Raises `SyncRefused` when the server will not take the engagement at all, `SyncInterrupted`
    when the connection stayed lost through every attempt (or the sync was cancelled): run again.
    """
    if sleep is None:  # wait between attempts, but wake at once when the sync is cancelled
        sleep = (lambda s: cancel.wait(s) and None) if cancel is not None else time.sleep
    local = psycopg.connect(libpq_url(db.app_url), autocommit=False)
    admin = _admin(db)
    report = SyncReport()
    try:
        last: SyncInterrupted | None = None
        for attempt in range(max(1, options.attempts)):
            if cancel is not None and cancel.cancelled:
                raise SyncInterrupted("the sync was cancelled; run it again to go on")
            try:
                server = connect(server_url)
            except psycopg.OperationalError as exc:
                last = SyncInterrupted(f"cannot reach {display_url(server_url)}: {exc}".strip())
                sleep(RETRY_DELAYS_S[min(attempt, len(RETRY_DELAYS_S) - 1)])
                continue
            try:
                sync = _sync(local, server, server_url, tenant, options, progress, cancel, admin, report)
                sync.check_server()
                if options.push:
                    sync.push()
                if options.pull:
                    sync.pull()
                return sync.report
            except SyncInterrupted as exc:
                if cancel is not None and cancel.cancelled:
                    raise
                last = exc
                local.rollback()
                sleep(RETRY_DELAYS_S[min(attempt, len(RETRY_DELAYS_S) - 1)])
            finally:
                server.close()
        assert last is not None
        raise last
    finally:
        local.close()
        if admin is not None:
            admin.close()


def _sync(
    local: psycopg.Connection,
    server: psycopg.Connection,
    server_url: str,
    tenant: Tenant,
    options: SyncOptions,
    progress: Callable[[Progress], None] | None,
    cancel: CancelToken | None,
    admin: psycopg.Connection | None,
    report: SyncReport,
) -> Sync:
    try:
        check_revision(server, display_url(server_url))
        theirs = server_user(server)
    except psycopg.OperationalError as exc:
        raise SyncInterrupted(f"the connection to {display_url(server_url)} was lost: {exc}") from exc
    sync = Sync(
        local,
        server,
        server_url,
        Scope(tenant.client_account_id, tenant.engagement_id, tenant.user_id),
        Scope(tenant.client_account_id, tenant.engagement_id, theirs),
        device_id=uuid.uuid4(),
        batch_size=options.batch_size,
        progress=progress,
        cancel=cancel,
        admin=admin,
    )
    sync.report = report  # one report across retries
    return sync


def adopt_engagement(db: Database, server_url: str, client: str, engagement: str, user_id: uuid.UUID) -> Any:
    """ "Pull it first": an engagement that exists on the server (this login a lead or member there)
    is made on the laptop with the same ids, this consultant with the same role, so the next sync
    pulls its rows. Refused, with the reason, when the laptop has another client or engagement of
    that name, or the login is not a member there."""
    from core.db.models import ClientAccount, Engagement, EngagementMember
    from core.tenancy import EngagementRef

    server = connect(server_url)
    try:
        client_id, engagement_id = find_on_server(server, client, engagement)
        with server.transaction(), server.cursor() as cur:
            cur.execute(
                "SELECT c.name, e.name FROM engagements e"
                " JOIN client_accounts c ON c.id = e.client_account_id WHERE e.id = %s",
                (engagement_id,),
            )
            client_name, engagement_name = cur.fetchone()  # type: ignore[misc]
            cur.execute(
                "SELECT set_config('app.client_account_id', %s, true),"
                " set_config('app.engagement_id', %s, true)",
                (str(client_id), str(engagement_id)),
            )
            cur.execute("SELECT md_tenant_role()")
            role = cur.fetchone()[0]  # type: ignore[index]
    finally:
        server.close()
    if role is None:
        raise SyncRefused(
            f"this login is not a member of {client_name} / {engagement_name} on {display_url(server_url)}",
            "ask a lead to add you there (`db grant`)",
        )
    with db.admin_sessions()() as s:
        same_name = s.query(ClientAccount).filter(ClientAccount.name == client_name).one_or_none()
        if same_name is not None and same_name.id != client_id:
            raise UserInputError(
                f"this laptop has its own client {client_name!r}, not the server's",
                hint="rename the laptop's client first, or work connected to the server",
            )
        if same_name is None:
            s.add(ClientAccount(id=client_id, name=client_name))
            s.flush()
        local = s.get(Engagement, engagement_id)
        if local is None:
            other = (
                s.query(Engagement)
                .filter(Engagement.client_account_id == client_id, Engagement.name == engagement_name)
                .one_or_none()
            )
            if other is not None:
                raise UserInputError(
                    f"this laptop has its own engagement {engagement_name!r} of {client_name!r},"
                    " not the server's",
                    hint="rename the laptop's engagement first, or push it to the server as a new one",
                )
            s.add(Engagement(id=engagement_id, client_account_id=client_id, name=engagement_name))
            s.flush()
        member = (
            s.query(EngagementMember)
            .filter(EngagementMember.engagement_id == engagement_id, EngagementMember.user_id == user_id)
            .one_or_none()
        )
        if member is None:
            s.add(
                EngagementMember(
                    client_account_id=client_id, engagement_id=engagement_id, user_id=user_id, role=role
                )
            )
        s.commit()
    return EngagementRef(client_id, client_name, engagement_id, engagement_name)
