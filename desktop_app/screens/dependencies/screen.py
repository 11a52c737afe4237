"""Dependencies screen (per engagement): the estate as group bubbles, one group as a cluster,
infrastructure set aside.

Why it is built this way: a consultant must see which servers move together and why, on estates
of 20,000 servers. The stored groups are read once per refresh, with the links between groups
summed in SQL per pair of groups (core.queries.group_links), never one line per connection.
Beside the groups table, the "Estate overview" tab draws every move group as one bubble (area ~
servers) and one edge per linked pair (width ~ log of the server pairs), laid out by igraph in the
background load; the infrastructure servers stay off the picture until "Show infrastructure" puts
them on a ring around it with their edges. The table's text and environment filters dim the
bubbles they do not accept; a click on a bubble selects its group in the table, a double-click
also opens the "Group detail" tab, where the selected group's connections, read on demand, are
drawn as a cluster. The Infrastructure tab lists the servers set aside (with the reasons) and
toggles one in or out through the core's override use case, which regroups; the screen then
refreshes from the broadcast change. Double-clicking a server opens it in the Assets screen.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.error_dialog import show_error
from desktop_app.screens.dependencies import service
from desktop_app.screens.dependencies.cluster import ClusterView
from desktop_app.screens.dependencies.model import (
    CONNECTION_COLUMNS,
    GROUP_COLUMNS,
    INFRA_COLUMNS,
    ROW_ROLE,
    GroupsFilter,
    RowsModel,
)
from desktop_app.screens.dependencies.overview import OverviewView
from desktop_app.screens.engagement_screen import EngagementScreen
from desktop_app.screens.registry import Screen, ScreenContext, Selection, register_screen
from desktop_app.task_manager import CollectionOp, QueryOp

NOT_RUN = (
    "The dependency analysis has not run for this engagement yet.\n\n"
    "Import an inventory (and a connection export, `import FILE --kind connections`), then run its "
    "flow through the Dependency analysis phase (Flow timeline → Run next phase, or "
    "`migration-discovery flow run FLOW_ID`) to see the move groups."
)
NO_ENGAGEMENT = "Select an engagement on the left to see its dependencies."
TAB_GROUPS, TAB_INFRA = 0, 1
VIEW_OVERVIEW, VIEW_DETAIL = 0, 1  # the tabs beside the groups table


REASONS_SHOWN = 240  # characters of the group's reasons above the drawing; all of them on hover


def _reasons_line(reasons: list[str]) -> tuple[str, int]:
    """The first reasons that fit in about two lines, and how many are left for the tooltip: a big
    group has dozens (every application and link), which pushed the drawing off the screen."""
    shown: list[str] = []
    for r in reasons:
        if shown and len("; ".join([*shown, r])) > REASONS_SHOWN:
            break
        shown.append(r)
    more = len(reasons) - len(shown)
    return "; ".join(shown) + (f"; … and {more} more (hover to read them all)" if more else ""), more


def _table(model: RowsModel, widths: tuple[int, ...], proxy: GroupsFilter | None = None) -> QTableView:
    view = QTableView()
    if proxy is None:
        from PySide6.QtCore import QSortFilterProxyModel

        proxy = QSortFilterProxyModel(view)  # type: ignore[assignment]
        proxy.setSortRole(Qt.ItemDataRole.UserRole + 2)
    proxy.setSourceModel(model)
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.setAlternatingRowColors(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(24)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    for i, w in enumerate(widths):
        view.setColumnWidth(i, w)
    return view


@register_screen
class DependenciesScreen(EngagementScreen):
    screen_id = "dependencies"
    refresh_on = ("analysis", "assets", "flows")
    title = "Dependencies"
    loader = staticmethod(service.load)
    load_what = "the dependencies"
    no_engagement = NO_ENGAGEMENT
    icon = "SP_DriveNetIcon"
    order = 45

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.data: service.DependencyData | None = None
        self.detail_loading = False
        self.current_group: dict[str, Any] | None = None
        self.detail: list[dict[str, Any]] = []
        self.groups = RowsModel(GROUP_COLUMNS, self)
        self.groups_proxy = GroupsFilter(self)
        self.connections = RowsModel(CONNECTION_COLUMNS, self)
        self.infra = RowsModel(INFRA_COLUMNS, self)
        self._build_ui()
        self._render()

    # -- construction ------------------------------------------------------------------------------

    def _build_ui(self) -> None:
        self._build_header()
        self.note = QLabel("")
        self.note.setObjectName("emptyHint")
        self.note.setWordWrap(True)
        self.unresolved_label = QLabel("")
        self.unresolved_label.setObjectName("unresolvedEndpoints")
        self.unresolved_label.setToolTip(
            "Connection ends that matched no server of the inventory (kept as external endpoints)"
        )

        self.search = QLineEdit()
        self.search.setObjectName("dependenciesSearch")
        self.search.setPlaceholderText("Filter by group, application or host…")
        self.search.setClearButtonEnabled(True)
        self.environment = QComboBox()
        self.environment.setObjectName("dependenciesEnvironment")
        self.environment.addItem("All environments", None)
        self.search.textChanged.connect(self._filter_changed)
        self.environment.currentIndexChanged.connect(self._filter_changed)
        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.environment)

        self.group_table = _table(self.groups, (140, 120, 66, 96, 140), self.groups_proxy)
        self.group_table.setObjectName("moveGroupsTable")
        self.group_table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
        self.group_table.selectionModel().currentRowChanged.connect(lambda cur, _p: self._group_changed(cur))
        self.shown_label = QLabel("")
        self.shown_label.setObjectName("screenSubtitle")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(bar)
        left_layout.addWidget(self.group_table, 1)
        left_layout.addWidget(self.shown_label)

        self.group_title = QLabel("Select a move group")
        self.group_title.setObjectName("sectionTitle")
        self.group_title.setStyleSheet("font-weight: bold; font-size: 13pt;")
        self.group_reasons = QLabel("")
        self.group_reasons.setWordWrap(True)
        self.group_reasons.setObjectName("screenSubtitle")
        self.cluster = ClusterView()
        self.cluster.setObjectName("clusterView")
        self.cluster.asset_activated.connect(self.show_asset)
        self.links_label = QLabel("")
        self.links_label.setObjectName("groupLinks")
        self.links_label.setWordWrap(True)
        self.connection_table = _table(self.connections, (130, 130, 60, 70, 70))
        self.connection_table.setObjectName("groupConnections")
        self.connection_table.sortByColumn(4, Qt.SortOrder.DescendingOrder)
        self.connection_table.doubleClicked.connect(self._connection_activated)
        right_split = QSplitter(Qt.Orientation.Vertical)
        right_split.addWidget(self.cluster)
        right_split.addWidget(self.connection_table)
        right_split.setSizes([380, 200])
        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 4, 0, 0)
        detail_layout.addWidget(right_split, 1)
        detail_layout.addWidget(self.links_label)

        self.overview = OverviewView()
        self.overview.setObjectName("estateOverview")
        self.overview.group_picked.connect(self._overview_picked)
        self.overview.group_opened.connect(self._overview_opened)
        self.show_infra = QCheckBox("Show infrastructure")
        self.show_infra.setObjectName("overviewInfrastructure")
        self.show_infra.setToolTip(
            "Put the servers set aside as infrastructure on a ring around the groups, with their links"
        )
        self.show_infra.toggled.connect(self.overview.show_infrastructure)
        overview_hint = QLabel(
            "Bubble area ~ servers · line width ~ server pairs between two groups · "
            "click a group to select it, double-click for its detail · wheel to zoom"
        )
        overview_hint.setObjectName("screenSubtitle")
        overview_hint.setWordWrap(True)
        overview_bar = QHBoxLayout()
        overview_bar.addWidget(overview_hint, 1)
        overview_bar.addWidget(self.show_infra)
        overview_page = QWidget()
        overview_layout = QVBoxLayout(overview_page)
        overview_layout.setContentsMargins(0, 4, 0, 0)
        overview_layout.addLayout(overview_bar)
        overview_layout.addWidget(self.overview, 1)

        self.views = QTabWidget()
        self.views.setObjectName("dependencyViews")
        self.views.setDocumentMode(True)
        self.views.addTab(overview_page, "Estate overview")
        self.views.addTab(detail, "Group detail")
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.group_title)
        right_layout.addWidget(self.group_reasons)
        right_layout.addWidget(self.views, 1)

        self.splitter = QSplitter()
        self.splitter.setObjectName("dependenciesSplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setSizes([600, 560])
        self.ctx.settings.restore_splitter("dependencies", self.splitter)

        self.infra_table = _table(self.infra, (150, 110, 100, 90, 60, 400))
        self.infra_table.setObjectName("infrastructureTable")
        self.infra_table.selectionModel().currentRowChanged.connect(lambda _c, _p: self._infra_current())
        self.reason = QLineEdit()
        self.reason.setObjectName("infrastructureReason")
        self.reason.setPlaceholderText("Reason for the decision (required), e.g. 'backup server'")
        self.reason.textChanged.connect(lambda _t: self._infra_current())
        self.toggle_button = QPushButton("Keep in the groups")
        self.toggle_button.setObjectName("infrastructureToggle")
        self.toggle_button.setEnabled(False)
        self.toggle_button.clicked.connect(self._toggle_current)
        self.forget_button = QPushButton("Let detection decide")
        self.forget_button.setToolTip("Forget the recorded decision on this server (detection decides again)")
        self.forget_button.setEnabled(False)
        self.forget_button.clicked.connect(self._forget_current)
        infra_bar = QHBoxLayout()
        infra_bar.addWidget(self.reason, 1)
        infra_bar.addWidget(self.toggle_button)
        infra_bar.addWidget(self.forget_button)
        infra_page = QWidget()
        infra_layout = QVBoxLayout(infra_page)
        infra_hint = QLabel(
            "Servers that serve the whole estate (DNS, directory, backup, monitoring, scanners…) are set "
            "aside so they do not glue every group together. Toggle one to keep it in the groups, or "
            "to set it aside again; the move groups are recomputed."
        )
        infra_hint.setWordWrap(True)
        infra_hint.setObjectName("screenSubtitle")
        infra_layout.addWidget(infra_hint)
        infra_layout.addWidget(self.infra_table, 1)
        infra_layout.addLayout(infra_bar)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("dependenciesTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.splitter, "Move groups")
        self.tabs.addTab(infra_page, "Infrastructure")

        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addStretch(1)
        top.addWidget(self.unresolved_label)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.note)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.empty, 1)

    # -- scope and loading -----------------------------------------------------------------------

    def clear_engagement(self) -> None:
        self.data = None
        self.current_group = None
        self.overview.clear()

    def _failed(self, exc: BaseException) -> None:
        self.detail_loading = False
        super()._failed(exc)

    def _write_failed(self, exc: BaseException) -> None:
        """A refused or failed decision is shown as such (not as a failed read)."""
        self.loading = False
        show_error(exc, self)

    def _loaded(self, selection: Selection, data: service.DependencyData) -> None:
        self.data = data
        keep = self.current_group["key"] if self.current_group else None
        self.groups.set_rows(data.groups)
        self.infra.set_rows(data.infrastructure)
        envs = sorted({e for g in data.groups for e in g["environments"]}, key=str.casefold)
        chosen = self.environment.currentData()
        self.environment.blockSignals(True)
        self.environment.clear()
        self.environment.addItem("All environments", None)
        for e in envs:
            self.environment.addItem(e, e)
        self.environment.setCurrentIndex(max(0, self.environment.findData(chosen)))
        self.environment.blockSignals(False)
        names = {r["asset_id"]: r["hostname"] for r in data.infrastructure}
        self.overview.draw(data.groups, data.pairs, data.layout, data.infrastructure_links, names)
        self._render()
        self._select_key(keep)

    # -- rendering ---------------------------------------------------------------------------------

    def _render(self) -> None:
        has = self.selection.has_engagement
        data = self.data
        found = data is not None and data.analysed
        self.tabs.setVisible(found)
        self.empty.setVisible(not found)
        self.refresh_button.setEnabled(has)
        self.note.setVisible(bool(found and data and data.note))
        self.unresolved_label.setVisible(data is not None)
        if not self._render_scope(data):
            return
        self.unresolved_label.setText(f"Unresolved endpoints: {data.unresolved:,}")
        if not found:
            self.subtitle.setText(self.selection.client_name)
            self.empty.setText(NOT_RUN)
            return
        servers = sum(len(g["assets"]) for g in data.groups)
        set_aside = sum(1 for r in data.infrastructure if r["infrastructure"])
        self.subtitle.setText(
            " · ".join(
                [
                    self.selection.client_name,
                    f"{len(data.groups):,} move groups of {servers:,} servers",
                    f"{set_aside:,} infrastructure servers set aside",
                    f"{data.connections:,} connections",
                    "double-click a server to open it",
                ]
            )
        )
        self.note.setText(f"{data.note[0].upper()}{data.note[1:]}." if data.note else "")
        self.tabs.setTabText(TAB_GROUPS, f"Move groups ({len(data.groups):,})")
        self.tabs.setTabText(TAB_INFRA, f"Infrastructure ({set_aside:,})")
        self._filter_changed()
        self._infra_current()

    def _filter_changed(self) -> None:
        self.groups_proxy.set_filter(text=self.search.text(), environment=self.environment.currentData())
        shown, total = self.groups_proxy.rowCount(), self.groups.rowCount()
        accepted = {g["id"] for g in self.groups_proxy.visible_rows()}
        self.overview.set_matching(None if shown == total else accepted)
        self.shown_label.setText(
            f"{shown:,} of {total:,} groups shown" if shown != total else f"{total:,} groups"
        )

    def filter_to(self, *, text: str = "", environment: str | None = None) -> None:
        """Set both filters (tests, links from other screens)."""
        self.environment.setCurrentIndex(max(0, self.environment.findData(environment)))
        self.search.setText(text)
        self._filter_changed()

    # -- one group on demand ---------------------------------------------------------------------

    def _select_key(self, key: str | None) -> None:
        """Select the group with this key again after a refresh (else the first shown)."""
        for r in range(self.groups_proxy.rowCount()):
            if key is None or self.groups_proxy.index(r, 0).data(ROW_ROLE)["key"] == key:
                self.group_table.selectRow(r)
                self.group_table.setCurrentIndex(self.groups_proxy.index(r, 0))
                return
        if self.groups_proxy.rowCount():
            self._select_key(None)
        else:
            self._group_changed(QModelIndex())

    def select_group(self, name: str) -> None:
        """Make the group of this name current (tests)."""
        for r in range(self.groups_proxy.rowCount()):
            if self.groups_proxy.index(r, 0).data(ROW_ROLE)["name"] == name:
                self.group_table.setCurrentIndex(self.groups_proxy.index(r, 0))
                return
        raise KeyError(name)

    def _overview_picked(self, group_id: str) -> None:
        """A bubble clicked: select its group in the table (clearing filters that hide it)."""
        if self.overview.is_dimmed(group_id):
            self.filter_to()
        for r in range(self.groups_proxy.rowCount()):
            index = self.groups_proxy.index(r, 0)
            if index.data(ROW_ROLE)["id"] == group_id:
                self.group_table.setCurrentIndex(index)
                self.group_table.scrollTo(index)
                return

    def _overview_opened(self, group_id: str) -> None:
        """A bubble double-clicked: select its group and show its cluster and connections."""
        self._overview_picked(group_id)
        self.views.setCurrentIndex(VIEW_DETAIL)

    def _group_changed(self, index: QModelIndex) -> None:
        group: dict[str, Any] | None = index.data(ROW_ROLE) if index.isValid() else None
        if group is not None and self.current_group is not None and group["id"] == self.current_group["id"]:
            return
        self.current_group = group
        self.overview.set_selected(group["id"] if group else None)
        self.connections.set_rows([])
        self.cluster.clear()
        if group is None:
            self.group_title.setText("Select a move group")
            self.group_reasons.setText("")
            self.group_reasons.setToolTip("")
            self.links_label.setText("")
            return
        self.group_title.setText(f"{group['name']} — {len(group['assets']):,} servers")
        shown, more = _reasons_line(group["reasons"])
        self.group_reasons.setText(shown)
        self.group_reasons.setToolTip("\n".join(group["reasons"]) if more else "")
        link = group["links"]
        others = link["groups"]
        self.links_label.setText(
            f"Links outside the group: {len(others):,} other group(s) ({sum(others.values()):,} observations)"
            f" · {link['infrastructure']:,} to infrastructure · {link['external']:,} to unresolved endpoints"
        )
        selection, gid = self.selection, group["id"]
        self.detail_loading = True
        QueryOp(
            self,
            lambda core: service.connections_of(core, selection, uuid.UUID(gid)),
            label="Loading a group",
        ).success(lambda rows: self._detail_loaded(gid, rows)).failure(self._failed).run_in_background(
            self.ctx.tasks
        )

    def _detail_loaded(self, group_id: str, rows: list[dict[str, Any]]) -> None:
        if self.current_group is None or self.current_group["id"] != group_id:
            return
        self.detail = rows
        self.connections.set_rows(rows)
        self.cluster.draw(self.current_group["assets"], rows)
        self.detail_loading = False

    # -- infrastructure decisions -----------------------------------------------------------------

    def _infra_row(self) -> dict[str, Any] | None:
        index = self.infra_table.currentIndex()
        return index.data(ROW_ROLE) if index.isValid() else None

    def _infra_current(self) -> None:
        row = self._infra_row()
        self.toggle_button.setText(
            "Set aside as infrastructure"
            if row is not None and not row["infrastructure"]
            else "Keep in the groups"
        )
        self.toggle_button.setEnabled(row is not None and bool(self.reason.text().strip()))
        self.forget_button.setEnabled(row is not None and row["source"] == "override")

    def select_infrastructure(self, hostname: str) -> None:
        """Make the infrastructure row of this server current (tests)."""
        model = self.infra_table.model()
        for r in range(model.rowCount()):
            if model.index(r, 0).data(ROW_ROLE)["hostname"] == hostname:
                self.infra_table.setCurrentIndex(model.index(r, 0))
                return
        raise KeyError(hostname)

    def _toggle_current(self) -> None:
        row, reason = self._infra_row(), self.reason.text().strip()
        if row is None or not reason:
            return
        selection, aid, to = self.selection, uuid.UUID(row["asset_id"]), not row["infrastructure"]
        self.loading = True
        CollectionOp(
            self,
            lambda core: service.set_infrastructure(core, selection, aid, infrastructure=to, reason=reason),
            label=f"{'Setting aside' if to else 'Keeping'} {row['hostname']} and regrouping",
        ).success(lambda _o: self._decided(row["hostname"], to)).failure(
            self._write_failed
        ).run_in_background(self.ctx.tasks)

    def _forget_current(self) -> None:
        row = self._infra_row()
        if row is None:
            return
        selection, aid = self.selection, uuid.UUID(row["asset_id"])
        self.loading = True
        CollectionOp(
            self, lambda core: service.clear_infrastructure(core, selection, aid), label="Regrouping"
        ).success(
            lambda _o: self.status_message.emit(f"Detection decides again for {row['hostname']}")
        ).failure(self._write_failed).run_in_background(self.ctx.tasks)

    def _decided(self, hostname: str, infrastructure: bool) -> None:
        self.reason.clear()
        where = "set aside as infrastructure" if infrastructure else "kept in the move groups"
        self.status_message.emit(f"{hostname} {where}; move groups recomputed")

    # -- to the asset ------------------------------------------------------------------------------

    def _connection_activated(self, index: QModelIndex) -> None:
        row: dict[str, Any] | None = index.data(ROW_ROLE) if index.isValid() else None
        if row is None:
            return
        side = "target" if index.column() == 1 else "source"
        aid = row.get(f"{side}_asset_id")
        if aid:
            self.show_asset(uuid.UUID(aid), row[side])
        else:
            self.status_message.emit(f"{row[side]} is not a server of the inventory (an unresolved endpoint)")

    def show_asset(self, asset_id: uuid.UUID, name: str) -> None:
        """Open the Assets screen searched for this server, with it current (as the tech-debt screen does)."""
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


__all__ = ["DependenciesScreen"]
