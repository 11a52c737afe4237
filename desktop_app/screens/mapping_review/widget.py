"""Mapping review screen: lays out the side-by-side grid, its filters, the preview pane and, beside
the preview, the Profile pane of the current column (`profile_pane.py`).

Why it is built this way: a consultant decides hundreds of columns by keyboard. The screen only
arranges views and forwards what the user did; `MappingReviewController` turns that into
`QUndoCommand`s whose redo/undo are core writes on the single writer thread, so the grid never
freezes and nothing is lost; a decision someone else made first comes back as a conflict that is
shown on the row (tinted, with their decision, who and when) and never overwritten.

A, R and E act on the whole selection as one undoable step. A row the suggester found no target
for reads "no target"; its ✓ (or A on it alone) opens the target picker, and "Leave all unmatched
columns unmapped" rejects every such row at once.
"""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from core.changes import OpChanges
from desktop_app.screens import actions
from desktop_app.screens.mapping_review.actions import (
    ACTION_APPROVE,
    ACTION_BULK_APPROVE,
    ACTION_EDIT,
    ACTION_FINISH,
    ACTION_LEAVE_UNMATCHED,
    ACTION_NEXT_PENDING,
    ACTION_REDO,
    ACTION_REJECT,
    ACTION_RELOAD,
    ACTION_REOPEN,
    ACTION_REVERT,
    ACTION_SEARCH,
    ACTION_UNDO,
    MENU,
    ROW_ACTIONS,
    SHORTCUTS,
)
from desktop_app.screens.mapping_review.ai_opinion import AiOpinion
from desktop_app.screens.mapping_review.controller import MappingReviewController
from desktop_app.screens.mapping_review.delegate import APPROVE, EDIT, REJECT
from desktop_app.screens.mapping_review.grid import MappingGrid
from desktop_app.screens.mapping_review.model import COL_ACTIONS, ROW_ROLE, MappingTableModel
from desktop_app.screens.mapping_review.preview_pane import PreviewPane
from desktop_app.screens.mapping_review.profile_pane import ProfileLoader, ProfilePane
from desktop_app.screens.mapping_review.proxy import MappingFilterProxy
from desktop_app.screens.mapping_review.reopen import REOPEN_TEXT
from desktop_app.screens.mapping_review.rows import ReviewRow
from desktop_app.screens.mapping_review.service import Decision
from desktop_app.screens.mapping_review.target_picker import (
    TargetInfo,
    TargetPickerDialog,
    several_columns_check,
    target_infos,
)
from desktop_app.screens.mapping_review.toolbar import ReviewToolbar
from desktop_app.screens.registry import Screen, ScreenContext, Selection, register_screen

