"""Background functions of the mapping review: each takes the core and returns plain values.

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

from core import mapping_review
from core.bootstrap import Core
from core.mapping_review import decisions
from core.mapping_review.errors import MappingConflictError
from core.services import gui_queries
from core.uow import Tenant
from desktop_app.screens.mapping_review.rows import ReviewRow, row_from_core

APPROVED, REJECTED, MODIFIED, SUGGESTED = "approved", "rejected", "modified", "suggested"


@dataclass(frozen=True)
class Decision:
    """A decision as the undo stack stores it: what to set a row to."""

    status: str
    target_field: str | None = None
    rules: dict[str, Any] | None = None

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
    with core.uow(tenant) as uow:
        return [row_from_core(r) for r in mapping_review.mapping_rows(uow, import_id)]


def merge_state(row: ReviewRow, state: gui_queries.MappingState) -> ReviewRow:
    return replace(
        row,
        status=state.status,
        target_field=state.target_field,
        rules=state.transformation_rules,
        version=state.version,
        decided_by=state.decided_by,
        decided_at=state.decided_at,
    )


def _state(uow: Any, mapping_id: uuid.UUID) -> gui_queries.MappingState:
    return gui_queries.mapping_states(uow, [mapping_id])[mapping_id]


def _apply(uow: Any, mapping_id: uuid.UUID, version: int, decision: Decision) -> int:
    """Set a row to `decision` inside the caller's transaction; returns the new version."""
    if decision.status == APPROVED:
        return decisions.approve(uow, mapping_id, version, auto_finish=False, commit=False).version
    if decision.status == REJECTED:
        return decisions.reject(uow, mapping_id, version, auto_finish=False, commit=False).version
    if decision.status == MODIFIED:
        return decisions.modify(
            uow,
            mapping_id,
            version,
            target_field=decision.target_field,
            transformation_rules=decision.rules,
            auto_finish=False,
            commit=False,
        ).version
    return decisions.revert(uow, mapping_id, version, commit=False).version


def decide(
    core: Core,
    tenant: Tenant,
    book: VersionBook,
    mapping_id: uuid.UUID,
    fallback_version: int,
    decision: Decision,
    on_prior: Callable[[Decision], None] | None = None,
) -> gui_queries.MappingState:
    """Apply one decision at the version this session knows; read the row back.

    `on_prior` receives the row's decision as stored just before this one (what undo restores):
    read here, in the writer thread, it is right even when the grid had not caught up yet.
    """
    version = book.get(mapping_id, fallback_version)
    with core.uow(tenant) as uow:
        if on_prior is not None:
            prior = _state(uow, mapping_id)
            on_prior(Decision(prior.status, prior.target_field, prior.transformation_rules))
        try:
            new_version = _apply(uow, mapping_id, version, decision)
        except MappingConflictError as exc:
            book.set(mapping_id, exc.current.version)
            raise
        state = _state(uow, mapping_id)
        uow.commit()
    book.note(mapping_id, max(new_version, state.version))
    return state


def restore(
    core: Core,
    tenant: Tenant,
    book: VersionBook,
    mapping_id: uuid.UUID,
    fallback_version: int,
    before: Decision,
) -> gui_queries.MappingState:
    """Undo: bring a row back to an earlier decision (revert to the suggestion, then re-decide)."""
    version = book.get(mapping_id, fallback_version)
    with core.uow(tenant) as uow:
        try:
            version = decisions.revert(uow, mapping_id, version, commit=False).version
            if before.status != SUGGESTED:
                version = _apply(uow, mapping_id, version, before)
        except MappingConflictError as exc:
            uow.rollback()
            book.set(mapping_id, exc.current.version)
            raise
        state = _state(uow, mapping_id)
        uow.commit()
    book.note(mapping_id, state.version)
    return state


@dataclass(frozen=True)
class BulkOutcome:
    states: dict[uuid.UUID, gui_queries.MappingState]
    approved: int
    skipped: tuple[tuple[str, str], ...]


def bulk_approve(
    core: Core, tenant: Tenant, book: VersionBook, import_id: uuid.UUID, min_confidence: float
) -> BulkOutcome:
    """Approve every pending suggestion ≥ `min_confidence` (one transaction)."""
    with core.uow(tenant) as uow:
        result = decisions.bulk_approve(uow, import_id, min_confidence, auto_finish=False, commit=False)
        ids = sorted(result.mapping_ids)
        states = gui_queries.mapping_states(uow, ids)
        uow.commit()
    for mid, st in states.items():
        book.note(mid, st.version)
    return BulkOutcome(states, result.approved, tuple(result.skipped))


def revert_many(
    core: Core,
    tenant: Tenant,
    book: VersionBook,
    mapping_ids: list[uuid.UUID],
    fallback: dict[uuid.UUID, int],
) -> dict[uuid.UUID, gui_queries.MappingState]:
    """Undo of a bulk approval: revert all its rows in one transaction (all or none)."""
    with core.uow(tenant) as uow:
        try:
            for mid in mapping_ids:
                decisions.revert(uow, mid, book.get(mid, fallback.get(mid, 0)), commit=False)
        except MappingConflictError as exc:
            uow.rollback()
            book.set(exc.current.mapping_id, exc.current.version)
            raise
        states = gui_queries.mapping_states(uow, mapping_ids)
        uow.commit()
    for mid, st in states.items():
        book.note(mid, st.version)
    return states


def finish(core: Core, tenant: Tenant, import_id: uuid.UUID) -> Any:
    """Complete the field-mapping phase (raises `MappingIncompleteError` listing pending columns)."""
    with core.uow(tenant) as uow:
        return decisions.finish_mapping(uow, import_id)


def preview(core: Core, tenant: Tenant, mapping_id: uuid.UUID) -> list[Any]:
    """Raw values of the column and what the row's rules make of them (`PreviewPair`s)."""
    with core.uow(tenant) as uow:
        return list(mapping_review.preview_transformation(uow, mapping_id))
