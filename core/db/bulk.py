"""Bulk inserts of many rows as one statement per batch, with the rows sent as one JSON parameter.

Why not `session.execute(insert(Model), rows)`: with psycopg that becomes one INSERT per row on the
server (or, with RETURNING, multi-row VALUES that psycopg must split into tens of thousands of
placeholders on the client), and every statement pays its own row-level-security checks and its
change-log trigger. Storing 10,000 tech-debt findings took about 8 s that way; as one
`INSERT … SELECT … FROM jsonb_populate_recordset(…)` per batch it takes a fraction of a second.
PostgreSQL converts each JSON value to the column's type (uuid, date, jsonb, arrays) as a cast
would; columns a row does not name get the column's Python default, else the server default.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.orm import Session

BATCH = 5_000


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID | dt.date | dt.datetime | dt.time):
        return value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot store a {type(value).__name__} in a bulk insert")


def _defaults(table: Table, named: set[str]) -> dict[str, Any]:
    """The Python-side defaults (`default=` of a column) of the columns the rows do not name."""
    out: dict[str, Any] = {}
    for col in table.columns:
        d = col.default
        if col.name in named or d is None or (not getattr(d, "is_scalar", False) and not d.is_callable):
            continue
        out[col.name] = d
    return out


def insert_rows(session: Session, table: Table | Any, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert `rows` (dicts of column values, all naming the same columns) into `table` (a Table
    or a mapped class) in the session's transaction; returns how many were inserted."""
    t: Table = table if isinstance(table, Table) else table.__table__
    if not rows:
        return 0
    named = set(rows[0])
    unknown = named - set(t.columns.keys())
    if unknown:
        raise ValueError(f"{t.name} has no column {', '.join(sorted(unknown))}")
    defaults = _defaults(t, named)
    columns = sorted(named | set(defaults))
    cols = ", ".join(f'"{c}"' for c in columns)  # names from the table's own metadata
    stmt = text(
        f'INSERT INTO public."{t.name}" ({cols}) SELECT {cols}'
        f' FROM jsonb_populate_recordset(NULL::public."{t.name}", CAST(:rows AS jsonb))'
    )
    done = 0
    for start in range(0, len(rows), BATCH):
        batch = []
        for row in rows[start : start + BATCH]:
            if set(row) != named:
                raise ValueError(f"every row of a bulk insert into {t.name} names the same columns")
            full = dict(row)
            for name, d in defaults.items():
                full[name] = d.arg(None) if d.is_callable else d.arg
            batch.append(full)
        session.execute(stmt, {"rows": json.dumps(batch, default=_plain, allow_nan=False)})
        done += len(batch)
    return done
