"""Migration round trip and `db validate` on real, empty databases."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.db import migrate
from core.db.models import Base
from core.db.validate import schema_differences


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tables(url: str) -> set[str]:
    with psycopg.connect(_libpq(url)) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {r[0] for r in rows}


@pytest.fixture
def empty_db(make_database: Callable[[], str]) -> str:
    return make_database()


def test_round_trip_upgrade_downgrade_upgrade(empty_db: str) -> None:
    migrate.upgrade(empty_db)
    assert _tables(empty_db) >= {t.name for t in Base.metadata.sorted_tables}
    engine = create_engine(empty_db)
    try:
        assert schema_differences(engine) == []
    finally:
        engine.dispose()

    migrate.downgrade(empty_db, "base")
    assert _tables(empty_db) <= {"alembic_version"}
    with psycopg.connect(_libpq(empty_db)) as conn:
        functions = conn.execute("SELECT proname FROM pg_proc WHERE proname LIKE 'md\\_%'").fetchall()
    assert functions == []

    migrate.upgrade(empty_db)
    engine = create_engine(empty_db)
    try:
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def _validate_after(url: str, sql: str) -> list[str]:
    migrate.upgrade(url)
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute(sql)
    engine = create_engine(url)
    try:
        return schema_differences(engine)
    finally:
        engine.dispose()


def test_validate_names_a_dropped_column(empty_db: str) -> None:
    problems = _validate_after(empty_db, "ALTER TABLE assets DROP COLUMN memory_gb")
    assert any("assets.memory_gb" in p and "missing column" in p for p in problems), problems


def test_validate_rejects_legacy_and_mock_leftovers(empty_db: str) -> None:
    problems = _validate_after(
        empty_db, "CREATE TABLE v3_data_imports (id int); ALTER TABLE assets ADD COLUMN is_mock boolean"
    )
    assert any("legacy table v3_data_imports" in p for p in problems), problems
    assert any("assets.is_mock" in p for p in problems), problems


def test_validate_fails_for_a_table_without_forced_rls(empty_db: str) -> None:
    problems = _validate_after(empty_db, "ALTER TABLE assets NO FORCE ROW LEVEL SECURITY")
    assert any("table assets does not have row-level security" in p for p in problems), problems


def test_a_new_table_without_rls_is_caught(empty_db: str) -> None:
    problems = _validate_after(
        empty_db,
        "CREATE TABLE wave_plans (id uuid primary key, client_account_id uuid, engagement_id uuid)",
    )
    assert any("wave_plans" in p and "row-level security" in p for p in problems), problems


def test_every_model_table_is_covered_by_the_migrations_policies(empty_db: str) -> None:
    migrate.upgrade(empty_db)
    with psycopg.connect(_libpq(empty_db)) as conn:
        rows = conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
            " AND c.relrowsecurity AND c.relforcerowsecurity"
        ).fetchall()
    forced = {r[0] for r in rows}
    assert {t.name for t in Base.metadata.sorted_tables} <= forced


def test_schema_check_refuses_an_older_shared_schema(empty_db: str) -> None:
    from core.db.database import check_schema_current
    from core.errors import ConfigurationError

    engine = create_engine(empty_db)
    try:
        with pytest.raises(ConfigurationError) as err:
            check_schema_current(engine, empty_db)
        assert "db upgrade" in str(err.value)
        migrate.upgrade(empty_db)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_unknown'"))
        with pytest.raises(ConfigurationError) as err:
            check_schema_current(engine, empty_db)
        assert "newer" in str(err.value)
    finally:
        engine.dispose()


def test_head_revision_constant_matches_the_scripts() -> None:
    assert migrate.head_revision() == migrate.HEAD_REVISION
