"""SECURITY DEFINER functions cannot be fooled by a consultant's own objects (issue 10, part 1).

Each test logs in as a consultant with their own PostgreSQL role on a real server and runs the
attack from the issue: TEMP tables named `users`, `engagement_members` and `data_imports` (a
session's `pg_temp` schema is searched before `public` unless a function names it last) that
claim a lead's membership of another client's engagement. Whatever the functions and policies
then do, the other tenant's rows are neither read nor changed, and no partition is created,
attached or altered for them. The schema owner (the admin connection) checks the outcome.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from core import tenancy
from core.bootstrap import Core
from core.config import Identity, Settings
from core.db import migrate
from core.db.database import Database
from core.imports import import_file
from core.uow import Tenant, UnitOfWork

from .test_isolation import TENANT_TABLES, populate

ROOT_TABLES = ("client_accounts", "engagements", "engagement_members", "users")
FAKE_USER = uuid.UUID("00000000-0000-0000-0000-000000000001")


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass
class Estate:
    """Client A (Alice leads, Vera views) and client B (Bob leads, with rows and one real import)."""

    admin_url: str
    urls: dict[str, str]  # libpq URL per consultant
    a: tenancy.EngagementRef
    b: tenancy.EngagementRef
    rows: dict[str, dict[str, uuid.UUID]]  # "a"/"b" -> table -> a row id
    b_import: uuid.UUID  # imported through the real import path: its own attached partition

    def ref(self, which: str) -> tenancy.EngagementRef:
        return self.a if which == "a" else self.b

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(_libpq(self.admin_url), autocommit=True)


@pytest.fixture
def estate(
    make_database: Callable[[], str], role_url: Callable[[str, str], str], tmp_path: Path
) -> Iterator[Estate]:
    admin_url = make_database()
    migrate.upgrade(admin_url)
    suffix = uuid.uuid4().hex[:6]
    roles = {name: f"md_t_{name}_{suffix}" for name in ("alice", "vera", "bob")}
    admin_engine = create_engine(admin_url)
    with admin_engine.begin() as conn:
        for role in roles.values():
            conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    admin = sessionmaker(admin_engine)
    a = tenancy.grant(
        admin, engagement_name="EA", client_name="Client A", db_role=roles["alice"], role="lead"
    )
    tenancy.grant(admin, engagement_name="EA", client_name="Client A", db_role=roles["vera"], role="viewer")
    b = tenancy.grant(admin, engagement_name="EB", client_name="Client B", db_role=roles["bob"], role="lead")
    urls = {name: role_url(admin_url, role) for name, role in roles.items()}
    engines = {name: create_engine(url) for name, url in urls.items()}
    rows = {}
    for which, who, member in (("a", "alice", a), ("b", "bob", b)):
        ref = member.engagement
        with UnitOfWork(sessionmaker(engines[who]), Tenant(ref.client_account_id, ref.engagement_id)) as uow:
            rows[which] = populate(uow)
    bob_db = Database(mode="shared", app_url=urls["bob"], admin_url=admin_url)
    bob = Core(
        settings=Settings(data_dir=tmp_path, database_url=urls["bob"]),
        db=bob_db,
        identity=Identity("Bob", "bob@example.com"),
        user_id=b.user_id,
    )
    csv_path = tmp_path / "b_servers.csv"
    csv_path.write_text("Name,IP\nb-web01,10.9.0.1\nb-db01,10.9.0.2\n", encoding="utf-8")
    b_ref = b.engagement
    b_tenant = Tenant(b_ref.client_account_id, b_ref.engagement_id, b.user_id)
    imported = import_file(bob.uows, b_tenant, csv_path)
    bob_db.close()
    yield Estate(
        admin_url=admin_url,
        urls={name: _libpq(url) for name, url in urls.items()},
        a=a.engagement,
        b=b_ref,
        rows=rows,
        b_import=imported.import_id,
    )
    for engine in [*engines.values(), admin_engine]:
        engine.dispose()
    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        for role in roles.values():
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')


def _set_tenant(conn: psycopg.Connection, ref: tenancy.EngagementRef) -> None:
    conn.execute(
        "SELECT set_config('app.client_account_id', %s, true), set_config('app.engagement_id', %s, true)",
        (str(ref.client_account_id), str(ref.engagement_id)),
    )


def _shadow(conn: psycopg.Connection, victim: tenancy.EngagementRef, *imports: uuid.UUID) -> None:
    """The attack from the issue: TEMP tables that make this login a lead of `victim`."""
    conn.execute("CREATE TEMP TABLE users (id uuid, display_name text, email text, db_role text)")
    conn.execute(
        "CREATE TEMP TABLE engagement_members"
        " (engagement_id uuid, client_account_id uuid, user_id uuid, role text)"
    )
    conn.execute("CREATE TEMP TABLE data_imports (id uuid, client_account_id uuid, engagement_id uuid)")
    conn.execute("INSERT INTO pg_temp.users VALUES (%s, 'x', 'x@x', current_user)", (FAKE_USER,))
    conn.execute(
        "INSERT INTO pg_temp.engagement_members VALUES (%s, %s, %s, 'lead')",
        (victim.engagement_id, victim.client_account_id, FAKE_USER),
    )
    for imp in imports:
        conn.execute(
            "INSERT INTO pg_temp.data_imports VALUES (%s, %s, %s)",
            (imp, victim.client_account_id, victim.engagement_id),
        )
    conn.commit()


@pytest.fixture
def attacker(estate: Estate) -> Callable[[str], psycopg.Connection]:
    """`attacker(name)`: a fresh connection of that consultant's own login role."""
    opened: list[psycopg.Connection] = []

    def connect(name: str) -> psycopg.Connection:
        conn = psycopg.connect(estate.urls[name])
        opened.append(conn)
        return conn

    yield connect
    for conn in opened:
        conn.close()


