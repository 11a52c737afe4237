"""Plain values of the asset table: the query it shows (sort + filters) and its formatted rows.

Why frozen values: a page result carries the query and generation it was fetched for, so a late
page from before a sort or filter change can be recognised and dropped; rows are built (and their
cells formatted) in the worker thread, so `data()` only indexes tuples.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from core.inventory import AssetFilters
from core.queries.asset_pages import CONFLICTS_KEY
from desktop_app.screens.assets.columns import column, format_field, format_value, header


@dataclass(frozen=True)
class TableQuery:
    """Sort order and filters of the table; all of it is applied in SQL."""

    sort: str = "asset_name"
    descending: bool = False
    search: str = ""
    equals: tuple[tuple[str, Any], ...] = ()
    conflicts_only: bool = False
    import_id: uuid.UUID | None = None
    import_name: str = field(default="", compare=False)

    def filters(self) -> AssetFilters:
        return AssetFilters(
            search=self.search.strip() or None,
            equals=dict(self.equals),
            has_conflicts=True if self.conflicts_only else None,
            data_import_id=self.import_id,
        )

    @property
    def filtered(self) -> bool:
        return bool(self.search.strip() or self.equals or self.conflicts_only or self.import_id)

    def with_equal(self, name: str, value: Any) -> TableQuery:
        """Set (or with None remove) an exact-value filter on one field."""
        rest = tuple((k, v) for k, v in self.equals if k != name)
        return replace(self, equals=rest if value is None else (*rest, (name, value)))

    def equal(self, name: str) -> Any:
        return next((v for k, v in self.equals if k == name), None)

    def cleared(self) -> TableQuery:
        """Same order, no filters."""
        return TableQuery(sort=self.sort, descending=self.descending)

    def describe(self) -> list[str]:
        """Active filters as short texts for the filter bar."""
        parts = [f"“{self.search.strip()}”"] if self.search.strip() else []
        parts += [f"{header(k)} = {format_field(k, v)}" for k, v in self.equals]
        if self.conflicts_only:
            parts.append("conflicting sources")
        if self.import_id is not None:
            parts.append(f"from {self.import_name or 'one import'}")
        return parts


class AssetRow:
    """One asset of a page: id, typed values, display texts and the (few) columns in conflict."""

    __slots__ = ("asset_id", "conflicts", "texts", "values")

    def __init__(
        self, asset_id: uuid.UUID, values: tuple[Any, ...], texts: tuple[str, ...], conflicts: tuple[int, ...]
    ) -> None:
        self.asset_id = asset_id
        self.values = values
        self.texts = texts
        self.conflicts = conflicts

    def __repr__(self) -> str:
        return f"<AssetRow {self.asset_id} {self.texts[:2]}>"


def build_rows(records: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> list[AssetRow]:
    """Rows for the table from `fetch_page` dicts (formatting done here, in the worker)."""
    kinds = [column(c).kind for c in columns]
    index = {c: i for i, c in enumerate(columns)}
    out: list[AssetRow] = []
    for rec in records:
        values = tuple(rec.get(c) for c in columns)
        texts = tuple(format_value(k, v) for k, v in zip(kinds, values, strict=True))
        # tuples of plain values: the garbage collector stops tracking them (cheaper full collections)
        conflicts = tuple(sorted(index[f] for f in rec.get(CONFLICTS_KEY) or () if f in index))
        out.append(AssetRow(rec["id"], values, texts, conflicts))
    return out
