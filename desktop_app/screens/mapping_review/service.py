"""Background functions of the mapping review: each calls one core use case and returns its result.

Why one module: it is the only GUI code that knows the names of `core.mapping_review`'s API, and it
keeps the row versions straight. All decisions run on the single writer thread, so the
`VersionBook` — the latest version this session knows for each row, updated in the worker right
after each write — always gives the next write the version the database really has (undo/redo can
be queued faster than results reach the GUI).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from core.actions import mapping as actions
from core.actions.mapping import APPROVED, MODIFIED, REJECTED, SUGGESTED  # noqa: F401  (re-exported)
from core.actions.outcome import Outcome
from core.bootstrap import Core
from core.changes import NOTHING, OpChanges
from core.mapping_review.errors import MappingConflictError
from core.queries import mapping as mapping_queries
from core.queries import navigation
from core.uow import Tenant
from desktop_app.screens.mapping_review.rows import ReviewRow, row_from_core


@dataclass(frozen=True)
class Decision(actions.Decision):
    """A decision as the undo stack stores it: what to set a row to."""

    @classmethod
    def of(cls, row: ReviewRow) -> Decision:
        return cls(row.status, row.target_field, row.rules)


class VersionBook:
    """Latest known version per mapping row (monotonic; thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: dict[uuid.UUID, int] = {}

    def get(self, mapping_id: uuid.UUID, default: int) -> int:
        with self._lock:
            return self._versions.get(mapping_id, default)

    def note(self, mapping_id: uuid.UUID, version: int) -> None:
        with self._lock:
            if version > self._versions.get(mapping_id, 0):
                self._versions[mapping_id] = version

    def set(self, mapping_id: uuid.UUID, version: int) -> None:
        """After a conflict: the stored version is the truth, even if lower than a stale guess."""
        with self._lock:
            self._versions[mapping_id] = version


def load_rows(core: Core, tenant: Tenant, import_id: uuid.UUID) -> list[ReviewRow]:
    """Every mapping row of the import, with samples (the grid's initial load and reloads)."""
    return [row_from_core(r) for r in mapping_queries.import_rows(core.uows, tenant, import_id)]


def merge_state(row: ReviewRow, state: navigation.MappingState) -> ReviewRow:
    """The row with its decision as stored (what it shows as reason and confidence follows it)."""
    return replace(
        row,
        status=state.status,
        target_field=state.target_field,
        rules=state.transformation_rules,
        version=state.version,
        decided_by=state.decided_by,
        decided_at=state.decided_at,
    )


def decide(
    core: Core,
    tenant: Tenant,
    book: VersionBook,
    mapping_id: uuid.UUID,
    fallback_version: int,
    decision: Decision,
    on_prior: Callable[[Decision], None] | None = None,
) -> Outcome[navigation.MappingState]:
    """Apply one decision at the version this session knows; the row as stored afterwards.

    `on_prior` receives the row's decision as stored just before this one (what undo restores):
    read by the core in the same transaction, it is right even when the grid had not caught up yet.
    """
    version = book.get(mapping_id, fallback_version)
    try:
        done = actions.set_decision(
            core.uows, tenant, mapping_id, version, decision, capture_prior=on_prior is not None
        )
    except MappingConflictError as exc:
        book.set(mapping_id, exc.current.version)
        raise
    applied = done.value
    if on_prior is not None and applied.prior is not None:
        prior = applied.prior
        on_prior(Decision(prior.status, prior.target_field, prior.rules))
    book.note(mapping_id, applied.state.version)
    return Outcome(applied.state, done.changes)


def restore(
    core: Core,
    tenant: Tenant,
    book: VersionBook,
    mapping_id: uuid.UUID,
    fallback_version: int,
    before: Decision,
) -> Outcome[navigation.MappingState]:
    """Undo: bring a row back to an earlier decision (revert to the suggestion, then re-decide)."""
    version = book.get(mapping_id, fallback_version)
    try:
        done = actions.restore_decision(core.uows, tenant, mapping_id, version, before)
    except MappingConflictError as exc:
        book.set(mapping_id, exc.current.version)
        raise
    book.note(mapping_id, done.value.version)
    return done


@dataclass(frozen=True)
class SelectionDone:
    """A selection decided (or restored): the rows as stored and, for a redo, what each replaced."""

    states: dict[uuid.UUID, navigation.MappingState]
    priors: dict[uuid.UUID, Decision]


def _conflict_noted(book: VersionBook, exc: MappingConflictError) -> None:
    book.set(exc.current.mapping_id, exc.current.version)


def decide_many(
    core: Core,
    tenant: Tenant,
    book: VersionBook,
    items: list[tuple[uuid.UUID, int, Decision]],
) -> Outcome[SelectionDone]:
    """Decide a selection in one transaction (all or none) at the versions this session knows."""
    known = [(mid, book.get(mid, fallback), decision) for mid, fallback, decision in items]
    try:
        done = actions.set_decisions(core.uows, tenant, known)
    except MappingConflictError as exc:
        _conflict_noted(book, exc)
        raise
    for mid, st in done.value.states.items():
        book.note(mid, st.version)
    priors = {mid: Decision(p.status, p.target_field, p.rules) for mid, p in done.value.priors.items()}
    return Outcome(SelectionDone(done.value.states, priors), done.changes)


def restore_many(
    core: Core,
    tenant: Tenant,
    book: VersionBook,
    items: list[tuple[uuid.UUID, int, Decision]],
) -> Outcome[SelectionDone]:
    """Undo of a selection: every row back to its earlier decision, in one transaction."""
    known = [(mid, book.get(mid, fallback), before) for mid, fallback, before in items]
    try:
        done = actions.restore_decisions(core.uows, tenant, known)
    except MappingConflictError as exc:
        _conflict_noted(book, exc)
        raise
    for mid, st in done.value.items():
        book.note(mid, st.version)
    return Outcome(SelectionDone(done.value, {}), done.changes)


def leave_unmatched(
    core: Core, tenant: Tenant, book: VersionBook, import_id: uuid.UUID
) -> Outcome[dict[uuid.UUID, navigation.MappingState]]:
    """Reject every pending column without a target (one transaction); the rows as stored."""
    done = actions.leave_unmatched_unmapped(core.uows, tenant, import_id)
    for mid, st in done.value.states.items():
        book.note(mid, st.version)
    return Outcome(done.value.states, done.changes)


@dataclass(frozen=True)
class BulkOutcome:
    states: dict[uuid.UUID, navigation.MappingState]
    approved: int
    skipped: tuple[tuple[str, str], ...]
    changes: OpChanges = NOTHING
    #: the AI suggestions a threshold never approves (left pending for the consultant)
    ai_skipped: tuple[str, ...] = ()


def bulk_approve(
    core: Core, tenant: Tenant, book: VersionBook, import_id: uuid.UUID, min_confidence: float
) -> BulkOutcome:
    """Approve every pending suggestion ≥ `min_confidence` (one transaction)."""
    done = actions.approve_confident(core.uows, tenant, import_id, min_confidence)
    result, states = done.value.result, done.value.states
    for mid, st in states.items():
        book.note(mid, st.version)
    return BulkOutcome(states, result.approved, tuple(result.skipped), done.changes, tuple(result.ai_skipped))


def revert_many(
    core: Core,
    tenant: Tenant,
    book: VersionBook,
    mapping_ids: list[uuid.UUID],
    fallback: dict[uuid.UUID, int],
) -> Outcome[dict[uuid.UUID, navigation.MappingState]]:
    """Undo of a bulk approval: revert all its rows in one transaction (all or none)."""
    versions = {mid: book.get(mid, fallback.get(mid, 0)) for mid in mapping_ids}
    try:
        done = actions.revert_many(core.uows, tenant, versions)
    except MappingConflictError as exc:
        book.set(exc.current.mapping_id, exc.current.version)
        raise
    for mid, st in done.value.items():
        book.note(mid, st.version)
    return done


def finish(core: Core, tenant: Tenant, import_id: uuid.UUID) -> Outcome[Any]:
    """Complete the field-mapping phase (raises `MappingIncompleteError` listing pending columns)."""
    return actions.finish_mapping(core.uows, tenant, import_id)


def forget_learned(core: Core, tenant: Tenant, import_id: uuid.UUID, column: str) -> Outcome[Any]:
    """Forget what mapping memory learned for a column (it is suggested afresh while pending)."""
    return actions.forget_learned(core.uows, tenant, import_id, column)


def preview(core: Core, tenant: Tenant, mapping_id: uuid.UUID) -> list[Any]:
    """Raw values of the column and what the row's rules make of them (`PreviewPair`s)."""
    return mapping_queries.preview(core.uows, tenant, mapping_id)