def snapshot(estate: Estate) -> dict[str, Any]:
    """Every row of both tenants and every partition's catalog state, as the owner sees it."""
    state: dict[str, Any] = {}
    with estate.admin() as conn:
        for table in (*TENANT_TABLES, *ROOT_TABLES):
            state[table] = conn.execute(
                sql.SQL(
                    "SELECT coalesce(json_agg(row_to_json(t)::text ORDER BY t::text), '[]') FROM {} t"
                ).format(sql.Identifier("public", table))
            ).fetchone()
        state["relations"] = conn.execute(
            "SELECT c.relname, c.relkind, c.relispartition, c.relacl::text,"
            " pg_get_expr(c.relpartbound, c.oid),"
            " (SELECT array_agg(conname::text ORDER BY conname) FROM pg_constraint WHERE conrelid = c.oid)"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' ORDER BY c.relname"
        ).fetchall()
    return state


# --- reads -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        ("md_tenant_role()", None),
        ("md_is_engagement_member(%(engagement)s)", False),
        ("md_is_client_member(%(client)s)", False),
    ],
)
def test_shadowed_membership_gives_no_role_in_another_engagement(
    estate: Estate, attacker: Callable[[str], psycopg.Connection], function: str, expected: object
) -> None:
    conn = attacker("alice")
    _shadow(conn, estate.b)
    _set_tenant(conn, estate.b)
    args = {"engagement": estate.b.engagement_id, "client": estate.b.client_account_id}
    assert conn.execute(f"SELECT public.{function}", args).fetchone() == (expected,)
    # the shadow really is what unqualified names resolve to in this session
    assert conn.execute("SELECT count(*) FROM users").fetchone() == (1,)


def test_shadowed_membership_reads_no_row_of_another_client(
    estate: Estate, attacker: Callable[[str], psycopg.Connection]
) -> None:
    conn = attacker("alice")
    _shadow(conn, estate.b)
    _set_tenant(conn, estate.b)
    b = estate.b
    seen = {
        table: conn.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("public", table))
        ).fetchone()[0]
        for table in TENANT_TABLES
    }
    assert seen == dict.fromkeys(TENANT_TABLES, 0)
    roots = {
        "client_accounts": ("id", b.client_account_id),
        "engagements": ("client_account_id", b.client_account_id),
        "engagement_members": ("client_account_id", b.client_account_id),
    }
    for table, (column, value) in roots.items():
        count = conn.execute(
            sql.SQL("SELECT count(*) FROM {} WHERE {} = %s").format(
                sql.Identifier("public", table), sql.Identifier(column)
            ),
            (value,),
        ).fetchone()
        assert count == (0,), table
    # the raw rows of B's real import are out of reach too, through the parent and directly
    assert conn.execute(
        "SELECT count(*) FROM public.raw_import_records WHERE data_import_id = %s", (estate.b_import,)
    ).fetchone() == (0,)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("public", _partition(estate.b_import)))
        )


