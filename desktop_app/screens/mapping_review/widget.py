"""Mapping review screen: the side-by-side grid, its keyboard, filters, undo/redo and preview.

Why it is built this way: a consultant decides hundreds of columns by keyboard. Every decision is
a `QUndoCommand` whose redo/undo are core writes on the single writer thread, so the grid never
freezes and nothing is lost; a decision someone else made first comes back as a conflict that is
shown on the row (tinted, with their decision, who and when) and never overwritten.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import shiboken6
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QStandardItem, QStandardItemModel, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.bootstrap import Core
from core.mapping_review.errors import MappingConflictError, MappingIncompleteError
from core.services.gui_queries import MappingState
from desktop_app.changes import OpChanges, ids
from desktop_app.error_dialog import show_error, show_message
from desktop_app.screens.mapping_review import service
from desktop_app.screens.mapping_review.delegate import (
    APPROVE,
    EDIT,
    REJECT,
    ConfidenceDelegate,
    DecisionDelegate,
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
    ROW_ROLE,
    MappingTableModel,
)
from desktop_app.screens.mapping_review.proxy import FILTER_PENDING, FILTERS, MappingFilterProxy
from desktop_app.screens.mapping_review.rows import ReviewRow, conflict_from_core
from desktop_app.screens.mapping_review.service import Decision, VersionBook
from desktop_app.screens.mapping_review.target_picker import TargetInfo, TargetPickerDialog, target_infos
from desktop_app.screens.mapping_review.undo_commands import BulkApproveCommand, DecisionCommand
from desktop_app.screens.registry import Screen, ScreenContext, Selection, register_screen
from desktop_app.task_manager import CollectionOp, QueryOp
from desktop_app.tenancy import tenant_of

# Action ids: shared by menus, shortcuts, buttons and tests.
ACTION_APPROVE = "mapping.approve"
ACTION_REJECT = "mapping.reject"
ACTION_EDIT = "mapping.edit"
ACTION_REVERT = "mapping.revert"
ACTION_UNDO = "mapping.undo"
ACTION_REDO = "mapping.redo"
ACTION_BULK_APPROVE = "mapping.bulk_approve"
ACTION_FINISH = "mapping.finish"
ACTION_SEARCH = "mapping.search"
ACTION_NEXT_PENDING = "mapping.next_pending"
ACTION_RELOAD = "mapping.reload"

SHORTCUTS: dict[str, tuple[str | QKeySequence.StandardKey, ...]] = {
    ACTION_APPROVE: ("A",),
    ACTION_REJECT: ("R",),
    ACTION_EDIT: ("E",),
    ACTION_REVERT: ("Backspace",),
    ACTION_UNDO: (QKeySequence.StandardKey.Undo,),
    ACTION_REDO: ("Ctrl+Shift+Z", "Ctrl+Y"),
    ACTION_BULK_APPROVE: ("Ctrl+Shift+A",),
    ACTION_FINISH: ("Ctrl+Return",),
    ACTION_SEARCH: (QKeySequence.StandardKey.Find,),
    ACTION_NEXT_PENDING: ("N",),
    ACTION_RELOAD: (QKeySequence.StandardKey.Refresh,),
}
PREVIEW_DELAY_MS = 120


@register_screen
class MappingReviewScreen(Screen):
    screen_id = "mapping_review"
    title = "Mapping review"
    icon = "SP_FileDialogDetailedView"
    order = 10
    needs_import = True

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.book = VersionBook()
        self.undo_stack = QUndoStack(self)
        self.targets: list[TargetInfo] = []
        self._target_labels: dict[str, str] = {}
        self._loaded_import: uuid.UUID | None = None
        self._loading = False
        self._dialog: TargetPickerDialog | None = None
        self.model = MappingTableModel(self, target_label=lambda n: self._target_labels.get(n, n))
        self.proxy = MappingFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self._build_ui()
        self._build_actions()
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self._load_preview)
        self.model.modelReset.connect(self._update_counts)
        self.model.dataChanged.connect(lambda *_: self._update_counts())

    # -- construction ------------------------------------------------------------------------------

    def _build_ui(self) -> None:
        self.heading = QLabel("Mapping review")
        self.heading.setObjectName("screenTitle")
        self.counts = QLabel("")
        self.counts.setObjectName("screenSubtitle")
        self.filter = QComboBox()
        self.filter.setObjectName("mappingFilter")
        for key, label in FILTERS.items():
            self.filter.addItem(label, key)
        self.filter.currentIndexChanged.connect(
            lambda _i: self.proxy.set_mode(str(self.filter.currentData()))
        )
        self.search = QLineEdit()
        self.search.setObjectName("mappingSearch")
        self.search.setPlaceholderText("Filter columns, targets, samples…  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.set_text)
        self.threshold = QDoubleSpinBox()
        self.threshold.setObjectName("bulkThreshold")
        self.threshold.setRange(0, 100)
        self.threshold.setDecimals(0)
        self.threshold.setSuffix(" %")
        self.threshold.setValue(round(self.ctx.settings.confidence_threshold * 100))
        self.bulk_button = QPushButton("Approve all ≥")
        self.bulk_button.setObjectName("bulkApprove")
        self.undo_button = QToolButton()
        self.undo_button.setObjectName("undoButton")
        self.redo_button = QToolButton()
        self.redo_button.setObjectName("redoButton")
        self.finish_button = QPushButton("Finish mapping")
        self.finish_button.setObjectName("finishMapping")
        self.finish_button.setDefault(True)

        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addStretch(1)
        top.addWidget(self.undo_button)
        top.addWidget(self.redo_button)
        top.addSpacing(12)
        top.addWidget(self.finish_button)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Show"))
        bar.addWidget(self.filter)
        bar.addWidget(self.search, 1)
        bar.addSpacing(12)
        bar.addWidget(self.bulk_button)
        bar.addWidget(self.threshold)

        self.banner = QLabel("")
        self.banner.setObjectName("conflictBanner")
        self.banner.setWordWrap(True)
        self.banner.hide()

        self.view = QTableView()
        self.view.setObjectName("mappingGrid")
        self.view.setModel(self.proxy)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(COL_SOURCE, Qt.SortOrder.AscendingOrder)
        self.view.setWordWrap(False)
        self.view.setMouseTracking(True)
        self.view.verticalHeader().setDefaultSectionSize(30)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().hide()
        header = self.view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COL_EXPLANATION, QHeaderView.ResizeMode.Stretch)
        for col, width in (
            (COL_SOURCE, 150),
            (COL_SAMPLES, 180),
            (COL_TARGET, 175),
            (COL_CONFIDENCE, 105),
            (COL_MATCH, 72),
            (COL_STATUS, 92),
            (COL_ACTIONS, actions_width() + 4),
        ):
            self.view.setColumnWidth(col, width)
        header.setSectionResizeMode(COL_ACTIONS, QHeaderView.ResizeMode.Fixed)
        self.confidence_delegate = ConfidenceDelegate(self.view)
        self.decision_delegate = DecisionDelegate(self.view)
        self.view.setItemDelegateForColumn(COL_CONFIDENCE, self.confidence_delegate)
        self.view.setItemDelegateForColumn(COL_ACTIONS, self.decision_delegate)
        self.decision_delegate.clicked.connect(self._button_clicked)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._preview_timer.start())
        self.view.doubleClicked.connect(
            lambda idx: self.edit_current() if idx.column() != COL_ACTIONS else None
        )

        self.preview_title = QLabel("Preview")
        self.preview_title.setObjectName("previewTitle")
        self.preview_title.setWordWrap(True)
        self.preview_model = QStandardItemModel(0, 3, self)
        self.preview_model.setHorizontalHeaderLabels(["Source value", "After transformation", "Problem"])
        self.preview_view = QTableView()
        self.preview_view.setObjectName("previewTable")
        self.preview_view.setModel(self.preview_model)
        self.preview_view.verticalHeader().hide()
        self.preview_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview_view.horizontalHeader().setStretchLastSection(True)
        self.preview_view.setColumnWidth(0, 260)
        self.preview_view.setColumnWidth(1, 260)
        self.preview_view.verticalHeader().setDefaultSectionSize(24)
        preview = QFrame()
        preview.setObjectName("previewPane")
        pl = QVBoxLayout(preview)
        pl.setContentsMargins(8, 8, 8, 8)
        pl.addWidget(self.preview_title)
        pl.addWidget(self.preview_view, 1)

        # the preview sits below the grid so the grid gets the full width for its eight columns
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("mappingSplitter")
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(preview)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([520, 200])
        self.ctx.settings.restore_splitter("mapping", self.splitter)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.counts)
        layout.addLayout(bar)
        layout.addWidget(self.banner)
        layout.addWidget(self.splitter, 1)

    def _build_actions(self) -> None:
        self.actions_by_id: dict[str, QAction] = {}
        specs: list[tuple[str, str, Any]] = [
            (ACTION_APPROVE, "Approve", self.approve_selected),
            (ACTION_REJECT, "Reject (leave unmapped)", self.reject_selected),
            (ACTION_EDIT, "Change target…", self.edit_current),
            (ACTION_REVERT, "Revert to suggestion", self.revert_selected),
            (ACTION_BULK_APPROVE, "Approve all ≥ threshold", self.bulk_approve),
            (ACTION_FINISH, "Finish mapping", self.finish_mapping),
            (ACTION_SEARCH, "Find", lambda: (self.search.setFocus(), self.search.selectAll())),
            (ACTION_NEXT_PENDING, "Next pending column", self.next_pending),
            (ACTION_RELOAD, "Reload", self.reload),
        ]
        undo = self.undo_stack.createUndoAction(self, "Undo")
        redo = self.undo_stack.createRedoAction(self, "Redo")
        for action_id, action in ((ACTION_UNDO, undo), (ACTION_REDO, redo)):
            action.setObjectName(action_id)
            self._install(action_id, action)
        for action_id, text, slot in specs:
            action = QAction(text, self)
            action.setObjectName(action_id)
            action.triggered.connect(slot)
            self._install(action_id, action)
        self.undo_button.setDefaultAction(undo)
        self.redo_button.setDefaultAction(redo)
        self.bulk_button.clicked.connect(self.actions_by_id[ACTION_BULK_APPROVE].trigger)
        self.finish_button.clicked.connect(self.actions_by_id[ACTION_FINISH].trigger)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for action_id in (ACTION_APPROVE, ACTION_REJECT, ACTION_EDIT, ACTION_REVERT):
            self.view.addAction(self.actions_by_id[action_id])

    def _install(self, action_id: str, action: QAction) -> None:
        action.setShortcuts([QKeySequence(k) for k in SHORTCUTS.get(action_id, ())])
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(action)
        self.actions_by_id[action_id] = action

    # -- selection and loading ----------------------------------------------------------------------

    def set_selection(self, selection: Selection) -> None:
        previous = self.selection.import_id
        super().set_selection(selection)
        if selection.import_id != previous:
            self.undo_stack.clear()
            self.book = VersionBook()
            self.banner.hide()
            self.model.load([])
            self.preview_model.removeRows(0, self.preview_model.rowCount())
            self._loaded_import = None
            self._update_heading()
            if self.isVisible() or self.selection.import_id is not None:
                self.reload()

    def on_shown(self) -> None:
        if not self.targets:
            QueryOp(self, lambda _core: target_infos(), label="Loading the target schema").success(
                self._targets_loaded
            ).run_in_background(self.ctx.tasks)
        if self._loaded_import != self.selection.import_id:
            self.reload()
        self.view.setFocus()

    def _targets_loaded(self, targets: list[TargetInfo]) -> None:
        self.targets = targets
        self._target_labels = {t.name: f"{t.name} ({t.unit})" if t.unit else t.name for t in targets}
        self.view.viewport().update()

    def reload(self) -> None:
        """(Re)load the rows of the selected import (kept selection, filters and conflicts)."""
        import_id = self.selection.import_id
        if import_id is None:
            self._update_heading()
            return
        selection = self.selection
        self._loading = True
        QueryOp(
            self,
            lambda core: service.load_rows(core, tenant_of(core, selection), import_id),
            label="Loading mappings",
        ).success(lambda rows: self._rows_loaded(import_id, rows)).failure(
            self._load_failed
        ).run_in_background(self.ctx.tasks)

    def _rows_loaded(self, import_id: uuid.UUID, rows: list[ReviewRow]) -> None:
        self._loading = False
        if import_id != self.selection.import_id:
            return
        current = self.current_row()
        for r in rows:
            self.book.note(r.mapping_id, r.version)
        self.model.load(rows)
        self._loaded_import = import_id
        self._update_heading()
        if current is not None:
            self.select_mapping(current.mapping_id)
        elif self.proxy.rowCount():
            self.view.setCurrentIndex(self.proxy.index(0, COL_SOURCE))
        if not rows:
            self.status_message.emit("This import has no suggested mappings yet.")

    def _load_failed(self, exc: BaseException) -> None:
        self._loading = False
        show_error(exc, self, title="Could not load the mappings")

    def is_loaded(self) -> bool:
        return self._loaded_import == self.selection.import_id and not self._loading

    def _update_heading(self) -> None:
        sel = self.selection
        self.heading.setText(f"Mapping review — {sel.import_name}" if sel.import_id else "Mapping review")
        self._update_counts()

    def _update_counts(self) -> None:
        if self.selection.import_id is None:
            self.counts.setText(
                "Select an import on the left to review how its columns map onto the asset schema."
            )
            return
        c = self.model.counts()
        text = (
            f"{c['total']} columns · {c['pending']} pending · {c['approved']} approved · "
            f"{c['modified']} changed · {c['rejected']} rejected"
        )
        if c["conflicts"]:
            text += f" · {c['conflicts']} conflict(s)"
        text += "   —   A approve · R reject · E edit · N next pending · Ctrl+Z undo"
        self.counts.setText(text)
        self.finish_button.setEnabled(c["total"] > 0)

    def menu_actions(self) -> list[QAction | None]:
        a = self.actions_by_id
        return [
            a[ACTION_UNDO],
            a[ACTION_REDO],
            None,
            a[ACTION_APPROVE],
            a[ACTION_REJECT],
            a[ACTION_EDIT],
            a[ACTION_REVERT],
            None,
            a[ACTION_NEXT_PENDING],
            a[ACTION_SEARCH],
            None,
            a[ACTION_BULK_APPROVE],
            a[ACTION_FINISH],
            None,
            a[ACTION_RELOAD],
        ]

    def on_operation(self, changes: OpChanges, initiator: object) -> None:
        if initiator is self:
            return
        if changes.mappings and changes.touches_import(self.selection.import_id):
            self.reload()

    def save_state(self) -> None:
        self.ctx.settings.save_splitter("mapping", self.splitter)

    # -- rows ------------------------------------------------------------------------------------

    def current_row(self) -> ReviewRow | None:
        idx = self.view.currentIndex()
        row = idx.data(ROW_ROLE) if idx.isValid() else None
        return row if isinstance(row, ReviewRow) else None

    def selected_rows(self) -> list[ReviewRow]:
        """Selected rows in view order; the current row when nothing is selected."""
        rows = [
            i.data(ROW_ROLE) for i in sorted(self.view.selectionModel().selectedRows(), key=lambda i: i.row())
        ]
        found = [r for r in rows if isinstance(r, ReviewRow)]
        if not found and (current := self.current_row()) is not None:
            found = [current]
        return found

    def select_mapping(self, mapping_id: uuid.UUID) -> bool:
        src = self.model.index_of(mapping_id, COL_SOURCE)
        idx = self.proxy.mapFromSource(src)
        if not idx.isValid():
            return False
        self.view.selectionModel().setCurrentIndex(
            idx, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.view.scrollTo(idx)
        return True

    def _advance(self, rows: list[ReviewRow]) -> None:
        """After deciding one row by keyboard, move to the next row (fast review)."""
        if len(rows) != 1:
            return
        idx = self.proxy.mapFromSource(self.model.index_of(rows[0].mapping_id, COL_SOURCE))
        if idx.isValid() and idx.row() + 1 < self.proxy.rowCount():
            nxt = self.proxy.index(
                idx.row() + 1, self.view.currentIndex().column() if self.view.currentIndex().isValid() else 0
            )
            self.view.selectionModel().setCurrentIndex(
                nxt, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            )

    # -- decisions ---------------------------------------------------------------------------------

    def decide(self, rows: list[ReviewRow], after: Decision, *, advance: bool = True) -> None:
        """Push one undoable decision per row (a macro when several)."""
        rows = [
            r
            for r in rows
            if r.conflict is not None or after.status == "modified" or r.status != after.status
        ]
        if not rows or self.selection.import_id is None:
            return
        if len(rows) > 1:
            self.undo_stack.beginMacro(f"{after.status.capitalize()} {len(rows)} columns")
        for r in rows:
            if r.conflict is not None:
                self.model.set_conflict(r.mapping_id, None)
            self.undo_stack.push(
                DecisionCommand(self, r.mapping_id, r.source_field, r.version, Decision.of(r), after)
            )
        if len(rows) > 1:
            self.undo_stack.endMacro()
        if advance:
            self._advance(rows)

    def approve_selected(self) -> None:
        rows = [r for r in self.selected_rows() if r.target_field or r.suggested_target]
        self.decide(rows, Decision("approved"))

    def reject_selected(self) -> None:
        self.decide(self.selected_rows(), Decision("rejected"))

    def revert_selected(self) -> None:
        self.decide(self.selected_rows(), Decision("suggested"), advance=False)

    def edit_current(self) -> None:
        row = self.current_row()
        if row is None:
            return
        dialog = TargetPickerDialog(
            self.targets or _fallback_targets(),
            row.source_field,
            row.target_field,
            row.rules,
            row.samples,
            self,
        )
        dialog.chosen.connect(
            lambda target, rules: self.decide(
                [row_now] if (row_now := self.model.row_by_id(row.mapping_id)) else [],
                Decision("modified", target, rules),
                advance=False,
            )
        )
        self._dialog = dialog
        dialog.open()

    def _button_clicked(self, action: str, proxy_index: QModelIndex) -> None:
        row = proxy_index.data(ROW_ROLE)
        if not isinstance(row, ReviewRow):
            return
        self.view.selectionModel().setCurrentIndex(
            proxy_index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )
        if action == APPROVE:
            self.decide([row], Decision("approved"), advance=False)
        elif action == REJECT:
            self.decide([row], Decision("rejected"), advance=False)
        elif action == EDIT:
            self.edit_current()

    def next_pending(self) -> None:
        start = self.view.currentIndex().row() + 1 if self.view.currentIndex().isValid() else 0
        n = self.proxy.rowCount()
        for k in range(n):
            idx = self.proxy.index((start + k) % n, COL_SOURCE)
            row = idx.data(ROW_ROLE)
            if isinstance(row, ReviewRow) and row.pending:
                self.select_mapping(row.mapping_id)
                return
        self.status_message.emit("No pending columns left — finish the mapping (Ctrl+Enter).")

    # DecisionRunner protocol (called by the undo commands) -----------------------------------------

    def submit_decision(
        self, command: DecisionCommand, mapping_id: uuid.UUID, version: int, decision: Decision, *, undo: bool
    ) -> None:
        selection = self.selection
        book = self.book
        self.model.set_busy(mapping_id, True)

        def remember_prior(prior: Decision) -> None:
            command.before = prior  # writer thread; a queued undo of this command reads it after

        def work(core: Core) -> MappingState:
            tenant = tenant_of(core, selection)
            if undo:  # restores what the database held right before this command's redo
                return service.restore(core, tenant, book, mapping_id, version, command.before)
            return service.decide(core, tenant, book, mapping_id, version, decision, remember_prior)

        CollectionOp(self, work, label=command.text()).changes(
            OpChanges(mappings=True, import_ids=ids(selection.import_id), mapping_ids=ids(mapping_id))
        ).success(lambda state: self._decided(mapping_id, state)).failure(
            lambda exc: self._decision_failed(command, mapping_id, exc)
        ).run_in_background(self.ctx.tasks)

    def submit_bulk(self, command: BulkApproveCommand, *, undo: bool) -> None:
        selection = self.selection
        book = self.book

        def approve(core: Core) -> dict[uuid.UUID, MappingState]:
            outcome = service.bulk_approve(
                core, tenant_of(core, selection), book, command.import_id, command.min_confidence
            )
            command.approved_ids = sorted(outcome.states)  # read by a queued undo on this same thread
            command.versions = {k: v.version for k, v in outcome.states.items()}
            return outcome.states

        def revert(core: Core) -> dict[uuid.UUID, MappingState]:
            return service.revert_many(
                core, tenant_of(core, selection), book, list(command.approved_ids), dict(command.versions)
            )

        CollectionOp(self, revert if undo else approve, label=command.text()).changes(
            OpChanges(mappings=True, import_ids=ids(selection.import_id))
        ).success(lambda states: self._bulk_done(states, undo)).failure(
            lambda exc: self._decision_failed(command, None, exc)
        ).run_in_background(self.ctx.tasks)

    def _decided(self, mapping_id: uuid.UUID, state: MappingState) -> None:
        row = self.model.row_by_id(mapping_id)
        if row is not None:
            self.model.update_row(service.merge_state(row, state))
        if self.current_row() is not None and self.current_row().mapping_id == mapping_id:  # type: ignore[union-attr]
            self._preview_timer.start()
        if not self.model.counts()["conflicts"]:
            self.banner.hide()

    def _bulk_done(self, states: dict[uuid.UUID, MappingState], undo: bool) -> None:
        for mid, state in states.items():
            row = self.model.row_by_id(mid)
            if row is not None:
                self.model.update_row(service.merge_state(row, state))
        verb = "Reverted" if undo else "Approved"
        self.status_message.emit(f"{verb} {len(states)} column(s)")

    def _decision_failed(
        self, command: QUndoCommand, mapping_id: uuid.UUID | None, exc: BaseException
    ) -> None:
        if shiboken6.isValid(command):
            command.mark_failed()  # type: ignore[attr-defined]
            if (
                self.undo_stack.index() > 0
                and self.undo_stack.command(self.undo_stack.index() - 1) is command
            ):
                self.undo_stack.undo()  # obsolete: Qt drops it, so Ctrl+Z goes to the previous decision
        if isinstance(exc, MappingConflictError):
            current = exc.current
            conflict = conflict_from_core(current)
            row = self.model.row_by_id(current.mapping_id)
            if row is not None:
                theirs = replace(
                    row,
                    status=current.status,
                    target_field=current.target_field,
                    rules=current.transformation_rules,
                    version=current.version,
                    decided_by=current.decided_by,
                    decided_at=current.decided_at,
                )
                self.model.update_row(theirs.with_conflict(conflict))
            self.banner.setText(
                f"Someone else decided first: {conflict.text}. Your decision was not saved; "
                "the row shows theirs — decide again if you disagree."
            )
            self.banner.show()
            return
        if mapping_id is not None:
            self.model.set_busy(mapping_id, False)
        show_error(exc, self, title="The decision was not saved")

    # -- bulk and finish -------------------------------------------------------------------------------

    def bulk_approve(self) -> None:
        if self.selection.import_id is None:
            return
        threshold = self.threshold.value() / 100.0
        self.undo_stack.push(BulkApproveCommand(self, self.selection.import_id, threshold))

    def finish_mapping(self) -> None:
        import_id = self.selection.import_id
        if import_id is None:
            return
        selection = self.selection
        CollectionOp(
            self,
            lambda core: service.finish(core, tenant_of(core, selection), import_id),
            label="Finishing the mapping",
        ).changes(
            OpChanges(
                mappings=True,
                flows=True,
                imports=True,
                import_ids=ids(import_id),
                flow_ids=ids(selection.flow_id),
            )
        ).success(lambda _r: self._finished()).failure(self._finish_failed).run_in_background(self.ctx.tasks)

    def _finished(self) -> None:
        self.undo_stack.clear()  # the decisions are locked now
        self.status_message.emit("Field mapping finished — the flow moved on to data cleansing.")
        self.ctx.navigate("timeline", self.selection)

    def _finish_failed(self, exc: BaseException) -> None:
        if isinstance(exc, MappingIncompleteError):
            self.filter.setCurrentIndex(self.filter.findData(FILTER_PENDING))
            pending = "\n".join(f"• {p}" for p in exc.pending[:40]) + ("\n…" if len(exc.pending) > 40 else "")
            show_message(
                f"{len(exc.pending)} column(s) still need a decision.",
                self,
                title="Mapping not finished",
                hint="The grid now shows only the pending columns.",
                details=pending,
            )
            self.next_pending()
            return
        show_error(exc, self, title="Mapping not finished")

    # -- preview -----------------------------------------------------------------------------------

    def _load_preview(self) -> None:
        row = self.current_row()
        if row is None or self.selection.import_id is None:
            return
        selection = self.selection
        self.preview_title.setText(
            f"<b>{_html(row.source_field)}</b> → "
            f"{_html(self._target_labels.get(row.target_field or '', row.target_field or '(unmapped)'))}"
        )
        QueryOp(
            self,
            lambda core: service.preview(core, tenant_of(core, selection), row.mapping_id),
            label="Preview",
        ).success(lambda pairs: self._preview_loaded(row.mapping_id, pairs)).failure(
            lambda exc: self.preview_title.setText(f"Preview unavailable: {exc}")
        ).run_in_background(self.ctx.tasks)

    def _preview_loaded(self, mapping_id: uuid.UUID, pairs: list[Any]) -> None:
        current = self.current_row()
        if current is None or current.mapping_id != mapping_id:
            return
        self.preview_model.removeRows(0, self.preview_model.rowCount())
        for p in pairs:
            value = getattr(p, "value", None)
            error = getattr(p, "error", None)
            items = [
                QStandardItem(str(getattr(p, "raw", ""))),
                QStandardItem("" if value is None else str(value)),
                QStandardItem(error or ""),
            ]
            if error:
                items[2].setForeground(Qt.GlobalColor.red)
            self.preview_model.appendRow(items)


def _fallback_targets() -> list[TargetInfo]:
    return target_infos()


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
