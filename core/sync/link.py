"""The two ends of a sync: the laptop's database and the shared server, as psycopg connections.

Why psycopg directly: rows move between two databases with binary COPY (an import's million raw
records as one stream), each side in a transaction this package controls, with the tenant set on
both the way every unit of work sets it (`set_config(..., true)`), and the server reached with the
consultant's own login so its row-level security decides what may be written.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from sqlalchemy.engine import make_url

from core.errors import ConfigurationError

SET_TENANT = (
    "SELECT set_config('app.client_account_id', %s, true), set_config('app.engagement_id', %s, true),"
    " set_config('app.user_id', %s, true)"
)
CONNECT_TIMEOUT_S = 10


def libpq_url(url: str) -> str:
    """`postgresql+psycopg://…` (the app's form) → what libpq takes."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConfigurationError(
            f"not a database URL: {url!r}", hint="use postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
        ) from exc
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def display_url(url: str) -> str:
    """The server as shown and stored: no password (not even masked), so one server has one name
    whether or not its password came in the URL."""
    return make_url(url).set(drivername="postgresql", password=None).render_as_string(hide_password=False)


@dataclass(frozen=True)
class Scope:
    """The engagement being synced and who acts, on one side (user ids differ between sides)."""

    client_account_id: uuid.UUID
    engagement_id: uuid.UUID
    user_id: uuid.UUID | None


def connect(url: str) -> psycopg.Connection:
    """A connection to the server (autocommit off: every step is one explicit transaction)."""
    return psycopg.connect(libpq_url(url), connect_timeout=CONNECT_TIMEOUT_S, autocommit=False)


@contextmanager
def transaction(conn: psycopg.Connection, scope: Scope, **settings: str) -> Iterator[psycopg.Cursor]:
    """One transaction with the tenant (and `md.*` settings, e.g. the push's origin) set for it."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            SET_TENANT,
            (str(scope.client_account_id), str(scope.engagement_id), str(scope.user_id or "")),
        )
        for name, value in settings.items():
            cur.execute("SELECT set_config(%s, %s, true)", (f"md.{name}", value))
        yield cur
