"""The write path: a TEMP staging table filled by COPY, then `INSERT … SELECT` into the real table.

PostgreSQL refuses `COPY FROM` into a table with row-level security for a role without
BYPASSRLS (our app role), so rows are first copied into `md_import_stage` (a temp table: no RLS,
no WAL, dropped at commit or rollback) and then moved into `raw_import_records` in the same
transaction, in block-range batches so progress and cancellation reach the caller between them.

The stage has one text column per source column (`c1` … `cN`) plus either `ord` (identity, the
order PostgreSQL parsed the CSV in; see `csv_fastpath`) or `rec` (the record index the reader
reported). Raw-record ids are derived from the import id and the record index (`id_prefix`), so
they are deterministic and ascending: index insertions append at the right edge of the b-tree.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import psycopg
from psycopg import sql

from core.progress import ProgressReporter

STAGE = "md_import_stage"
MAX_STAGE_COLUMNS = 1500
"""Wider tables are staged as one text[] per row (PostgreSQL allows at most 1600 columns)."""
BLOCKS_PER_BATCH = 4096
"""Stage blocks (8 KiB) per INSERT batch: ~32 MB, about 100 000 typical inventory rows."""
SAMPLE_ROWS = 2000
"""Rows looked at first when deciding which columns are entirely empty."""

PY_WHITESPACE = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())
"""What Python's `str.strip()` removes (all of it lies below U+3001): the reader drops rows whose
cells are only these, so the server-side path must use the same definition."""
assert all(not chr(c).isspace() for c in range(0x3001, sys.maxunicode + 1, 997))


class UnstorableValue(Exception):
    """A cell PostgreSQL text cannot hold (e.g. a lone surrogate from JSON); names its record."""

    def __init__(self, record_index: int) -> None:
        super().__init__(f"record {record_index} holds a value that cannot be stored as text")
        self.record_index = record_index


def stage_columns(width: int) -> list[str]:
    return [f"c{i}" for i in range(1, width + 1)]


def _idents(names: Iterable[str]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(n) for n in names)


def create_stage(cur: psycopg.Cursor, width: int, *, ordered: bool) -> None:
    """Create the staging table (ordered: identity `ord`; else a `rec` column filled by us)."""
    # a large sequence cache: one sequence access per 100k rows instead of one per row
    lead = "ord bigint GENERATED ALWAYS AS IDENTITY (CACHE 100000)" if ordered else "rec integer NOT NULL"
    cols = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in stage_columns(width))
    cur.execute(sql.SQL("DROP TABLE IF EXISTS pg_temp.{}").format(sql.Identifier(STAGE)))
    cur.execute(
        sql.SQL("CREATE TEMP TABLE {} ({}, {}) ON COMMIT DROP").format(
            sql.Identifier(STAGE), sql.SQL(lead), cols
        )
    )


def copy_rows(
    cur: psycopg.Cursor,
    rows: Iterator[tuple[int, list[str]]],
    width: int,
    reporter: ProgressReporter,
    rows_total: int | None,
) -> int:
    """Stream reader rows into a fresh stage with binary COPY (any format; flat memory)."""
    create_stage(cur, width, ordered=False)
    statement = sql.SQL("COPY {} (rec, {}) FROM STDIN (FORMAT binary, FREEZE)").format(
        sql.Identifier(STAGE), _idents(stage_columns(width))
    )
    count = 0
    reporter.report("reading", 0, rows_total, force=True)
    with cur.copy(statement) as copy:
        copy.set_types(["int4"] + ["text"] * width)
        write = copy.write_row
        for record_index, cells in rows:
            try:
                write((record_index, *cells))
            except UnicodeEncodeError:
                raise UnstorableValue(record_index) from None
            count += 1
            if not count & 1023:
                reporter.report("reading", count, rows_total)
    reporter.report("reading", count, rows_total, force=True)
    return count


def copy_rows_wide(
    cur: psycopg.Cursor,
    rows: Iterator[tuple[int, list[str]]],
    width: int,
    reporter: ProgressReporter,
    rows_total: int | None,
) -> tuple[int, list[bool]]:
    """Like `copy_rows` for tables wider than PostgreSQL's column limit: one array per row.

    Also returns which columns hold a value (tracked here: an aggregate per column could exceed
    the limit on select-list entries too).
    """
    cur.execute(sql.SQL("DROP TABLE IF EXISTS pg_temp.{}").format(sql.Identifier(STAGE)))
    cur.execute(
        sql.SQL("CREATE TEMP TABLE {} (rec integer NOT NULL, cells text[] NOT NULL) ON COMMIT DROP").format(
            sql.Identifier(STAGE)
        )
    )
    statement = sql.SQL("COPY {} (rec, cells) FROM STDIN (FORMAT binary, FREEZE)").format(
        sql.Identifier(STAGE)
    )
    filled = [False] * width
    unseen = set(range(width))
    count = 0
    reporter.report("reading", 0, rows_total, force=True)
    with cur.copy(statement) as copy:
        copy.set_types(["int4", "text[]"])
        for record_index, cells in rows:
            try:
                copy.write_row((record_index, cells))
            except UnicodeEncodeError:
                raise UnstorableValue(record_index) from None
            if unseen:
                for i in [i for i in unseen if cells[i]]:
                    filled[i] = True
                    unseen.discard(i)
            count += 1
            if not count & 255:
                reporter.report("reading", count, rows_total)
    reporter.report("reading", count, rows_total, force=True)
    return count, filled


def nonblank_condition(columns: list[str], alias: str | None = None) -> sql.Composable:
    """SQL that is true when some cell holds more than whitespace (Python's definition).

    A cell starting with printable ASCII (never whitespace) decides it at once; `btrim` with the
    multi-byte character set costs about a microsecond a call (a second per million rows), so it
    runs only for rows whose every cell starts otherwise (empty, blank, non-ASCII).
    """
    if not columns:
        return sql.SQL("false")
    ref = (lambda c: sql.Identifier(alias, c)) if alias else (lambda c: sql.Identifier(c))
    quick = [sql.SQL("ascii({}) BETWEEN 33 AND 126").format(ref(c)) for c in columns]
    full = [sql.SQL("btrim({}, {}) <> ''").format(ref(c), sql.Literal(PY_WHITESPACE)) for c in columns]
    return sql.SQL(" OR ").join([*quick, *full])


def nonempty_columns(cur: psycopg.Cursor, width: int, *, skip_blank_rows: bool) -> list[bool]:
    """Which stage columns hold at least one non-empty cell (ignoring rows that will be dropped).

    A sample decides most columns at once; only columns still empty after it cost one more
    aggregate pass, so files without empty columns never scan the stage twice.
    """
    cols = stage_columns(width)
    where = sql.SQL(" WHERE {}").format(nonblank_condition(cols)) if skip_blank_rows else sql.SQL("")
    sample = cur.execute(
        sql.SQL("SELECT {} FROM {}{} LIMIT {}").format(
            _idents(cols), sql.Identifier(STAGE), where, sql.Literal(SAMPLE_ROWS)
        )
    ).fetchall()
    seen = [False] * width
    for row in sample:
        for i, value in enumerate(row):
            if value:
                seen[i] = True
    missing = [i for i in range(width) if not seen[i]]
    if missing and len(sample) == SAMPLE_ROWS:
        found = cur.execute(
            sql.SQL("SELECT {} FROM {}{}").format(
                sql.SQL(", ").join(
                    sql.SQL("coalesce(bool_or({} <> ''), false)").format(sql.Identifier(cols[i]))
                    for i in missing
                ),
                sql.Identifier(STAGE),
                where,
            )
        ).fetchone()
        assert found is not None
        for i, value in zip(missing, found, strict=True):
            seen[i] = bool(value)
    return seen


def id_prefix(import_id: uuid.UUID) -> str:
    """First 20 hex digits of the import id; a raw record's id adds its record index as 12 more."""
    return import_id.hex[:20]


def record_id(import_id: uuid.UUID, record_index: int) -> uuid.UUID:
    """The id `insert_records` gives the raw record `record_index` of `import_id`."""
    return uuid.UUID(id_prefix(import_id) + f"{record_index:012x}")


@dataclass(frozen=True)
class RecordIndexing:
    """How the stage yields record indexes.

    `rec` column (reader path); or `ord + offset` (every CSV record one line); or, when quoted
    values contain line breaks, `ord + offset` plus the breaks of all earlier records.
    """

    kind: str  # "rec" | "ord" | "ord+breaks"
    offset: int = 0


def _breaks_expr(columns: list[str]) -> sql.Composable:
    """Line breaks inside a staged record, counted like Python's universal newlines."""
    text = sql.SQL("concat_ws(',', {})").format(_idents(columns))
    return sql.SQL(
        "((length({t}) - length(replace({t}, E'\\n', ''))) + (length({t}) - length(replace({t}, E'\\r', '')))"
        " - (length({t}) - length(replace({t}, E'\\r\\n', ''))) / 2)"
    ).format(t=text)


def stage_blocks(cur: psycopg.Cursor) -> int:
    row = cur.execute(
        sql.SQL("SELECT pg_relation_size({}) / current_setting('block_size')::int").format(
            sql.Literal(f"pg_temp.{STAGE}")
        )
    ).fetchone()
    return int(row[0]) if row else 0


def create_partition(cur: psycopg.Cursor, import_id: uuid.UUID) -> str:
    """A fresh, empty partition of `raw_import_records` for this import (owner-defined function)."""
    row = cur.execute("SELECT md_create_raw_partition(%s)", (import_id,)).fetchone()
    assert row is not None
    return str(row[0])


INDEX_BUILD_MEMORY_KB = 262144
"""maintenance_work_mem (kB) for the partition's index builds at least: 256 MB sorts a million rows'
keys in memory; a default server's 64 MB spills them to temporary files (and costs more CPU)."""


def attach_partition(cur: psycopg.Cursor, import_id: uuid.UUID) -> None:
    """Attach the loaded partition: its indexes are built in bulk, and rows become visible.

    The sorts get `INDEX_BUILD_MEMORY_KB` for this transaction only (never less than the server
    gives already); the memory is held while the indexes are built.
    """
    cur.execute(
        "SELECT set_config('maintenance_work_mem', greatest(setting::bigint, %s)::text || 'kB', true)"
        " FROM pg_settings WHERE name = 'maintenance_work_mem'",
        (INDEX_BUILD_MEMORY_KB,),
    )
    cur.execute("SELECT md_attach_raw_partition(%s)", (import_id,))


def insert_records(
    cur: psycopg.Cursor,
    *,
    import_id: uuid.UUID,
    client_account_id: uuid.UUID,
    engagement_id: uuid.UUID,
    width: int,
    keep: list[int],
    indexing: RecordIndexing,
    drop_blank_rows: bool,
    staged_rows: int,
    reporter: ProgressReporter,
    wide: bool = False,
    partition: str,
) -> int:
    """Move the stage into the import's own raw-records partition (kept columns only).

    The partition is created empty in this transaction by `create_partition` and attached by
    `attach_partition` once loaded, so this INSERT pays no per-row foreign-key or policy
    check, and no WAL on a server running with `wal_level = minimal` (the embedded one).
    `wide`: the stage holds one `cells` array per row (see `copy_rows_wide`); kept cells are
    taken with one array expression (all of them, or a mask applied by `unnest`), never one
    subscript per column, which made PostgreSQL detoast the row once per column (20,000 columns:
    minutes and gigabytes). Returns the rows inserted.
    """
    assert not (wide and drop_blank_rows), "wide stages come from the reader, which drops blank rows"
    cols = stage_columns(width)
    kept = [cols[i] for i in keep]
    base: dict[str, object] = {
        "prefix": id_prefix(import_id),
        "client": client_account_id,
        "engagement": engagement_id,
        "import_id": import_id,
    }
    if wide and len(keep) == width:
        cells: sql.Composable = sql.SQL("s.cells")
    elif wide:
        keep_set = set(keep)
        base["mask"] = [i in keep_set for i in range(width)]
        cells = sql.SQL(
            "ARRAY(SELECT u.c FROM unnest(s.cells, %(mask)s::boolean[]) WITH ORDINALITY AS u(c, k, n)"
            " WHERE u.k ORDER BY u.n)"
        )
    else:
        cells = sql.SQL("ARRAY[{}]::text[]").format(sql.SQL(", ").join(sql.Identifier("s", c) for c in kept))
    if indexing.kind == "rec":
        rec = sql.SQL("rec")
    elif indexing.kind == "ord":
        rec = sql.SQL("ord + {}").format(sql.Literal(indexing.offset))
    else:
        rec = sql.SQL(
            "ord + {} + %(carry)s + coalesce(sum({}) OVER (ORDER BY ord ROWS BETWEEN UNBOUNDED PRECEDING"
            " AND 1 PRECEDING), 0)"
        ).format(sql.Literal(indexing.offset), _breaks_expr(cols))
    where = sql.SQL("WHERE {}").format(nonblank_condition(kept, "s")) if drop_blank_rows else sql.SQL("")
    statement = sql.SQL(
        "INSERT INTO {target}"
        " (id, client_account_id, engagement_id, data_import_id, record_index, cells, is_processed)"
        " SELECT (%(prefix)s || lpad(to_hex(s.rec), 12, '0'))::uuid, %(client)s, %(engagement)s,"
        " %(import_id)s, s.rec, {cells}, false"
        " FROM (SELECT {rec} AS rec, {cols} FROM {stage} WHERE ctid >= %(lo)s::tid AND ctid < %(hi)s::tid) s"
        " {where}"
    ).format(
        cells=cells,
        rec=rec,
        cols=sql.SQL("cells") if wide else _idents(cols),
        stage=sql.Identifier(STAGE),
        where=where,
        target=sql.Identifier(partition),
    )
    carry_sum = sql.SQL(
        "SELECT coalesce(sum({}), 0) FROM {} WHERE ctid >= %(lo)s::tid AND ctid < %(hi)s::tid"
    ).format(_breaks_expr(cols), sql.Identifier(STAGE))

    blocks = stage_blocks(cur)
    inserted = 0
    carry = 0
    reporter.report("storing", 0, staged_rows, force=True)
    for lo in range(0, blocks, BLOCKS_PER_BATCH):  # the stage is complete: no rows past `blocks`
        params = {**base, "lo": f"({lo},0)", "hi": f"({lo + BLOCKS_PER_BATCH},0)", "carry": carry}
        cur.execute(statement, params)
        inserted += max(cur.rowcount, 0)
        if indexing.kind == "ord+breaks":
            row = cur.execute(carry_sum, params).fetchone()
            carry += int(row[0]) if row else 0
        reporter.report("storing", inserted, staged_rows)
    reporter.report("storing", inserted, staged_rows, force=True)
    return inserted
