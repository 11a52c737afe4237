"""Bounded reads of an import's raw cells: the first records by index, never a scan.

`raw_import_records` has a unique index on (tenant, data_import_id, record_index), so "the first N
records of this import" is an index range scan that stops after N rows whatever the import's size
(200 columns × 1,000,000 rows costs the same as 200 × 200).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.db.models import RawImportRecord

SAMPLE_RECORDS = 200
"""Records read for suggestion samples, fingerprints and the grid's sample values."""


def first_records(session: Session, import_id: uuid.UUID, limit: int = SAMPLE_RECORDS) -> list[list[str]]:
    """Cells of the first `limit` records of the import, in record order."""
    rows = session.scalars(
        select(RawImportRecord.cells)
        .where(RawImportRecord.data_import_id == import_id)
        .order_by(RawImportRecord.record_index)
        .limit(limit)
    )
    return [list(cells or []) for cells in rows]


def column_values(records: Sequence[Sequence[str]], position: int) -> list[str]:
    """One column of `records` (empty text where a record is shorter)."""
    return [(r[position] if position < len(r) and r[position] is not None else "") for r in records]


def distinct_values(values: Sequence[str], n: int) -> list[str]:
    """The first `n` distinct non-empty values, in order of appearance."""
    seen: dict[str, None] = {}
    for v in values:
        text = v.strip() if v else ""
        if text and text not in seen:
            seen[text] = None
            if len(seen) >= n:
                break
    return list(seen)


def columns_samples(
    session: Session, import_id: uuid.UUID, columns: Sequence[str], limit: int = SAMPLE_RECORDS
) -> list[list[str]]:
    """Per column, its values in the first `limit` records (one query for all columns)."""
    records = first_records(session, import_id, limit)
    return [column_values(records, i) for i in range(len(columns))]


def column_date_order(session: Session, import_id: uuid.UUID, position: int) -> str | None:
    """Day-first or month-first, from the column's unambiguous slash/dash dates (set-based).

    The one read here that scans the whole column (one aggregate in the server): cleansing and the
    mapping preview both ask it, so an ambiguous 03/04/2021 reads the same in both. `position` is
    0-based.
    """
    row = session.execute(
        text(
            r"""
            SELECT count(*) FILTER (WHERE split_part(v, '/', 1)::int > 12
                                      AND split_part(v, '/', 2)::int <= 12),
                   count(*) FILTER (WHERE split_part(v, '/', 2)::int > 12
                                      AND split_part(v, '/', 1)::int <= 12)
              FROM (SELECT regexp_replace(btrim(cells[:pos]),
                                          '^(\d{1,2})[/-](\d{1,2})[/-]\d{2,4}.*$', '\1/\2') AS v
                      FROM raw_import_records
                     WHERE data_import_id = :imp AND cells[:pos] ~ '^\s*\d{1,2}[/-]\d{1,2}[/-]\d{2,4}') s
            """
        ),
        {"imp": import_id, "pos": position + 1},
    ).one()
    day_first, month_first = row
    if day_first and not month_first:
        return "dmy"
    if month_first and not day_first:
        return "mdy"
    return None  # no evidence, or the column mixes both: ambiguous values are reported
