"""Asset inventory screen (per engagement): lays out the lazy asset table, lineage, duplicates, quality.

Why it is built this way: after mappings are approved the consultant works with clean, typed,
deduplicated assets — tens of thousands of them — and must be able to show where every value came
from. The table is a lazy model over SQL (`AssetTableModel`: sort and filter in the database,
pages in the background) in `AssetTableView`; `DetailLoader` keeps the lineage panel below it on
the selected asset; the duplicate review merges what the inventory kept apart; the quality tab
reports per import; exports run in the background (`ExportControls` follow them). This screen
wires them together and refreshes from `operation_did_execute` when a write touched assets.
"""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from core.changes import OpChanges
from desktop_app.screens import actions
from desktop_app.screens.assets import service
from desktop_app.screens.assets.actions import (
    ACTION_CANCEL_EXPORT,
    ACTION_CLEAR_FILTERS,
    ACTION_COLUMNS,
    ACTION_COPY,
    ACTION_DUPLICATES,
    ACTION_EXPORT_CSV,
    ACTION_EXPORT_XLSX,
    ACTION_INVENTORY,
    ACTION_QUALITY,
    ACTION_REFRESH,
    ACTION_SEARCH,
    ACTION_SHOW_ONLY,
    MENU,
    SCOPED,
    SHORTCUTS,
    TAB_DUPLICATES,
    TAB_INVENTORY,
    TAB_QUALITY,
)
from desktop_app.screens.assets.column_chooser import ColumnChooser, load_columns
from desktop_app.screens.assets.detail_loader import DetailLoader
from desktop_app.screens.assets.duplicates_tab import DuplicatesTab
from desktop_app.screens.assets.export import Exporter
from desktop_app.screens.assets.export_controls import ExportControls
from desktop_app.screens.assets.inventory_tab import InventoryTab
from desktop_app.screens.assets.model import FIELD_ROLE, VALUE_ROLE, AssetTableModel
from desktop_app.screens.assets.quality_tab import QualityTab
from desktop_app.screens.assets.service import Choices
from desktop_app.screens.assets.table_view import filterable
from desktop_app.screens.registry import Screen, ScreenContext, Selection, register_screen
from desktop_app.task_manager import QueryOp


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
        self.model = AssetTableModel(ctx.tasks, self, columns=load_columns(ctx.settings))
        self.model.widget = self
        self.exporter = Exporter(ctx.tasks, self, ctx.settings)
        self._build_ui()
        self._build_actions()
        self.chooser = ColumnChooser(self.view, self.model, ctx.settings)
        self.chooser.restore()
        self.view.setSortingEnabled(True)
        self.model.loaded.connect(self._update_counts)
        self.model.located.connect(self._located)
        self.model.page_arrived.connect(self.details.page_arrived)
        self.model.failed.connect(lambda exc: self.status_message.emit(f"Could not load assets: {exc}"))
        self.model.modelReset.connect(self._update_counts)
        self.exports.message.connect(self.status_message)
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
        # the controls keep their names on the screen (actions, tests and the shell reach them there)
        e = self.exports = ExportControls(
            self.exporter, self.ctx.tasks, lambda: self.selection.has_engagement, self
        )
        self.export_xlsx, self.export_csv = e.export_xlsx, e.export_csv
        self.export_progress, self.export_cancel = e.export_progress, e.export_cancel
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addStretch(1)
        for widget in e.widgets():
            top.addWidget(widget)

        i = self.inventory = InventoryTab(self.model, self.ctx.settings)
        self.filters, self.columns_button, self.empty = i.filters, i.columns_button, i.empty
        self.view, self.lineage, self.splitter = i.view, i.lineage, i.splitter
        self.filters.changed.connect(self._filters_changed)
        self.filters.clear_requested.connect(self.clear_filters)
        self.columns_button.clicked.connect(self._columns_menu)
        self.view.customContextMenuRequested.connect(self._cell_menu)
        self.details = DetailLoader(
            self.view, self.model, self.lineage, self.ctx.tasks, lambda: self.selection, self
        )
        self.view.selectionModel().currentChanged.connect(self.details.current_changed)
        self.duplicates = DuplicatesTab(self.ctx.tasks)
        self.quality = QualityTab(self.ctx.tasks)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("assetTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.inventory, "Inventory")
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
        specs: list[actions.ActionSpec] = [
            (ACTION_REFRESH, "Refresh assets", self.refresh),
            (ACTION_SEARCH, "Find assets", self._focus_search),
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
        a = actions.install_all(self, self.actions_by_id, specs, SHORTCUTS)
        self.exports.bind(a[ACTION_EXPORT_XLSX], a[ACTION_EXPORT_CSV], a[ACTION_CANCEL_EXPORT])

    def menu_actions(self) -> list[QAction | None]:
        return actions.menu_of(self.actions_by_id, MENU)

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
        self.details.forget()
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
        self.exports.set_enabled(has)
        for action_id in SCOPED:
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
        self.details.refresh()
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
        self.model.set_query(self.filters.apply_to(self.model.query), follow=self.view.current_asset_id())
        self.filters.show_query(self.model.query)

    def clear_filters(self) -> None:
        self.model.set_query(self.model.query.cleared(), follow=self.view.current_asset_id())
        self.filters.show_query(self.model.query)

    def _located(self, row: int) -> None:
        """After a sort or filter change: stay on the followed asset, else start at the top."""
        if not self.view.show_located(row):
            self.lineage.clear("The selected asset is not among the assets shown.")

    def select_asset(self, asset_id: uuid.UUID) -> bool:
        """Make a cached asset current (tests, links from elsewhere)."""
        return self.view.select_asset(asset_id)

    def select_cell(self, row: int, field: str) -> None:
        self.view.select_cell(row, field)

    def _update_counts(self) -> None:
        if not self.selection.has_engagement:
            return
        parts = [f"{self.selection.client_name}"]
        c = self.choices
        if c is not None:
            parts.append(f"{c.servers:,} assets")
            if c.templates:  # golden images: shown apart, not counted as servers
                parts.append(f"{c.templates:,} VM template{'s' if c.templates != 1 else ''} not counted")
            if c.conflicted:
                parts.append(f"{c.conflicted:,} with conflicting sources")
        if self.model.is_loaded and self.model.query.filtered:
            parts.append(f"{self.model.total:,} match the filters")
        self.subtitle.setText(" · ".join(parts))
        self.inventory.show_empty(self.model.is_loaded and self.model.total == 0, self.model.query.filtered)

    # -- cell menu ---------------------------------------------------------------------------------

    def _cell_menu(self, pos: QPoint) -> None:
        menu = self.view.cell_menu(pos, self.actions_by_id)
        if menu is not None:
            self._menu = menu

    def show_only_current(self) -> None:
        index = self.view.currentIndex()
        field, value = index.data(FIELD_ROLE), index.data(VALUE_ROLE)
        if not filterable(field, value):
            return
        self.model.set_query(self.model.query.with_equal(field, value), follow=self.view.current_asset_id())
        self.filters.show_query(self.model.query)

    def copy_current(self) -> None:
        index = self.view.currentIndex()
        if index.isValid():
            QGuiApplication.clipboard().setText(str(index.data() or ""))

    def _columns_menu(self) -> None:
        menu = self.chooser.build_menu()
        menu.popup(self.columns_button.mapToGlobal(self.columns_button.rect().bottomLeft()))

    # -- tabs ----------------------------------------------------------------------------------------

    def _focus_search(self) -> None:
        self._show_tab(TAB_INVENTORY)
        self.filters.search.setFocus()
        self.filters.search.selectAll()

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
