"""Table models of the tech-debt screen: findings rows in memory, sorted and filtered by a proxy.

Why in memory: one engagement has at most a few findings per asset (tens of thousands of rows at
most), all read at once by one query; sorting and filtering a list is instant and needs no SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from desktop_app.screens.techdebt.status import badge_text, status_of

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
STATUS_ORDER = {"eol": 0, "eol_12m": 1, "unknown": 2, "supported": 3, "undersized": 0, "downsize": 1}
COMPONENTS = {"os": "OS", "database": "Database", "cpu": "CPU", "memory": "Memory"}


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int


LIFECYCLE_COLUMNS = (
    Column("asset", "Asset", 72),
    Column("component", "Component", 82),
    Column("product", "Product", 160),
    Column("version", "Version", 72),
    Column("status", "Status", 192),
    Column("end_of_support", "End of support", 104),
    Column("rule", "Rule", 260),
    Column("note", "Paid extension", 260),
)
SIZING_COLUMNS = (
    Column("asset", "Asset", 160),
    Column("component", "Resource", 90),
    Column("status", "Finding", 130),
    Column("measure", "Measure", 110),
    Column("value", "Peak %", 80),
    Column("threshold", "Threshold %", 90),
    Column("rule", "Rule", 420),
)


def cell(row: dict[str, Any], key: str) -> Any:
    """The value of a column (right-sizing measures live in `details`)."""
    if key in ("measure", "value", "threshold", "text"):
        return (row.get("details") or {}).get(key)
    return row.get(key)


def display(row: dict[str, Any], key: str) -> str:
    value = cell(row, key)
    if key == "status":
        return badge_text(str(value))
    if key == "component":
        return COMPONENTS.get(str(value), str(value or ""))
    if key == "product" and not value:
        text = (row.get("details") or {}).get("text")
        return f"not recognised: {text}" if text else "not recognised"
    if key == "end_of_support" and value:
        return dt.date.fromisoformat(str(value)).strftime("%d %b %Y")
    if isinstance(value, float):
        return f"{value:g}"
    return "" if value is None else str(value)


def sort_key(row: dict[str, Any], key: str) -> Any:
    """Sortable value: statuses by severity, dates as ISO text, missing values last."""
    value = cell(row, key)
    if key == "status":
        return STATUS_ORDER.get(str(value), 9)
    if value is None or value == "":
        return "\uffff"
    if isinstance(value, (int, float)):
        return f"{value:020.6f}"
    return str(value).casefold()


class FindingsModel(QAbstractTableModel):
    """Rows of `stored_findings` under the given columns."""

    def __init__(self, columns: Sequence[Column], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self._rows: list[dict[str, Any]] = []

    def set_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[dict[str, Any]]:
        return list(self._rows)

    def column_of(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        key = self.columns[index.column()].key
        if role == Qt.ItemDataRole.DisplayRole:
            return display(row, key)
        if role == Qt.ItemDataRole.UserRole:
            return row.get("status") if key == "status" else cell(row, key)
        if role == SORT_ROLE:
            return sort_key(row, key)
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "status":
                s = status_of(str(row.get("status")))
                return f"{s.label}: {s.explain}"
            if key == "product":
                d = row.get("details") or {}
                read = " + ".join(str(v) for v in (d.get("text"), d.get("version")) if v)
                return f"read from {d.get('field')}: {read}" if read else None
            text = display(row, key)
            return text if len(text) > 30 else None
        return None


class FindingsFilter(QSortFilterProxyModel):
    """Status, component and free-text filter over a `FindingsModel`; sorts by `SORT_ROLE`."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.status: str | None = None
        self.component: str | None = None
        self.text = ""

    def set_filter(self, *, status: str | None, component: str | None, text: str) -> None:
        self.status, self.component, self.text = status, component, text.strip().casefold()
        self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        model = self.sourceModel()
        if not isinstance(model, FindingsModel):
            return True
        row = model._rows[source_row]
        if self.status and row.get("status") != self.status:
            return False
        if self.component and row.get("component") != self.component:
            return False
        if self.text:
            hay = " ".join(display(row, c.key) for c in model.columns).casefold()
            hay += " " + str((row.get("details") or {}).get("text") or "").casefold()
            return self.text in hay
        return True

    def visible_rows(self) -> list[dict[str, Any]]:
        return [self.index(r, 0).data(ROW_ROLE) for r in range(self.rowCount())]
