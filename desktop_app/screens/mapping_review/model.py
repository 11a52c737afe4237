"""The mapping grid's table model: one row per source column, data by role from small helpers.

Why a model (no widgets per row): a 200-column import is 200 rows of plain values; painting and
hit-testing happen in delegates, so the grid opens and scrolls instantly. Confidence and reason
follow the row's current decision (`rows.shown_confidence` / `shown_reason`); a pending row the
suggester found no target for reads "no target" (muted, no confidence bar). Every cell that can be
elided has its full text as tooltip.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from desktop_app.screens.mapping_review.rows import (
    Conflict,
    ReviewRow,
    shown_confidence,
    shown_match,
    shown_reason,
)
from desktop_app.theme import colors

# Columns
COL_SOURCE, COL_SAMPLES, COL_TARGET, COL_CONFIDENCE, COL_MATCH, COL_EXPLANATION, COL_STATUS, COL_ACTIONS = (
    range(8)
)
HEADERS = (
    "Source column",
    "Sample values",
    "Target field",
    "Confidence",
    "Match",
    "Explanation",
    "Status",
    "",
)
HEADER_TIPS = (
    "The column of the imported file",
    "A few distinct values of the column",
    "The asset field the column maps onto",
    "How sure the suggester is of the target the row holds now",
    "How the target was found (exact name, synonym, values, learned, …)",
    "Why the row holds its target: the suggester's reason, or who decided otherwise",
    "Pending, approved, changed or rejected (left unmapped)",
    "Approve (A), reject — leave unmapped (R), change the target (E)",
)
NO_TARGET = "no target"

# Custom roles carried by every cell of a row
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_ROLE = Qt.ItemDataRole.UserRole + 2
CONFIDENCE_ROLE = Qt.ItemDataRole.UserRole + 3
MAPPING_ID_ROLE = Qt.ItemDataRole.UserRole + 4
CONFLICT_ROLE = Qt.ItemDataRole.UserRole + 5
SORT_ROLE = Qt.ItemDataRole.UserRole + 6
BUSY_ROLE = Qt.ItemDataRole.UserRole + 7
NO_TARGET_ROLE = Qt.ItemDataRole.UserRole + 8

STATUS_TEXT = {"suggested": "Pending", "approved": "Approved", "rejected": "Rejected", "modified": "Changed"}
BATCH = 500  # rows exposed per fetchMore (the grid has one row per source column)

Index = QModelIndex | QPersistentModelIndex


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else ""


class MappingTableModel(QAbstractTableModel):
    """Rows of `ReviewRow`; `update_row`/`set_conflict` change one row in place."""

    def __init__(self, parent: Any = None, *, target_label: Callable[[str], str] | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ReviewRow] = []
        self._visible = 0
        self._by_id: dict[uuid.UUID, int] = {}
        self._busy: set[uuid.UUID] = set()
        self._target_label = target_label or (lambda name: name)
        self._bold = QFont()
        self._bold.setBold(True)
        self._italic = QFont()
        self._italic.setItalic(True)

    # -- loading ---------------------------------------------------------------------------------

    def load(self, rows: Iterable[ReviewRow]) -> None:
        """Replace all rows (keeping conflict markers of rows that still exist)."""
        old_conflicts = {r.mapping_id: r.conflict for r in self._rows if r.conflict is not None}
        self.beginResetModel()
        self._rows = [r.with_conflict(old_conflicts.get(r.mapping_id)) for r in rows]
        self._rows.sort(key=lambda r: r.position)
        self._by_id = {r.mapping_id: i for i, r in enumerate(self._rows)}
        self._visible = min(len(self._rows), BATCH)
        self._busy.clear()
        self.endResetModel()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._visible < len(self._rows)

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        extra = min(BATCH, len(self._rows) - self._visible)
        if extra <= 0:
            return
        self.beginInsertRows(QModelIndex(), self._visible, self._visible + extra - 1)
        self._visible += extra
        self.endInsertRows()

    def update_row(self, row: ReviewRow, *, keep_conflict: bool = False) -> None:
        """Replace one row (after a decision); clears its conflict unless asked to keep it."""
        i = self._by_id.get(row.mapping_id)
        if i is None:
            return
        old = self._rows[i]
        self._rows[i] = row.with_conflict(old.conflict if keep_conflict else row.conflict)
        self._busy.discard(row.mapping_id)
        self._row_changed(i)

    def set_conflict(self, mapping_id: uuid.UUID, conflict: Conflict | None) -> None:
        i = self._by_id.get(mapping_id)
        if i is None:
            return
        self._rows[i] = self._rows[i].with_conflict(conflict)
        self._busy.discard(mapping_id)
        self._row_changed(i)

    def set_busy(self, mapping_id: uuid.UUID, busy: bool) -> None:
        """Mark a row whose decision is being saved (painted dimmed)."""
        i = self._by_id.get(mapping_id)
        if i is None:
            return
        if busy:
            self._busy.add(mapping_id)
        else:
            self._busy.discard(mapping_id)
        self._row_changed(i)

    def _row_changed(self, i: int) -> None:
        if i < self._visible:
            self.dataChanged.emit(self.index(i, 0), self.index(i, len(HEADERS) - 1))

    # -- access ----------------------------------------------------------------------------------

    def rows(self) -> list[ReviewRow]:
        return list(self._rows)

    def row_at(self, row: int) -> ReviewRow:
        return self._rows[row]

    def row_by_id(self, mapping_id: uuid.UUID) -> ReviewRow | None:
        i = self._by_id.get(mapping_id)
        return self._rows[i] if i is not None else None

    def index_of(self, mapping_id: uuid.UUID, column: int = 0) -> QModelIndex:
        i = self._by_id.get(mapping_id)
        if i is None:
            return QModelIndex()
        while i >= self._visible and self.canFetchMore():
            self.fetchMore()
        return self.index(i, column)

    def counts(self) -> dict[str, int]:
        """Rows per decision state ("pending" = still suggested) and rows in conflict."""
        out = {
            "total": len(self._rows),
            "pending": 0,
            "approved": 0,
            "rejected": 0,
            "modified": 0,
            "conflicts": 0,
        }
        for r in self._rows:
            key = "pending" if r.status == "suggested" else r.status
            out[key] = out.get(key, 0) + 1
            if r.conflict is not None:
                out["conflicts"] += 1
        return out

    def unmatched(self) -> list[ReviewRow]:
        """Pending rows the suggester found no target for ("leave all unmatched unmapped")."""
        return [r for r in self._rows if r.no_target and r.conflict is None]

    # -- Qt model API ------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._visible

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS[section]
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= self._visible:
            return None
        row = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, col)
        if role == ROW_ROLE:
            return row
        if role == STATUS_ROLE:
            return row.status
        if role == CONFIDENCE_ROLE:
            return shown_confidence(row)
        if role == NO_TARGET_ROLE:
            return row.no_target
        if role == MAPPING_ID_ROLE:
            return row.mapping_id
        if role == CONFLICT_ROLE:
            return row.conflict
        if role == BUSY_ROLE:
            return row.mapping_id in self._busy
        if role == SORT_ROLE:
            return self._sort_key(row, col)
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(colors().conflict_tint) if row.conflict is not None else None
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._foreground(row, col)
        if role == Qt.ItemDataRole.FontRole and col == COL_SOURCE:
            return self._bold
        if role == Qt.ItemDataRole.FontRole and col == COL_TARGET and row.no_target:
            return self._italic
        if role == Qt.ItemDataRole.AccessibleTextRole:
            status = STATUS_TEXT.get(row.status, row.status)
            ai = ", suggested by AI" if row.by_ai else ""
            return f"{row.source_field}: {self._display(row, COL_TARGET)}{ai}, {status}"
        return None

    # -- role helpers ------------------------------------------------------------------------------

    def _display(self, row: ReviewRow, col: int) -> str | None:
        if col == COL_SOURCE:
            return row.source_field
        if col == COL_SAMPLES:
            return ", ".join(s for s in row.samples[:5] if s) or "—"
        if col == COL_TARGET:
            if row.status == "rejected":
                return "(unmapped)"
            return self._target_label(row.target_field) if row.target_field else NO_TARGET
        if col == COL_CONFIDENCE:
            shown = shown_confidence(row)
            return "" if shown is None else f"{shown:.0%}"
        if col == COL_MATCH:
            return shown_match(row)
        if col == COL_EXPLANATION:
            if row.conflict is not None:  # inline: their decision, who and when
                c = row.conflict
                who = c.decided_by or "someone else"
                when = f" at {_when(c.decided_at)}" if c.decided_at else ""
                verb = STATUS_TEXT.get(c.status, c.status).lower()
                return f"{who} {verb} this first{when} — your decision was not saved"
            return shown_reason(row)
        if col == COL_STATUS:
            if row.conflict is not None:
                return "⚠ Conflict"
            return STATUS_TEXT.get(row.status, row.status)
        return None

    def _tooltip(self, row: ReviewRow, col: int) -> str | None:
        if row.conflict is not None:
            return (
                f"Someone else decided first: {row.conflict.text}.\n"
                "Your decision was not saved; the row now shows their decision. Decide again if needed."
            )
        if col == COL_SOURCE:
            return row.source_field
        if col == COL_SAMPLES:
            return "\n".join(s for s in row.samples if s) or None
        if col == COL_EXPLANATION:
            return self._reason_tip(row)
        if col == COL_STATUS and row.decided_by:
            status = STATUS_TEXT.get(row.status, row.status)
            return f"{status} by {row.decided_by} {_when(row.decided_at)}".strip()
        if col == COL_TARGET:
            return self._target_tip(row)
        if col == COL_CONFIDENCE:
            return self._confidence_tip(row)
        if col == COL_MATCH:
            if row.by_ai:
                return (
                    "Suggested by the AI model (an AI second opinion): check it and approve or change it. "
                    "Nothing the AI suggests is approved automatically."
                )
            return f"The suggester found it by {row.match_type} match" if row.match_type != "none" else None
        return None

    def _reason_tip(self, row: ReviewRow) -> str | None:
        shown = shown_reason(row)
        if row.explanation and shown != row.explanation:
            return f"{shown}\nThe suggester said: {row.explanation}"
        return shown or None

    def _target_tip(self, row: ReviewRow) -> str | None:
        if row.no_target:
            return "No target field fits this column: choose one (E) or leave it unmapped (R)."
        lines = [self._display(row, COL_TARGET) or ""]
        if row.target_description and row.target_field == row.suggested_target:
            lines.append(row.target_description)
        if row.rules:
            lines.append("Transformation: " + ", ".join(f"{k}={v}" for k, v in row.rules.items()))
        return "\n".join(line for line in lines if line) or None

    @staticmethod
    def _confidence_tip(row: ReviewRow) -> str | None:
        if row.no_target:
            return f"No target field fits (the suggester is {row.confidence:.0%} sure of that)."
        shown = shown_confidence(row)
        if shown is None:
            return "No confidence: the row holds no target, or one the suggester did not score."
        return f"{shown:.0%} sure of {row.target_field}"

    def _foreground(self, row: ReviewRow, col: int) -> QColor | None:
        c = colors()
        if col == COL_STATUS:
            return {"approved": c.approved, "rejected": c.rejected, "modified": c.modified}.get(
                row.status, c.pending
            )
        if col == COL_TARGET and (row.target_field is None or row.status == "rejected"):
            return c.muted
        if col == COL_CONFIDENCE and shown_confidence(row) is None:
            return c.muted
        if col == COL_TARGET and row.status in ("approved", "modified"):
            return c.approved if row.status == "approved" else c.modified
        if col == COL_MATCH and row.by_ai:
            return c.modified  # AI suggestions stand out from the rules' matches
        if col in (COL_SAMPLES, COL_EXPLANATION, COL_MATCH):
            return c.muted
        return None

    @staticmethod
    def _sort_key(row: ReviewRow, col: int) -> Any:
        if col == COL_CONFIDENCE:
            shown = shown_confidence(row)
            return -1.0 if shown is None else shown
        if col == COL_SOURCE:
            return row.position
        if col == COL_STATUS:
            return (row.status != "suggested", row.status)
        if col == COL_TARGET:
            return row.target_field or "~"
        return (MappingTableModel._display_static(row, col) or "").lower()

    @staticmethod
    def _display_static(row: ReviewRow, col: int) -> str:
        return {
            COL_MATCH: shown_match(row),
            COL_EXPLANATION: shown_reason(row),
            COL_SAMPLES: ", ".join(row.samples),
        }.get(col, "")