# --- writes ------------------------------------------------------------------------------------


def _partition(import_id: uuid.UUID) -> str:
    return "raw_import_records_" + import_id.hex


def _try(conn: psycopg.Connection, statement: sql.Composable | str, params: object = None) -> int:
    """Run one write in a savepoint; the rows it changed (0 when refused)."""
    try:
        with conn.transaction():
            return conn.execute(statement, params).rowcount
    except psycopg.Error:
        return 0


@pytest.mark.parametrize(
    ("who", "victim"),
    [("alice", "b"), ("vera", "a")],
    ids=["lead-of-A-writes-B", "viewer-of-A-writes-A"],
)
def test_shadowed_membership_writes_nothing(
    estate: Estate, attacker: Callable[[str], psycopg.Connection], who: str, victim: str
) -> None:
    ref = estate.ref(victim)
    victim_rows = estate.rows[victim]
    with estate.admin() as admin:
        originals = {
            table: admin.execute(
                sql.SQL("SELECT row_to_json(t)::text FROM {} t WHERE id = %s").format(
                    sql.Identifier("public", table)
                ),
                (row_id,),
            ).fetchone()[0]
            for table, row_id in victim_rows.items()
        }
    before = snapshot(estate)
    conn = attacker(who)
    _shadow(conn, ref)
    _set_tenant(conn, ref)
    changed: dict[str, int] = {}
    for table, row_id in victim_rows.items():
        target = sql.Identifier("public", table)
        copy = {**json.loads(originals[table]), "id": str(uuid.uuid4())}
        changed[f"insert {table}"] = _try(
            conn,
            sql.SQL("INSERT INTO {t} SELECT * FROM json_populate_record(NULL::{t}, %s::json)").format(
                t=target
            ),
            (json.dumps(copy),),
        )
        changed[f"update {table}"] = _try(
            conn, sql.SQL("UPDATE {} SET updated_at = now() WHERE id = %s").format(target), (row_id,)
        )
        changed[f"delete {table}"] = _try(
            conn, sql.SQL("DELETE FROM {} WHERE id = %s").format(target), (row_id,)
        )
    client, engagement = ref.client_account_id, ref.engagement_id
    changed["update client_accounts"] = _try(
        conn, "UPDATE public.client_accounts SET name = 'owned' WHERE id = %s", (client,)
    )
    changed["insert engagements"] = _try(
        conn,
        "INSERT INTO public.engagements (id, client_account_id, name) VALUES (%s, %s, 'x')",
        (uuid.uuid4(), client),
    )
    changed["update engagement_members"] = _try(
        conn, "UPDATE public.engagement_members SET role = 'lead' WHERE engagement_id = %s", (engagement,)
    )
    changed["delete engagement_members"] = _try(
        conn, "DELETE FROM public.engagement_members WHERE engagement_id = %s", (engagement,)
    )
    changed["update users"] = _try(
        conn, "UPDATE public.users SET display_name = 'owned' WHERE db_role <> current_user"
    )
    conn.commit()
    assert {k: v for k, v in changed.items() if v} == {}
    assert snapshot(estate) == before


# --- partitions ----------------------------------------------------------------------------------


def _relation(estate: Estate, name: str) -> tuple[Any, ...] | None:
    with estate.admin() as conn:
        return conn.execute(
            "SELECT c.relispartition, c.relacl::text,"
            " (SELECT array_agg(conname::text ORDER BY conname) FROM pg_constraint WHERE conrelid = c.oid)"
            " FROM pg_class c WHERE c.oid = to_regclass(%s)",
            (f"public.{name}",),
        ).fetchone()


