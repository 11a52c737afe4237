"""Asset-table queries the desktop asset screen needs beyond `core.inventory.query`.

Why a separate module: the lazy asset table must know, for each row of a page, which of its fields
have conflicting source values (flagged in the cell) without fetching the whole `field_conflicts`
document; after a sort or filter change it needs the new row position of the asset the user was
looking at (so the view stays on it); and the filter bar needs the values a field takes. All of it
is sorted, filtered and counted in SQL with the same conditions `count_assets`/`fetch_assets` use.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Text, and_, func, literal_column, or_, select

from core.db.models import Asset, DataImport, ImportQualityReport
from core.errors import UserInputError
from core.inventory.query import QUERY_COLUMNS, AssetFilters, asset_conditions
from core.uow import UnitOfWork

#: key of the per-row list of fields whose sources disagree
CONFLICTS_KEY = "conflicting_fields"

_CONFLICT_KEYS = literal_column("ARRAY(SELECT jsonb_object_keys(assets.field_conflicts))", ARRAY(Text))


def _column(name: str) -> Any:
    if name not in QUERY_COLUMNS:
        raise UserInputError(f"unknown asset column {name!r}", hint="use a canonical field name")
    return getattr(Asset, name)


def _order(sort: str, descending: bool) -> list[Any]:
    col = _column(sort)
    if descending:
        return [col.desc().nulls_last(), Asset.id.desc()]
    return [col.asc().nulls_last(), Asset.id.asc()]


def fetch_page(
    uow: UnitOfWork,
    *,
    columns: Sequence[str],
    sort: str = "asset_name",
    descending: bool = False,
    filters: AssetFilters | Mapping[str, Any] | None = None,
    offset: int = 0,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """One page like `fetch_assets` (same order: NULLs last, id breaks ties), plus conflict flags.

    Each row also carries `conflicting_fields`: the names of its fields whose sources disagree.
    """
    names = list(dict.fromkeys(["id", *columns]))
    cols = [_column(c) for c in names]
    stmt = (
        select(*cols, _CONFLICT_KEYS)
        .where(*asset_conditions(AssetFilters.of(filters)))
        .order_by(*_order(sort, descending))
        .offset(max(offset, 0))
        .limit(max(limit, 0))
    )
    out: list[dict[str, Any]] = []
    for row in uow.session.execute(stmt):
        item = dict(zip(names, row[:-1], strict=True))
        item[CONFLICTS_KEY] = list(row[-1] or ())
        out.append(item)
    return out


def _before(sort: str, descending: bool, value: Any, asset_id: uuid.UUID) -> ColumnElement[bool]:
    """Rows ahead of (value, id) in `_order`'s order (NULLs last, then id)."""
    col = _column(sort)
    id_ahead = Asset.id > asset_id if descending else Asset.id < asset_id
    if value is None:
        return or_(col.is_not(None), and_(col.is_(None), id_ahead))
    ahead = col > value if descending else col < value
    return or_(ahead, and_(col == value, id_ahead))


def asset_position(
    uow: UnitOfWork,
    asset_id: uuid.UUID,
    *,
    sort: str = "asset_name",
    descending: bool = False,
    filters: AssetFilters | Mapping[str, Any] | None = None,
) -> int | None:
    """Row number (0-based) of the asset in this order and filter; None when it is filtered out."""
    conditions = asset_conditions(AssetFilters.of(filters))
    found = uow.session.execute(select(_column(sort)).where(Asset.id == asset_id, *conditions)).first()
    if found is None:
        return None
    stmt = (
        select(func.count())
        .select_from(Asset)
        .where(*conditions, _before(sort, descending, found[0], asset_id))
    )
    return int(uow.session.scalar(stmt) or 0)


def field_values(uow: UnitOfWork, field: str, *, limit: int = 50) -> list[tuple[Any, int]]:
    """The most common values of a field with their counts (filter choices), most common first."""
    col = _column(field)
    n = func.count().label("n")
    stmt = select(col, n).where(col.is_not(None)).group_by(col).order_by(n.desc(), col).limit(limit)
    return [(value, int(count)) for value, count in uow.session.execute(stmt)]


@dataclass(frozen=True)
class ReportedImport:
    """An import of the engagement, and whether (and how) its cleansing run reported quality."""

    import_id: uuid.UUID
    filename: str
    created_at: datetime
    has_report: bool
    total_records: int
    valid_records: int
    invalid_records: int


def reported_imports(uow: UnitOfWork) -> list[ReportedImport]:
    """The engagement's imports, newest first, with their quality-report totals when cleansed."""
    rows = uow.session.execute(
        select(
            DataImport.id,
            DataImport.filename,
            DataImport.created_at,
            ImportQualityReport.id,
            ImportQualityReport.total_records,
            ImportQualityReport.valid_records,
            ImportQualityReport.invalid_records,
        )
        .outerjoin(ImportQualityReport, ImportQualityReport.data_import_id == DataImport.id)
        .order_by(DataImport.created_at.desc(), DataImport.id)
    ).all()
    return [
        ReportedImport(iid, name, created, rid is not None, total or 0, valid or 0, invalid or 0)
        for iid, name, created, rid, total, valid, invalid in rows
    ]


def conflict_cells(uow: UnitOfWork, conflicts: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """The source column and raw cell behind each conflicting value of an asset.

    The inventory copies them into every value of `field_conflicts` from the lineage cleansing
    recorded when it kept the value (`raw_import_records.cleansed_lineage`); this reads them from
    there and looks nothing up again (`uow` stays for the front end's call). Returns
    `{(field, record_id): {source_column, raw_value}}`; values with no recorded cell (an asset
    inventoried before lineage was recorded) are left out.
    """
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for name, conflict in conflicts.items():
        for v in (conflict or {}).get("values") or []:
            if v.get("record_id") and "source_column" in v:
                out[(name, str(v["record_id"]))] = {
                    "source_column": v.get("source_column"),
                    "raw_value": v.get("raw_value"),
                }
    return out
