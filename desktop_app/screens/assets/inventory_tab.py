"""The inventory tab of the asset screen: filters and columns over the asset table, lineage below.

Why a tab widget of its own (like the duplicates and quality tabs): it only arranges its views and
says when nothing matches; the screen wires the filters, the table and the lineage loader.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSplitter, QToolButton, QVBoxLayout, QWidget

from desktop_app.screens.assets.filter_bar import FilterBar
from desktop_app.screens.assets.lineage_panel import LineagePanel
from desktop_app.screens.assets.model import AssetTableModel
from desktop_app.screens.assets.table_view import AssetTableView
from desktop_app.settings_store import SettingsStore

NO_MATCH = "No assets match these filters."
NO_ASSETS = (
    "No assets yet: run the data-cleansing and asset-inventory phases of an import "
    "(its flow timeline), after approving its mappings."
)


class InventoryTab(QWidget):
    """`filters`, `columns_button`, `view`, `empty` (hint), `lineage` and their `splitter`."""

    def __init__(
        self, model: AssetTableModel, settings: SettingsStore, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.filters = FilterBar()
        self.columns_button = QToolButton()
        self.columns_button.setObjectName("columnsButton")
        self.columns_button.setText("Columns")
        self.columns_button.setToolTip("Choose the columns (also: right-click the table header)")
        self.columns_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        bar = QHBoxLayout()
        bar.addWidget(self.filters, 1)
        bar.addWidget(self.columns_button)

        self.view = AssetTableView(model)
        self.empty = QLabel("")
        self.empty.setObjectName("emptyHint")
        self.empty.setWordWrap(True)
        self.empty.hide()
        table = QWidget()
        tl = QVBoxLayout(table)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.empty)
        tl.addWidget(self.view, 1)

        self.lineage = LineagePanel()
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("assetsSplitter")
        self.splitter.addWidget(table)
        self.splitter.addWidget(self.lineage)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([430, 300])
        settings.restore_splitter("assets", self.splitter)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)

    def show_empty(self, empty: bool, filtered: bool) -> None:
        """The hint above the table when no asset is shown (filtered away, or none yet)."""
        if empty:
            self.empty.setText(NO_MATCH if filtered else NO_ASSETS)
        self.empty.setVisible(empty)