def test_shadowed_import_gets_no_partition_in_another_engagement(
    estate: Estate, attacker: Callable[[str], psycopg.Connection]
) -> None:
    """The issue's injection: a temp `data_imports` row lets a partition of forged rows attach to B."""
    fake = uuid.uuid4()
    before = snapshot(estate)
    conn = attacker("alice")
    _shadow(conn, estate.b, fake)
    _set_tenant(conn, estate.b)
    with pytest.raises(psycopg.Error), conn.transaction():
        conn.execute("SELECT public.md_create_raw_partition(%s)", (fake,))
    with pytest.raises(psycopg.Error), conn.transaction():
        conn.execute("SELECT public.md_attach_raw_partition(%s)", (fake,))
    conn.commit()
    assert _relation(estate, _partition(fake)) is None
    assert snapshot(estate) == before


def test_a_forged_import_of_my_own_engagement_gets_no_partition(
    estate: Estate, attacker: Callable[[str], psycopg.Connection]
) -> None:
    """A lead of A with a temp `data_imports` row naming an import that does not exist."""
    fake = uuid.uuid4()
    conn = attacker("alice")
    _shadow(conn, estate.a, fake)
    _set_tenant(conn, estate.a)
    with pytest.raises(psycopg.Error, match="not part of this engagement"):
        conn.execute("SELECT public.md_create_raw_partition(%s)", (fake,))
    conn.rollback()
    assert _relation(estate, _partition(fake)) is None


def _insert_import(conn: psycopg.Connection, ref: tenancy.EngagementRef, imp: uuid.UUID) -> None:
    """A `data_imports` row in progress, as the import service writes it before loading rows."""
    conn.execute(
        "INSERT INTO public.data_imports (id, client_account_id, engagement_id, filename, status,"
        " columns, import_metadata, total_records, processed_records, failed_records)"
        " VALUES (%s, %s, %s, 'b.csv', 'processing', ARRAY['Name'], '{}', 0, 0, 0)",
        (imp, ref.client_account_id, ref.engagement_id),
    )


@pytest.fixture
def b_loading(estate: Estate) -> uuid.UUID:
    """A B import whose partition Bob created and committed but has not attached (holds one row)."""
    imp = uuid.uuid4()
    with psycopg.connect(estate.urls["bob"]) as conn:
        _set_tenant(conn, estate.b)
        _insert_import(conn, estate.b, imp)
        part = conn.execute("SELECT public.md_create_raw_partition(%s)", (imp,)).fetchone()[0]
        conn.execute(
            sql.SQL(
                "INSERT INTO {} (id, client_account_id, engagement_id, data_import_id, record_index, cells)"
                " VALUES (gen_random_uuid(), %s, %s, %s, 2, ARRAY['b-secret'])"
            ).format(sql.Identifier("public", part)),
            (estate.b.client_account_id, estate.b.engagement_id, imp),
        )
    return imp


def test_attaching_another_tenants_partition_is_refused_with_no_side_effect(
    estate: Estate, attacker: Callable[[str], psycopg.Connection], b_loading: uuid.UUID
) -> None:
    """Alice, a real lead of A, names B's imports: refused before any REVOKE or ATTACH."""
    before = snapshot(estate)
    loading_before = _relation(estate, _partition(b_loading))
    attached_before = _relation(estate, _partition(estate.b_import))
    assert loading_before is not None and loading_before[0] is False
    assert attached_before is not None and attached_before[0] is True
    conn = attacker("alice")
    for imp in (b_loading, estate.b_import):
        _set_tenant(conn, estate.a)
        with pytest.raises(psycopg.Error, match="not part of this engagement"):
            conn.execute("SELECT public.md_attach_raw_partition(%s)", (imp,))
        conn.rollback()
        _set_tenant(conn, estate.a)
        with pytest.raises(psycopg.Error, match="not part of this engagement"):
            conn.execute("SELECT public.md_create_raw_partition(%s)", (imp,))
        conn.rollback()
    # and with the shadow tables making her a lead of B
    _shadow(conn, estate.b, b_loading, estate.b_import)
    for imp in (b_loading, estate.b_import):
        _set_tenant(conn, estate.b)
        with pytest.raises(psycopg.Error):
            conn.execute("SELECT public.md_attach_raw_partition(%s)", (imp,))
        conn.rollback()
    assert _relation(estate, _partition(b_loading)) == loading_before
    assert _relation(estate, _partition(estate.b_import)) == attached_before
    assert snapshot(estate) == before


