"""`db validate`: every difference between the live schema and the models, plus policy checks.

Beyond Alembic's model comparison it fails on leftovers of the old web version (`v3_` tables,
`is_mock` columns) and on any table without forced row-level security — so a tenant table added
without RLS cannot slip through. It also fails on any SECURITY DEFINER function a consultant's
login could subvert (see `definer_problems`), because one such function undoes every policy.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, text

from core.db import migrate
from core.db.models import Base

IGNORED_TABLES = {"alembic_version"}
RAW_PARTITION_PREFIX = "raw_import_records_"  # one partition per import plus the default one


def _is_model_table(name: str) -> bool:
    return name not in IGNORED_TABLES and not name.startswith(RAW_PARTITION_PREFIX)


APP_ROLE = "md_app"
APP_SCHEMA = "public"

# Roles that are md_app or log in through it, and roles md_app can act as: an owner among either
# lets a consultant's login CREATE OR REPLACE the function.
_APP_ROLES = """
WITH RECURSIVE members(oid) AS (
    SELECT oid FROM pg_roles WHERE rolname = :r
  UNION
    SELECT m.member FROM pg_auth_members m JOIN members ON m.roleid = members.oid
), memberships(oid) AS (
    SELECT oid FROM pg_roles WHERE rolname = :r
  UNION
    SELECT m.roleid FROM pg_auth_members m JOIN memberships ON m.member = memberships.oid
)
"""


def _describe(diff: object) -> str:
    if isinstance(diff, list):  # column modifications come as a list of tuples
        return "; ".join(_describe(d) for d in diff)
    if not isinstance(diff, tuple) or not diff:
        return str(diff)
    kind = diff[0]
    if kind in ("add_table", "remove_table"):
        verb = "missing table" if kind == "add_table" else "unexpected table"
        return f"{verb} {diff[1].name}"
    if kind in ("add_column", "remove_column"):
        verb = "missing column" if kind == "add_column" else "unexpected column"
        return f"{verb} {diff[2]}.{diff[3].name}"
    if kind in ("add_index", "remove_index"):
        verb = "missing index" if kind == "add_index" else "unexpected index"
        return f"{verb} {diff[1].name} on {diff[1].table.name}"
    if kind in ("add_constraint", "remove_constraint", "add_fk", "remove_fk"):
        verb = "missing" if kind.startswith("add") else "unexpected"
        return f"{verb} constraint {diff[1].name} on {diff[1].table.name}"
    if kind.startswith("modify_"):
        _, _schema, table, column, _info, old, new = diff
        return f"{table}.{column}: {kind[7:]} is {old!r}, the model says {new!r}"
    return repr(diff)


def schema_differences(engine: Engine) -> list[str]:
    """Human-readable differences; empty when the live schema matches the models and policies."""
    problems: list[str] = []
    with engine.connect() as conn:
        current = migrate.current_revision(conn)
        head = migrate.head_revision()
        if current != head:
            problems.append(f"schema revision is {current or 'none'}, expected {head}")
        ctx = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_name": lambda name, type_, parent: type_ != "table" or _is_model_table(name),
            },
        )
        problems += [_describe(d) for d in compare_metadata(ctx, Base.metadata)]

        tables = conn.execute(
            text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner)"
                " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
            )
        ).all()
        for name, rls, forced, _owner in tables:
            if name in IGNORED_TABLES:
                continue
            if name.lower().startswith("v3_"):
                problems.append(f"legacy table {name} must not exist")
            if not (rls and forced):
                problems.append(f"table {name} does not have row-level security enabled and forced")
            policies = conn.execute(
                text("SELECT count(*) FROM pg_policies WHERE schemaname = 'public' AND tablename = :t"),
                {"t": name},
            ).scalar_one()
            if policies == 0:
                problems.append(f"table {name} has no row-level security policy")
        # Partitions are reached only through their parent (and its policies): the application
        # role must hold no privilege on any of them.
        exposed = (
            conn.execute(
                text(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = 'public' AND c.relispartition"
                    " AND has_table_privilege(:r, c.oid, 'SELECT, INSERT, UPDATE, DELETE')"
                ),
                {"r": APP_ROLE},
            )
            .scalars()
            .all()
        )
        problems += [f"partition {t} is directly accessible to {APP_ROLE}" for t in exposed]
        for table, column in conn.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE table_schema = 'public' AND lower(column_name) = 'is_mock'"
            )
        ):
            problems.append(f"column {table}.{column} must not exist (no mock data in the product)")
        role = conn.execute(
            text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE}
        ).first()
        if role is None:
            problems.append(f"application role {APP_ROLE} is missing")
        elif role[0] or role[1]:
            problems.append(f"application role {APP_ROLE} must not be superuser or bypass RLS")
        owned = (
            conn.execute(
                text(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = :r"
                ),
                {"r": APP_ROLE},
            )
            .scalars()
            .all()
        )
        problems += [f"application role {APP_ROLE} owns {t}; it must own nothing" for t in owned]
        problems += definer_problems(conn)
    return problems


def _search_path(config: list[str] | None) -> str | None:
    """The `SET search_path` a function carries (`proconfig`), if any."""
    for setting in config or []:
        name, _, value = setting.partition("=")
        if name == "search_path":
            return value
    return None


def _ends_in_pg_temp(search_path: str | None) -> bool:
    return search_path is not None and search_path.split(",")[-1].strip().strip('"') == "pg_temp"


def definer_problems(conn: Connection) -> list[str]:
    """Owner-privileged functions of the app's schema that a consultant's login could subvert.

    PostgreSQL searches a session's `pg_temp` first unless the search_path names it last, so a
    SECURITY DEFINER function without `search_path = ..., pg_temp` can be fed a login's TEMP
    tables; one the app role can replace (it or a login owns it, or may CREATE in its schema) is
    the login's own code running as the owner. Helpers the policies call must not depend on the
    caller's search_path either (a pinned path, or a SQL-standard body bound at creation).
    """
    problems: list[str] = []
    params = {"r": APP_ROLE, "s": APP_SCHEMA}
    functions = conn.execute(
        text(
            _APP_ROLES
            + "SELECT p.oid::regprocedure::text, p.prosecdef, p.proconfig, p.prosqlbody IS NOT NULL,"
            " pg_get_userbyid(p.proowner),"
            " p.proowner IN (SELECT oid FROM members UNION SELECT oid FROM memberships),"
            " has_schema_privilege(:r, p.pronamespace, 'CREATE'),"
            " p.proacl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0)"
            " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = :s AND (p.prosecdef OR p.proname LIKE 'md\\_%')"
        ),
        params,
    ).all()
    for name, definer, config, sql_body, owner, app_owned, app_creates, public_exec in functions:
        search_path = _search_path(config)
        pinned = _ends_in_pg_temp(search_path)
        if not definer:
            if not (pinned or sql_body):
                problems.append(
                    f"function {name} resolves names with the caller's search_path:"
                    " give it a SQL-standard body (BEGIN ATOMIC) or SET search_path = pg_catalog, pg_temp"
                )
            continue
        if not pinned:
            problems.append(
                f"SECURITY DEFINER function {name} must SET search_path = pg_catalog, pg_temp"
                f" (pg_temp last); it has {search_path or 'none, so the caller chooses'}"
            )
        if app_owned:
            problems.append(
                f"SECURITY DEFINER function {name} is owned by {owner}, which {APP_ROLE} logins can act as:"
                " the app role could replace it"
            )
        if app_creates:
            problems.append(
                f"SECURITY DEFINER function {name}: {APP_ROLE} may CREATE in its schema and plant objects"
            )
        if public_exec:
            problems.append(
                f"SECURITY DEFINER function {name} is executable by PUBLIC; revoke EXECUTE from PUBLIC"
            )
    creators = conn.execute(
        text(
            _APP_ROLES + "SELECT r.rolname FROM pg_roles r WHERE r.oid IN (SELECT oid FROM members)"
            " AND NOT r.rolsuper AND has_schema_privilege(r.oid, :s, 'CREATE') ORDER BY 1"
        ),
        params,
    ).scalars()
    problems += [f"{role} has CREATE on schema {APP_SCHEMA}; revoke it" for role in creators]
    grants = conn.execute(
        text(
            "SELECT DISTINCT c.relname,"
            " CASE a.grantee WHEN 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a"
            " WHERE n.nspname = :s AND c.relispartition AND a.grantee <> c.relowner ORDER BY 1, 2"
        ),
        params,
    ).all()
    problems += [
        f"partition {t} grants privileges to {who}; reach it only through its parent" for t, who in grants
    ]
    return problems
