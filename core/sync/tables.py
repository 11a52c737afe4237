"""Which tables sync, in what order, and how their rows are compared.

Why one list: the triggers of schema 0010 log changes of exactly these tables (a test compares the
two), the push applies parents before children in this order and deletes children first, and the
pull replays in the same order. Order comes from the models' foreign keys (`sorted_tables`).
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Table

from core.db.base import Base

#: tenant tables whose rows sync (the migration's SYNCED_TABLES), plus the import's raw records
SYNCED_TABLES: frozenset[str] = frozenset(
    {
        "data_imports",
        "import_field_mappings",
        "mapping_memory",
        "import_quality_reports",
        "master_flows",
        "discovery_flows",
        "flow_events",
        "flow_checkpoints",
        "flow_archive",
        "assets",
        "asset_details",
        "asset_dependencies",
        "asset_merge_decisions",
        "asset_distinct_decisions",
        "techdebt_findings",
        "infrastructure_services",
        "infrastructure_overrides",
        "move_groups",
        "move_group_members",
        "sixr_recommendations",
        "sixr_overrides",
        "waves",
        "wave_members",
        "crew_outputs",
    }
)
#: an import's raw records travel as one unit with their import (any number of rows, COPY)
RECORDS = "raw_import_records"
#: rows written once and never changed (the audit log): a row already there is left as it is
APPEND_ONLY: frozenset[str] = frozenset({"flow_events"})


@cache
def ordered() -> tuple[Table, ...]:
    """The synced tables, each after the tables it references."""
    import core.db.models  # noqa: F401 - registers every table on the metadata

    return tuple(t for t in Base.metadata.sorted_tables if t.name in SYNCED_TABLES)


@cache
def table(name: str) -> Table:
    for t in ordered():
        if t.name == name:
            return t
    raise KeyError(f"{name!r} is not a synced table")


@cache
def user_columns(name: str) -> tuple[str, ...]:
    """Columns of a synced table that name a consultant (`users.id`): rewritten between the
    laptop's user id and the server's, which differ for the same person."""
    t = table(name)
    return tuple(c.name for c in t.columns if any(fk.column.table.name == "users" for fk in c.foreign_keys))


@cache
def parents(name: str) -> tuple[tuple[str, str], ...]:
    """(column, synced table it references) of `name`'s foreign keys between synced tables: what
    must be on the server before one of its rows can be."""
    t = table(name)
    return tuple(
        (fk.parent.name, fk.column.table.name)
        for fk in t.foreign_keys
        if fk.column.table.name in SYNCED_TABLES
    )


@cache
def cascading_children(name: str) -> tuple[tuple[str, str], ...]:
    """(synced table, column) whose rows a deletion of a `name` row deletes with it (ON DELETE
    CASCADE): what a pulled deletion takes away on the laptop."""
    return tuple(
        (t.name, fk.parent.name)
        for t in ordered()
        for fk in t.foreign_keys
        if fk.column.table.name == name and (fk.ondelete or "").upper() == "CASCADE"
    )


@cache
def natural_keys(name: str) -> tuple[tuple[str, ...], ...]:
    """Column sets of `name` that are unique besides its id (constraints and unique indexes): two
    rows made apart with the same values there are the same thing (see `core.sync.rows`)."""
    from sqlalchemy import UniqueConstraint

    t = table(name)
    keys = [tuple(c.name for c in con.columns) for con in t.constraints if isinstance(con, UniqueConstraint)]
    keys += [tuple(c.name for c in index.columns) for index in t.indexes if index.unique]
    return tuple(k for k in dict.fromkeys(keys) if k and k != ("id",))


def position(name: str) -> int:
    """Apply order; the raw records come right after their import."""
    names = [t.name for t in ordered()]
    if name == RECORDS:
        return names.index("data_imports") + 1
    return names.index(name) + (1 if names.index(name) > names.index("data_imports") else 0)
