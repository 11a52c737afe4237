"""Background functions of the asset screen: each takes the core and returns plain values.

Why one module: it is the only GUI code that names the inventory, cleansing and export APIs; the
model and widgets hand these functions to `QueryOp` / `CollectionOp` and never touch the database.
Every function runs in a worker thread.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.bootstrap import Core
from core.errors import OperationCancelled
from core.inventory import asset_detail, count_assets, duplicate_candidates, merge_assets
from core.services import asset_queries
from core.services.asset_queries import ReportedImport
from desktop_app.screens.assets.rows import AssetRow, TableQuery, build_rows
from desktop_app.screens.registry import Selection
from desktop_app.tenancy import tenant_of

if TYPE_CHECKING:  # openpyxl loads only when an export runs (start-up stays fast)
    from core.export import ExportResult

FILTER_FIELDS = ("asset_type", "environment")


@dataclass(frozen=True)
class Window:
    """What a (re)load shows first: the row count, where the followed asset is now, one page."""

    total: int
    located: int | None
    page: int
    rows: list[AssetRow]


def load_window(
    core: Core,
    selection: Selection,
    query: TableQuery,
    columns: Sequence[str],
    page_size: int,
    *,
    follow: uuid.UUID | None = None,
    anchor_row: int = 0,
) -> Window:
    """Count, locate `follow` (after a sort or filter change) and fetch the page to show first."""
    filters = query.filters()
    with core.uow(tenant_of(core, selection)) as uow:
        total = count_assets(uow, filters)
        located = (
            asset_queries.asset_position(
                uow, follow, sort=query.sort, descending=query.descending, filters=filters
            )
            if follow is not None
            else None
        )
        row = located if located is not None else min(max(anchor_row, 0), max(total - 1, 0))
        page = row // page_size
        records = asset_queries.fetch_page(
            uow,
            columns=columns,
            sort=query.sort,
            descending=query.descending,
            filters=filters,
            offset=page * page_size,
            limit=page_size,
        )
    return Window(total, located, page, build_rows(records, columns))


def load_page(
    core: Core, selection: Selection, query: TableQuery, columns: Sequence[str], page: int, page_size: int
) -> list[AssetRow]:
    """One page of rows (offset paging in SQL, same order as the count and the other pages)."""
    with core.uow(tenant_of(core, selection)) as uow:
        records = asset_queries.fetch_page(
            uow,
            columns=columns,
            sort=query.sort,
            descending=query.descending,
            filters=query.filters(),
            offset=page * page_size,
            limit=page_size,
        )
    return build_rows(records, columns)


def load_detail(core: Core, selection: Selection, asset_id: uuid.UUID) -> dict[str, Any]:
    """All fields of one asset with their lineage, conflicts and source records.

    Each conflicting value also gets the source column and raw cell it was read from.
    """
    with core.uow(tenant_of(core, selection)) as uow:
        detail = asset_detail(uow, asset_id)
        cells = asset_queries.conflict_cells(uow, detail.get("conflicts") or {})
    for name, conflict in (detail.get("conflicts") or {}).items():
        for v in conflict.get("values") or []:
            v.update(cells.get((name, str(v.get("record_id"))), {}))
    return detail


@dataclass(frozen=True)
class Choices:
    """What the filter bar offers, and the engagement's totals for the heading."""

    values: dict[str, list[tuple[Any, int]]]
    imports: list[ReportedImport]
    total: int
    conflicted: int


def load_choices(core: Core, selection: Selection) -> Choices:
    with core.uow(tenant_of(core, selection)) as uow:
        values = {name: asset_queries.field_values(uow, name, limit=40) for name in FILTER_FIELDS}
        imports = asset_queries.reported_imports(uow)
        total = count_assets(uow)
        conflicted = count_assets(uow, {"has_conflicts": True}) if total else 0
    return Choices(values, imports, total, conflicted)


