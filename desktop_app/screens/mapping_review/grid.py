"""The mapping grid: the table view over the filter proxy, with the painted confidence and buttons.

Why its own class: the screen lays out views and the controller decides; the grid alone knows how
rows look (widths, delegates) and how to find, select and step through `ReviewRow`s in view order.
Columns are sized to their content when rows arrive and when the grid is resized (`columns.fit_widths`),
until the consultant drags one: from then on their widths are kept, and remembered per screen in
QSettings (`SettingsStore.save_header`). Long texts are elided in the middle.
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from desktop_app.screens.mapping_review.columns import fit_widths
from desktop_app.screens.mapping_review.delegate import (
    ConfidenceDelegate,
    DecisionDelegate,
    ElideDelegate,
    actions_width,
)
from desktop_app.screens.mapping_review.model import (
    COL_ACTIONS,
    COL_CONFIDENCE,
    COL_EXPLANATION,
    COL_MATCH,
    COL_SAMPLES,
    COL_SOURCE,
    COL_STATUS,
    COL_TARGET,
    HEADERS,
    ROW_ROLE,
    MappingTableModel,
)
from desktop_app.screens.mapping_review.proxy import MappingFilterProxy
from desktop_app.screens.mapping_review.rows import ReviewRow
from desktop_app.settings_store import SettingsStore

ROW_HEIGHT = 30
_SELECT_ROW = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
HEADER_STATE = "mapping_review"
"""The QSettings key of the grid's column widths (`SettingsStore.save_header`)."""
CELL_PADDING = 16
MEASURED_ROWS = 500


def column_widths() -> tuple[tuple[int, int], ...]:
    """Widths before any rows arrived (then `fit_columns` sizes them); the explanation takes the rest."""
    return (
        (COL_SOURCE, 180),
        (COL_SAMPLES, 150),
        (COL_TARGET, 150),
        (COL_CONFIDENCE, 100),
        (COL_MATCH, 72),
        (COL_STATUS, 92),
        (COL_ACTIONS, actions_width() + 4),
    )


