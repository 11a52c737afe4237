"""Schema 0008 on a real database: constraints of the new tables, and a downgrade with data in them."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from core import tenancy
from core.config import Identity
from core.db import migrate
from core.db.validate import schema_differences


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def db_at_head(make_database: Callable[[], str]) -> tuple[str, dict[str, uuid.UUID]]:
    """A migrated database with one engagement, two assets and an import (ids by name)."""
    url = make_database()
    migrate.upgrade(url)
    engine = create_engine(url)
    try:
        admin = sessionmaker(engine)
        user = tenancy.ensure_user(admin, Identity("Admin", "admin@example.com"), "md_t_schema")
        ref = tenancy.ensure_engagement(admin, "Schema client", "Eng", user)
    finally:
        engine.dispose()
    ids = {"c": ref.client_account_id, "e": ref.engagement_id, "a1": uuid.uuid4(), "a2": uuid.uuid4()}
    with psycopg.connect(_libpq(url)) as conn:
        for key in ("a1", "a2"):
            conn.execute(
                "INSERT INTO assets (id, client_account_id, engagement_id, hostname, source_record_ids,"
                " field_lineage, field_conflicts) VALUES (%s, %s, %s, %s, '[]', '{}', '{}')",
                (ids[key], ids["c"], ids["e"], key),
            )
    return url, ids


def _dependency(conn: psycopg.Connection, ids: dict[str, uuid.UUID], source: str | None, target: str | None,
                endpoint: str | None = None, key: str | None = None) -> uuid.UUID:  # fmt: skip
    row_id = uuid.uuid4()
    conn.execute(
        "INSERT INTO asset_dependencies (id, client_account_id, engagement_id, source_asset_id,"
        " target_asset_id, target_endpoint, port, protocol, connection_key)"
        " VALUES (%s, %s, %s, %s, %s, %s, 443, 'tcp', %s)",
        (row_id, ids["c"], ids["e"], ids.get(source or ""), ids.get(target or ""), endpoint, key),
    )
    return row_id


def test_connections_keep_unresolved_ends_once_per_key(db_at_head) -> None:
    url, ids = db_at_head
    with psycopg.connect(_libpq(url)) as conn:
        _dependency(conn, ids, "a1", None, endpoint="203.0.113.7", key="a1|203.0.113.7|443|tcp")
        count = conn.execute("SELECT observation_count FROM asset_dependencies").fetchone()
        assert count == (1,)  # the default
        with pytest.raises(psycopg.errors.UniqueViolation):  # a newer export merges, never duplicates
            _dependency(conn, ids, "a1", None, endpoint="203.0.113.7", key="a1|203.0.113.7|443|tcp")
    with psycopg.connect(_libpq(url)) as conn, pytest.raises(psycopg.errors.CheckViolation):
        _dependency(conn, ids, "a1", None)  # an end that is neither an asset nor an endpoint


def test_a_recommendation_names_an_application_or_an_asset_not_both(db_at_head) -> None:
    url, ids = db_at_head
    sql = (
        "INSERT INTO sixr_recommendations (id, client_account_id, engagement_id, application, asset_id,"
        " disposition, confidence, reasons) VALUES (gen_random_uuid(), %s, %s, %s, %s, %s, 0.5, '[]')"
    )
    with psycopg.connect(_libpq(url)) as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(sql, (ids["c"], ids["e"], "Shop", ids["a1"], "rehost"))
    with psycopg.connect(_libpq(url)) as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(sql, (ids["c"], ids["e"], "Shop", None, "lift-and-shift"))


def test_downgrade_of_0008_keeps_resolved_dependencies_and_upgrades_again(db_at_head) -> None:
    url, ids = db_at_head
    with psycopg.connect(_libpq(url)) as conn:
        kept = _dependency(conn, ids, "a1", "a2")
        _dependency(conn, ids, "a1", None, endpoint="203.0.113.7", key="external")
        conn.execute(
            "INSERT INTO techdebt_findings (id, client_account_id, engagement_id, asset_id, kind, component,"
            " status, rule, details, as_of) VALUES (gen_random_uuid(), %s, %s, %s, 'lifecycle', 'os',"
            " 'unknown', 'no product recognised', '{}', '2026-12-02')",
            (ids["c"], ids["e"], ids["a1"]),
        )
    migrate.downgrade(url, "0007")
    with psycopg.connect(_libpq(url)) as conn:
        rows = conn.execute("SELECT id FROM asset_dependencies").fetchall()
        assert rows == [(kept,)]  # the unresolved connection has no place in 0007's schema
        assert conn.execute("SELECT to_regclass('techdebt_findings')").fetchone() == (None,)
        forced = conn.execute(
            "SELECT relforcerowsecurity FROM pg_class WHERE relname = 'asset_dependencies'"
        ).fetchone()
        assert forced == (True,)
    migrate.upgrade(url)
    engine = create_engine(url)
    try:
        assert schema_differences(engine) == []
    finally:
        engine.dispose()
