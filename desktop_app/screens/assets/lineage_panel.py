"""The detail panel: every field of one asset with where its value came from.

Why: a consultant must be able to show the client, for any number in the inventory, the file,
row and column it was read from, the exact raw cell and the rule that turned it into the value —
and, where exports disagree, the other values and which file said what. Below the fields, the
asset's details from a whole RVTools export (disks, partitions, NICs, snapshots, tools, host,
cluster: `DetailsSection`).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.screens.assets.columns import format_field, header
from desktop_app.screens.assets.details_section import DetailsSection
from desktop_app.screens.assets.model import conflict_icon
from desktop_app.theme import colors

# columns of the field tree
COL_FIELD, COL_VALUE, COL_FILE, COL_ROW, COL_COLUMN, COL_RAW, COL_RULE = range(7)
HEADERS = ("Field", "Value", "File", "Row", "Column", "Raw value", "Rule applied")
FIELD_ROLE = Qt.ItemDataRole.UserRole + 1
LINEAGE_ROLE = Qt.ItemDataRole.UserRole + 2
MAX_SOURCES = 12


class LineagePanel(QWidget):
    """Heading, the field tree (conflicting values as children) and the contributing records."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lineagePanel")
        self.detail: dict[str, Any] | None = None
        self._items: dict[str, QTreeWidgetItem] = {}
        self.title = QLabel("Select an asset to see where its values came from.")
        self.title.setObjectName("lineageTitle")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.fields = QTreeWidget()
        self.fields.setObjectName("lineageFields")
        self.fields.setColumnCount(len(HEADERS))
        self.fields.setHeaderLabels(list(HEADERS))
        self.fields.setRootIsDecorated(True)
        self.fields.setUniformRowHeights(True)
        self.fields.setAlternatingRowColors(True)
        self.fields.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.fields.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for col, width in zip(range(len(HEADERS)), (160, 170, 140, 44, 130, 150, 240), strict=True):
            self.fields.setColumnWidth(col, width)
        self.fields.header().setSectionResizeMode(COL_RULE, QHeaderView.ResizeMode.Stretch)
        self.sources = QLabel("")
        self.sources.setObjectName("lineageSources")
        self.sources.setWordWrap(True)
        self.sources.setTextFormat(Qt.TextFormat.RichText)
        self.sources.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._source_rows: list[tuple[str, str, str]] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.sources)
        layout.addWidget(self.fields, 3)
        self.details = DetailsSection()  # disks, partitions, NICs, ... of a whole RVTools export
        layout.addWidget(self.details, 2)
        self._bold = QFont()
        self._bold.setBold(True)

    # -- content ---------------------------------------------------------------------------------

    def clear(self, message: str = "Select an asset to see where its values came from.") -> None:
        self.detail = None
        self._items.clear()
        self.fields.clear()
        self.sources.clear()
        self._source_rows = []
        self.details.clear()
        self.title.setText(message)

    def show_detail(self, detail: dict[str, Any], focus_field: str | None = None) -> None:
        """Fill the panel from `asset_detail` (fields with lineage, conflicts, sources)."""
        self.detail = detail
        self._items.clear()
        self.fields.clear()
        fields: dict[str, Any] = detail.get("fields") or {}
        conflicts: dict[str, Any] = detail.get("conflicts") or {}
        sources: list[dict[str, Any]] = detail.get("sources") or []
        name = detail.get("asset_name") or detail.get("identity_key") or detail.get("id")
        kind = str(detail.get("asset_type") or "").replace("_", " ")
        files = sorted({s.get("file") or "?" for s in sources})
        self.title.setText(
            f"<b>{_html(str(name))}</b> &nbsp;{_html(kind)} · {len(sources)} source record(s) in "
            f"{len(files)} file(s)"
            + (
                f" · <span style='color:#b45309'><b>{len(conflicts)} field(s) with conflicting"
                " sources</b></span>"
                if conflicts
                else ""
            )
        )
        tint = QBrush(colors().conflict_tint)
        muted = QBrush(colors().muted)
        for field, info in fields.items():
            item = QTreeWidgetItem(
                [
                    header(field),
                    format_field(field, info.get("value")),
                    str(info.get("file") or ""),
                    "" if info.get("row") is None else str(info.get("row")),
                    str(info.get("source_column") or ""),
                    "" if info.get("raw_value") is None else str(info.get("raw_value")),
                    str(info.get("rule") or ""),
                ]
            )
            item.setData(COL_FIELD, FIELD_ROLE, field)
            item.setData(COL_FIELD, LINEAGE_ROLE, info)
            item.setToolTip(COL_FIELD, field)
            if info.get("sheet"):
                item.setToolTip(COL_FILE, f"{info.get('file')} — sheet {info.get('sheet')}")
            item.setTextAlignment(COL_ROW, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if info.get("raw_value") is None:
                item.setToolTip(COL_RAW, "no source cell: the value was inferred or copied")
            conflict = conflicts.get(field)
            if conflict:
                item.setIcon(COL_FIELD, conflict_icon())
                for col in range(len(HEADERS)):
                    item.setBackground(col, tint)
                item.setToolTip(COL_VALUE, "sources disagree; the value shown won by source precedence")
                for v in conflict.get("values") or []:
                    chosen = _same(v.get("value"), conflict.get("chosen"))
                    child = QTreeWidgetItem(
                        [
                            "chosen" if chosen else "other source",
                            format_field(field, v.get("value")),
                            str(v.get("filename") or ""),
                            "" if v.get("record_index") is None else str(v.get("record_index")),
                            str(v.get("source_column") or ""),
                            "" if v.get("raw_value") is None else str(v.get("raw_value")),
                            f"{v.get('source_kind') or 'source'}: "
                            + ("won by precedence" if chosen else "lower precedence, not used"),
                        ]
                    )
                    child.setTextAlignment(
                        COL_ROW, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                    if chosen:
                        child.setFont(COL_VALUE, self._bold)
                    else:
                        child.setForeground(COL_FIELD, muted)
                    item.addChild(child)
            self.fields.addTopLevelItem(item)
            self._items[field] = item
            if conflict:
                item.setExpanded(True)
        self._source_rows = [
            (
                str(src.get("file") or "?"),
                "" if src.get("row") is None else str(src.get("row")),
                str(src.get("source_kind") or ""),
            )
            for src in sources
        ]
        shown = [
            f"<b>{_html(f)}</b> row {r}" + (f" <span style='color:gray'>({_html(k)})</span>" if k else "")
            for f, r, k in self._source_rows[:MAX_SOURCES]
        ]
        more = len(self._source_rows) - MAX_SOURCES
        self.sources.setText(
            "Source records: " + " · ".join(shown) + (f" · and {more} more" if more > 0 else "")
            if shown
            else "No source records (entered by hand)."
        )
        self.details.show_details(list(detail.get("details") or []))
        if focus_field:
            self.select_field(focus_field)

    def select_field(self, field: str) -> bool:
        """Select and reveal a field's row (the table's current column)."""
        item = self._items.get(field)
        if item is None:
            return False
        self.fields.setCurrentItem(item)
        self.fields.scrollToItem(item, QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    # -- access (tests, copy) --------------------------------------------------------------------

    def field_names(self) -> list[str]:
        return list(self._items)

    def field_row(self, field: str) -> dict[str, str]:
        """The texts shown for a field, by column header."""
        item = self._items[field]
        return {h: item.text(i) for i, h in enumerate(HEADERS)}

    def source_rows(self) -> list[tuple[str, str, str]]:
        """(file, row, source kind) of every record behind the asset."""
        return list(self._source_rows)

    def conflict_rows(self, field: str) -> list[dict[str, str]]:
        item = self._items[field]
        return [{h: item.child(k).text(i) for i, h in enumerate(HEADERS)} for k in range(item.childCount())]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return a == b


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
