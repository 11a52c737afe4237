"""An import's raw records pushed to the server in chunks that each commit, so a cut resumes.

Why: an import's records travel as one unit (nobody may see half an import), but a million of
them are half a gigabyte on the wire, and a connection cut at 50 % must not start over. So the
records are loaded, chunk by chunk, into the import's own partition while it is still detached
on the server (`md_stage_raw_partition`: no policy, no index, nothing another login can read), each
chunk committed together with how far the load got (`sync_uploads`: last record index and the
version of the laptop's records it is a copy of). A retry asks the server how far it got and goes
on from there; if the laptop's records changed meanwhile (cleansing ran), the load starts again.
The push's batch that carries the import then pins the rows to the tenant and attaches the
partition in its transaction (`md_attach_staged_partition`), so the records appear with their
import, all at once. Binary COPY goes straight into the partition (no staging copy on the server).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import psycopg
from psycopg import sql

from core.sync.link import Scope, transaction

CHUNK_ROWS = 100_000
RELAY_BUFFER = 1 << 20
"""COPY OUT hands over one row at a time: rows are passed on in blocks of about this many bytes."""


def relay(out: psycopg.Copy, into: psycopg.Copy) -> int:
    """Pass a binary COPY stream from one server to the other in ~1 MB blocks; bytes moved."""
    moved = 0
    block = bytearray()
    for data in out:
        block += data
        if len(block) >= RELAY_BUFFER:
            into.write(bytes(block))
            moved += len(block)
            block.clear()
    if block:
        into.write(bytes(block))
        moved += len(block)
    return moved


def source_version(src: psycopg.Cursor, import_id: uuid.UUID) -> str:
    """What identifies this version of the laptop's records: the last logged change of them (every
    write to an import's records logs one, `md_log_records`) — no scan of the records themselves."""
    src.execute(
        "SELECT coalesce(max(seq), 0) FROM sync_changes WHERE table_name = 'raw_import_records'"
        " AND row_id = %s",
        (import_id,),
    )
    row = src.fetchone()
    return f"{import_id}:{row[0] if row else 0}"


def attached(cur: psycopg.Cursor, import_id: uuid.UUID) -> bool:
    """The import's partition exists and is attached (its records are visible through the table)."""
    cur.execute(
        "SELECT coalesce((SELECT c.relispartition FROM pg_class c"
        " WHERE c.oid = to_regclass('public.' || md_raw_partition_name(%s))), false)",
        (import_id,),
    )
    row = cur.fetchone()
    return bool(row and row[0])


def stage(
    local: psycopg.Connection,
    local_scope: Scope,
    server: psycopg.Connection,
    server_scope: Scope,
    import_id: uuid.UUID,
    *,
    chunk_rows: int = CHUNK_ROWS,
    on_chunk: Callable[[int, int], None] | None = None,
    check: Callable[[], None] | None = None,
) -> tuple[int, int]:
    """Load the import's records into its detached partition on the server, resuming a load cut
    before; returns (rows loaded now, bytes sent). Each chunk is its own transaction on both sides."""
    with transaction(local, local_scope) as src:
        version = source_version(src, import_id)
    with transaction(server, server_scope) as dst:
        dst.execute(
            "SELECT source_version, last_record_index FROM sync_uploads WHERE data_import_id = %s",
            (import_id,),
        )
        row = dst.fetchone()
        resume = row is not None and row[0] == version
        last = int(row[1]) if resume and row is not None else -1
        if row is None:
            dst.execute(
                "INSERT INTO sync_uploads (id, client_account_id, engagement_id, data_import_id,"
                " source_version) VALUES (%s, %s, %s, %s, %s)",
                (
                    uuid.uuid4(),
                    server_scope.client_account_id,
                    server_scope.engagement_id,
                    import_id,
                    version,
                ),
            )
        elif not resume:
            dst.execute(
                "UPDATE sync_uploads SET source_version = %s, last_record_index = -1, rows = 0"
                " WHERE data_import_id = %s",
                (version, import_id),
            )
        dst.execute("SELECT md_stage_raw_partition(%s, %s)", (import_id, not resume))
        part = dst.fetchone()[0]  # type: ignore[index]
    loaded = moved = 0
    while True:
        if check is not None:
            check()
        with transaction(local, local_scope) as src, transaction(server, server_scope) as dst:
            src.execute(
                "SELECT max(record_index), count(*) FROM (SELECT record_index FROM raw_import_records"
                " WHERE data_import_id = %s AND record_index > %s ORDER BY record_index LIMIT %s) s",
                (import_id, last, chunk_rows),
            )
            upto, n = src.fetchone()  # type: ignore[misc]
            if not n:
                return loaded, moved
            select = sql.SQL(
                "SELECT * FROM public.raw_import_records WHERE data_import_id = {} AND record_index > {}"
                " AND record_index <= {}"
            ).format(sql.Literal(import_id), sql.Literal(last), sql.Literal(upto))
            with (
                src.copy(sql.SQL("COPY ({}) TO STDOUT (FORMAT binary)").format(select)) as out,
                dst.copy(
                    sql.SQL("COPY public.{} FROM STDIN (FORMAT binary)").format(sql.Identifier(part))
                ) as into,
            ):
                moved += relay(out, into)
            dst.execute(
                "UPDATE sync_uploads SET last_record_index = %s, rows = rows + %s WHERE data_import_id = %s",
                (upto, n, import_id),
            )
        last = int(upto)
        loaded += int(n)
        if on_chunk is not None:
            on_chunk(loaded, moved)


def _index_memory(dst: psycopg.Cursor) -> None:
    """The attach builds the partition's indexes: give the sorts the memory the import path gives."""
    from core.imports.copy_writer import INDEX_BUILD_MEMORY_KB

    dst.execute(
        "SELECT set_config('maintenance_work_mem', greatest(setting::bigint, %s)::text || 'kB', true)"
        " FROM pg_settings WHERE name = 'maintenance_work_mem'",
        (INDEX_BUILD_MEMORY_KB,),
    )


def attach(dst: psycopg.Cursor, import_id: uuid.UUID) -> int:
    """In the batch's transaction: pin the staged rows to the tenant and attach them; rows attached."""
    dst.execute("SELECT rows FROM sync_uploads WHERE data_import_id = %s", (import_id,))
    row = dst.fetchone()
    _index_memory(dst)
    dst.execute("SELECT md_attach_staged_partition(%s)", (import_id,))
    return int(row[0]) if row else 0


def copy_fresh(src: psycopg.Cursor, dst: psycopg.Cursor, import_id: uuid.UUID) -> tuple[int, int]:
    """One transaction: a fresh partition on `dst` filled by binary COPY straight into it, then
    attached (indexes built in bulk) — the pull's way (the laptop's transaction holds the unit)."""
    dst.execute("SELECT md_create_raw_partition(%s)", (import_id,))
    part = dst.fetchone()[0]  # type: ignore[index]
    moved = 0
    select = sql.SQL("SELECT * FROM public.raw_import_records WHERE data_import_id = {}").format(
        sql.Literal(import_id)
    )
    with (
        src.copy(sql.SQL("COPY ({}) TO STDOUT (FORMAT binary)").format(select)) as out,
        dst.copy(sql.SQL("COPY public.{} FROM STDIN (FORMAT binary)").format(sql.Identifier(part))) as into,
    ):
        moved += relay(out, into)
    n = max(dst.rowcount, 0)  # COPY's row count (the login may only insert into the partition)
    _index_memory(dst)
    dst.execute("SELECT md_attach_raw_partition(%s)", (import_id,))
    return n, moved
