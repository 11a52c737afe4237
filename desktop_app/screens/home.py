"""Home: the selected engagement's imports and flows at a glance, and what to do next.

Why: after choosing an engagement the consultant wants to see where each import stands (rows,
phase, progress) and jump to its mapping review or timeline with a double-click.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.changes import OpChanges
from core.queries import catalog, navigation
from desktop_app.screens.registry import Screen, ScreenContext, Selection, register_screen
from desktop_app.task_manager import QueryOp

HEADERS = ("Import", "Rows", "Import status", "Flow", "Current phase", "Progress", "Imported")
SELECTION_ROLE = Qt.ItemDataRole.UserRole + 1
STEPS = (
    "<ol style='line-height:150%'>"
    "<li><b>Import</b> a CMDB, RVTools or cloud export (CSV, Excel, JSON, ZIP) — "
    "<i>File → New import…</i> (Ctrl+I) or drop a file on this window.</li>"
    "<li><b>Review the mapping</b> of every source column onto the asset schema — "
    "A approve, R reject, E edit, Ctrl+Z undo.</li>"
    "<li><b>Run the flow</b>: cleansing, inventory, dependencies and tech debt, "
    "followed on the timeline.</li></ol>"
)


@register_screen
class HomeScreen(Screen):
    screen_id = "home"
    title = "Home"
    icon = "SP_DirHomeIcon"
    order = 0

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.heading = QLabel("Migration Discovery")
        self.heading.setObjectName("screenTitle")
        self.subtitle = QLabel("Choose an engagement or an import on the left, or start a new import.")
        self.subtitle.setObjectName("screenSubtitle")
        self.subtitle.setWordWrap(True)
        self.steps = QLabel(STEPS)
        self.steps.setObjectName("homeSteps")
        self.steps.setWordWrap(True)
        self.steps.setTextFormat(Qt.TextFormat.RichText)
        self.new_import = QPushButton("New import…")
        self.new_import.setObjectName("homeNewImport")
        self.new_import.clicked.connect(lambda: ctx.navigate("wizard", None))
        self.model = QStandardItemModel(0, len(HEADERS), self)
        self.model.setHorizontalHeaderLabels(list(HEADERS))
        self.table = QTableView()
        self.table.setObjectName("homeImports")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col, width in enumerate((0, 90, 110, 140, 150, 80, 140)):
            if width:
                self.table.setColumnWidth(col, width)
        self.table.doubleClicked.connect(self._open)
        self.table.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_import)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 28)
        layout.setSpacing(12)
        layout.addWidget(self.heading)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.steps)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        self.filler = QWidget()  # takes the space while there is no table to show
        layout.addWidget(self.filler, 1)

    def set_selection(self, selection: Selection) -> None:
        super().set_selection(selection)
        if selection.has_engagement:
            self.heading.setText(f"{selection.client_name} — {selection.engagement_name}")
            self.subtitle.setText(
                "Its imports are below (double-click one to open its timeline), or start a new one."
            )
            self.reload()
        else:
            self.heading.setText("Migration Discovery")
            self.subtitle.setText("Choose an engagement or an import on the left, or start a new import.")
            self.model.removeRows(0, self.model.rowCount())
            self.table.hide()
            self.filler.show()

    def reload(self) -> None:
        sel = self.selection
        if sel.client_account_id is None or sel.engagement_id is None:
            return
        client_id, engagement_id = sel.client_account_id, sel.engagement_id
        QueryOp(
            self,
            lambda core: navigation.engagement_imports(core.uows, client_id, engagement_id),
            label="Loading imports",
        ).success(lambda rows: self._loaded(sel, rows)).run_in_background(self.ctx.tasks)

    def _loaded(self, selection: Selection, rows: list[catalog.ImportSummary]) -> None:
        if selection.engagement_id != self.selection.engagement_id:
            return
        self.model.removeRows(0, self.model.rowCount())
        for imp in rows:
            sel = Selection(
                selection.client_account_id,
                selection.client_name,
                selection.engagement_id,
                selection.engagement_name,
                imp.import_id,
                imp.filename,
                imp.flow_id,
            )
            progress = f"{imp.progress_percentage:.0f} %" if imp.progress_percentage is not None else ""
            cells = [
                imp.filename,
                f"{imp.total_records:,}",
                imp.status,
                (imp.flow_status or "—").replace("_", " "),
                (imp.current_phase or "—").replace("_", " "),
                progress,
                f"{imp.created_at.astimezone():%Y-%m-%d %H:%M}",
            ]
            items = [QStandardItem(c) for c in cells]
            for item in items:
                item.setData(sel, SELECTION_ROLE)
            items[1].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.model.appendRow(items)
        self.table.setVisible(bool(rows))
        self.filler.setVisible(not rows)

    def _open(self, index: QModelIndex) -> None:
        sel = index.data(SELECTION_ROLE)
        if isinstance(sel, Selection):
            self.ctx.navigate("timeline", sel)

    def on_operation(self, changes: OpChanges, initiator: object) -> None:
        if self.selection.has_engagement and (changes.imports or changes.flows):
            self.reload()