def test_nobody_but_the_importer_may_load_an_unattached_partition(
    estate: Estate, attacker: Callable[[str], psycopg.Connection], b_loading: uuid.UUID
) -> None:
    """The load grant of a partition goes to the importing login, not to every `md_app` member."""
    conn = attacker("alice")
    _set_tenant(conn, estate.a)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(
            sql.SQL(
                "INSERT INTO {} (id, client_account_id, engagement_id, data_import_id, record_index, cells)"
                " VALUES (gen_random_uuid(), %s, %s, %s, 3, ARRAY['forged'])"
            ).format(sql.Identifier("public", _partition(b_loading))),
            (estate.b.client_account_id, estate.b.engagement_id, b_loading),
        )


def test_the_drop_trigger_function_cannot_be_borrowed(
    estate: Estate, attacker: Callable[[str], psycopg.Connection]
) -> None:
    """`md_drop_import_rows` on a temp table of the attacker's must not drop B's partition."""
    before = snapshot(estate)
    conn = attacker("alice")
    try:
        conn.execute("CREATE TEMP TABLE bait (id uuid)")
        conn.execute(
            "CREATE TRIGGER bait_drop AFTER DELETE ON pg_temp.bait FOR EACH ROW"
            " EXECUTE FUNCTION public.md_drop_import_rows()"
        )
        conn.execute(
            "INSERT INTO pg_temp.bait VALUES (%s), (%s)", (estate.b_import, estate.rows["b"]["data_imports"])
        )
        conn.execute("DELETE FROM pg_temp.bait")
        conn.commit()
    except psycopg.Error:
        conn.rollback()
    assert _relation(estate, _partition(estate.b_import)) is not None
    assert snapshot(estate) == before
    # even a role that may execute it (the owner) cannot fire it from any other table
    with estate.admin() as admin:
        admin.execute("CREATE TEMP TABLE bait (id uuid)")
        admin.execute(
            "CREATE TRIGGER bait_drop AFTER DELETE ON pg_temp.bait FOR EACH ROW"
            " EXECUTE FUNCTION public.md_drop_import_rows()"
        )
        admin.execute("INSERT INTO pg_temp.bait VALUES (%s)", (estate.b_import,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="only as the delete trigger"):
            admin.execute("DELETE FROM pg_temp.bait")
    assert _relation(estate, _partition(estate.b_import)) is not None


# --- what the catalog shows ------------------------------------------------------------------------


def _catalog_text(conn: psycopg.Connection) -> str:
    """Names, constraint definitions and partition bounds of every relation in `public`."""
    rows = conn.execute(
        "SELECT c.relname, coalesce(pg_get_expr(c.relpartbound, c.oid), ''),"
        " coalesce((SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), ' ') FROM pg_constraint"
        "           WHERE conrelid = c.oid), '')"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
    ).fetchall()
    return "\n".join(" ".join(r) for r in rows)


def _tenant_ids(ref: tenancy.EngagementRef) -> set[str]:
    ids = (ref.client_account_id, ref.engagement_id)
    return {str(i) for i in ids} | {i.hex for i in ids}


def test_the_catalog_names_no_other_tenant(
    estate: Estate, attacker: Callable[[str], psycopg.Connection]
) -> None:
    """After B's import, and while another B import is loading, nothing in the catalog names B."""
    conn = attacker("alice")
    catalog = _catalog_text(conn)
    assert _partition(estate.b_import) in catalog  # the import's partition is there (by import id)
    assert not {i for i in _tenant_ids(estate.b) if i in catalog}
    with psycopg.connect(estate.urls["bob"]) as bob:
        _set_tenant(bob, estate.b)
        imp = uuid.uuid4()
        _insert_import(bob, estate.b, imp)
        bob.execute("SELECT public.md_create_raw_partition(%s)", (imp,))
        assert {i for i in _tenant_ids(estate.b) if i in _catalog_text(bob)}  # Bob's own transaction sees it
        conn.rollback()
        catalog = _catalog_text(conn)
        assert _partition(imp) not in catalog
        assert not {i for i in _tenant_ids(estate.b) if i in catalog}
        bob.rollback()
