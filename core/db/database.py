"""Connections: an admin engine (schema owner) and an app engine (RLS-bound consultant role).

Embedded mode: the app starts its own server, migrates it, and connects as `md_local`, a login
member of the `md_app` group. Shared mode: the consultant's own URL; the schema must already be
at this app's revision (a shared server is migrated deliberately, by its owner).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

import psycopg
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core.config import Settings
from core.db import migrate
from core.db.embedded import DATABASE_NAME, EmbeddedServer
from core.errors import ConfigurationError, MigrationDiscoveryError

log = logging.getLogger(__name__)

APP_ROLE = "md_app"
LOCAL_ROLE = "md_local"
Mode = Literal["embedded", "shared"]


def normalise_url(url: str) -> str:
    """Accept `postgres://` and `postgresql://` URLs and use the psycopg 3 driver."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConfigurationError(
            f"not a database URL: {url!r}",
            hint="use postgresql://USER:PASSWORD@HOST:PORT/DATABASE",
        ) from exc
    if parsed.drivername in ("postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    else:
        raise ConfigurationError(
            f"unsupported database {parsed.drivername!r}", hint="Migration Discovery needs PostgreSQL"
        )
    return parsed.render_as_string(hide_password=False)


def masked(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def connection_error(url: str, exc: Exception) -> ConfigurationError:
    """One clear message for an unreachable server, bad credentials or a missing database."""
    reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
    hint = "check --database-url / MD_DATABASE_URL, the server's address, and your credentials"
    if "password authentication failed" in reason:
        hint = "the user name or password is wrong; re-enter it in Settings or in the URL"
    elif "does not exist" in reason and "database" in reason:
        hint = "create the database first, then run `migration-discovery db upgrade` as its owner"
    return ConfigurationError(f"cannot connect to {masked(url)}: {reason}", hint=hint)


def _probe(engine: Engine, url: str) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (OperationalError, DBAPIError, psycopg.Error) as exc:
        raise connection_error(url, exc) from exc


@dataclass
class Database:
    """Engines and session factories for one process; `close()` releases them and the server."""

    mode: Mode
    app_url: str
    admin_url: str
    embedded: EmbeddedServer | None = None
    _engines: dict[str, Engine] = field(default_factory=dict)

    def _engine(self, which: str, url: str) -> Engine:
        if which not in self._engines:
            self._engines[which] = create_engine(
                url, pool_pre_ping=True, pool_size=5, max_overflow=10, connect_args={"connect_timeout": 10}
            )
        return self._engines[which]

    @property
    def app_engine(self) -> Engine:
        return self._engine("app", self.app_url)

    @property
    def admin_engine(self) -> Engine:
        return self._engine("admin", self.admin_url)

    def app_sessions(self) -> sessionmaker[Session]:
        return sessionmaker(self.app_engine, expire_on_commit=False)

    def admin_sessions(self) -> sessionmaker[Session]:
        return sessionmaker(self.admin_engine, expire_on_commit=False)

    @property
    def server_label(self) -> str:
        if self.mode == "embedded":
            return "embedded"
        url = make_url(self.app_url)
        return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database}"

    def close(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None


#: pg_advisory_lock key serialising set-up of the embedded database across processes ("md-setup").
SETUP_LOCK_KEY = 0x6D642D7365747570


def _is_member(conn: psycopg.Connection, role: str) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member"
            " JOIN pg_roles g ON g.oid = m.roleid WHERE r.rolname = %s AND g.rolname = %s",
            (role, APP_ROLE),
        ).fetchone()
        is not None
    )


def _prepare_embedded(db: Database, server: EmbeddedServer, *, migrate_embedded: bool) -> None:
    """Create the database, migrate it and create the login role — once, whoever runs first.

    Concurrent first runs (several imports started at once on a new data directory) would each
    create the database and Alembic's table; the loser fails on a unique index. So set-up runs
    under a session advisory lock on the maintenance database (which always exists), and a process
    that waited re-checks and finds the work done. The common case — everything current — takes no
    lock: one query on each database.
    """
    with psycopg.connect(server.url(database="postgres").replace("+psycopg", ""), autocommit=True) as conn:

        def database_exists() -> bool:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)).fetchone()
            return found is not None

        def current() -> bool:
            if not database_exists():
                return False
            if not migrate_embedded:
                return True
            if not _is_member(conn, LOCAL_ROLE):
                return False
            with db.admin_engine.connect() as admin:
                return migrate.stored_revision(admin) == migrate.HEAD_REVISION

        if current():
            return
        conn.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK_KEY,))
        try:
            if not database_exists():
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
            if not migrate_embedded:
                return
            with db.admin_engine.connect() as admin:
                revision = migrate.stored_revision(admin)
            if revision != migrate.HEAD_REVISION:
                migrate.upgrade(db.admin_url)
            ensure_login_role(db.admin_engine, LOCAL_ROLE)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK_KEY,))


def ensure_login_role(admin_engine: Engine, role: str) -> None:
    """Create a consultant's login role (embedded use) and make it a member of `md_app`."""
    with admin_engine.begin() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        if not exists:
            conn.execute(text(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE'))
        member = conn.execute(
            text(
                "SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member"
                " JOIN pg_roles g ON g.oid = m.roleid WHERE r.rolname = :r AND g.rolname = :g"
            ),
            {"r": role, "g": APP_ROLE},
        ).first()
        if not member:
            conn.execute(text(f'GRANT {APP_ROLE} TO "{role}"'))


def check_schema_current(engine: Engine, url: str) -> None:
    """Refuse to work against a shared schema older (or newer) than this app's migrations."""
    head = migrate.HEAD_REVISION
    try:
        with engine.connect() as conn:
            current = migrate.stored_revision(conn)
    except (OperationalError, DBAPIError) as exc:
        raise connection_error(url, exc) from exc
    if current == head:
        return
    command = f"migration-discovery --database-url '{masked(url)}' db upgrade"
    if current is None:
        raise ConfigurationError(
            f"the database at {masked(url)} has no Migration Discovery schema",
            hint=f"ask its owner to run `{command}`",
        )
    if migrate.is_known_revision(current):
        raise ConfigurationError(
            f"the database schema is at revision {current}, older than this app's {head}",
            hint=f"ask the database owner to run `{command}`",
        )
    raise ConfigurationError(
        f"the database schema revision {current} is newer than this app knows ({head})",
        hint="install the newer version of Migration Discovery",
    )


def open_database(
    settings: Settings, *, migrate_embedded: bool = True, check_schema: bool = True
) -> Database:
    """Connect per the settings; in embedded mode start the server and apply pending migrations."""
    if settings.database_url:
        url = normalise_url(settings.database_url)
        db = Database(mode="shared", app_url=url, admin_url=url)
        _probe(db.app_engine, url)
        if check_schema:
            check_schema_current(db.app_engine, url)
        return db
    server = EmbeddedServer(settings.data_dir)
    server.start()
    db = Database(
        mode="embedded", app_url=server.url(user=LOCAL_ROLE), admin_url=server.url(), embedded=server
    )
    try:
        _prepare_embedded(db, server, migrate_embedded=migrate_embedded)
    except MigrationDiscoveryError:
        db.close()
        raise
    except Exception as exc:
        db.close()
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        log.debug("preparing the embedded database failed", exc_info=True)
        raise MigrationDiscoveryError(
            f"preparing the embedded database failed: {reason[0] if reason else type(exc).__name__}"
        ) from exc
    return db
