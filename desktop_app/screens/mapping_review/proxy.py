"""Filters of the mapping grid (pending, low confidence, unmapped, conflicts) plus a text search.

Why a proxy: filtering and sorting never reload or copy rows; the source model stays the one truth.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel

from desktop_app.screens.mapping_review.model import ROW_ROLE, SORT_ROLE
from desktop_app.screens.mapping_review.rows import ReviewRow

FILTER_ALL = "all"
FILTER_PENDING = "pending"
FILTER_LOW = "low_confidence"
FILTER_UNMAPPED = "unmapped"
FILTER_CONFLICTS = "conflicts"
FILTERS = {
    FILTER_ALL: "All columns",
    FILTER_PENDING: "Pending",
    FILTER_LOW: "Low confidence",
    FILTER_UNMAPPED: "Unmapped",
    FILTER_CONFLICTS: "Conflicts",
}
LOW_CONFIDENCE = 0.6


class MappingFilterProxy(QSortFilterProxyModel):
    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self._mode = FILTER_ALL
        self._text = ""
        self.low_confidence = LOW_CONFIDENCE
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(False)  # a decided row stays put until the filter is re-applied

    @property
    def mode(self) -> str:
        return self._mode

    def set_mode(self, mode: str) -> None:
        self._begin()
        self._mode = mode if mode in FILTERS else FILTER_ALL
        self._end()

    def set_text(self, text: str) -> None:
        self._begin()
        self._text = text.strip().lower()
        self._end()

    def _begin(self) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt ≥ 6.9; invalidateFilter() is deprecated there
            self.beginFilterChange()

    def _end(self) -> None:
        if hasattr(self, "endFilterChange"):
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.invalidateFilter()

    def accepts(self, row: ReviewRow) -> bool:
        """The filter as a pure function (the model-alone tests use it)."""
        if self._mode == FILTER_PENDING and not row.pending:
            return False
        if self._mode == FILTER_LOW and row.confidence >= self.low_confidence:
            return False
        if self._mode == FILTER_UNMAPPED and not row.unmapped:
            return False
        if self._mode == FILTER_CONFLICTS and row.conflict is None:
            return False
        if self._text:
            samples = " ".join(row.samples)
            hay = f"{row.source_field} {row.target_field or ''} {samples} {row.explanation}".lower()
            return self._text in hay
        return True

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        row = self.sourceModel().index(source_row, 0, source_parent).data(ROW_ROLE)
        return isinstance(row, ReviewRow) and self.accepts(row)