def load_quality(core: Core, selection: Selection, import_id: uuid.UUID) -> dict[str, Any] | None:
    """The import's stored data-quality report (None before its cleansing ran)."""
    from core.cleansing import quality_report

    with core.uow(tenant_of(core, selection)) as uow:
        return quality_report(uow, import_id)


@dataclass(frozen=True)
class DuplicateGroup:
    """Assets that share a key but were kept apart, with every field of each for comparison."""

    reason: str
    key: str
    asset_ids: tuple[uuid.UUID, ...]
    names: tuple[str, ...]
    details: tuple[dict[str, Any], ...] = field(default=(), compare=False)


def load_duplicates(core: Core, selection: Selection, limit: int = 200) -> list[DuplicateGroup]:
    """Candidate groups (details load when a group is opened); one group per set of assets.

    The core lists a pair once per shared key (host name and name, say); the review shows it once
    with every reason.
    """
    with core.uow(tenant_of(core, selection)) as uow:
        found = duplicate_candidates(uow, limit=limit)
    groups: dict[frozenset[str], DuplicateGroup] = {}
    for g in found:
        key = frozenset(g["asset_ids"])
        seen = groups.get(key)
        if seen is not None:
            groups[key] = replace(seen, reason=f"{seen.reason}, {g['reason']}")
            continue
        groups[key] = DuplicateGroup(
            g["reason"],
            str(g["key"]),
            tuple(uuid.UUID(i) for i in g["asset_ids"]),
            tuple(str(n or "") for n in g["names"]),
        )
    return list(groups.values())


def load_group(core: Core, selection: Selection, group: DuplicateGroup) -> DuplicateGroup:
    """The group with each asset's detail (fields, lineage, sources) for the side-by-side view."""
    with core.uow(tenant_of(core, selection)) as uow:
        details = tuple(asset_detail(uow, i) for i in group.asset_ids)
    return DuplicateGroup(group.reason, group.key, group.asset_ids, group.names, details)


def merge(
    core: Core, selection: Selection, keep_id: uuid.UUID, merge_ids: Sequence[uuid.UUID], note: str
) -> dict[str, Any]:
    """Merge assets into `keep_id` (lineage recomputed by precedence); returns the kept asset."""
    with core.uow(tenant_of(core, selection)) as uow:
        kept = merge_assets(uow, keep_id, list(merge_ids), note=note)
        uow.commit()
    return kept


class CountingCancel:
    """The export's cancel flag that also reports progress.

    `export_inventory` polls its flag once per 2,000 asset rows; each poll is counted as 2,000 rows
    done, so the status bar shows how far the export is without a second query.
    """

    ROWS_PER_POLL = 2000

    def __init__(
        self, token: threading.Event, total: int, report: Callable[[int, int | None, str], None]
    ) -> None:
        self._token = token
        self._total = total
        self._report = report
        self.polls = 0

    @property
    def cancelled(self) -> bool:
        self.polls += 1
        done = min(self.total_or_none() or 0, (self.polls - 1) * self.ROWS_PER_POLL)
        self._report(done, self.total_or_none(), "assets")
        return self._token.is_set()

    def total_or_none(self) -> int | None:
        return self._total or None


def export(
    core: Core,
    selection: Selection,
    path: Path,
    fmt: str,
    query: TableQuery,
    token: threading.Event,
    report: Callable[[int, int | None, str], None],
) -> tuple[ExportResult, int]:
    """Write the assets the table shows (its filters) with quality and conflicts to XLSX or CSV."""
    from core.export import export_inventory

    filters = query.filters()
    with core.uow(tenant_of(core, selection)) as uow:
        total = count_assets(uow, filters)
        cancel = CountingCancel(token, total, report)
        try:
            result = export_inventory(
                uow,
                path,
                fmt,
                filters=filters,
                cancel=cancel,
                progress=lambda view, rows: report(total, total, f"{view.lower()} written ({rows:,} rows)"),
            )
        except OperationCancelled:
            for part in path.parent.glob(f"{path.stem}*.part"):  # half-written views
                part.unlink(missing_ok=True)
            raise
    return result, total
