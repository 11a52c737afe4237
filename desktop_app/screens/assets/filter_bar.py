"""The asset table's filter bar: search box, field filters, "conflicts only", import; all in SQL.

Why it only edits a `TableQuery`: the model runs the query; the bar turns what the user typed or
picked into filters (search debounced so typing does not start a query per key) and shows the
filters that came from elsewhere (a cell's "Show only …") so they can be cleared.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from desktop_app.screens.assets.rows import TableQuery
from desktop_app.screens.assets.service import Choices

SEARCH_DELAY_MS = 300
ALL = None


class FilterBar(QWidget):
    """Emits `changed` when the user changes a filter; `apply_to(query)` gives the new query."""

    changed = Signal()
    clear_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("assetFilterBar")
        self._quiet = False
        self._extra: list[str] = []
        self.search = QLineEdit()
        self.search.setObjectName("assetSearch")
        self.search.setPlaceholderText("Search name, host, FQDN, IP, serial, external id…  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(260)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._emit)
        self.search.textChanged.connect(lambda _t: self._quiet or self._search_timer.start())
        self.search.returnPressed.connect(self._emit)
        self.asset_type = self._combo("assetTypeFilter", "All types")
        self.environment = self._combo("environmentFilter", "All environments")
        self.data_import = self._combo("importFilter", "All imports")
        self.conflicts = QCheckBox("Conflicting sources only")
        self.conflicts.setObjectName("conflictsOnly")
        self.conflicts.toggled.connect(lambda _on: self._emit())
        self.clear_button = QPushButton("Clear filters")
        self.clear_button.setObjectName("clearFilters")
        self.clear_button.clicked.connect(self.clear)
        self.active = QLabel("")
        self.active.setObjectName("screenSubtitle")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search, 2)
        layout.addWidget(self.asset_type)
        layout.addWidget(self.environment)
        layout.addWidget(self.data_import)
        layout.addWidget(self.conflicts)
        layout.addWidget(self.clear_button)
        layout.addWidget(self.active, 1)

    def _combo(self, name: str, everything: str) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        combo.addItem(everything, ALL)
        combo.setMinimumContentsLength(10)
        combo.currentIndexChanged.connect(lambda _i: self._emit())
        return combo

    def _emit(self) -> None:
        if not self._quiet:
            self._search_timer.stop()
            self.changed.emit()

    # -- choices ---------------------------------------------------------------------------------

    def set_choices(self, choices: Choices, query: TableQuery) -> None:
        """Fill the combos (values with counts) and show `query`'s filters in them."""
        self._quiet = True
        try:
            for combo, name in ((self.asset_type, "asset_type"), (self.environment, "environment")):
                combo.clear()
                combo.addItem(_everything(name), ALL)
                for value, count in choices.values.get(name, []):
                    text = str(value).replace("_", " ")
                    combo.addItem(f"{text} ({count:,})", str(value))
            self.data_import.clear()
            self.data_import.addItem("All imports", ALL)
            for imp in choices.imports:
                self.data_import.addItem(imp.filename, str(imp.import_id))
        finally:
            self._quiet = False
        self.show_query(query)

    def show_query(self, query: TableQuery) -> None:
        """Reflect a query in the widgets without emitting `changed`."""
        self._quiet = True
        try:
            typing = self._search_timer.isActive()  # never overwrite what is being typed
            if self.search.text() != query.search and not typing:
                self.search.setText(query.search)
            for combo, name in ((self.asset_type, "asset_type"), (self.environment, "environment")):
                value = query.equal(name)
                index = combo.findData(value) if value is not None else 0
                if index < 0:  # a value not among the most common ones
                    combo.addItem(str(value), value)
                    index = combo.count() - 1
                combo.setCurrentIndex(index)
            index = self.data_import.findData(str(query.import_id)) if query.import_id else 0
            self.data_import.setCurrentIndex(max(index, 0))
            self.conflicts.setChecked(query.conflicts_only)
        finally:
            self._quiet = False
        self.active.setText(("Filtered: " + " · ".join(query.describe())) if query.filtered else "")
        self.clear_button.setEnabled(query.filtered)

    # -- query -----------------------------------------------------------------------------------

    def apply_to(self, query: TableQuery) -> TableQuery:
        """`query` (its order and other filters kept) with the filters shown in the bar."""
        out = replace(query, search=self.search.text().strip(), conflicts_only=self.conflicts.isChecked())
        for combo, name in ((self.asset_type, "asset_type"), (self.environment, "environment")):
            out = out.with_equal(name, _value(combo.currentData()))
        import_id = self.data_import.currentData()
        if isinstance(import_id, str):
            out = replace(out, import_id=uuid.UUID(import_id), import_name=self.data_import.currentText())
        else:
            out = replace(out, import_id=None, import_name="")
        return out

    def clear(self) -> None:
        """Ask for a query without any filter (also those set from a cell's menu)."""
        self._search_timer.stop()
        self.clear_requested.emit()


def _value(data: Any) -> str | None:
    return None if data is None else str(data)


def _everything(name: str) -> str:
    return {"asset_type": "All types", "environment": "All environments"}.get(name, "All")
