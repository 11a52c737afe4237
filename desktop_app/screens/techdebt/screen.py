"""Tech-debt screen (per engagement): the findings the tech-debt assessment phase stored.

Why it is built this way: a consultant needs, per asset, which OS or database is out of support
or soon will be, and the picture for the deck (by family, by end-of-support year). The phase
stores its findings (`core.queries.techdebt.stored_findings`); this screen reads them once per
engagement in the background, filters and sorts in memory, draws the counts per status in the
header and the charts beside the table, and shows right-sizing findings in their own tab.
Activating a finding (double-click or Enter) opens the asset in the Assets screen.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.screens.engagement_screen import EngagementScreen
from desktop_app.screens.registry import Screen, ScreenContext, Selection, register_screen
from desktop_app.screens.techdebt import service
from desktop_app.screens.techdebt.charts import LabelledChart, family_bars, year_bars
from desktop_app.screens.techdebt.model import (
    COMPONENTS,
    LIFECYCLE_COLUMNS,
    ROW_ROLE,
    SIZING_COLUMNS,
    Column,
    FindingsFilter,
    FindingsModel,
)
from desktop_app.screens.techdebt.status import LIFECYCLE, BadgeDelegate, status_of

NOT_RUN = (
    "The tech-debt assessment has not run for this engagement yet.\n\n"
    "Run a flow of one of its imports through the Tech-debt assessment phase "
    "(Flow timeline → Run next phase, or `migration-discovery flow run FLOW_ID`) to see "
    "which operating systems and databases are out of support."
)
NOTHING_FOUND = (
    "The tech-debt assessment ran, but no asset names an operating system or a database.\n\n"
    "Map the OS and database columns of the inventory (Mapping review), then run the flow again."
)
NO_ENGAGEMENT = "Select an engagement on the left to see its tech debt."
TAB_LIFECYCLE, TAB_SIZING = 0, 1


def _table(model: FindingsModel, proxy: FindingsFilter, columns: tuple[Column, ...]) -> QTableView:
    proxy.setSourceModel(model)
    view = QTableView()
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.setAlternatingRowColors(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(26)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    for i, c in enumerate(columns):
        view.setColumnWidth(i, c.width)
    view.setItemDelegateForColumn(model.column_of("status"), BadgeDelegate(view))
    view.sortByColumn(model.column_of("status"), Qt.SortOrder.AscendingOrder)
    return view


class StatusChip(QLabel):
    """A header count: symbol, label and number on the status colour."""

    def __init__(self, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        s = status_of(key)
        self.setObjectName(f"statusChip_{key}")
        border = s.fill.darker(130).name() if key == "unknown" else s.fill.name()
        self.setStyleSheet(
            f"QLabel {{ background: {s.fill.name()}; color: {s.ink.name()}; border: 1px solid {border};"
            " border-radius: 11px; padding: 2px 10px; font-weight: bold; }"
        )
        self.setToolTip(f"{s.label}: {s.explain}")
        self.set_count(0)

    def set_count(self, n: int) -> None:
        self.count = n
        s = status_of(self.key)
        self.setText(f"{s.symbol}  {s.label}: {n:,}")


@register_screen
class TechDebtScreen(EngagementScreen):
    screen_id = "techdebt"
    refresh_on = ("analysis", "assets", "flows")
    title = "Tech debt"
    loader = staticmethod(service.load)
    load_what = "the tech-debt findings"
    no_engagement = NO_ENGAGEMENT
    icon = "SP_MessageBoxWarning"
    order = 50

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.data: service.TechDebtData | None = None
        self.lifecycle = FindingsModel(LIFECYCLE_COLUMNS, self)
        self.lifecycle_proxy = FindingsFilter(self)
        self.sizing = FindingsModel(SIZING_COLUMNS, self)
        self.sizing_proxy = FindingsFilter(self)
        self._build_ui()
        self._render()

    # -- construction ------------------------------------------------------------------------------

    def _build_ui(self) -> None:
        self._build_header()
        self.chips = {key: StatusChip(key) for key in LIFECYCLE}
        chips = QHBoxLayout()
        chips.setSpacing(8)
        for chip in self.chips.values():
            chips.addWidget(chip)
        chips.addStretch(1)

        self.status_filter = QComboBox()
        self.status_filter.setObjectName("techdebtStatus")
        self.status_filter.addItem("All statuses", None)
        for key in LIFECYCLE:
            self.status_filter.addItem(f"{status_of(key).symbol}  {status_of(key).label}", key)
        self.component_filter = QComboBox()
        self.component_filter.setObjectName("techdebtComponent")
        self.component_filter.addItem("OS and database", None)
        self.component_filter.addItem("OS", "os")
        self.component_filter.addItem("Database", "database")
        self.search = QLineEdit()
        self.search.setObjectName("techdebtSearch")
        self.search.setPlaceholderText("Search asset, product, version, rule, note…")
        self.search.setClearButtonEnabled(True)
        self.show_asset_button = QPushButton("Show asset")
        self.show_asset_button.setToolTip(
            "Open the selected finding's asset in the Assets screen (or double-click it)"
        )
        self.show_asset_button.setEnabled(False)
        self.show_asset_button.clicked.connect(self._show_current_asset)
        bar = QHBoxLayout()
        bar.addWidget(self.search, 2)
        bar.addWidget(self.status_filter)
        bar.addWidget(self.component_filter)
        bar.addWidget(self.show_asset_button)
        for signal in (self.status_filter.currentIndexChanged, self.component_filter.currentIndexChanged):
            signal.connect(self._filter_changed)
        self.search.textChanged.connect(self._filter_changed)

        self.table = _table(self.lifecycle, self.lifecycle_proxy, LIFECYCLE_COLUMNS)
        self.table.setObjectName("techdebtTable")
        self.table.activated.connect(self._activated)
        self.table.doubleClicked.connect(self._activated)
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _prev: self.show_asset_button.setEnabled(current.isValid())
        )
        self.shown_label = QLabel("")
        self.shown_label.setObjectName("screenSubtitle")
        self.family_chart = LabelledChart("By OS / database family")
        self.family_chart.setObjectName("familyChart")
        self.year_chart = LabelledChart("By end-of-support year")
        self.year_chart.setObjectName("yearChart")
        charts = QWidget()
        charts_layout = QVBoxLayout(charts)
        charts_layout.setContentsMargins(0, 0, 0, 0)
        charts_layout.addWidget(self.family_chart)
        charts_layout.addWidget(self.year_chart)
        charts_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(charts)
        scroll.setMinimumWidth(320)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(bar)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.shown_label)
        self.splitter = QSplitter()
        self.splitter.setObjectName("techdebtSplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(scroll)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([680, 360])
        self.ctx.settings.restore_splitter("techdebt", self.splitter)

        self.sizing_table = _table(self.sizing, self.sizing_proxy, SIZING_COLUMNS)
        self.sizing_table.setObjectName("rightsizingTable")
        self.sizing_table.activated.connect(self._activated)
        self.sizing_table.doubleClicked.connect(self._activated)
        self.sizing_empty = QLabel(
            "No right-sizing findings: no asset has utilisation fields (CPU or memory peak %) mapped, "
            "or every measured asset is sized within the thresholds of resources/rightsizing.yaml."
        )
        self.sizing_empty.setObjectName("emptyHint")
        self.sizing_empty.setWordWrap(True)
        sizing_page = QWidget()
        sizing_layout = QVBoxLayout(sizing_page)
        sizing_layout.addWidget(self.sizing_table, 1)
        sizing_layout.addWidget(self.sizing_empty)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("techdebtTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.splitter, "Lifecycle")
        self.tabs.addTab(sizing_page, "Right-sizing")

        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addStretch(1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.subtitle)
        layout.addLayout(chips)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.empty, 1)

    # -- scope and loading -----------------------------------------------------------------------

    def clear_engagement(self) -> None:
        self.data = None

    def _loaded(self, selection: Selection, data: service.TechDebtData) -> None:
        self.data = data
        self.lifecycle.set_rows(data.lifecycle)
        self.sizing.set_rows(data.sizing)
        self._render()

    # -- rendering ---------------------------------------------------------------------------------

    @property
    def as_of(self) -> dt.date | None:
        rows = (self.data.lifecycle or self.data.sizing) if self.data else []
        text = rows[0].get("as_of") if rows else (self.data.summary or {}).get("as_of") if self.data else None
        return dt.date.fromisoformat(text) if text else None

    def _render(self) -> None:
        has = self.selection.has_engagement
        data = self.data
        assessed = data is not None and data.assessed
        found = data is not None and bool(data.lifecycle or data.sizing)
        self.tabs.setVisible(found)
        for chip in self.chips.values():
            chip.setVisible(found)
        self.empty.setVisible(not found)
        self.refresh_button.setEnabled(has)
        if not self._render_scope(data):
            return
        if not found:
            self.subtitle.setText(self.selection.client_name)
            self.empty.setText(NOTHING_FOUND if assessed else NOT_RUN)
            return
        assets = len({r["asset_id"] for r in data.lifecycle})
        day = self.as_of
        parts = [self.selection.client_name]
        if day:
            parts.append(f"as of {day.strftime('%d %b %Y')}")
        parts.append(f"{len(data.lifecycle):,} lifecycle findings on {assets:,} assets")
        if data.summary and data.summary.get("assets"):
            parts.append(f"{data.summary['assets']:,} assets assessed")
        parts.append("double-click a finding to open its asset")
        self.subtitle.setText(" · ".join(parts))
        counts = {key: 0 for key in LIFECYCLE}
        for r in data.lifecycle:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        for key, chip in self.chips.items():
            chip.set_count(counts.get(key, 0))
        self.tabs.setTabText(TAB_LIFECYCLE, f"Lifecycle ({len(data.lifecycle):,})")
        self.tabs.setTabText(TAB_SIZING, f"Right-sizing ({len(data.sizing):,})")
        self.sizing_table.setVisible(bool(data.sizing))
        self.sizing_empty.setVisible(not data.sizing)
        self._filter_changed()

    def _filter_changed(self) -> None:
        self.lifecycle_proxy.set_filter(
            status=self.status_filter.currentData(),
            component=self.component_filter.currentData(),
            text=self.search.text(),
        )
        shown = self.lifecycle_proxy.visible_rows()
        total = self.lifecycle.rowCount()
        self.shown_label.setText(
            f"{len(shown):,} of {total:,} findings shown" if len(shown) != total else f"{total:,} findings"
        )
        self.family_chart.set_bars(family_bars(shown))
        self.year_chart.set_bars(year_bars(shown, self.as_of))

    # -- filters from outside (tests, later links) --------------------------------------------------

    def filter_to(self, *, status: str | None = None, component: str | None = None, text: str = "") -> None:
        self.status_filter.setCurrentIndex(max(0, self.status_filter.findData(status)))
        self.component_filter.setCurrentIndex(max(0, self.component_filter.findData(component)))
        self.search.setText(text)
        self._filter_changed()

    # -- to the asset ------------------------------------------------------------------------------

    def _show_current_asset(self) -> None:
        view = self.sizing_table if self.tabs.currentIndex() == TAB_SIZING else self.table
        self._activated(view.currentIndex())

    def _activated(self, index: QModelIndex) -> None:
        row: dict[str, Any] | None = index.data(ROW_ROLE) if index.isValid() else None
        if row is not None:
            self.show_asset(uuid.UUID(row["asset_id"]), row["asset"])

    def show_asset(self, asset_id: uuid.UUID, name: str) -> None:
        """Open the Assets screen searched for this asset, with it current.

        `ScreenContext.navigate` takes a screen and a selection, not an asset, so after navigating
        this finds the Assets screen in the window and narrows its table the way its search box
        does (following the asset, so it becomes the current row).
        """
        self.ctx.navigate("assets", None)
        window = self.window()
        assets = window.findChild(Screen, "screen_assets") if window is not None else None
        model = getattr(assets, "model", None)
        filters = getattr(assets, "filters", None)
        if model is None or filters is None:
            self.status_message.emit(f"Opened the Assets screen; search it for {name}.")
            return
        model.set_query(replace(model.query.cleared(), search=name), follow=asset_id)
        filters.show_query(model.query)
        self.status_message.emit(f"Showing {name} in the Assets screen")


__all__ = ["COMPONENTS", "TechDebtScreen"]
