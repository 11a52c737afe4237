"""Migration round trip and `db validate` on real, empty databases."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from core import tenancy
from core.db import migrate
from core.db.models import Base, DataImport
from core.db.validate import schema_differences
from core.uow import Tenant, UnitOfWork


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


# --- SECURITY DEFINER functions and the schema they live in (issue 10) ---------------------------


def _definer_configs(url: str) -> dict[str, list[str] | None]:
    with psycopg.connect(_libpq(url)) as conn:
        rows = conn.execute(
            "SELECT p.proname, p.proconfig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = 'public' AND p.prosecdef"
        ).fetchall()
    return dict(rows)


def test_every_definer_function_searches_pg_temp_last(empty_db: str) -> None:
    migrate.upgrade(empty_db)
    configs = _definer_configs(empty_db)
    assert set(configs) >= {
        "md_tenant_role",
        "md_is_engagement_member",
        "md_is_client_member",
        "md_create_raw_partition",
        "md_attach_raw_partition",
        "md_drop_import_rows",
    }
    assert {name: cfg for name, cfg in configs.items() if cfg != ["search_path=pg_catalog, pg_temp"]} == {}


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("ALTER FUNCTION md_tenant_role() SET search_path = public, pg_catalog", "md_tenant_role"),
        ("ALTER FUNCTION md_is_client_member(uuid) RESET search_path", "md_is_client_member"),
        ("ALTER FUNCTION md_attach_raw_partition(uuid) OWNER TO md_app", "md_attach_raw_partition"),
        ("GRANT CREATE ON SCHEMA public TO md_app", "CREATE on schema public"),
    ],
    ids=["unsafe-search-path", "no-search-path", "owned-by-app-role", "app-role-may-create"],
)
def test_validate_fails_for_a_definer_function_the_app_can_subvert(
    empty_db: str, sql: str, expected: str
) -> None:
    problems = _validate_after(empty_db, sql)
    assert any(expected in p for p in problems), problems


def test_validate_fails_for_a_definer_function_owned_by_a_member_login(empty_db: str) -> None:
    role = f"md_t_owner_{uuid.uuid4().hex[:6]}"
    try:
        problems = _validate_after(
            empty_db,
            f'CREATE ROLE "{role}" LOGIN; GRANT md_app TO "{role}";'
            f' ALTER FUNCTION md_tenant_role() OWNER TO "{role}"',
        )
        assert any("md_tenant_role" in p and role in p for p in problems), problems
    finally:
        with psycopg.connect(_libpq(empty_db), autocommit=True) as conn:
            conn.execute(
                f'REASSIGN OWNED BY "{role}" TO CURRENT_USER; DROP OWNED BY "{role}"; DROP ROLE "{role}"'
            )


def _function_definitions(conn: psycopg.Connection) -> dict[str, str]:
    rows = conn.execute(
        "SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid) FROM pg_proc p"
        " JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'public' AND p.proname LIKE 'md\\_%'"
    ).fetchall()
    return dict(rows)


def _catalog_state(url: str) -> dict[str, object]:
    """Functions, policies, partition constraints and grants that 0002 changes."""
    with psycopg.connect(_libpq(url)) as conn:
        return {
            "functions": _function_definitions(conn),
            "policies": conn.execute(
                "SELECT tablename, policyname, cmd, qual, with_check FROM pg_policies"
                " WHERE schemaname = 'public' ORDER BY 1, 2"
            ).fetchall(),
            "constraints": conn.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"
            ).fetchall(),
            "function_acls": conn.execute(  # as a set: NULL means the default ACL
                "SELECT oid::regprocedure::text,"
                " (SELECT array_agg(a::text ORDER BY a::text)"
                "    FROM unnest(coalesce(proacl, acldefault('f', proowner))) a)"
                " FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1"
            ).fetchall(),
        }


def test_upgrade_from_0001_secures_existing_imports_and_downgrade_restores_it(
    empty_db: str, role_url: Callable[[str, str], str]
) -> None:
    """A database at 0001 with an import upgrades (tenant CHECK dropped), and downgrades back."""
    migrate.upgrade(empty_db, "0001")
    role = f"md_t_mig_{uuid.uuid4().hex[:6]}"
    admin_engine = create_engine(empty_db)
    app_engine = None
    try:
        with admin_engine.begin() as conn:
            conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        member = tenancy.grant(
            sessionmaker(admin_engine), engagement_name="E", client_name="C", db_role=role, role="lead"
        )
        ref = member.engagement
        app_engine = create_engine(role_url(empty_db, role))
        with UnitOfWork(sessionmaker(app_engine), Tenant(ref.client_account_id, ref.engagement_id)) as uow:
            imp = DataImport(
                client_account_id=ref.client_account_id,
                engagement_id=ref.engagement_id,
                filename="x.csv",
                status="completed",
                columns=["a"],
            )
            uow.session.add(imp)
            uow.session.flush()
            part = uow.session.execute(text("SELECT md_create_raw_partition(:i)"), {"i": imp.id}).scalar_one()
            uow.session.execute(
                text(
                    f"INSERT INTO {part} (id, client_account_id, engagement_id, data_import_id, record_index,"
                    " cells) VALUES (gen_random_uuid(), :c, :e, :i, 2, ARRAY['web01'])"
                ),
                {"c": ref.client_account_id, "e": ref.engagement_id, "i": imp.id},
            )
            uow.session.execute(text("SELECT md_attach_raw_partition(:i)"), {"i": imp.id})
            imp_id = imp.id
            uow.commit()
        at_0001 = _catalog_state(empty_db)
        assert any(name == f"{part}_tenant" for _t, name, _d in at_0001["constraints"])

        migrate.upgrade(empty_db)
        upgraded = _catalog_state(empty_db)
        assert not any(name.endswith("_tenant") for _t, name, _d in upgraded["constraints"])
        assert schema_differences(admin_engine) == []
        with UnitOfWork(sessionmaker(app_engine), Tenant(ref.client_account_id, ref.engagement_id)) as uow:
            cells = uow.session.execute(
                text("SELECT cells FROM raw_import_records WHERE data_import_id = :i"), {"i": imp_id}
            ).scalar_one()
        assert cells == ["web01"]  # the import's rows are still there, through the parent

        migrate.downgrade(empty_db, "0001")
        assert _catalog_state(empty_db) == at_0001
        migrate.upgrade(empty_db)
        assert _catalog_state(empty_db) == upgraded
    finally:
        if app_engine is not None:
            app_engine.dispose()
        admin_engine.dispose()
        with psycopg.connect(_libpq(empty_db), autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}"; DROP ROLE "{role}"')
