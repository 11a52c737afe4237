"""Moving rows of one synced table from one database to the other, and what conflicts on the way.

Why through TEMP tables: PostgreSQL refuses COPY FROM into a table with row-level security, so
rows arrive by binary COPY into a TEMP copy of the table (`LIKE`), get their consultant ids
rewritten (the same person has a different `users.id` on each side), and are then written with
one `INSERT … SELECT … ON CONFLICT (id) DO UPDATE` under the target's policies. A row whose
target copy changed since the version the sender based its change on (`updated_at`) is a
conflict: it is not written, and both values are returned for the consultant.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

import psycopg
from psycopg import sql

from core.sync import tables
from core.sync.records import relay

COPY_CHUNK = 1 << 20


@dataclass(frozen=True)
class Conflict:
    table: str
    row_id: uuid.UUID
    incoming: dict[str, Any]
    existing: dict[str, Any]
    existing_updated_at: dt.datetime | None
    #: who made the server's side (its change log's last writer; filled in by the engine)
    changed_by: str | None = None


def _columns(table: str) -> list[str]:
    return [c.name for c in tables.table(table).columns] if table != tables.RECORDS else []


def stream(src: psycopg.Cursor, dst: psycopg.Cursor, select: sql.Composable, target: sql.Composable) -> int:
    """Binary COPY of `select` on `src` into `target` on `dst`; bytes moved."""
    moved = 0
    with (
        src.copy(sql.SQL("COPY ({}) TO STDOUT (FORMAT binary)").format(select)) as out,
        dst.copy(sql.SQL("COPY {} FROM STDIN (FORMAT binary)").format(target)) as into,
    ):
        moved = relay(out, into)
    return moved


def stage(dst: psycopg.Cursor, table: str) -> sql.Identifier:
    """An empty TEMP copy of `table` on `dst` (dropped at commit)."""
    name = sql.Identifier(f"md_sync_{table}")
    dst.execute(
        sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} (LIKE public.{}) ON COMMIT DROP").format(
            name, sql.Identifier(table)
        )
    )
    dst.execute(sql.SQL("TRUNCATE {}").format(name))
    return name


def rewrite_users(
    dst: psycopg.Cursor, staged: sql.Identifier, table: str, users: dict[uuid.UUID, uuid.UUID]
) -> None:
    """Consultant ids of the sending side → this side's (`users`: sender's id → ours)."""
    for column in tables.user_columns(table):
        for theirs, ours in users.items():
            if theirs != ours:
                dst.execute(
                    sql.SQL("UPDATE {} SET {c} = %s WHERE {c} = %s").format(staged, c=sql.Identifier(column)),
                    (ours, theirs),
                )


def copy_rows(
    src: psycopg.Cursor,
    dst: psycopg.Cursor,
    table: str,
    ids: Sequence[uuid.UUID],
    *,
    bases: dict[uuid.UUID, dt.datetime | None] | None,
    users: dict[uuid.UUID, uuid.UUID],
    doomed: Collection[uuid.UUID] = (),
) -> tuple[int, list[Conflict], int]:
    """Upsert the rows `ids` of `table` from `src` into `dst`.

    `bases`: per row the `updated_at` the change was based on (None: a new row) — rows whose
    target copy has another `updated_at` (and not already ours) are conflicts, left unwritten.
    `bases=None` (a pull: the server's value is authoritative) writes every row. Returns
    (rows written, conflicts, bytes moved).

    A row with another id but the same natural key (a unique constraint: the same learned
    mapping taught on two laptops, one recommendation per asset) is the same thing made twice:
    on a push the server's row stands and ours is a conflict (unless the batch deletes the
    server's — `doomed`); on a pull the server's row replaces ours, and ours is returned among
    the conflicts (its `row_id` is our row's id) for the caller to keep if it was not pushed.
    """
    if not ids:
        return 0, [], 0
    cols = _columns(table)
    staged = stage(dst, table)
    moved = stream(
        src,
        dst,
        sql.SQL("SELECT * FROM public.{} WHERE id = ANY({})").format(
            sql.Identifier(table), sql.Literal(list(ids))
        ),
        staged,
    )
    rewrite_users(dst, staged, table, users)
    conflicts = _clashes(dst, staged, table, pushing=bases is not None, doomed=doomed)
    back = {str(ours): str(theirs) for theirs, ours in users.items()}
    if bases is not None:
        dst.execute(
            sql.SQL(
                "SELECT t.id, to_jsonb(t), to_jsonb(s), t.updated_at, s.updated_at FROM public.{} t"
                " JOIN {} s USING (id)"
            ).format(sql.Identifier(table), staged)
        )
        for row_id, existing, incoming, existing_at, incoming_at in dst.fetchall():
            base = bases.get(row_id)
            if existing_at == incoming_at or (base is not None and existing_at == base):
                continue  # unchanged there since our base (or already ours): ours applies
            if table in tables.APPEND_ONLY:
                continue  # an audit row already there is the same row
            conflicts.append(Conflict(table, row_id, incoming, existing, existing_at))
        # a change based on a version of a row the target no longer has: deleted there meanwhile —
        # the deletion stands (writing ours would bring the row back without anyone knowing)
        dst.execute(
            sql.SQL(
                "SELECT s.id, to_jsonb(s) FROM {} s"
                " WHERE NOT EXISTS (SELECT 1 FROM public.{} t WHERE t.id = s.id)"
            ).format(staged, sql.Identifier(table))
        )
        for row_id, incoming in dst.fetchall():
            if bases.get(row_id) is not None and table not in tables.APPEND_ONLY:
                conflicts.append(Conflict(table, row_id, incoming, {"deleted": True}, None))
        # the kept values speak the sender's consultant ids (re-applying ours writes them back there)
        conflicts = [replace(c, incoming=with_users(c.incoming, table, back)) for c in conflicts]
        if conflicts:
            dst.execute(
                sql.SQL("DELETE FROM {} WHERE id = ANY(%s)").format(staged), ([c.row_id for c in conflicts],)
            )
    col_list = sql.SQL(", ").join(map(sql.Identifier, cols))
    if table in tables.APPEND_ONLY:
        action = sql.SQL("DO NOTHING")
    else:
        updates = sql.SQL(", ").join(
            sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in cols if c != "id"
        )
        action = sql.SQL("DO UPDATE SET {}").format(updates)
    dst.execute(
        sql.SQL("INSERT INTO public.{t} ({cols}) SELECT {cols} FROM {s} ON CONFLICT (id) {action}").format(
            t=sql.Identifier(table), cols=col_list, s=staged, action=action
        )
    )
    return dst.rowcount if dst.rowcount >= 0 else 0, conflicts, moved


def with_users(row: dict[str, Any], table: str, ids: dict[str, str]) -> dict[str, Any]:
    """`row` (a JSON row) with its consultant ids translated by `ids` (those it knows)."""
    out = dict(row)
    for column in tables.user_columns(table):
        if out.get(column) in ids:
            out[column] = ids[out[column]]
    return out


def _clashes(
    dst: psycopg.Cursor, staged: sql.Identifier, table: str, *, pushing: bool, doomed: Collection[uuid.UUID]
) -> list[Conflict]:
    """Staged rows whose natural key `dst` already holds under another id (see `copy_rows`)."""
    found: list[Conflict] = []
    for key in tables.natural_keys(table):
        on = sql.SQL(" AND ").join(sql.SQL("t.{c} = s.{c}").format(c=sql.Identifier(c)) for c in key)
        dst.execute(
            sql.SQL(
                "SELECT s.id, t.id, to_jsonb(s), to_jsonb(t), t.updated_at FROM {s} s"
                " JOIN public.{t} t ON {on} AND t.id <> s.id"
            ).format(s=staged, t=sql.Identifier(table), on=on)
        )
        for incoming_id, existing_id, incoming, existing, existing_at in dst.fetchall():
            elsewhere = existing.get("engagement_id") != incoming.get("engagement_id")
            if pushing and existing_id not in doomed:
                found.append(Conflict(table, incoming_id, incoming, existing, existing_at))
                dst.execute(sql.SQL("DELETE FROM {} WHERE id = %s").format(staged), (incoming_id,))
            elif elsewhere:  # a client-wide row (mapping memory) of another engagement here: ours stays
                dst.execute(sql.SQL("DELETE FROM {} WHERE id = %s").format(staged), (incoming_id,))
            else:  # the server's row replaces ours (a pull), or the batch deletes theirs anyway
                if not pushing:
                    stamp = incoming.get("updated_at")
                    at = dt.datetime.fromisoformat(stamp) if stamp else None
                    found.append(Conflict(table, existing_id, existing, incoming, at))
                gone = sql.SQL("DELETE FROM public.{} WHERE id = %s").format(sql.Identifier(table))
                dst.execute(gone, (existing_id,))
    return found


def delete_rows(
    dst: psycopg.Cursor,
    table: str,
    ids: Sequence[uuid.UUID],
    bases: dict[uuid.UUID, dt.datetime | None] | None,
) -> tuple[int, list[Conflict]]:
    """Delete rows on `dst`; with `bases`, a row changed there since the base is a conflict, kept."""
    if not ids:
        return 0, []
    conflicts: list[Conflict] = []
    keep: set[uuid.UUID] = set()
    if bases is not None:
        dst.execute(
            sql.SQL("SELECT id, to_jsonb(t), updated_at FROM public.{} t WHERE id = ANY(%s)").format(
                sql.Identifier(table)
            ),
            (list(ids),),
        )
        for row_id, existing, existing_at in dst.fetchall():
            base = bases.get(row_id)
            if base is not None and existing_at != base:
                conflicts.append(Conflict(table, row_id, {"deleted": True}, existing, existing_at))
                keep.add(row_id)
    gone = [i for i in ids if i not in keep]
    if gone:
        dst.execute(
            sql.SQL("DELETE FROM public.{} WHERE id = ANY(%s)").format(sql.Identifier(table)), (gone,)
        )
    return len(gone), conflicts


def copy_records(src: psycopg.Cursor, dst: psycopg.Cursor, import_id: uuid.UUID) -> tuple[int, int]:
    """An import's raw records as one unit, in the caller's transaction: a fresh, attached partition
    on `dst` (`core.sync.records.copy_fresh`), or — when `dst` has them already — all of them
    replaced through the table's policies. The import's row must already be on `dst`. (rows, bytes)"""
    from core.sync import records

    if not records.attached(dst, import_id):
        return records.copy_fresh(src, dst, import_id)
    staged = stage(dst, tables.RECORDS)
    moved = stream(
        src,
        dst,
        sql.SQL("SELECT * FROM public.raw_import_records WHERE data_import_id = {}").format(
            sql.Literal(import_id)
        ),
        staged,
    )
    dst.execute("DELETE FROM public.raw_import_records WHERE data_import_id = %s", (import_id,))
    dst.execute(sql.SQL("INSERT INTO public.raw_import_records SELECT * FROM {}").format(staged))
    return dst.rowcount, moved
