"""Asset inventory screen (per engagement): the lazy asset table with lineage, duplicates, quality.

Why it is built this way: after mappings are approved the consultant works with clean, typed,
deduplicated assets — tens of thousands of them — and must be able to show where every value came
from. The table is a lazy model over SQL (sort and filter in the database, pages in the
background); the panel below it explains the selected asset field by field; the duplicate review
merges what the inventory kept apart; the quality tab reports per import; exports run in the
background. Everything refreshes from `operation_did_execute` when a write touched assets.
"""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.changes import OpChanges
from desktop_app.screens.assets import service
from desktop_app.screens.assets.column_chooser import ColumnChooser, load_columns
from desktop_app.screens.assets.columns import format_field, header
from desktop_app.screens.assets.duplicates_tab import DuplicatesTab
from desktop_app.screens.assets.export import ExportDone, Exporter
from desktop_app.screens.assets.filter_bar import FilterBar
from desktop_app.screens.assets.lineage_panel import LineagePanel
from desktop_app.screens.assets.model import FIELD_ROLE, VALUE_ROLE, AssetTableModel
from desktop_app.screens.assets.quality_tab import QualityTab
from desktop_app.screens.assets.service import Choices
from desktop_app.screens.registry import Screen, ScreenContext, Selection, register_screen
from desktop_app.task_manager import QueryOp, TaskHandle

# Action ids: shared by menus, shortcuts, buttons and tests.
ACTION_REFRESH = "assets.refresh"
ACTION_SEARCH = "assets.search"
ACTION_EXPORT_XLSX = "assets.export_xlsx"
ACTION_EXPORT_CSV = "assets.export_csv"
ACTION_CANCEL_EXPORT = "assets.cancel_export"
ACTION_COLUMNS = "assets.columns"
ACTION_CLEAR_FILTERS = "assets.clear_filters"
ACTION_SHOW_ONLY = "assets.show_only"
ACTION_COPY = "assets.copy_value"
ACTION_INVENTORY = "assets.tab_inventory"
ACTION_DUPLICATES = "assets.tab_duplicates"
ACTION_QUALITY = "assets.tab_quality"

SHORTCUTS: dict[str, tuple[str | QKeySequence.StandardKey, ...]] = {
    ACTION_REFRESH: (QKeySequence.StandardKey.Refresh,),
    ACTION_SEARCH: (QKeySequence.StandardKey.Find,),
    ACTION_EXPORT_XLSX: ("Ctrl+E",),
    ACTION_COPY: (QKeySequence.StandardKey.Copy,),
    ACTION_INVENTORY: ("Alt+1",),
    ACTION_DUPLICATES: ("Alt+2",),
    ACTION_QUALITY: ("Alt+3",),
}
TAB_INVENTORY, TAB_DUPLICATES, TAB_QUALITY = range(3)
DETAIL_DELAY_MS = 120
ROW_HEIGHT = 24


