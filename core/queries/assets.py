"""Reads of the asset screen for the front ends: each opens one read-only unit of work.

Why here: the GUI never opens a unit of work; what the asset table, the lineage panel, the filter bar,
the quality tab and the duplicate review show it reads through these functions, which take the
unit-of-work factory and the acting tenant. They reuse the helpers that take a `uow`
(`core.queries.asset_pages`, `core.inventory`, `core.cleansing`) and never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from core.cleansing import quality_report
from core.inventory import AssetFilters, asset_detail, count_assets, kept_apart, recorded_merges
from core.inventory import duplicate_page as duplicate_page_of
from core.queries import asset_pages
from core.queries.asset_pages import ReportedImport
from core.uow import Tenant, UnitOfWork, UnitOfWorkFactory

Filters = AssetFilters | Mapping[str, Any] | None


@dataclass(frozen=True)
class AssetWindow:
    """What a (re)load of the table shows first: the row count, where the followed asset is, one page."""

    total: int
    located: int | None
    page: int
    records: list[dict[str, Any]]


@dataclass(frozen=True)
class Choices:
    """What the filter bar offers, and the engagement's totals for the heading (templates apart)."""

    values: dict[str, list[tuple[Any, int]]]
    imports: list[ReportedImport]
    total: int
    conflicted: int
    templates: int = 0
    """VM templates among `total` (RVTools' Template column): golden images, not servers."""

    @property
    def servers(self) -> int:
        """Assets that are machines or applications to migrate: every asset but the templates."""
        return self.total - self.templates


@dataclass(frozen=True)
class DuplicateGroup:
    """Assets that share a key but were kept apart, with every field of each for comparison."""

    reason: str
    key: str
    asset_ids: tuple[uuid.UUID, ...]
    names: tuple[str, ...]
    details: tuple[dict[str, Any], ...] = field(default=(), compare=False)


def _page(
    uow: UnitOfWork,
    columns: Sequence[str],
    sort: str,
    descending: bool,
    filters: Filters,
    page: int,
    page_size: int,
) -> list[dict[str, Any]]:
    return asset_pages.fetch_page(
        uow,
        columns=columns,
        sort=sort,
        descending=descending,
        filters=filters,
        offset=page * page_size,
        limit=page_size,
    )


def asset_window(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    *,
    columns: Sequence[str],
    page_size: int,
    sort: str = "asset_name",
    descending: bool = False,
    filters: Filters = None,
    follow: uuid.UUID | None = None,
    anchor_row: int = 0,
) -> AssetWindow:
    """Count, locate `follow` (after a sort or filter change) and fetch the page to show first.

    One transaction, so the count, the position and the page agree with each other.
    """
    with uows(tenant) as uow:
        total = count_assets(uow, filters)
        located = (
            asset_pages.asset_position(uow, follow, sort=sort, descending=descending, filters=filters)
            if follow is not None
            else None
        )
        row = located if located is not None else min(max(anchor_row, 0), max(total - 1, 0))
        page = row // page_size
        records = _page(uow, columns, sort, descending, filters, page, page_size)
    return AssetWindow(total, located, page, records)


def asset_page(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    *,
    columns: Sequence[str],
    page: int,
    page_size: int,
    sort: str = "asset_name",
    descending: bool = False,
    filters: Filters = None,
) -> list[dict[str, Any]]:
    """One page of rows (offset paging in SQL, same order as the count and the other pages)."""
    with uows(tenant) as uow:
        return _page(uow, columns, sort, descending, filters, page, page_size)


def asset_with_cells(uows: UnitOfWorkFactory, tenant: Tenant, asset_id: uuid.UUID) -> dict[str, Any]:
    """All fields of one asset with their lineage, conflicts and source records.

    Each conflicting value already carries the source column and raw cell it was read from (the
    inventory copies them from the lineage cleansing recorded), so nothing is looked up again.
    """
    with uows(tenant) as uow:
        return asset_detail(uow, asset_id)


def filter_choices(
    uows: UnitOfWorkFactory, tenant: Tenant, fields: Sequence[str], *, limit: int = 40
) -> Choices:
    """The most common values of `fields`, the imports with their quality totals, and asset totals."""
    with uows(tenant) as uow:
        values = {name: asset_pages.field_values(uow, name, limit=limit) for name in fields}
        imports = asset_pages.reported_imports(uow)
        total = count_assets(uow)
        conflicted = count_assets(uow, {"has_conflicts": True}) if total else 0
        templates = count_assets(uow, {"is_template": True}) if total else 0
    return Choices(values, imports, total, conflicted, templates)


