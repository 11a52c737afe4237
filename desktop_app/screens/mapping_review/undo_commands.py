"""Undo/redo of mapping decisions: one `QUndoCommand` per user action, every state persisted.

Why commands call the core: `redo()` submits the decision and `undo()` submits its reversal
(revert, then the earlier decision) as write ops, so whatever the stack shows is what the database
holds. A decision over a selection is one command and one transaction (`SelectionCommand`), so it is
saved whole or not at all and undone in one step. A command whose write hit a conflict is marked
obsolete (Qt drops it) and does nothing more.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtGui import QUndoCommand

from desktop_app.screens.mapping_review.service import Decision

VERBS = {"approved": "Approve", "rejected": "Reject", "modified": "Change", "suggested": "Revert"}


class DecisionRunner(Protocol):
    """What commands need from the screen: submit a decision / a restore / a bulk revert."""

    def submit_decision(
        self, command: QUndoCommand, mapping_id: uuid.UUID, version: int, decision: Decision, *, undo: bool
    ) -> None: ...

    def submit_bulk(self, command: BulkApproveCommand, *, undo: bool) -> None: ...

    def submit_selection(self, command: SelectionCommand, *, undo: bool) -> None: ...

    def submit_leave_unmatched(self, command: LeaveUnmatchedCommand, *, undo: bool) -> None: ...


class DecisionCommand(QUndoCommand):
    """Set one row to `after` (redo) and back to `before` (undo).

    `before` starts as the grid's view of the row and is replaced, in the writer thread, by what the
    database held just before the redo ran — so a quick A-then-R on one row still undoes correctly.
    """

    def __init__(
        self,
        runner: DecisionRunner,
        mapping_id: uuid.UUID,
        source_field: str,
        version: int,
        before: Decision,
        after: Decision,
        parent: QUndoCommand | None = None,
    ) -> None:
        target = f" → {after.target_field}" if after.status == "modified" and after.target_field else ""
        super().__init__(f"{VERBS.get(after.status, after.status)} {source_field}{target}", parent)
        self.runner = runner
        self.mapping_id = mapping_id
        self.source_field = source_field
        self.version = version
        self.before = before
        self.after = after
        self.failed = False

    def redo(self) -> None:
        if not self.failed:
            self.runner.submit_decision(self, self.mapping_id, self.version, self.after, undo=False)

    def undo(self) -> None:
        if not self.failed:
            self.runner.submit_decision(self, self.mapping_id, self.version, self.before, undo=True)

    def mark_failed(self) -> None:
        """A conflict (or error) made this command meaningless: never replay it."""
        self.failed = True
        self.setObsolete(True)


class BulkApproveCommand(QUndoCommand):
    """ "Approve all ≥ X": redo approves in one transaction; undo reverts exactly those rows."""

    def __init__(self, runner: DecisionRunner, import_id: uuid.UUID, min_confidence: float) -> None:
        super().__init__(f"Approve all ≥ {min_confidence:.0%}")
        self.runner = runner
        self.import_id = import_id
        self.min_confidence = min_confidence
        self.approved_ids: list[uuid.UUID] = []
        self.versions: dict[uuid.UUID, int] = {}
        self.ai_skipped: tuple[str, ...] = ()  # AI suggestions the threshold left pending
        self.failed = False

    def redo(self) -> None:
        if not self.failed:
            self.runner.submit_bulk(self, undo=False)

    def undo(self) -> None:
        if not self.failed:
            self.runner.submit_bulk(self, undo=True)

    def mark_failed(self) -> None:
        self.failed = True
        self.setObsolete(True)


@dataclass
class RowChange:
    """One row of a selection: its version as the grid saw it, what it was and what it becomes.

    `before` is replaced, in the writer thread, by what the database held just before the redo.
    """

    mapping_id: uuid.UUID
    source_field: str
    version: int
    before: Decision
    after: Decision


def selection_text(changes: list[RowChange]) -> str:
    """ "Approve 19 columns", "Reject 3 columns", "Change 2 columns → tags", or what a mix did."""
    statuses = {c.after.status for c in changes}
    n = len(changes)
    if statuses == {"modified"}:
        targets = {c.after.target_field for c in changes}
        target = f" → {targets.pop()}" if len(targets) == 1 else ""
        return f"Change {n} columns{target}"
    if len(statuses) == 1:
        return f"{VERBS.get(statuses.pop(), 'Decide')} {n} columns"
    approved = sum(c.after.status == "approved" for c in changes)
    unmapped = sum(c.after.status == "rejected" for c in changes)
    return f"Decide {n} columns ({approved} approved, {unmapped} left unmapped)"


class SelectionCommand(QUndoCommand):
    """A/R/E over several rows: redo decides them in one transaction, undo restores every row."""

    def __init__(self, runner: DecisionRunner, changes: list[RowChange]) -> None:
        super().__init__(selection_text(changes))
        self.runner = runner
        self.changes = changes
        self.failed = False

    @property
    def mapping_ids(self) -> list[uuid.UUID]:
        return [c.mapping_id for c in self.changes]

    def redo(self) -> None:
        if not self.failed:
            self.runner.submit_selection(self, undo=False)

    def undo(self) -> None:
        if not self.failed:
            self.runner.submit_selection(self, undo=True)

    def mark_failed(self) -> None:
        self.failed = True
        self.setObsolete(True)


class LeaveUnmatchedCommand(QUndoCommand):
    """ "Leave all unmatched columns unmapped": redo rejects them in one transaction; undo reverts
    exactly those rows."""

    def __init__(self, runner: DecisionRunner, import_id: uuid.UUID, count: int) -> None:
        super().__init__(f"Leave {count} unmatched column(s) unmapped")
        self.runner = runner
        self.import_id = import_id
        self.rejected_ids: list[uuid.UUID] = []
        self.versions: dict[uuid.UUID, int] = {}
        self.failed = False

    def redo(self) -> None:
        if not self.failed:
            self.runner.submit_leave_unmatched(self, undo=False)

    def undo(self) -> None:
        if not self.failed:
            self.runner.submit_leave_unmatched(self, undo=True)

    def mark_failed(self) -> None:
        self.failed = True
        self.setObsolete(True)
