"""The mapping review's controller: user actions become undo commands and background tasks.

Why apart from the screen: the screen lays out views and forwards what the user did; this object
owns the undo stack and the `VersionBook`, runs every read and write through the task manager
(writes on the single writer thread, so the grid never freezes) and hands results back through
the small `ReviewView` protocol. A decision someone else made first comes back as a conflict that
is shown on the row and never overwritten.

One user action is one undo step: a key press over a selection becomes one `SelectionCommand`
(one transaction, all rows or none), not one command per row.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import QWidget

from core.actions.outcome import Outcome
from core.bootstrap import Core
from core.mapping_review.errors import MappingConflictError, MappingIncompleteError
from core.queries.navigation import MappingState
from desktop_app.error_dialog import show_error, show_message
from desktop_app.screens.mapping_review import service
from desktop_app.screens.mapping_review.model import MappingTableModel
from desktop_app.screens.mapping_review.reopen import MappingReopener
from desktop_app.screens.mapping_review.rows import ReviewRow, conflict_from_core
from desktop_app.screens.mapping_review.service import Decision, VersionBook
from desktop_app.screens.mapping_review.target_picker import TargetInfo, target_infos
from desktop_app.screens.mapping_review.undo_commands import (
    BulkApproveCommand,
    DecisionCommand,
    LeaveUnmatchedCommand,
    RowChange,
    SelectionCommand,
)
from desktop_app.screens.registry import Selection
from desktop_app.task_manager import CollectionOp, QueryOp, TaskManager
from desktop_app.tenancy import tenant_of

#: at most this many pending columns are listed when finishing is refused
PENDING_LISTED = 40


class ReviewView(Protocol):
    """What the controller needs from the screen: its selection and places to show results."""

    selection: Selection

    def notify(self, text: str) -> None: ...  # status bar
    def show_rows(self, rows: list[ReviewRow]) -> None: ...
    def show_targets(self, targets: list[TargetInfo]) -> None: ...
    def row_decided(self, mapping_id: uuid.UUID) -> None: ...
    def advance(self, rows: list[ReviewRow]) -> None: ...
    def show_conflict(self, text: str) -> None: ...
    def hide_conflict(self) -> None: ...
    def show_only_pending(self) -> None: ...
    def next_pending(self) -> None: ...
    def show_preview(self, mapping_id: uuid.UUID, pairs: list[Any]) -> None: ...
    def preview_failed(self, exc: BaseException) -> None: ...
    def mapping_finished(self) -> None: ...


class MappingReviewController(QObject):
    """Decisions, bulk approval, finishing, loading; the `DecisionRunner` of the undo commands.

    `widget` (the screen) owns this object, parents its tasks and dialogs and is the initiator of
    its writes, so the screen can skip the broadcast of its own changes.
    """

    def __init__(
        self, view: ReviewView, widget: QWidget, tasks: TaskManager, model: MappingTableModel
    ) -> None:
        super().__init__(widget)
        self.view = view
        self.widget = widget
        self.tasks = tasks
        self.model = model
        self.book = VersionBook()
        self.undo_stack = QUndoStack(self)
        self._loaded_import: uuid.UUID | None = None
        self._loading = False
        self.reopener = MappingReopener(view, widget, tasks, on_reopened=self.reload)

    # -- loading -----------------------------------------------------------------------------------

    def reset(self) -> None:
        """Another import: forget its undo history, versions and rows."""
        self.undo_stack.clear()
        self.book = VersionBook()
        self._loaded_import = None
        self.reopener.reset()

    def needs_load(self) -> bool:
        return self._loaded_import != self.view.selection.import_id

    def is_loaded(self) -> bool:
        return self._loaded_import == self.view.selection.import_id and not self._loading

    def load_targets(self) -> None:
        QueryOp(self.widget, lambda _core: target_infos(), label="Loading the target schema").success(
            self.view.show_targets
        ).run_in_background(self.tasks)

    def reload(self) -> None:
        """(Re)load the rows of the selected import."""
        selection = self.view.selection
        import_id = selection.import_id
        if import_id is None:
            return
        self._loading = True
        self.reopener.load()
        QueryOp(
            self.widget,
            lambda core: service.load_rows(core, tenant_of(core, selection), import_id),
            label="Loading mappings",
        ).success(lambda rows: self._rows_loaded(import_id, rows)).failure(
            self._load_failed
        ).run_in_background(self.tasks)

    def _rows_loaded(self, import_id: uuid.UUID, rows: list[ReviewRow]) -> None:
        self._loading = False
        if import_id != self.view.selection.import_id:
            return
        for r in rows:
            self.book.note(r.mapping_id, r.version)
        self._loaded_import = import_id
        self.view.show_rows(rows)
        if not rows:
            self.view.notify("This import has no suggested mappings yet.")

    def _load_failed(self, exc: BaseException) -> None:
        self._loading = False
        show_error(exc, self.widget, title="Could not load the mappings")

    def load_preview(self, row: ReviewRow) -> None:
        selection = self.view.selection
        QueryOp(
            self.widget,
            lambda core: service.preview(core, tenant_of(core, selection), row.mapping_id),
            label="Preview",
        ).success(lambda pairs: self.view.show_preview(row.mapping_id, pairs)).failure(
            self.view.preview_failed
        ).run_in_background(self.tasks)

    # -- decisions ---------------------------------------------------------------------------------

    def decide(self, rows: list[ReviewRow], after: Decision, *, advance: bool = True) -> None:
        """Set every row to `after`: one undoable step (see `decide_each`)."""
        self.decide_each(rows, lambda _row: after, advance=advance)

    def decide_each(
        self,
        rows: list[ReviewRow],
        decision_for: Callable[[ReviewRow], Decision | None],
        *,
        advance: bool = True,
    ) -> None:
        """One undoable step for the rows: a `DecisionCommand` for one row, a `SelectionCommand`
        (one transaction) for several. Rows already so (or given None) are left out; a conflict marker
        is cleared."""
        if self.reopener.refuses():
            return
        changes = [
            (r, after)
            for r in rows
            if (after := decision_for(r)) is not None
            and (r.conflict is not None or after.status == "modified" or r.status != after.status)
        ]
        if not changes or self.view.selection.import_id is None:
            return
        for r, _after in changes:
            if r.conflict is not None:
                self.model.set_conflict(r.mapping_id, None)
        if len(changes) == 1:
            r, after = changes[0]
            self.undo_stack.push(
                DecisionCommand(self, r.mapping_id, r.source_field, r.version, Decision.of(r), after)
            )
        else:
            self.undo_stack.push(
                SelectionCommand(
                    self,
                    [
                        RowChange(r.mapping_id, r.source_field, r.version, Decision.of(r), a)
                        for r, a in changes
                    ],
                )
            )
        if advance:
            self.view.advance([r for r, _after in changes])

    def approve(self, rows: list[ReviewRow]) -> None:
        """Accept what the suggester proposed for each row: its target approved — or, for a row it
        found no target for, left unmapped (that was its proposal; a single such row is offered the
        target picker by the screen instead)."""
        self.decide_each(
            rows,
            lambda r: (
                Decision("approved") if (r.target_field or r.suggested_target) else Decision("rejected")
            ),
        )

    def reject(self, rows: list[ReviewRow]) -> None:
        self.decide(rows, Decision("rejected"))

    def revert(self, rows: list[ReviewRow]) -> None:
        self.decide(rows, Decision("suggested"), advance=False)

    def change_target(self, mapping_id: uuid.UUID, target: str | None, rules: dict[str, Any] | None) -> None:
        """The target picker's choice, applied to the row as it is now."""
        self.change_targets([mapping_id], target, rules)

    def change_targets(
        self, mapping_ids: list[uuid.UUID], target: str | None, rules: dict[str, Any] | None
    ) -> None:
        """The target picker's choice for a selection (one undo step), applied to the rows as they are now."""
        rows = [r for mid in mapping_ids if (r := self.model.row_by_id(mid)) is not None]
        self.decide(rows, Decision("modified", target, rules), advance=False)

    def bulk_approve(self, min_confidence: float) -> None:
        if self.reopener.refuses():
            return
        if self.view.selection.import_id is None:
            return
        self.undo_stack.push(BulkApproveCommand(self, self.view.selection.import_id, min_confidence))

    def leave_unmatched(self) -> None:
        """Reject every pending column without a target: one transaction, one undo step."""
        if self.reopener.refuses():
            return
        import_id = self.view.selection.import_id
        if import_id is None:
            return
        count = len(self.model.unmatched())
        if not count:
            self.view.notify("No pending column is without a target.")
            return
        self.undo_stack.push(LeaveUnmatchedCommand(self, import_id, count))

    # -- DecisionRunner protocol (called by the undo commands) ---------------------------------------

    def submit_decision(
        self, command: DecisionCommand, mapping_id: uuid.UUID, version: int, decision: Decision, *, undo: bool
    ) -> None:
        selection = self.view.selection
        book = self.book
        self.model.set_busy(mapping_id, True)

        def remember_prior(prior: Decision) -> None:
            command.before = prior  # writer thread; a queued undo of this command reads it after

        def work(core: Core) -> Outcome[MappingState]:
            tenant = tenant_of(core, selection)
            if undo:  # restores what the database held right before this command's redo
                return service.restore(core, tenant, book, mapping_id, version, command.before)
            return service.decide(core, tenant, book, mapping_id, version, decision, remember_prior)

        CollectionOp(self.widget, work, label=command.text()).success(
            lambda done: self._decided(mapping_id, done.value)
        ).failure(lambda exc: self._decision_failed(command, mapping_id, exc)).run_in_background(self.tasks)

    def submit_bulk(self, command: BulkApproveCommand, *, undo: bool) -> None:
        selection = self.view.selection
        book = self.book

        def approve(core: Core) -> Outcome[dict[uuid.UUID, MappingState]]:
            outcome = service.bulk_approve(
                core, tenant_of(core, selection), book, command.import_id, command.min_confidence
            )
            command.approved_ids = sorted(outcome.states)  # read by a queued undo on this same thread
            command.versions = {k: v.version for k, v in outcome.states.items()}
            command.ai_skipped = outcome.ai_skipped
            return Outcome(outcome.states, outcome.changes)

        def revert(core: Core) -> Outcome[dict[uuid.UUID, MappingState]]:
            return service.revert_many(
                core, tenant_of(core, selection), book, list(command.approved_ids), dict(command.versions)
            )

        CollectionOp(self.widget, revert if undo else approve, label=command.text()).success(
            lambda done: self._bulk_done(done.value, undo, () if undo else command.ai_skipped)
        ).failure(lambda exc: self._decision_failed(command, None, exc)).run_in_background(self.tasks)

    def submit_selection(self, command: SelectionCommand, *, undo: bool) -> None:
        selection = self.view.selection
        book = self.book
        for mid in command.mapping_ids:
            self.model.set_busy(mid, True)

        def work(core: Core) -> Outcome[service.SelectionDone]:
            tenant = tenant_of(core, selection)
            if undo:  # every row back to what the database held right before this command's redo
                items = [(c.mapping_id, c.version, c.before) for c in command.changes]
                return service.restore_many(core, tenant, book, items)
            done = service.decide_many(
                core, tenant, book, [(c.mapping_id, c.version, c.after) for c in command.changes]
            )
            for change in command.changes:  # writer thread; a queued undo of this command reads them after
                change.before = done.value.priors.get(change.mapping_id, change.before)
            return done

        verb = "Undid" if undo else "Saved"
        CollectionOp(self.widget, work, label=command.text()).success(
            lambda done: self._states_done(done.value.states, f"{verb}: {command.text()}")
        ).failure(lambda exc: self._write_failed(command, command.mapping_ids, exc)).run_in_background(
            self.tasks
        )

    def submit_leave_unmatched(self, command: LeaveUnmatchedCommand, *, undo: bool) -> None:
        selection = self.view.selection
        book = self.book

        def leave(core: Core) -> Outcome[dict[uuid.UUID, MappingState]]:
            done = service.leave_unmatched(core, tenant_of(core, selection), book, command.import_id)
            command.rejected_ids = sorted(done.value)  # read by a queued undo on this same thread
            command.versions = {k: v.version for k, v in done.value.items()}
            return done

        def revert(core: Core) -> Outcome[dict[uuid.UUID, MappingState]]:
            return service.revert_many(
                core, tenant_of(core, selection), book, list(command.rejected_ids), dict(command.versions)
            )

        CollectionOp(self.widget, revert if undo else leave, label=command.text()).success(
            lambda done: self._states_done(
                done.value,
                f"Reverted {len(done.value)} column(s)"
                if undo
                else f"Left {len(done.value)} column(s) unmapped",
            )
        ).failure(lambda exc: self._write_failed(command, [], exc)).run_in_background(self.tasks)

    def _states_done(self, states: dict[uuid.UUID, MappingState], text: str) -> None:
        for mid, state in states.items():
            row = self.model.row_by_id(mid)
            if row is not None:
                self.model.update_row(service.merge_state(row, state))
            self.view.row_decided(mid)
        if not self.model.counts()["conflicts"]:
            self.view.hide_conflict()
        self.view.notify(text)

    def _decided(self, mapping_id: uuid.UUID, state: MappingState) -> None:
        row = self.model.row_by_id(mapping_id)
        if row is not None:
            self.model.update_row(service.merge_state(row, state))
        self.view.row_decided(mapping_id)
        if not self.model.counts()["conflicts"]:
            self.view.hide_conflict()

    def _bulk_done(
        self, states: dict[uuid.UUID, MappingState], undo: bool, ai_skipped: tuple[str, ...] = ()
    ) -> None:
        for mid, state in states.items():
            row = self.model.row_by_id(mid)
            if row is not None:
                self.model.update_row(service.merge_state(row, state))
        verb = "Reverted" if undo else "Approved"
        unmatched = len(self.model.unmatched())
        hint = (
            f"; {unmatched} column(s) have no target — “Leave all unmatched columns unmapped” decides them"
            if unmatched and not undo
            else ""
        )
        if ai_skipped:
            names = ", ".join(ai_skipped[:3]) + (", …" if len(ai_skipped) > 3 else "")
            hint += (
                f"; {len(ai_skipped)} ✦ AI suggestion(s) left pending ({names}) — "
                "a threshold never approves the AI's; approve them yourself"
            )
        self.view.notify(f"{verb} {len(states)} column(s){hint}")

    def _decision_failed(
        self, command: QUndoCommand, mapping_id: uuid.UUID | None, exc: BaseException
    ) -> None:
        self._write_failed(command, [mapping_id] if mapping_id is not None else [], exc)

    def _write_failed(self, command: QUndoCommand, mapping_ids: list[uuid.UUID], exc: BaseException) -> None:
        """Nothing of the command was saved: drop it from the stack, show why, un-dim its rows."""
        for mid in mapping_ids:
            self.model.set_busy(mid, False)
        if shiboken6.isValid(command):
            command.mark_failed()  # type: ignore[attr-defined]
            if (
                self.undo_stack.index() > 0
                and self.undo_stack.command(self.undo_stack.index() - 1) is command
            ):
                self.undo_stack.undo()  # obsolete: Qt drops it, so Ctrl+Z goes to the previous decision
        if isinstance(exc, MappingConflictError):
            self._show_theirs(exc)
            return
        if self.reopener.locked_out(exc):  # finished meanwhile: the bar offers reopening
            return
        show_error(exc, self.widget, title="The decision was not saved")

    def _show_theirs(self, exc: MappingConflictError) -> None:
        """Someone decided first: the row shows their decision, tinted, and the banner says so."""
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
        self.view.show_conflict(
            f"Someone else decided first: {conflict.text}. Your decision was not saved; "
            "the row shows theirs — decide again if you disagree."
        )

    def forget_learned(self, row: ReviewRow) -> None:
        """Forget what mapping memory learned for the row's column; the rows reload (re-suggested)."""
        selection = self.view.selection
        import_id = selection.import_id
        if import_id is None:
            return
        column = row.source_field
        CollectionOp(
            self.widget,
            lambda core: service.forget_learned(core, tenant_of(core, selection), import_id, column),
            label=f"Forgetting what was learned for {column}",
        ).success(lambda done: self._forgot(column, len(done.value.forgotten))).failure(
            lambda exc: show_error(exc, self.widget, title="Nothing was forgotten")
        ).run_in_background(self.tasks)

    def _forgot(self, column: str, count: int) -> None:
        done = f"Forgot {count} learned mapping(s) of {column!r}"
        self.view.notify(done if count else f"Nothing was learned for {column!r}")
        if count:
            self.reload()

    # -- finishing ---------------------------------------------------------------------------------

    def finish(self) -> None:
        selection = self.view.selection
        import_id = selection.import_id
        if import_id is None:
            return
        CollectionOp(
            self.widget,
            lambda core: service.finish(core, tenant_of(core, selection), import_id),
            label="Finishing the mapping",
        ).success(lambda _r: self._finished()).failure(self._finish_failed).run_in_background(self.tasks)

    def _finished(self) -> None:
        self.undo_stack.clear()  # the decisions are locked now
        self.reopener.load()
        self.view.mapping_finished()

    def _finish_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, MappingIncompleteError):
            show_error(exc, self.widget, title="Mapping not finished")
            return
        self.view.show_only_pending()
        pending = exc.pending
        listed = "\n".join(f"• {p}" for p in pending[:PENDING_LISTED])
        show_message(
            f"{len(pending)} column(s) still need a decision.",
            self.widget,
            title="Mapping not finished",
            hint="The grid now shows only the pending columns.",
            details=listed + ("\n…" if len(pending) > PENDING_LISTED else ""),
        )
        self.view.next_pending()
