"""Table models of the dependency screen: groups, one group's connections, infrastructure.

Why model/view: thousands of groups and up to a thousand connections per group are only rows in
memory; the views paint what is visible, and a proxy filters by text and environment.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
Cell = Callable[[dict[str, Any]], Any]


class RowsModel(QAbstractTableModel):
    """Rows of plain dicts under (title, display, sort) columns."""

    def __init__(self, columns: Sequence[tuple[str, Cell, Cell]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self._rows: list[dict[str, Any]] = []

    def set_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[dict[str, Any]]:
        return list(self._rows)

    def row(self, i: int) -> dict[str, Any]:
        return self._rows[i]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section][0]
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        _title, show, sort = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return show(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            text = str(show(row))
            return text if len(text) > 24 else None
        if role == SORT_ROLE:
            return sort(row)
        if role == ROW_ROLE:
            return row
        return None


def _join(values: Sequence[str]) -> str:
    return ", ".join(values) if values else "—"


def _text(key: str) -> Cell:
    return lambda r: "" if r.get(key) is None else str(r[key])


def _casefold(key: str) -> Cell:
    return lambda r: str(r.get(key) or "").casefold()


GROUP_COLUMNS: tuple[tuple[str, Cell, Cell], ...] = (
    ("Move group", _text("name"), _casefold("name")),
    ("Applications", lambda r: _join(r["applications"]), lambda r: _join(r["applications"]).casefold()),
    ("Servers", lambda r: f"{len(r['assets']):,}", lambda r: len(r["assets"])),
    ("Environment", lambda r: _join(r["environments"]), lambda r: _join(r["environments"]).casefold()),
    (
        "Strongest links",
        lambda r: r.get("strongest") or "none",
        lambda r: -sum(r["links"]["groups"].values()),
    ),
)
CONNECTION_COLUMNS: tuple[tuple[str, Cell, Cell], ...] = (
    ("Source", _text("source"), _casefold("source")),
    ("Target", _text("target"), _casefold("target")),
    ("Port", lambda r: "" if r["port"] is None else str(r["port"]), lambda r: r["port"] or 0),
    ("Protocol", _text("protocol"), _casefold("protocol")),
    ("Count", lambda r: f"{r['observations']:,}", lambda r: r["observations"] or 0),
)
INFRA_COLUMNS: tuple[tuple[str, Cell, Cell], ...] = (
    ("Server", _text("hostname"), _casefold("hostname")),
    ("Treated as", lambda r: "infrastructure" if r["infrastructure"] else "in the groups",
     lambda r: r["infrastructure"]),
    ("Category", _text("category"), _casefold("category")),
    ("Detected by", _text("source"), _casefold("source")),
    ("Peers", lambda r: str(r["peers"] or ""), lambda r: r["peers"] or 0),
    ("Reasons", lambda r: "; ".join(r["reasons"]), lambda r: "; ".join(r["reasons"]).casefold()),
)  # fmt: skip


class GroupsFilter(QSortFilterProxyModel):
    """Text (group, application or host name) and environment filter over the groups."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.text = ""
        self.environment: str | None = None

    def set_filter(self, *, text: str, environment: str | None) -> None:
        self.text, self.environment = text.strip().casefold(), environment
        self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        model = self.sourceModel()
        if not isinstance(model, RowsModel):
            return True
        row = model.row(source_row)
        if self.environment and self.environment not in row["environments"]:
            return False
        return not self.text or self.text in row["search"]

    def visible_rows(self) -> list[dict[str, Any]]:
        return [self.index(r, 0).data(ROW_ROLE) for r in range(self.rowCount())]