@register_screen
class AssetsScreen(Screen):
    screen_id = "assets"
    title = "Assets"
    icon = "SP_ComputerIcon"
    order = 30

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.choices: Choices | None = None
        self._scope_pending = True
        self._stale = False
        self._detail_id: uuid.UUID | None = None
        self._detail_loading: uuid.UUID | None = None
        self.model = AssetTableModel(ctx.tasks, self, columns=load_columns(ctx.settings))
        self.model.widget = self
        self.exporter = Exporter(ctx.tasks, self, ctx.settings)
        self._build_ui()
        self._build_actions()
        self.chooser = ColumnChooser(self.view, self.model, ctx.settings)
        self.chooser.restore()
        self.view.setSortingEnabled(True)
        self._detail_timer = QTimer(self)
        self._detail_timer.setSingleShot(True)
        self._detail_timer.setInterval(DETAIL_DELAY_MS)
        self._detail_timer.timeout.connect(self._load_detail)
        self.model.loaded.connect(self._update_counts)
        self.model.located.connect(self._located)
        self.model.page_arrived.connect(self._page_arrived)
        self.model.failed.connect(lambda exc: self.status_message.emit(f"Could not load assets: {exc}"))
        self.model.modelReset.connect(self._update_counts)
        self.exporter.started.connect(self._export_started)
        self.exporter.done.connect(self._export_done)
        self.exporter.stopped.connect(self._export_stopped)
        ctx.tasks.task_progress.connect(self._export_progress)
        self.duplicates.merged.connect(self._merged)
        self.duplicates.status_message.connect(self.status_message)
        self.duplicates.candidates_loaded.connect(self._update_tab_titles)
        self._render_scope()

    # -- construction ------------------------------------------------------------------------------

    def _build_ui(self) -> None:
        self.heading = QLabel("Asset inventory")
        self.heading.setObjectName("screenTitle")
        self.subtitle = QLabel("")
        self.subtitle.setObjectName("screenSubtitle")
        self.subtitle.setWordWrap(True)
        self.export_xlsx = QPushButton("Export XLSX…")
        self.export_xlsx.setObjectName("exportXlsx")
        self.export_csv = QPushButton("Export CSV…")
        self.export_csv.setObjectName("exportCsv")
        self.export_progress = QProgressBar()
        self.export_progress.setObjectName("exportProgress")
        self.export_progress.setFixedWidth(160)
        self.export_progress.setMaximumHeight(16)
        self.export_progress.hide()
        self.export_cancel = QToolButton()
        self.export_cancel.setObjectName("exportCancel")
        self.export_cancel.hide()
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addStretch(1)
        top.addWidget(self.export_progress)
        top.addWidget(self.export_cancel)
        top.addWidget(self.export_xlsx)
        top.addWidget(self.export_csv)

        self.filters = FilterBar()
        self.filters.changed.connect(self._filters_changed)
        self.filters.clear_requested.connect(self.clear_filters)
        self.columns_button = QToolButton()
        self.columns_button.setObjectName("columnsButton")
        self.columns_button.setText("Columns")
        self.columns_button.setToolTip("Choose the columns (also: right-click the table header)")
        self.columns_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.columns_button.clicked.connect(self._columns_menu)
        bar = QHBoxLayout()
        bar.addWidget(self.filters, 1)
        bar.addWidget(self.columns_button)

        self.view = QTableView()
        self.view.setObjectName("assetTable")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setCornerButtonEnabled(False)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.horizontalHeader().setHighlightSections(False)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._cell_menu)
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        self.view.verticalScrollBar().valueChanged.connect(self._scrolled)
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
        self.ctx.settings.restore_splitter("assets", self.splitter)

        inventory = QWidget()
        il = QVBoxLayout(inventory)
        il.setContentsMargins(0, 6, 0, 0)
        il.addLayout(bar)
        il.addWidget(self.splitter, 1)
        self.duplicates = DuplicatesTab(self.ctx.tasks)
        self.quality = QualityTab(self.ctx.tasks)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("assetTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(inventory, "Inventory")
        self.tabs.addTab(self.duplicates, "Duplicates")
        self.tabs.addTab(self.quality, "Data quality")
        self.tabs.currentChanged.connect(self._tab_changed)

        self.hint = QLabel("Select an engagement on the left (double-click it to open its assets).")
        self.hint.setObjectName("emptyHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.hint, 1)

    def _build_actions(self) -> None:
        self.actions_by_id: dict[str, QAction] = {}
        specs: list[tuple[str, str, Any]] = [
            (ACTION_REFRESH, "Refresh assets", self.refresh),
            (
                ACTION_SEARCH,
                "Find assets",
                lambda: (
                    self._show_tab(TAB_INVENTORY),
                    self.filters.search.setFocus(),
                    self.filters.search.selectAll(),
                ),
            ),
            (ACTION_EXPORT_XLSX, "Export as XLSX…", lambda: self.export("xlsx")),
            (ACTION_EXPORT_CSV, "Export as CSV…", lambda: self.export("csv")),
            (ACTION_CANCEL_EXPORT, "Cancel export", self.exporter.cancel),
            (ACTION_COLUMNS, "Choose columns…", self._columns_menu),
            (ACTION_CLEAR_FILTERS, "Clear filters", self.clear_filters),
            (ACTION_SHOW_ONLY, "Show only this value", self.show_only_current),
            (ACTION_COPY, "Copy value", self.copy_current),
            (ACTION_INVENTORY, "Inventory", lambda: self._show_tab(TAB_INVENTORY)),
            (ACTION_DUPLICATES, "Duplicate review", lambda: self._show_tab(TAB_DUPLICATES)),
            (ACTION_QUALITY, "Data quality", lambda: self._show_tab(TAB_QUALITY)),
        ]
        for action_id, text, slot in specs:
            action = QAction(text, self)
            action.setObjectName(action_id)
            action.triggered.connect(slot)
            action.setShortcuts([QKeySequence(k) for k in SHORTCUTS.get(action_id, ())])
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
            self.actions_by_id[action_id] = action
        self.actions_by_id[ACTION_CANCEL_EXPORT].setEnabled(False)
        self.export_xlsx.clicked.connect(self.actions_by_id[ACTION_EXPORT_XLSX].trigger)
        self.export_csv.clicked.connect(self.actions_by_id[ACTION_EXPORT_CSV].trigger)
        self.export_cancel.setDefaultAction(self.actions_by_id[ACTION_CANCEL_EXPORT])
        self.export_cancel.setText("Cancel")

    def menu_actions(self) -> list[QAction | None]:
        a = self.actions_by_id
        return [
            a[ACTION_SEARCH],
            a[ACTION_CLEAR_FILTERS],
            a[ACTION_COLUMNS],
            None,
            a[ACTION_INVENTORY],
            a[ACTION_DUPLICATES],
            a[ACTION_QUALITY],
            None,
            a[ACTION_EXPORT_XLSX],
            a[ACTION_EXPORT_CSV],
            a[ACTION_CANCEL_EXPORT],
            None,
            a[ACTION_REFRESH],
        ]

    # -- scope -------------------------------------------------------------------------------------

    def set_selection(self, selection: Selection) -> None:
        previous = self.selection
        super().set_selection(selection)
        if (selection.client_account_id, selection.engagement_id) != (
            previous.client_account_id,
            previous.engagement_id,
        ):
            self._scope_pending = True
            if self.isVisible():
                self._apply_scope()
        elif selection.import_id is not None and selection.import_id != previous.import_id:
            self.quality.show_import(selection.import_id)

    def on_shown(self) -> None:
        if self._scope_pending:
            self._apply_scope()
        elif self._stale:
            self.refresh()
        self.view.setFocus()

    def _apply_scope(self) -> None:
        self._scope_pending = False
        self._stale = False
        self.choices = None
        self._detail_id = None
        self.lineage.clear()
        self.duplicates.loaded = False
        self.quality.shown_import = self.selection.import_id
        self.model.set_scope(self.selection)
        self._render_scope()
        if self.selection.has_engagement:
            self._load_choices()
            if self.tabs.currentIndex() == TAB_DUPLICATES:
                self.duplicates.load(self.selection)

    def _render_scope(self) -> None:
        has = self.selection.has_engagement
        self.tabs.setVisible(has)
        self.hint.setVisible(not has)
        for widget in (self.export_xlsx, self.export_csv):
            widget.setEnabled(has)
        for action_id in (ACTION_EXPORT_XLSX, ACTION_EXPORT_CSV, ACTION_REFRESH):
            self.actions_by_id[action_id].setEnabled(has)
        if has:
            self.heading.setText(f"Assets — {self.selection.engagement_name}")
        else:
            self.heading.setText("Asset inventory")
            self.subtitle.setText("")
        self._update_counts()

    def _load_choices(self) -> None:
        selection = self.selection
        QueryOp(self, lambda core: service.load_choices(core, selection), label="Loading filters").success(
            lambda choices: self._choices_loaded(selection, choices)
        ).run_in_background(self.ctx.tasks)

    def _choices_loaded(self, selection: Selection, choices: Choices) -> None:
        if selection.engagement_id != self.selection.engagement_id:
            return
        self.choices = choices
        self.filters.set_choices(choices, self.model.query)
        self.quality.set_imports(self.selection, choices.imports)
        self._update_counts()

    # -- refreshing --------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read everything shown (the table keeps its scroll position and selection)."""
        if not self.selection.has_engagement:
            return
        self._stale = False
        self.model.refresh(self.view.rowAt(0))
        self._detail_id = None
        self._detail_timer.start()
        self._load_choices()
        if self.duplicates.loaded and not self.duplicates.busy:
            self.duplicates.load(self.selection)

    def on_operation(self, changes: OpChanges, initiator: object) -> None:
        if not self.selection.has_engagement or self._scope_pending or initiator is self.duplicates:
            return
        if not (changes.assets or changes.flows or changes.imports or changes.mappings):
            return
        if not self.isVisible():
            self._stale = True  # refreshed when shown again
        elif changes.assets:
            self.refresh()
        else:
            self._load_choices()  # a cleansing run may have (re)written a quality report

    def save_state(self) -> None:
        self.ctx.settings.save_splitter("assets", self.splitter)
        self.chooser.save()

    # -- table -------------------------------------------------------------------------------------

    def _filters_changed(self) -> None:
        self.model.set_query(self.filters.apply_to(self.model.query), follow=self._current_asset())
        self.filters.show_query(self.model.query)

    def clear_filters(self) -> None:
        self.model.set_query(self.model.query.cleared(), follow=self._current_asset())
        self.filters.show_query(self.model.query)

    def _current_asset(self) -> uuid.UUID | None:
        asset = (
            self.model.asset_at(self.view.currentIndex().row())
            if self.view.currentIndex().isValid()
            else None
        )
        return asset.asset_id if asset is not None else self.model.follow_asset

    def _located(self, row: int) -> None:
        """After a sort or filter change: stay on the followed asset, else start at the top."""
        header_view = self.view.horizontalHeader()
        col = self.model.column_of(self.model.query.sort)
        order = Qt.SortOrder.DescendingOrder if self.model.query.descending else Qt.SortOrder.AscendingOrder
        header_view.blockSignals(True)
        header_view.setSortIndicator(col, order)
        header_view.blockSignals(False)
        if row >= 0:
            index = self.model.index(row, max(0, self.view.currentIndex().column()))
            self.view.setCurrentIndex(index)
            self.view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        else:
            self.view.scrollToTop()
            self.model.follow_asset = None
            self.lineage.clear("The selected asset is not among the assets shown.")

    def _scrolled(self, _value: int) -> None:
        viewport = self.view.viewport()
        last = self.view.rowAt(viewport.height() - 1)
        self.model.set_visible_rows(self.view.rowAt(0), last if last >= 0 else self.model.rowCount() - 1)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        asset = self.model.asset_at(current.row()) if current.isValid() else None
        if asset is not None:
            self.model.follow_asset = asset.asset_id
        if asset is not None and asset.asset_id == self._detail_id:
            field = current.data(FIELD_ROLE)
            if isinstance(field, str):
                self.lineage.select_field(field)
            return
        self._detail_timer.start()

    def _page_arrived(self, page: int) -> None:
        current = self.view.currentIndex()
        if current.isValid() and current.row() // self.model.page_size == page:
            asset = self.model.asset_at(current.row())
            if asset is not None and asset.asset_id != self._detail_id:
                self.model.follow_asset = asset.asset_id
                self._detail_timer.start()

    def _load_detail(self) -> None:
        current = self.view.currentIndex()
        asset = self.model.asset_at(current.row()) if current.isValid() else None
        if asset is None or asset.asset_id == self._detail_loading:
            return
        asset_id = asset.asset_id
        field = current.data(FIELD_ROLE)
        selection = self.selection
        self._detail_loading = asset_id
        QueryOp(
            self, lambda core: service.load_detail(core, selection, asset_id), label="Loading lineage"
        ).success(lambda detail: self._detail_loaded(asset_id, detail, field)).failure(
            lambda exc: self._detail_failed(asset_id, exc)
        ).run_in_background(self.ctx.tasks)

    def _detail_loaded(self, asset_id: uuid.UUID, detail: dict[str, Any], field: object) -> None:
        self._detail_loading = None
        current = self.view.currentIndex()
        asset = self.model.asset_at(current.row()) if current.isValid() else None
        if asset is None or asset.asset_id != asset_id:
            self._detail_timer.start()  # the user moved on meanwhile
            return
        self._detail_id = asset_id
        now = current.data(FIELD_ROLE)
        self.lineage.show_detail(
            detail, now if isinstance(now, str) else field if isinstance(field, str) else None
        )

    def _detail_failed(self, asset_id: uuid.UUID, exc: BaseException) -> None:
        self._detail_loading = None
        self.lineage.clear(f"Could not load this asset ({exc}). It may have been merged; refresh (F5).")

    def select_asset(self, asset_id: uuid.UUID) -> bool:
        """Make a cached asset current (tests, links from elsewhere)."""
        row = self.model.row_of(asset_id)
        if row < 0:
            return False
        index = self.model.index(row, max(0, self.view.currentIndex().column()))
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index)
        return True

    def select_cell(self, row: int, field: str) -> None:
        col = self.model.column_of(field)
        index = self.model.index(row, max(col, 0))
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index)

    def _update_counts(self) -> None:
        if not self.selection.has_engagement:
            return
        parts = [f"{self.selection.client_name}"]
        c = self.choices
        if c is not None:
            parts.append(f"{c.total:,} assets")
            if c.conflicted:
                parts.append(f"{c.conflicted:,} with conflicting sources")
        if self.model.is_loaded and self.model.query.filtered:
            parts.append(f"{self.model.total:,} match the filters")
        self.subtitle.setText(" · ".join(parts))
        empty = self.model.is_loaded and self.model.total == 0
        if empty:
            self.empty.setText(
                "No assets match these filters."
                if self.model.query.filtered
                else "No assets yet: run the data-cleansing and asset-inventory phases of an import "
                "(its flow timeline), after approving its mappings."
            )
        self.empty.setVisible(empty)

    # -- cell menu ---------------------------------------------------------------------------------

    def _cell_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if not index.isValid():
            return
        self.view.setCurrentIndex(index)
        menu = QMenu(self.view)
        menu.setObjectName("assetCellMenu")
        field = index.data(FIELD_ROLE)
        value = index.data(VALUE_ROLE)
        only = self.actions_by_id[ACTION_SHOW_ONLY]
        only.setEnabled(isinstance(field, str) and value is not None and not isinstance(value, dict | list))
        if only.isEnabled():
            only.setText(f"Show only {header(str(field))} = {format_field(str(field), value)}")
        menu.addAction(only)
        menu.addAction(self.actions_by_id[ACTION_COPY])
        menu.addSeparator()
        menu.addAction(self.actions_by_id[ACTION_CLEAR_FILTERS])
        menu.addAction(self.actions_by_id[ACTION_COLUMNS])
        menu.popup(self.view.viewport().mapToGlobal(pos))
        self._menu = menu

    def show_only_current(self) -> None:
        index = self.view.currentIndex()
        field, value = index.data(FIELD_ROLE), index.data(VALUE_ROLE)
        if not isinstance(field, str) or value is None or isinstance(value, dict | list):
            return
        self.model.set_query(self.model.query.with_equal(field, value), follow=self._current_asset())
        self.filters.show_query(self.model.query)

    def copy_current(self) -> None:
        index = self.view.currentIndex()
        if index.isValid():
            QGuiApplication.clipboard().setText(str(index.data() or ""))

    def _columns_menu(self) -> None:
        menu = self.chooser.build_menu()
        menu.popup(self.columns_button.mapToGlobal(self.columns_button.rect().bottomLeft()))

    # -- tabs ----------------------------------------------------------------------------------------

    def _show_tab(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)

    def _tab_changed(self, index: int) -> None:
        if index == TAB_DUPLICATES and not self.duplicates.loaded and self.selection.has_engagement:
            self.duplicates.load(self.selection)

    def _update_tab_titles(self, groups: int) -> None:
        self.tabs.setTabText(TAB_DUPLICATES, f"Duplicates ({groups})" if groups else "Duplicates")

    def _merged(self, kept: dict[str, Any]) -> None:
        """Our own merge: refresh here (the broadcast from it is skipped in `on_operation`)."""
        self.model.follow_asset = uuid.UUID(str(kept["id"]))
        self.refresh()

    # -- export ----------------------------------------------------------------------------------

    def export(self, fmt: str) -> None:
        if not self.selection.has_engagement or self.exporter.running:
            return
        self.exporter.choose(fmt, self.selection, self.model.query)

    def _export_started(self, handle: TaskHandle) -> None:
        self.export_progress.setRange(0, 0)
        self.export_progress.show()
        self.export_cancel.show()
        self.actions_by_id[ACTION_CANCEL_EXPORT].setEnabled(True)
        for widget in (self.export_xlsx, self.export_csv):
            widget.setEnabled(False)
        self.status_message.emit(f"{handle.label}…")

    def _export_progress(self, handle: TaskHandle) -> None:
        if handle is not self.exporter.handle or handle.progress is None:
            return
        p = handle.progress
        if p.fraction is None:
            self.export_progress.setRange(0, 0)
        else:
            self.export_progress.setRange(0, 1000)
            self.export_progress.setValue(int(p.fraction * 1000))
        self.export_progress.setToolTip(f"{p.done:,} of {p.total or 0:,} {p.text}")

    def _export_finished(self) -> None:
        self.export_progress.hide()
        self.export_cancel.hide()
        self.actions_by_id[ACTION_CANCEL_EXPORT].setEnabled(False)
        for widget in (self.export_xlsx, self.export_csv):
            widget.setEnabled(self.selection.has_engagement)

    def _export_done(self, result: ExportDone) -> None:
        self._export_finished()
        self.status_message.emit(f"Exported {result.assets:,} assets to {result.path}")

    def _export_stopped(self, message: str) -> None:
        self._export_finished()
        self.status_message.emit(message)