def import_quality(uows: UnitOfWorkFactory, tenant: Tenant, import_id: uuid.UUID) -> dict[str, Any] | None:
    """The import's data-quality report: the stored cleansing report (`cleansed: True`) with the
    newest AI quality crew's findings under `ai_findings` (marked as AI; absent when no crew ran).

    A quality crew may run before cleansing: then the report is `{"cleansed": False, filename,
    import_id, ai_findings}`, so the findings show all the same. None: neither exists yet.
    """
    from sqlalchemy import select

    from core.db.models import DataImport
    from core.queries.agents import ai_findings

    with uows(tenant) as uow:
        report = quality_report(uow, import_id)
        ai = ai_findings(uow, import_id)
        filename = uow.session.scalar(select(DataImport.filename).where(DataImport.id == import_id))
    if report is None and ai is None:
        return None
    if report is not None:
        base = {**report, "cleansed": True}
    else:
        base = {"cleansed": False, "filename": filename, "import_id": str(import_id)}
    return {**base, "ai_findings": ai} if ai is not None else base


@dataclass(frozen=True)
class DuplicatePage:
    """One page of the duplicate review: its groups, where it starts, and how many groups there are."""

    total: int
    offset: int
    groups: list[DuplicateGroup]


@dataclass(frozen=True)
class MergeEntry:
    """A recorded merge for the review's list of merges (and whether it can be undone, or why not)."""

    merge_id: uuid.UUID
    created_at: Any
    decided_by: str | None
    note: str | None
    kept_asset_id: uuid.UUID | None
    kept_name: str | None
    asset_names: tuple[str, ...]
    records: int
    can_split: bool
    why_not: str | None


def duplicate_page(
    uows: UnitOfWorkFactory, tenant: Tenant, *, offset: int = 0, limit: int = 200
) -> DuplicatePage:
    """Candidate groups `offset`..`offset+limit`, each set of assets once with every key it shares.

    Groups a consultant said are not duplicates are left out; `total` counts every open group.
    Details load when a group is opened (`group_details`).
    """
    with uows(tenant) as uow:
        found = duplicate_page_of(uow, offset=offset, limit=limit)
    groups = [
        DuplicateGroup(
            g["reason"],
            str(g["key"]),
            tuple(uuid.UUID(i) for i in g["asset_ids"]),
            tuple(str(n or "") for n in g["names"]),
        )
        for g in found.groups
    ]
    return DuplicatePage(found.total, found.offset, groups)


def duplicate_groups(uows: UnitOfWorkFactory, tenant: Tenant, *, limit: int = 200) -> list[DuplicateGroup]:
    """The first `limit` candidate groups (`duplicate_page` without the total)."""
    return duplicate_page(uows, tenant, limit=limit).groups


def merges(uows: UnitOfWorkFactory, tenant: Tenant, *, limit: int = 500) -> list[MergeEntry]:
    """The engagement's merges not undone yet, newest first."""
    with uows(tenant) as uow:
        found = recorded_merges(uow, limit=limit)
    return [
        MergeEntry(
            m["id"],
            m["created_at"],
            m["decided_by"],
            m["note"],
            m["kept_asset_id"],
            m["kept_name"],
            tuple(m["asset_names"]),
            m["records"],
            m["can_split"],
            m["why_not"],
        )
        for m in found
    ]


@dataclass(frozen=True)
class KeptApart:
    """A "not a duplicate" decision for the review's list: which assets, who, when, and its pairs."""

    decision_ids: tuple[uuid.UUID, ...]
    created_at: Any
    decided_by: str | None
    note: str | None
    asset_names: tuple[str, ...]


def kept_apart_decisions(uows: UnitOfWorkFactory, tenant: Tenant, *, limit: int = 500) -> list[KeptApart]:
    """The engagement's "not a duplicate" decisions, newest first."""
    with uows(tenant) as uow:
        found = kept_apart(uow, limit=limit)
    return [
        KeptApart(
            tuple(k["decision_ids"]), k["created_at"], k["decided_by"], k["note"], tuple(k["asset_names"])
        )
        for k in found
    ]


def group_details(uows: UnitOfWorkFactory, tenant: Tenant, group: DuplicateGroup) -> DuplicateGroup:
    """The group with each asset's detail (fields, lineage, sources) for the side-by-side view."""
    with uows(tenant) as uow:
        details = tuple(asset_detail(uow, i) for i in group.asset_ids)
    return replace(group, details=details)
