"""Reading an import's raw rows back: header → value dicts, streams for later phases, samples.

`DataImport.columns` holds the header once; every `RawImportRecord.cells` lines up with it.
All reads run inside a tenant unit of work, so row-level security limits them to the tenant.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from sqlalchemy import select

from core.db.models import DataImport, RawImportRecord
from core.errors import UserInputError
from core.uow import UnitOfWork

SAMPLE_SCAN_FACTOR = 20
"""`column_samples` reads at most n × this many rows looking for non-empty values."""


def import_columns(uow: UnitOfWork, import_id: uuid.UUID | str) -> list[str]:
    """The stored header of an import (unique column names, file order)."""
    columns = uow.session.scalar(select(DataImport.columns).where(DataImport.id == _uuid(import_id)))
    if columns is None:
        raise UserInputError(f"no import {import_id} in this engagement", hint="check the import id")
    return list(columns)


def read_records(
    uow: UnitOfWork, import_id: uuid.UUID | str, *, offset: int = 0, limit: int = 1000
) -> list[dict[str, str]]:
    """One page of rows as {header: value}, in file order."""
    columns = import_columns(uow, import_id)
    rows = uow.session.scalars(
        select(RawImportRecord.cells)
        .where(RawImportRecord.data_import_id == _uuid(import_id))
        .order_by(RawImportRecord.record_index)
        .offset(max(offset, 0))
        .limit(max(limit, 0))
    )
    return [dict(zip(columns, cells, strict=True)) for cells in rows]


def iter_records(
    uow: UnitOfWork, import_id: uuid.UUID | str, *, batch: int = 5000
) -> Iterator[tuple[int, list[str]]]:
    """Every row as (record index, cells) in file order, streamed (flat memory, any size).

    Uses a server-side cursor, so it must be consumed inside the unit of work that opened it.
    """
    result = uow.session.execute(
        select(RawImportRecord.record_index, RawImportRecord.cells)
        .where(RawImportRecord.data_import_id == _uuid(import_id))
        .order_by(RawImportRecord.record_index)
        .execution_options(yield_per=max(batch, 1))
    )
    try:
        yield from ((record_index, cells) for record_index, cells in result)
    finally:
        result.close()


def column_samples(uow: UnitOfWork, import_id: uuid.UUID | str, n: int = 200) -> dict[str, list[str]]:
    """Up to `n` non-empty values per column, in file order, for mapping suggestions and previews.

    Reads the first rows only (at most n × 20), so sparse columns may get fewer than `n` values.
    """
    columns = import_columns(uow, import_id)
    samples: dict[str, list[str]] = {c: [] for c in columns}
    if n <= 0:
        return samples
    wanted = len(columns)
    budget = n * SAMPLE_SCAN_FACTOR
    for seen, (_, cells) in enumerate(iter_records(uow, import_id, batch=min(budget, 5000)), start=1):
        for column, value in zip(columns, cells, strict=True):
            bucket = samples[column]
            if len(bucket) < n and value.strip():
                bucket.append(value)
                if len(bucket) == n:
                    wanted -= 1
        if wanted <= 0 or seen >= budget:
            break
    return samples


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise UserInputError(f"{value!r} is not an import id", hint="an import id is a UUID") from None