class MappingGrid(QTableView):
    """One row per source column, sorted and filtered by `MappingFilterProxy`."""

    def __init__(
        self, proxy: MappingFilterProxy, rows: MappingTableModel, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._proxy = proxy
        self._rows = rows
        self.setObjectName("mappingGrid")
        self.setModel(proxy)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setSortingEnabled(True)
        self.sortByColumn(COL_SOURCE, Qt.SortOrder.AscendingOrder)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setMouseTracking(True)
        self.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setStretchLastSection(False)
        header.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header.setSectionResizeMode(COL_EXPLANATION, QHeaderView.ResizeMode.Stretch)
        self._fitting = False
        self.user_sized = False
        """True once the consultant resized a column: widths are theirs from then on."""
        self._apply_widths(dict(column_widths()))
        header.setSectionResizeMode(COL_ACTIONS, QHeaderView.ResizeMode.Fixed)
        header.sectionResized.connect(self._section_resized)
        self.confidence_delegate = ConfidenceDelegate(self)
        self.decision_delegate = DecisionDelegate(self)
        self.prose_delegate = ElideDelegate(Qt.TextElideMode.ElideRight, self)  # prose reads from its start
        for col in (COL_SAMPLES, COL_EXPLANATION):
            self.setItemDelegateForColumn(col, self.prose_delegate)
        self.setItemDelegateForColumn(COL_CONFIDENCE, self.confidence_delegate)
        self.setItemDelegateForColumn(COL_ACTIONS, self.decision_delegate)

    # -- column widths -------------------------------------------------------------------------------

    def _apply_widths(self, widths: dict[int, int]) -> None:
        self._fitting = True
        try:
            for col, width in widths.items():
                if col != COL_EXPLANATION and self.columnWidth(col) != width:
                    self.setColumnWidth(col, width)
        finally:
            self._fitting = False

    def _section_resized(self, section: int, _old: int, _new: int) -> None:
        if not self._fitting and section != COL_EXPLANATION:  # the stretching one follows the others
            self.user_sized = True

    def header_widths(self) -> dict[int, int]:
        """What each header's text needs (with room for the sort arrow)."""
        header = QFontMetrics(self.horizontalHeader().font())
        return {col: header.horizontalAdvance(text) + CELL_PADDING + 14 for col, text in enumerate(HEADERS)}

    def content_widths(self) -> dict[int, int]:
        """What each column needs for its header and (the first rows of) its content."""
        bold = QFont(self.font())
        bold.setBold(True)
        plain, strong = QFontMetrics(self.font()), QFontMetrics(bold)
        wanted = self.header_widths()
        for row in range(min(self._rows.rowCount(), MEASURED_ROWS)):
            for col in (COL_SOURCE, COL_SAMPLES, COL_TARGET, COL_MATCH, COL_STATUS):
                text = self._rows.index(row, col).data()
                if text:
                    metrics = strong if col == COL_SOURCE else plain
                    wanted[col] = max(wanted[col], metrics.horizontalAdvance(str(text)) + CELL_PADDING)
        wanted[COL_ACTIONS] = actions_width() + 4
        return wanted

    def fit_columns(self) -> None:
        """Size the columns to their content within the grid's width (unless the consultant sized them)."""
        if self.user_sized:
            return
        self._apply_widths(fit_widths(self.content_widths(), self.viewport().width(), self.header_widths()))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.fit_columns()

    def restore_widths(self, store: SettingsStore) -> bool:
        """The widths the consultant left last time, if any (then they are not fitted again)."""
        restored = store.restore_header(HEADER_STATE, self.horizontalHeader())
        if restored:
            header = self.horizontalHeader()
            header.setSectionResizeMode(COL_EXPLANATION, QHeaderView.ResizeMode.Stretch)
            header.setSectionResizeMode(COL_ACTIONS, QHeaderView.ResizeMode.Fixed)
            self.user_sized = True
        return restored

    def save_widths(self, store: SettingsStore) -> None:
        """Remember the consultant's widths (fitted widths are not worth remembering)."""
        if self.user_sized:
            store.save_header(HEADER_STATE, self.horizontalHeader())

    # -- reading rows --------------------------------------------------------------------------------

    def current_row(self) -> ReviewRow | None:
        idx = self.currentIndex()
        row = idx.data(ROW_ROLE) if idx.isValid() else None
        return row if isinstance(row, ReviewRow) else None

    def selected_rows(self) -> list[ReviewRow]:
        """Selected rows in view order; the current row when nothing is selected."""
        rows = [i.data(ROW_ROLE) for i in sorted(self.selectionModel().selectedRows(), key=lambda i: i.row())]
        found = [r for r in rows if isinstance(r, ReviewRow)]
        if not found and (current := self.current_row()) is not None:
            found = [current]
        return found

    # -- moving --------------------------------------------------------------------------------------

    def select_index(self, index: QModelIndex) -> None:
        """Make a proxy index the current, only selected row."""
        self.selectionModel().setCurrentIndex(index, _SELECT_ROW)

    def select_mapping(self, mapping_id: uuid.UUID) -> bool:
        """Select a row by id and scroll to it (False: filtered out or unknown)."""
        idx = self._proxy.mapFromSource(self._rows.index_of(mapping_id, COL_SOURCE))
        if not idx.isValid():
            return False
        self.select_index(idx)
        self.scrollTo(idx)
        return True

    def select_first(self) -> None:
        if self._proxy.rowCount():
            self.setCurrentIndex(self._proxy.index(0, COL_SOURCE))

    def advance(self, rows: list[ReviewRow]) -> None:
        """After deciding one row by keyboard, move to the next row (fast review)."""
        if len(rows) != 1:
            return
        idx = self._proxy.mapFromSource(self._rows.index_of(rows[0].mapping_id, COL_SOURCE))
        if idx.isValid() and idx.row() + 1 < self._proxy.rowCount():
            column = self.currentIndex().column() if self.currentIndex().isValid() else 0
            self.select_index(self._proxy.index(idx.row() + 1, column))

    def next_pending(self) -> bool:
        """Select the next pending row after the current one, wrapping (False: none left)."""
        start = self.currentIndex().row() + 1 if self.currentIndex().isValid() else 0
        n = self._proxy.rowCount()
        for k in range(n):
            row = self._proxy.index((start + k) % n, COL_SOURCE).data(ROW_ROLE)
            if isinstance(row, ReviewRow) and row.pending:
                self.select_mapping(row.mapping_id)
                return True
        return False
