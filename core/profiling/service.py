"""Profiling an import: read its raw records (bounded), profile each column, check across columns.

The records come through `core.imports.records.iter_records` (file order, a server-side cursor);
with a sample bound only the first `sample` records are read (an index range scan that stops
there), and the profile says so (`sampled`, `records`, `of`). Nothing is written.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from itertools import islice

from sqlalchemy import select

from core.db.models import DataImport
from core.errors import UserInputError
from core.imports.records import import_columns, iter_records
from core.profiling.model import CrossColumnChecks, ImportProfile
from core.progress import CancelToken
from core.uow import UnitOfWork

DEFAULT_SAMPLE = 10_000
"""Records a profile reads unless the whole import is asked for (`sample=None`)."""
_BATCH = 5000
_CANCELLED = "profiling was cancelled"


def profile_import(
    uow: UnitOfWork,
    import_id: uuid.UUID | str,
    *,
    sample: int | None = DEFAULT_SAMPLE,
    columns: Sequence[str] | None = None,
    cancel: CancelToken | None = None,
) -> ImportProfile:
    """The profile of an import's columns (all, or those named) over its first `sample` records
    (`None`: every record). Refuses an unknown column, naming it and the import's columns."""
    started = time.perf_counter()
    if sample is not None and sample < 1:
        raise UserInputError(
            f"a sample of {sample} records profiles nothing", hint="ask for at least 1 record"
        )
    header = import_columns(uow, import_id)
    imp = uow.session.execute(
        select(DataImport.id, DataImport.filename, DataImport.total_records).where(
            DataImport.id == _as_uuid(import_id)
        )
    ).one()
    positions = _positions(header, columns, imp.filename)
    index, cells = _read(uow, imp.id, positions, sample, cancel)
    import numpy as np
    import pandas as pd

    from core.profiling.checks import cross_checks
    from core.profiling.columns import profile_column

    names = [header[p] for p in positions]
    frame = pd.DataFrame(_matrix(cells, len(positions)), columns=names, index=index, dtype=object, copy=False)
    record_indexes = frame.index.to_numpy(dtype=np.int64)
    profiled = []
    for name, position in zip(names, positions, strict=True):
        if cancel is not None:
            cancel.raise_if_cancelled(_CANCELLED)
        profiled.append(profile_column(name, position, frame[name].to_numpy(dtype=object), record_indexes))
    read = len(index)
    whole = sample is None or read < sample
    total = read if whole else max(int(imp.total_records or 0), read)
    checks = cross_checks(profiled, index) if profiled else CrossColumnChecks([], [], 0, [])
    return ImportProfile(
        import_id=imp.id,
        filename=imp.filename,
        sampled=not whole and total > read,
        records=read,
        of=total,
        sample_limit=sample,
        columns=[p.profile for p in profiled],
        checks=checks,
        seconds=round(time.perf_counter() - started, 3),
    )


def _positions(header: list[str], columns: Sequence[str] | None, filename: str) -> list[int]:
    if columns is None:
        return list(range(len(header)))
    where = {name: i for i, name in enumerate(header)}
    missing = [c for c in columns if c not in where]
    if missing:
        shown = ", ".join(repr(h) for h in header[:12]) + (", …" if len(header) > 12 else "")
        raise UserInputError(
            f"the import has no column {missing[0]!r}",
            file=filename,
            column=missing[0],
            hint=f"name one of its columns exactly as in its header: {shown}",
        )
    return sorted({where[c] for c in columns})


def _read(
    uow: UnitOfWork,
    import_id: uuid.UUID,
    positions: list[int],
    sample: int | None,
    cancel: CancelToken | None,
) -> tuple[list[int], list[list[str | None]]]:
    """Record indexes and the wanted cells of the first `sample` records (all when None)."""
    batch = _BATCH if sample is None else max(1, min(sample, _BATCH))
    records = iter_records(uow, import_id, batch=batch)
    if sample is not None:
        records = islice(records, sample)
    index: list[int] = []
    cells: list[list[str | None]] = []
    every = positions == list(range(len(positions)))
    for n, (record_index, row) in enumerate(records, start=1):
        index.append(record_index)
        if every and len(row) == len(positions):
            cells.append(row)
        else:
            cells.append([row[p] if p < len(row) else None for p in positions])
        if cancel is not None and n % _BATCH == 0:
            cancel.raise_if_cancelled(_CANCELLED)
    return index, cells


def _matrix(cells: list[list[str | None]], width: int):  # type: ignore[no-untyped-def]
    """The cells as a 2-D object array (records × columns)."""
    import numpy as np

    out = np.empty((len(cells), width), dtype=object)
    if cells and width:
        out[:, :] = cells
    return out


def _as_uuid(value: uuid.UUID | str) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
