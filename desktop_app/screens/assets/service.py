"""Background functions of the asset screen: each takes the core and returns plain values.

Why one module: it is the only GUI code that names the asset reads and actions of the core; the
model and widgets hand these functions to `QueryOp` / `CollectionOp`. It opens no unit of work:
reads go through `core.queries.assets`, the merge, its undoing and "not a duplicate" through
`core.actions.assets` (which owns its transaction and says what changed). Every function runs in a
worker thread.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.actions import assets as asset_actions
from core.actions.outcome import Outcome
from core.bootstrap import Core
from core.progress import CancelToken, ProgressFn
from core.queries import assets as asset_queries
from core.queries.assets import Choices, DuplicateGroup, DuplicatePage, KeptApart, MergeEntry
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
    found = asset_queries.asset_window(
        core.uows,
        tenant_of(core, selection),
        columns=columns,
        page_size=page_size,
        sort=query.sort,
        descending=query.descending,
        filters=query.filters(),
        follow=follow,
        anchor_row=anchor_row,
    )
    return Window(found.total, found.located, found.page, build_rows(found.records, columns))


def load_page(
    core: Core, selection: Selection, query: TableQuery, columns: Sequence[str], page: int, page_size: int
) -> list[AssetRow]:
    """One page of rows (offset paging in SQL, same order as the count and the other pages)."""
    records = asset_queries.asset_page(
        core.uows,
        tenant_of(core, selection),
        columns=columns,
        page=page,
        page_size=page_size,
        sort=query.sort,
        descending=query.descending,
        filters=query.filters(),
    )
    return build_rows(records, columns)


def load_detail(core: Core, selection: Selection, asset_id: uuid.UUID) -> dict[str, Any]:
    """All fields of one asset with their lineage, conflicts (with their cells) and source records."""
    return asset_queries.asset_with_cells(core.uows, tenant_of(core, selection), asset_id)


def load_choices(core: Core, selection: Selection) -> Choices:
    """The filter bar's values, the imports with quality reports and the totals of the heading."""
    return asset_queries.filter_choices(core.uows, tenant_of(core, selection), FILTER_FIELDS, limit=40)


def load_quality(core: Core, selection: Selection, import_id: uuid.UUID) -> dict[str, Any] | None:
    """The import's stored data-quality report (None before its cleansing ran)."""
    return asset_queries.import_quality(core.uows, tenant_of(core, selection), import_id)


def load_duplicates(core: Core, selection: Selection, limit: int = 200) -> list[DuplicateGroup]:
    """Candidate groups, one per set of assets with every shared key (details load when opened)."""
    return asset_queries.duplicate_groups(core.uows, tenant_of(core, selection), limit=limit)


def load_duplicate_page(core: Core, selection: Selection, offset: int, limit: int) -> DuplicatePage:
    """One page of candidate groups and how many there are (groups said to be distinct left out)."""
    return asset_queries.duplicate_page(core.uows, tenant_of(core, selection), offset=offset, limit=limit)


def load_merges(core: Core, selection: Selection) -> list[MergeEntry]:
    """The engagement's merges not undone yet, newest first, each saying whether it can be undone."""
    return asset_queries.merges(core.uows, tenant_of(core, selection))


def load_group(core: Core, selection: Selection, group: DuplicateGroup) -> DuplicateGroup:
    """The group with each asset's detail (fields, lineage, sources) for the side-by-side view."""
    return asset_queries.group_details(core.uows, tenant_of(core, selection), group)


def merge(
    core: Core, selection: Selection, keep_id: uuid.UUID, merge_ids: Sequence[uuid.UUID], note: str
) -> Outcome[dict[str, Any]]:
    """Merge assets into `keep_id` (lineage recomputed by precedence).

    Returns the use case's outcome: the kept asset and what changed (the task manager broadcasts it).
    """
    return asset_actions.merge_assets(
        core.uows, tenant_of(core, selection), keep_id, list(merge_ids), note=note
    )


def split_merge(core: Core, selection: Selection, merge_id: uuid.UUID) -> Outcome[dict[str, Any]]:
    """Undo a merge: the merged assets come back with their ids, records and lineage."""
    return asset_actions.split_merge(core.uows, tenant_of(core, selection), merge_id)


def mark_not_duplicate(
    core: Core, selection: Selection, asset_ids: Sequence[uuid.UUID], note: str
) -> Outcome[int]:
    """Record that the assets are different machines; the review stops proposing them together."""
    return asset_actions.mark_not_duplicate(core.uows, tenant_of(core, selection), list(asset_ids), note=note)


def load_kept_apart(core: Core, selection: Selection) -> list[KeptApart]:
    """The "not a duplicate" decisions, newest first (each can be taken back)."""
    return asset_queries.kept_apart_decisions(core.uows, tenant_of(core, selection))


def undo_not_duplicate(core: Core, selection: Selection, decision: KeptApart) -> Outcome[int]:
    """Take back a "not a duplicate" decision: its group is proposed again."""
    return asset_actions.undo_not_duplicate(
        core.uows, tenant_of(core, selection), list(decision.decision_ids)
    )


def export(
    core: Core,
    selection: Selection,
    path: Path,
    fmt: str,
    query: TableQuery,
    cancel: CancelToken,
    progress: ProgressFn,
) -> tuple[ExportResult, int]:
    """Write the assets the table shows (its filters) with quality and conflicts to XLSX or CSV."""
    from core.export.inventory import export_assets

    tenant = tenant_of(core, selection)
    result = export_assets(
        core.uows, tenant, path, fmt, filters=query.filters(), progress=progress, cancel=cancel
    )
    return result, result.rows.get("Assets", 0)
