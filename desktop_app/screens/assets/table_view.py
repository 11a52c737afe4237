"""The asset table view: a lazy `AssetTableModel` shown row by row, its cell menu and navigation.

Why its own class: the screen lays out views; the table alone knows how it looks (row height,
no vertical header), tells the model which rows are on screen (so it prefetches the right way),
stays on the followed asset after a sort or filter, and builds the menu of the cell under the mouse.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView, QWidget

from desktop_app.screens.assets.actions import (
    ACTION_CLEAR_FILTERS,
    ACTION_COLUMNS,
    ACTION_COPY,
    ACTION_SHOW_ONLY,
)
from desktop_app.screens.assets.columns import format_field, header
from desktop_app.screens.assets.model import FIELD_ROLE, VALUE_ROLE, AssetTableModel

ROW_HEIGHT = 24


def filterable(field: object, value: object) -> bool:
    """Can "show only this value" filter on this cell? (a plain value of a known field)"""
    return isinstance(field, str) and value is not None and not isinstance(value, dict | list)


class AssetTableView(QTableView):
    """Single-row selection over the model; the model sorts in SQL on header clicks."""

    def __init__(self, model: AssetTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.setObjectName("assetTable")
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        self.horizontalHeader().setStretchLastSection(True)
        self.horizontalHeader().setHighlightSections(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.verticalScrollBar().valueChanged.connect(self._scrolled)

    def _scrolled(self, _value: int) -> None:
        """Tell the model which rows are on screen (it prefetches the way the view moves)."""
        last = self.rowAt(self.viewport().height() - 1)
        self._model.set_visible_rows(self.rowAt(0), last if last >= 0 else self._model.rowCount() - 1)

    def current_asset_id(self) -> uuid.UUID | None:
        """The asset of the current row, else the one the model follows."""
        current = self.currentIndex()
        asset = self._model.asset_at(current.row()) if current.isValid() else None
        return asset.asset_id if asset is not None else self._model.follow_asset

    def show_located(self, row: int) -> bool:
        """After a sort or filter change: stay on the followed asset (False: it is not shown)."""
        header_view = self.horizontalHeader()
        query = self._model.query
        order = Qt.SortOrder.DescendingOrder if query.descending else Qt.SortOrder.AscendingOrder
        header_view.blockSignals(True)
        header_view.setSortIndicator(self._model.column_of(query.sort), order)
        header_view.blockSignals(False)
        if row >= 0:
            index = self._model.index(row, max(0, self.currentIndex().column()))
            self.setCurrentIndex(index)
            self.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
            return True
        self.scrollToTop()
        self._model.follow_asset = None
        return False

    def select_asset(self, asset_id: uuid.UUID) -> bool:
        """Make a cached asset current (tests, links from elsewhere)."""
        row = self._model.row_of(asset_id)
        if row < 0:
            return False
        index = self._model.index(row, max(0, self.currentIndex().column()))
        self.setCurrentIndex(index)
        self.scrollTo(index)
        return True

    def select_cell(self, row: int, field: str) -> None:
        index = self._model.index(row, max(self._model.column_of(field), 0))
        self.setCurrentIndex(index)
        self.scrollTo(index)

    def cell_menu(self, pos: QPoint, actions: Mapping[str, QAction]) -> QMenu | None:
        """The menu of the cell at `pos` (made current): show only its value, copy, filters, columns."""
        index = self.indexAt(pos)
        if not index.isValid():
            return None
        self.setCurrentIndex(index)
        menu = QMenu(self)
        menu.setObjectName("assetCellMenu")
        field, value = index.data(FIELD_ROLE), index.data(VALUE_ROLE)
        only = actions[ACTION_SHOW_ONLY]
        only.setEnabled(filterable(field, value))
        if only.isEnabled():
            only.setText(f"Show only {header(str(field))} = {format_field(str(field), value)}")
        menu.addAction(only)
        menu.addAction(actions[ACTION_COPY])
        menu.addSeparator()
        menu.addAction(actions[ACTION_CLEAR_FILTERS])
        menu.addAction(actions[ACTION_COLUMNS])
        menu.popup(self.viewport().mapToGlobal(pos))
        return menu
