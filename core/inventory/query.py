"""Read API over the asset inventory for the desktop screens, exports and the CLI.

Sorting, filtering and paging happen in SQL (offset paging, or keyset paging with `after=`),
always with `id` as the tie-breaker so pages are stable. Column names are checked against the
canonical fields, never interpolated from user text.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, text
from sqlalchemy.orm import InstrumentedAttribute

from core.cleansing.fields import asset_fields
from core.db.models import Asset, DataImport, RawImportRecord
from core.errors import UserInputError
from core.inventory.details import asset_details_of
from core.inventory.identity import source_kind
from core.inventory.service import CANONICAL
from core.uow import UnitOfWork

#: columns a screen may show, sort or filter on
QUERY_COLUMNS: tuple[str, ...] = (
    "id",
    *CANONICAL,
    "identity_key",
    "data_import_id",
    "created_at",
    "updated_at",
)
DEFAULT_COLUMNS: tuple[str, ...] = (
    "id", "asset_name", "hostname", "fqdn", "asset_type", "ip_address", "operating_system", "os_family",
    "environment", "cpu_cores", "memory_gb", "storage_gb", "is_virtual", "power_state", "application_name",
    "business_criticality", "discovery_source",
)  # fmt: skip
SEARCH_COLUMNS = ("asset_name", "hostname", "fqdn", "ip_address", "external_id", "serial_number")


@dataclass
class AssetFilters:
    """What a screen filters on; every part is optional and they combine with AND.

    `search`: case-insensitive substring of name, host name, FQDN, IP, external id or serial.
    `equals`: field -> value or list of values (case-insensitive for text).
    `ranges`: field -> (min, max), either end None. `has_conflicts`: only assets with (without)
    conflicting source values. `data_import_id`: assets with a record from this import.
    """

    search: str | None = None
    equals: dict[str, Any] = field(default_factory=dict)
    ranges: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    has_conflicts: bool | None = None
    data_import_id: uuid.UUID | None = None

    @classmethod
    def of(cls, filters: AssetFilters | Mapping[str, Any] | None) -> AssetFilters:
        """Accept a ready `AssetFilters`, None, or a plain dict (`search` plus field -> value)."""
        if filters is None:
            return cls()
        if isinstance(filters, AssetFilters):
            return filters
        data = dict(filters)
        return cls(
            search=data.pop("search", None),
            ranges=dict(data.pop("ranges", {}) or {}),
            has_conflicts=data.pop("has_conflicts", None),
            data_import_id=data.pop("data_import_id", None),
            equals=dict(data.pop("equals", {}) or {}) | data,
        )


def _column(name: str) -> InstrumentedAttribute[Any]:
    if name not in QUERY_COLUMNS:
        raise UserInputError(f"unknown asset column {name!r}", hint="use a canonical field name")
    return getattr(Asset, name)


_TEXT_FIELDS = frozenset(n for n, f in asset_fields().items() if f.type == "string")


def asset_conditions(filters: AssetFilters) -> list[ColumnElement[bool]]:
    cond: list[ColumnElement[bool]] = []
    if filters.search and filters.search.strip():
        pattern = (
            "%" + filters.search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        cond.append(or_(*(_column(c).ilike(pattern) for c in SEARCH_COLUMNS)))
    for name, value in filters.equals.items():
        col = _column(name)
        values = list(value) if isinstance(value, list | tuple | set) else [value]
        nulls = any(v is None for v in values)
        values = [v for v in values if v is not None]
        parts: list[ColumnElement[bool]] = []
        if values:
            if name in _TEXT_FIELDS:
                parts.append(func.lower(col).in_([str(v).lower() for v in values]))
            else:
                parts.append(col.in_(values))
        if nulls:
            parts.append(col.is_(None))
        cond.append(or_(*parts))
    for name, (low, high) in filters.ranges.items():
        col = _column(name)
        if low is not None:
            cond.append(col >= low)
        if high is not None:
            cond.append(col <= high)
    if filters.has_conflicts is not None:
        empty = Asset.field_conflicts == text("'{}'::jsonb")
        cond.append(~empty if filters.has_conflicts else empty)
    if filters.data_import_id is not None:
        cond.append(
            text(
                "EXISTS (SELECT 1 FROM jsonb_array_elements_text(assets.source_record_ids) x(rid)"
                " JOIN raw_import_records r ON r.id = x.rid::uuid WHERE r.data_import_id = :flt_import)"
            ).bindparams(flt_import=filters.data_import_id)
        )
    return cond


def count_assets(uow: UnitOfWork, filters: AssetFilters | Mapping[str, Any] | None = None) -> int:
    """Number of assets matching the filters."""
    stmt = select(func.count()).select_from(Asset).where(*asset_conditions(AssetFilters.of(filters)))
    return int(uow.session.scalar(stmt) or 0)


def _ordered(stmt: Select[Any], sort: str, descending: bool) -> Select[Any]:
    col = _column(sort)
    if descending:
        return stmt.order_by(col.desc().nulls_last(), Asset.id.desc())
    return stmt.order_by(col.asc().nulls_last(), Asset.id.asc())


def fetch_assets(
    uow: UnitOfWork,
    *,
    columns: Sequence[str] = DEFAULT_COLUMNS,
    sort: str = "asset_name",
    descending: bool = False,
    filters: AssetFilters | Mapping[str, Any] | None = None,
    offset: int = 0,
    limit: int = 200,
    after: tuple[Any, uuid.UUID] | None = None,
) -> list[dict[str, Any]]:
    """One page of assets as dicts of the requested columns (`id` always included).

    Offset paging by default; `after=(sort value, id)` of the last row of the previous page gives
    keyset paging (constant cost however deep the page).
    """
    names = list(dict.fromkeys(["id", *columns]))
    cols = [_column(c) for c in names]
    stmt = select(*cols).where(*asset_conditions(AssetFilters.of(filters)))
    if after is not None:
        stmt = stmt.where(_after(sort, descending, after))
    stmt = (
        _ordered(stmt, sort, descending).offset(max(offset, 0) if after is None else 0).limit(max(limit, 0))
    )
    return [dict(zip(names, row, strict=True)) for row in uow.session.execute(stmt)]


def _after(sort: str, descending: bool, after: tuple[Any, uuid.UUID]) -> ColumnElement[bool]:
    """Rows after (value, id) in the order `_ordered` gives (NULLs last)."""
    col = _column(sort)
    value, last_id = after
    if value is None:  # inside the trailing NULL block: only the id decides
        return and_(col.is_(None), Asset.id < last_id if descending else Asset.id > last_id)
    beyond = col < value if descending else col > value
    tie = and_(col == value, Asset.id < last_id if descending else Asset.id > last_id)
    return or_(beyond, tie, col.is_(None))


def iter_assets(
    uow: UnitOfWork,
    *,
    columns: Sequence[str] | None = None,
    sort: str = "asset_name",
    filters: AssetFilters | Mapping[str, Any] | None = None,
    batch: int = 2000,
) -> Iterator[dict[str, Any]]:
    """Every matching asset, keyset-paged (exports)."""
    names = list(columns or QUERY_COLUMNS)
    if sort not in names:
        names.append(sort)
    after: tuple[Any, uuid.UUID] | None = None
    while True:
        page = fetch_assets(uow, columns=names, sort=sort, filters=filters, limit=batch, after=after)
        yield from page
        if len(page) < batch:
            return
        after = (page[-1][sort], page[-1]["id"])


# ----------------------------------------------------------------------------- detail


def asset_detail(uow: UnitOfWork, asset_id: uuid.UUID) -> dict[str, Any]:
    """All fields of one asset with each value's lineage resolved to file, row, column, raw cell.

    `fields[name] = {value, file, sheet, import_id, record_id, row, source_column, raw_value,
    rule}` (a value summed from an RVTools detail sheet names that sheet and its first row, `rows`
    all of them); `sources` lists every contributing record; `conflicts` the disagreeing values;
    `details` the asset's disks, partitions, NICs, snapshots, tools, host and cluster
    (`core.inventory.details.asset_details_of`).
    """
    asset = uow.session.get(Asset, asset_id)
    if asset is None:
        raise UserInputError(f"no asset {asset_id} in this engagement")
    lineage = asset.field_lineage or {}
    import_ids = {uuid.UUID(v["import_id"]) for v in lineage.values() if v.get("import_id")}
    record_ids = [uuid.UUID(r) for r in asset.source_record_ids or []]
    rows = uow.session.execute(
        select(RawImportRecord.id, RawImportRecord.record_index, RawImportRecord.data_import_id).where(
            RawImportRecord.id.in_(record_ids)
        )
    ).all()
    import_ids |= {r.data_import_id for r in rows}
    files = {i.id: i for i in uow.session.scalars(select(DataImport).where(DataImport.id.in_(import_ids)))}
    fields_out: dict[str, Any] = {}
    for name in CANONICAL:
        value = getattr(asset, name)
        if value is None and name not in lineage:
            continue
        lin = lineage.get(name) or {}
        imp = files.get(uuid.UUID(lin["import_id"])) if lin.get("import_id") else None
        fields_out[name] = {
            "value": value,
            "file": imp.filename if imp else None,
            "sheet": lin.get("sheet") or (imp.sheet_name if imp else None),
            "import_id": lin.get("import_id"),
            "record_id": lin.get("record_id"),
            "row": lin.get("record_index"),
            "source_column": lin.get("source_column"),
            "raw_value": lin.get("raw_value"),
            "rule": lin.get("rule"),
        }
        if lin.get("rows"):
            fields_out[name]["rows"] = list(lin["rows"])
    sources = [
        {
            "record_id": str(r.id),
            "row": r.record_index,
            "import_id": str(r.data_import_id),
            "file": files[r.data_import_id].filename if r.data_import_id in files else None,
            "source_kind": _kind(files.get(r.data_import_id)),
        }
        for r in sorted(rows, key=lambda r: (str(r.data_import_id), r.record_index))
    ]
    return {
        "id": str(asset.id),
        "asset_name": asset.asset_name,
        "asset_type": asset.asset_type,
        "identity_key": asset.identity_key,
        "fields": fields_out,
        "sources": sources,
        "conflicts": asset.field_conflicts or {},
        "details": asset_details_of(uow, asset),
        "created_at": asset.created_at,
        "updated_at": asset.updated_at,
    }


def _kind(imp: DataImport | None) -> str | None:
    return source_kind(imp.source_system, imp.filename, imp.sheet_name, imp.import_metadata) if imp else None