__all__ = [  # the action ids stay importable from here (menus, tests)
    "ACTION_APPROVE",
    "ACTION_BULK_APPROVE",
    "ACTION_EDIT",
    "ACTION_FINISH",
    "ACTION_LEAVE_UNMATCHED",
    "ACTION_NEXT_PENDING",
    "ACTION_REDO",
    "ACTION_REJECT",
    "ACTION_RELOAD",
    "ACTION_REVERT",
    "ACTION_SEARCH",
    "ACTION_UNDO",
    "PREVIEW_DELAY_MS",
    "SHORTCUTS",
    "MappingReviewScreen",
]

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
        self.targets: list[TargetInfo] = []
        self._target_labels: dict[str, str] = {}
        self._dialog: TargetPickerDialog | None = None
        self.model = MappingTableModel(self, target_label=lambda n: self._target_labels.get(n, n))
        self.proxy = MappingFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.controller = MappingReviewController(self, self, ctx.tasks, self.model)
        self.undo_stack = self.controller.undo_stack
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
        t = self.toolbar = ReviewToolbar(self.proxy, self.ctx.settings.confidence_threshold)
        # the controls keep their names on the screen (actions, tests and the shell reach them there)
        self.heading, self.counts, self.filter, self.search = t.heading, t.counts, t.filter, t.search
        self.threshold, self.bulk_button, self.finish_button = t.threshold, t.bulk_button, t.finish_button
        self.leave_button = t.leave_button
        self.undo_button, self.redo_button = t.undo_button, t.redo_button
        self.ai = AiOpinion(self, self.ctx.tasks, lambda: self.selection)
        self.ai_button = self.ai.button
        t.top.insertWidget(2, self.ai_button)  # after the heading's stretch, before undo/redo
        t.top.insertSpacing(3, 12)

        self.banner = QLabel("")
        self.banner.setObjectName("conflictBanner")
        self.banner.setWordWrap(True)
        self.banner.hide()

        self.view = MappingGrid(self.proxy, self.model)
        self.view.restore_widths(self.ctx.settings)
        self.view.decision_delegate.clicked.connect(self._button_clicked)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._preview_timer.start())
        self.view.doubleClicked.connect(
            lambda idx: self.edit_current() if idx.column() != COL_ACTIONS else None
        )
        self.preview = PreviewPane()
        self.preview_model = self.preview.model
        self.profile = ProfilePane()  # beside the preview: the current column's profile
        self.profiles = ProfileLoader(self.profile, self, self.ctx.tasks)
        self.bottom = QSplitter(Qt.Orientation.Horizontal)
        self.bottom.setObjectName("mappingBottomSplitter")
        self.bottom.addWidget(self.preview)
        self.bottom.addWidget(self.profile)
        self.bottom.setSizes([460, 580])

        # the preview sits below the grid so the grid gets the full width for its eight columns
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("mappingSplitter")
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.bottom)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([520, 200])
        self.ctx.settings.restore_splitter("mapping", self.splitter)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        layout.addLayout(t.top)
        layout.addWidget(self.counts)
        layout.addLayout(t.bar)
        layout.addWidget(self.banner)
        layout.addWidget(self.controller.reopener.bar)
        layout.addWidget(self.splitter, 1)

    def _build_actions(self) -> None:
        self.actions_by_id: dict[str, QAction] = {}
        undo = self.undo_stack.createUndoAction(self, "Undo")
        redo = self.undo_stack.createRedoAction(self, "Redo")
        actions.install(self, self.actions_by_id, ACTION_UNDO, undo, SHORTCUTS)
        actions.install(self, self.actions_by_id, ACTION_REDO, redo, SHORTCUTS)
        specs: list[actions.ActionSpec] = [
            (ACTION_APPROVE, "Approve", self.approve_selected),
            (ACTION_REJECT, "Reject (leave unmapped)", self.reject_selected),
            (ACTION_EDIT, "Change target…", self.edit_selected),
            (ACTION_REVERT, "Revert to suggestion", self.revert_selected),
            (ACTION_BULK_APPROVE, "Approve all ≥ threshold", self.bulk_approve),
            (ACTION_LEAVE_UNMATCHED, "Leave all unmatched columns unmapped", self.leave_unmatched),
            (ACTION_FINISH, "Finish mapping", self.finish_mapping),
            (ACTION_REOPEN, REOPEN_TEXT, self.controller.reopener.ask),
            (ACTION_SEARCH, "Find", self.toolbar.focus_search),
            (ACTION_NEXT_PENDING, "Next pending column", self.next_pending),
            (ACTION_RELOAD, "Reload", self.reload),
        ]
        actions.install_all(self, self.actions_by_id, specs, SHORTCUTS)
        self.controller.reopener.set_action(self.actions_by_id[ACTION_REOPEN])
        self.undo_button.setDefaultAction(undo)
        self.redo_button.setDefaultAction(redo)
        self.bulk_button.clicked.connect(self.actions_by_id[ACTION_BULK_APPROVE].trigger)
        self.finish_button.clicked.connect(self.actions_by_id[ACTION_FINISH].trigger)
        self.leave_button.clicked.connect(self.actions_by_id[ACTION_LEAVE_UNMATCHED].trigger)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for action_id in ROW_ACTIONS:
            self.view.addAction(self.actions_by_id[action_id])
        self.forget_action = QAction("Forget what was learned for this column", self.view)
        self.forget_action.triggered.connect(self.forget_learned)
        self.view.addAction(self.forget_action)

    def menu_actions(self) -> list[QAction | None]:
        return actions.menu_of(self.actions_by_id, MENU)

    # -- Screen hooks ------------------------------------------------------------------------------

    def set_selection(self, selection: Selection) -> None:
        previous = self.selection.import_id
        super().set_selection(selection)
        if selection.import_id != previous:
            self.controller.reset()
            self.banner.hide()
            self.model.load([])
            self.preview.clear()
            self.profile.clear()
            self._update_heading()
            self.ai.refresh()
            if self.isVisible() or self.selection.import_id is not None:
                self.reload()

    def on_shown(self) -> None:
        self.ai.refresh()  # the model may have been configured meanwhile
        self.profiles.forget_analyses()  # and a crew run from the CLI
        if not self.targets:
            self.controller.load_targets()
        if self.controller.needs_load():
            self.reload()
        else:
            self.controller.reopener.load()  # finished or reopened elsewhere meanwhile
        self.view.setFocus()

    def on_operation(self, changes: OpChanges, initiator: object) -> None:
        if initiator is self:
            return
        if changes.mappings and changes.touches_import(self.selection.import_id):
            self.reload()

    def save_state(self) -> None:
        self.ctx.settings.save_splitter("mapping", self.splitter)
        self.view.save_widths(self.ctx.settings)

    def reload(self) -> None:
        """(Re)load the rows of the selected import (kept selection, filters and conflicts)."""
        if self.selection.import_id is None:
            self._update_heading()
            return
        self.profiles.forget_analyses()  # an AI crew may have analysed its columns meanwhile
        self.controller.reload()

    def is_loaded(self) -> bool:
        return self.controller.is_loaded()

    # -- rows (the grid's, in view order) ------------------------------------------------------------

    def current_row(self) -> ReviewRow | None:
        return self.view.current_row()

    def selected_rows(self) -> list[ReviewRow]:
        """Selected rows in view order; the current row when nothing is selected."""
        return self.view.selected_rows()

    def select_mapping(self, mapping_id: uuid.UUID) -> bool:
        return self.view.select_mapping(mapping_id)

    # -- user actions ------------------------------------------------------------------------------

    def approve_selected(self) -> None:
        rows = self.selected_rows()
        if len(rows) == 1 and rows[0].no_target:  # nothing to approve: the consultant wants a target
            self.edit_rows(rows)
            return
        self.controller.approve(rows)

    def reject_selected(self) -> None:
        self.controller.reject(self.selected_rows())

    def revert_selected(self) -> None:
        self.controller.revert(self.selected_rows())

    def bulk_approve(self) -> None:
        self.controller.bulk_approve(self.toolbar.min_confidence())

    def leave_unmatched(self) -> None:
        self.controller.leave_unmatched()

    def finish_mapping(self) -> None:
        self.controller.finish()

    def edit_current(self) -> None:
        """The target picker for the current row alone (double click)."""
        row = self.current_row()
        if row is not None:
            self.edit_rows([row])

    def edit_selected(self) -> None:
        """E: the target picker for the selection; its choice applies to every selected row."""
        self.edit_rows(self.selected_rows())

    def edit_rows(self, rows: list[ReviewRow]) -> None:
        if self.controller.reopener.refuses():  # before any dialog opens
            return
        if not rows:
            return
        current = self.current_row()
        lead = next((r for r in rows if current is not None and r.mapping_id == current.mapping_id), rows[0])
        targets = self.targets or target_infos()
        several = len(rows) > 1
        dialog = TargetPickerDialog(
            targets,
            lead.source_field,
            lead.target_field,
            None if several else lead.rules,
            lead.samples,
            self,
            title=f"Map {len(rows)} columns" if several else None,
            check=several_columns_check(targets, len(rows)),
        )
        ids = [r.mapping_id for r in rows]
        dialog.chosen.connect(lambda target, rules: self.controller.change_targets(ids, target, rules))
        self._dialog = dialog
        dialog.open()

    def _button_clicked(self, action: str, proxy_index: QModelIndex) -> None:
        row = proxy_index.data(ROW_ROLE)
        if not isinstance(row, ReviewRow):
            return
        self.view.select_index(proxy_index)
        if action == APPROVE and row.no_target:  # approving needs a target: offer the picker
            self.edit_rows([row])
        elif action == APPROVE:
            self.controller.decide([row], Decision("approved"), advance=False)
        elif action == REJECT:
            self.controller.decide([row], Decision("rejected"), advance=False)
        elif action == EDIT:
            self.edit_current()

    def forget_learned(self) -> None:
        """Context menu: forget what mapping memory learned for the current row's column."""
        row = self.current_row()
        if row is not None:
            self.controller.forget_learned(row)

    def next_pending(self) -> None:
        if not self.view.next_pending():
            self.notify("No pending columns left — finish the mapping (Ctrl+Enter).")

    # -- ReviewView: what the controller shows through the screen ------------------------------------

    def notify(self, text: str) -> None:
        self.status_message.emit(text)

    def show_rows(self, rows: list[ReviewRow]) -> None:
        """Fresh rows of the selected import; the current row stays current when it is still there."""
        current = self.current_row()
        self.model.load(rows)
        self.view.fit_columns()
        self._update_heading()
        if current is not None:
            self.select_mapping(current.mapping_id)
        else:
            self.view.select_first()

    def show_targets(self, targets: list[TargetInfo]) -> None:
        self.targets = targets
        self._target_labels = {t.name: f"{t.name} ({t.unit})" if t.unit else t.name for t in targets}
        self.view.viewport().update()

    def row_decided(self, mapping_id: uuid.UUID) -> None:
        current = self.current_row()
        if current is not None and current.mapping_id == mapping_id:
            self._preview_timer.start()

    def advance(self, rows: list[ReviewRow]) -> None:
        self.view.advance(rows)

    def show_conflict(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.show()

    def hide_conflict(self) -> None:
        self.banner.hide()

    def show_only_pending(self) -> None:
        self.toolbar.show_only_pending()

    def show_preview(self, mapping_id: uuid.UUID, pairs: list[Any]) -> None:
        current = self.current_row()
        if current is not None and current.mapping_id == mapping_id:
            self.preview.show_pairs(pairs)

    def preview_failed(self, exc: BaseException) -> None:
        self.preview.show_unavailable(exc)

    def mapping_finished(self) -> None:
        self.notify("Field mapping finished — the flow moved on to data cleansing.")
        self.ctx.navigate("timeline", self.selection)

    # -- heading and preview -----------------------------------------------------------------------

    def _update_heading(self) -> None:
        self.toolbar.show_heading(self.selection)
        self._update_counts()

    def _update_counts(self) -> None:
        if self.selection.import_id is None:
            self.toolbar.show_counts(None)
            return
        self.toolbar.show_counts({**self.model.counts(), "no_target": len(self.model.unmatched())})

    def _load_preview(self) -> None:
        row = self.current_row()
        if row is None or self.selection.import_id is None:
            return
        target = row.target_field or ""
        self.preview.show_heading(row.source_field, self._target_labels.get(target, target or "(unmapped)"))
        self.controller.load_preview(row)
        self.profiles.show(self.selection, row.source_field)
