"""`db validate`: every difference between the live schema and the models, plus policy checks.

Beyond Alembic's model comparison it fails on leftovers of the old web version (`v3_` tables,
`is_mock` columns) and on any table without forced row-level security — so a tenant table added
without RLS cannot slip through.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text

from core.db import migrate
from core.db.models import Base

IGNORED_TABLES = {"alembic_version"}
RAW_PARTITION_PREFIX = "raw_import_records_"  # one partition per import plus the default one


def _is_model_table(name: str) -> bool:
    return name not in IGNORED_TABLES and not name.startswith(RAW_PARTITION_PREFIX)


APP_ROLE = "md_app"


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
    return problems
