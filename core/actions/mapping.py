"""Mapping-review use cases: one function per consultant action, each one transaction.

Each opens its own unit of work, calls the `core.mapping_review` helpers (which never commit), commits —
or rolls back on any error, so a refused decision writes nothing — and returns an `Outcome` whose
`changes` name the mappings, import and flow it touched. The GUI's undo commands and the CLI's `map`
commands call exactly one of these per action.
"""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.actions.outcome import Outcome
from core.changes import OpChanges, ids
from core.db.models import ImportFieldMapping
from core.flows import transitions
from core.flows.transitions import ReopenResult
from core.mapping_review import decisions, store, suggestions
from core.mapping_review import types as review_types
from core.mapping_review.errors import MappingDecisionError
from core.mapping_review.queries import import_for_flow, mapping_counts
from core.mapping_review.types import ACCEPTED, BulkResult, DecisionResult, MappingCounts, MappingRow
from core.queries.navigation import MappingState, mapping_states
from core.uow import Tenant, UnitOfWork, UnitOfWorkFactory

APPROVED, REJECTED, MODIFIED, SUGGESTED = "approved", "rejected", "modified", "suggested"
_UNSET: Any = decisions._UNSET


@dataclass(frozen=True)
class Decision:
    """What to set a row to (the undo stack stores these): a status with its target and rules."""

    status: str
    target_field: str | None = None
    rules: dict[str, Any] | None = None


@dataclass(frozen=True)
class DecisionApplied:
    """A decision as stored, read back in its transaction; `prior` is what it replaced (for undo)."""

    state: MappingState
    prior: Decision | None = None


@dataclass(frozen=True)
class AcceptResult:
    """`map accept`: whether suggestions had to be generated first, and the bulk approval."""

    flow_id: uuid.UUID
    import_id: uuid.UUID
    generated: bool
    result: BulkResult


@dataclass(frozen=True)
class FinishResult:
    """`map finish [--auto]`: the automatic decisions (when asked for) and the finished phase."""

    flow_id: uuid.UUID
    import_id: uuid.UUID
    auto: BulkResult | None
    result: BulkResult

    @property
    def already_finished(self) -> bool:
        """Finished before this call: nothing decided now and the phase did not move now."""
        return not self.result.phase_advanced and (self.auto is None or not self.auto.changed)

    @property
    def left_unmapped(self) -> tuple[tuple[str, str], ...]:
        """(column, why) of every column auto-finish left unmapped instead of approving."""
        return self.auto.left_unmapped if self.auto is not None else ()


def _commit(uow: UnitOfWork, value: Any) -> Outcome[Any]:
    uow.commit()
    return Outcome(value, uow.committed_changes)


# ------------------------------------------------------------------------------------ suggestions


def generate_suggestions(
    uows: UnitOfWorkFactory, tenant: Tenant, import_id: uuid.UUID, *, use_semantic: bool | None = None
) -> Outcome[list[MappingRow]]:
    """Suggest a target for every column of an import (decided rows are kept)."""
    with uows(tenant) as uow:
        return _commit(uow, suggestions.generate_suggestions(uow, import_id, use_semantic=use_semantic))


def ensure_suggestions(uows: UnitOfWorkFactory, tenant: Tenant, import_id: uuid.UUID) -> Outcome[int]:
    """Suggestions for an import that has none yet (the wizard's "Review mappings"); the row count."""
    with uows(tenant) as uow:
        existing = mapping_counts(uow, import_id).total
        if existing:
            return Outcome(existing)
        return _commit(uow, len(suggestions.generate_suggestions(uow, import_id)))


def store_suggestions(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    import_id: uuid.UUID,
    proposals: Sequence[Any],
    *,
    suggested_by: str = "ai_agent",
) -> Outcome[list[MappingRow]]:
    """Store suggestions made elsewhere (an AI crew), one per column in column order."""
    with uows(tenant) as uow:
        return _commit(
            uow, suggestions.store_suggestions(uow, import_id, proposals, suggested_by=suggested_by)
        )


# -------------------------------------------------------------------------------------- one row


def approve(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    mapping_id: uuid.UUID | str,
    expected_version: int,
    *,
    auto_finish: bool = True,
) -> Outcome[DecisionResult]:
    """Approve a row's suggested target at the version the consultant saw."""
    with uows(tenant) as uow:
        return _commit(uow, decisions.approve(uow, mapping_id, expected_version, auto_finish=auto_finish))


def reject(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    mapping_id: uuid.UUID | str,
    expected_version: int,
    *,
    reason: str | None = None,
    auto_finish: bool = True,
) -> Outcome[DecisionResult]:
    """Leave a column unmapped."""
    with uows(tenant) as uow:
        return _commit(
            uow, decisions.reject(uow, mapping_id, expected_version, reason=reason, auto_finish=auto_finish)
        )


def modify(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    mapping_id: uuid.UUID | str,
    expected_version: int,
    *,
    target_field: str | None = _UNSET,
    transformation_rules: dict[str, Any] | None = _UNSET,
    data_type: str | None = None,
    note: str | None = None,
    auto_finish: bool = True,
) -> Outcome[DecisionResult]:
    """Map a column to another target and/or change its transformation rules."""
    with uows(tenant) as uow:
        return _commit(
            uow,
            decisions.modify(
                uow,
                mapping_id,
                expected_version,
                target_field=target_field,
                transformation_rules=transformation_rules,
                data_type=data_type,
                note=note,
                auto_finish=auto_finish,
            ),
        )


def revert(
    uows: UnitOfWorkFactory, tenant: Tenant, mapping_id: uuid.UUID | str, expected_version: int
) -> Outcome[DecisionResult]:
    """Back to the original suggestion (undo of a decision)."""
    with uows(tenant) as uow:
        return _commit(uow, decisions.revert(uow, mapping_id, expected_version))


def _apply(uow: UnitOfWork, mapping_id: uuid.UUID, version: int, decision: Decision) -> int:
    if decision.status == APPROVED:
        return decisions.approve(uow, mapping_id, version, auto_finish=False).version
    if decision.status == REJECTED:
        return decisions.reject(uow, mapping_id, version, auto_finish=False).version
    if decision.status == MODIFIED:
        return decisions.modify(
            uow,
            mapping_id,
            version,
            target_field=decision.target_field,
            transformation_rules=decision.rules,
            auto_finish=False,
        ).version
    return decisions.revert(uow, mapping_id, version).version


def set_decision(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    mapping_id: uuid.UUID,
    expected_version: int,
    decision: Decision,
    *,
    capture_prior: bool = False,
) -> Outcome[DecisionApplied]:
    """Set a row to `decision` (the grid's approve/reject/modify); the phase is finished explicitly.

    With `capture_prior` the stored decision it replaces is read in the same transaction, so undo
    restores what really was there even when the screen had not caught up yet.
    """
    with uows(tenant) as uow:
        prior = None
        if capture_prior:
            was = mapping_states(uow, [mapping_id])[mapping_id]
            prior = Decision(was.status, was.target_field, was.transformation_rules)
        _apply(uow, mapping_id, expected_version, decision)
        state = mapping_states(uow, [mapping_id])[mapping_id]
        return _commit(uow, DecisionApplied(state, prior))


def restore_decision(
    uows: UnitOfWorkFactory, tenant: Tenant, mapping_id: uuid.UUID, expected_version: int, before: Decision
) -> Outcome[MappingState]:
    """Undo: bring a row back to an earlier decision (revert to the suggestion, then re-decide)."""
    with uows(tenant) as uow:
        version = decisions.revert(uow, mapping_id, expected_version).version
        if before.status != SUGGESTED:
            _apply(uow, mapping_id, version, before)
        return _commit(uow, mapping_states(uow, [mapping_id])[mapping_id])


# ------------------------------------------------------------------------------- a selection of rows

DecisionItem = tuple[uuid.UUID, int, Decision]
"""One row of a selection: (mapping id, the version the consultant saw, what to set it to)."""


@dataclass(frozen=True)
class DecisionsApplied:
    """Decisions on several rows as stored, read back in their transaction; `priors` for undo."""

    states: dict[uuid.UUID, MappingState]
    priors: dict[uuid.UUID, Decision]


def _releasing_first(items: Sequence[DecisionItem]) -> list[DecisionItem]:
    """Rows that give a target up (reject, revert) go before rows that take one, so a selection that
    moves a target from one column to another does not trip over itself."""
    return sorted(items, key=lambda item: item[2].status not in (REJECTED, SUGGESTED))


def set_decisions(
    uows: UnitOfWorkFactory, tenant: Tenant, items: Sequence[DecisionItem]
) -> Outcome[DecisionsApplied]:
    """Decide several rows at once (the grid's A/R/E over a selection): one transaction, all or none.

    Each row is decided at the version the consultant saw, as if one at a time (audit, memory);
    any refusal (a conflict, a target another column holds) writes nothing. `priors` are the
    stored decisions they replaced, read in the same transaction, for undo.
    """
    with uows(tenant) as uow:
        mapping_ids = [mapping_id for mapping_id, _, _ in items]
        was = mapping_states(uow, mapping_ids)
        priors = {
            mid: Decision(state.status, state.target_field, state.transformation_rules)
            for mid, state in was.items()
        }
        for mapping_id, version, decision in _releasing_first(items):
            _apply(uow, mapping_id, version, decision)
        return _commit(uow, DecisionsApplied(mapping_states(uow, mapping_ids), priors))


def restore_decisions(
    uows: UnitOfWorkFactory, tenant: Tenant, items: Sequence[DecisionItem]
) -> Outcome[dict[uuid.UUID, MappingState]]:
    """Undo of `set_decisions`: every row back to its earlier decision, in one transaction.

    All rows are reverted to their suggestion first, then re-decided, so targets they swapped
    are free again when each takes its own back.
    """
    with uows(tenant) as uow:
        versions: dict[uuid.UUID, int] = {}
        for mapping_id, version, _before in items:
            versions[mapping_id] = decisions.revert(uow, mapping_id, version).version
        for mapping_id, _version, before in _releasing_first(items):
            if before.status != SUGGESTED:
                _apply(uow, mapping_id, versions[mapping_id], before)
        return _commit(uow, mapping_states(uow, list(versions)))


# ------------------------------------------------------------------------------------------- bulk


def bulk_approve(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    import_id: uuid.UUID | str,
    min_confidence: float,
    *,
    auto_finish: bool = True,
) -> Outcome[BulkResult]:
    """Approve every pending suggestion at or above `min_confidence` (one transaction)."""
    with uows(tenant) as uow:
        return _commit(uow, decisions.bulk_approve(uow, import_id, min_confidence, auto_finish=auto_finish))


@dataclass(frozen=True)
class BulkDecided:
    """A bulk decision and the rows it changed as stored afterwards (the grid merges these)."""

    result: BulkResult
    states: dict[uuid.UUID, MappingState]


def approve_confident(
    uows: UnitOfWorkFactory, tenant: Tenant, import_id: uuid.UUID, min_confidence: float
) -> Outcome[BulkDecided]:
    """The grid's "approve all ≥ X": bulk approval without finishing the phase, rows read back."""
    with uows(tenant) as uow:
        result = decisions.bulk_approve(uow, import_id, min_confidence, auto_finish=False)
        states = mapping_states(uow, sorted(result.mapping_ids))
        return _commit(uow, BulkDecided(result, states))


def revert_many(
    uows: UnitOfWorkFactory, tenant: Tenant, versions: dict[uuid.UUID, int]
) -> Outcome[dict[uuid.UUID, MappingState]]:
    """Undo of a bulk approval: revert all its rows at the given versions, all or none."""
    with uows(tenant) as uow:
        for mapping_id, version in versions.items():
            decisions.revert(uow, mapping_id, version)
        return _commit(uow, mapping_states(uow, list(versions)))


def leave_unmatched_unmapped(
    uows: UnitOfWorkFactory, tenant: Tenant, import_id: uuid.UUID
) -> Outcome[BulkDecided]:
    """The grid's "Leave all unmatched columns unmapped": reject every pending column without a
    target in one transaction (without finishing the phase), the rows read back."""
    with uows(tenant) as uow:
        result = decisions.leave_unmatched_unmapped(uow, import_id)
        states = mapping_states(uow, sorted(result.mapping_ids))
        return _commit(uow, BulkDecided(result, states))


def auto_map_remaining(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    import_id: uuid.UUID,
    *,
    min_confidence: float = review_types.DEFAULT_MIN_CONFIDENCE,
) -> Outcome[BulkResult]:
    """Decide every pending column (free targets at/above the threshold approved, the rest left
    unmapped) and finish."""
    with uows(tenant) as uow:
        return _commit(uow, decisions.auto_map_remaining(uow, import_id, min_confidence=min_confidence))


def _flow_import(uow: UnitOfWork, flow_id: uuid.UUID | str) -> tuple[uuid.UUID, uuid.UUID]:
    fid, import_id = import_for_flow(uow, flow_id)
    if import_id is None:
        raise MappingDecisionError(
            message=f"flow {fid} has no data import to map",
            hint="import a file with `migration-discovery import FILE --client NAME --engagement NAME`"
            " (it makes a flow with its import)",
        )
    return fid, import_id


def accept_suggestions(
    uows: UnitOfWorkFactory, tenant: Tenant, flow_id: uuid.UUID | str, min_confidence: float
) -> Outcome[AcceptResult]:
    """`map accept`: approve the flow's confident suggestions, generating them first if there are none."""
    if not 0.0 <= min_confidence <= 1.0:
        raise MappingDecisionError(
            message=f"--min-confidence {min_confidence} is outside 0..1", hint="pass e.g. 0.9"
        )
    with uows(tenant) as uow:
        fid, import_id = _flow_import(uow, flow_id)
        generated = mapping_counts(uow, import_id).total == 0
        if generated:
            suggestions.generate_suggestions(uow, import_id)
        result = decisions.bulk_approve(uow, import_id, min_confidence)
        return _commit(uow, AcceptResult(fid, import_id, generated, result))


def finish_mapping(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    import_id: uuid.UUID,
    *,
    auto: bool = False,
    min_confidence: float = review_types.DEFAULT_MIN_CONFIDENCE,
) -> Outcome[BulkResult]:
    """Complete the field-mapping phase (refuses, naming them, while columns are undecided)."""
    with uows(tenant) as uow:
        if auto:
            decisions.auto_map_remaining(uow, import_id, min_confidence=min_confidence)
        return _commit(uow, decisions.finish_mapping(uow, import_id))


def finish_flow_mapping(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    flow_id: uuid.UUID | str,
    *,
    auto: bool = False,
    min_confidence: float = review_types.DEFAULT_MIN_CONFIDENCE,
) -> Outcome[FinishResult]:
    """`map finish FLOW_ID [--auto [--min-confidence X]]`: optionally decide what is left (approve
    only at/above X, leave the rest unmapped), then finish the phase."""
    with uows(tenant) as uow:
        fid, import_id = _flow_import(uow, flow_id)
        decided = (
            decisions.auto_map_remaining(uow, import_id, min_confidence=min_confidence) if auto else None
        )
        result = decisions.finish_mapping(uow, import_id)
        return _commit(uow, FinishResult(fid, import_id, decided, result))


def reopen_mapping(
    uows: UnitOfWorkFactory, tenant: Tenant, flow_id: uuid.UUID | str, *, reason: str | None = None
) -> Outcome[ReopenResult]:
    """`map reopen FLOW_ID`: a finished mapping becomes editable again; the later phases run again.

    The flow goes back to field mapping (`core.flows.transitions.reopen_mapping`: one
    `mapping_reopened` event with the actor and `reason`); finishing the mapping again and running
    the flow redo cleansing and inventory, which replace this import's earlier results.
    """
    with uows(tenant) as uow:
        value = transitions.reopen_mapping(uow, flow_id, reason=(reason or "").strip() or None)
        # the review grid of the import changes from read-only to editable
        uow.note(OpChanges(mappings=True, import_ids=ids(value.import_id)))
        return _commit(uow, value)


# ----------------------------------------------------------------------------------------- memory


def forget_learned(
    uows: UnitOfWorkFactory, tenant: Tenant, import_id: uuid.UUID | str, source_field: str
) -> Outcome[review_types.ForgetResult]:
    """Forget what the client's mapping memory learned for a column (the grid's context menu)."""
    with uows(tenant) as uow:
        return _commit(uow, decisions.forget_learned(uow, import_id, source_field))


def forget_flow_learned(
    uows: UnitOfWorkFactory, tenant: Tenant, flow_id: uuid.UUID | str, source_field: str
) -> Outcome[review_types.ForgetResult]:
    """`map forget FLOW_ID COLUMN`: `forget_learned` for that column of the flow's import."""
    with uows(tenant) as uow:
        _fid, import_id = _flow_import(uow, flow_id)
        return _commit(uow, decisions.forget_learned(uow, import_id, source_field))


# ------------------------------------------------------------------------------ one column by name


@dataclass(frozen=True)
class ColumnSet:
    """`map set`: the column as stored afterwards, what it was before, and the import's counts."""

    flow_id: uuid.UUID
    import_id: uuid.UUID
    source_field: str
    generated: bool
    previous_status: str
    previous_target: str | None
    state: MappingState
    changed: bool
    counts: MappingCounts


def _column_row(uow: UnitOfWork, fid: uuid.UUID, import_id: uuid.UUID, column: str) -> ImportFieldMapping:
    """The mapping row of `column` (exact header, else the one header equal ignoring case)."""
    rows = store.rows_of_import(uow.session, import_id)
    named = [r for r in rows if r.source_field == column] or [
        r for r in rows if r.source_field.casefold() == column.strip().casefold()
    ]
    if len(named) == 1:
        return named[0]
    headers = [r.source_field for r in rows]
    close = difflib.get_close_matches(column, headers, n=3, cutoff=0.5)
    raise MappingDecisionError(
        message=f"the import of flow {fid} has no column {column!r}",
        column=column,
        hint=(f"did you mean {', '.join(map(repr, close))}? " if close else "")
        + f"`migration-discovery map list {fid}` lists its columns",
        details={"columns": headers},
    )


def _known_target(target: str, column: str) -> str:
    """`target` when it is a field of the target schema, else a refusal naming the closest ones."""
    from core.mapping.schema import load_target_schema

    names = [f.name for f in load_target_schema().fields]
    if target in names:
        return target
    close = difflib.get_close_matches(target, names, n=3, cutoff=0.5)
    raise MappingDecisionError(
        message=f"unknown target field {target!r}",
        column=column,
        hint=(f"did you mean {', '.join(map(repr, close))}? " if close else "")
        + "the target fields are those of resources/target_schema.yaml; `--unmapped` leaves the column out",
    )


def set_column(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    flow_id: uuid.UUID | str,
    column: str,
    *,
    target: str | None = None,
    unmapped: bool = False,
    rules: dict[str, Any] | None = None,
    reason: str | None = None,
) -> Outcome[ColumnSet]:
    """`map set FLOW_ID COLUMN --target FIELD [--rule ...] | --unmapped`: decide one column by name.

    The suggested target without rules is an approval (it keeps the suggested rules); another
    target, or rules, is a modification; `unmapped` rejects the column. Generates the import's
    suggestions first when it has none. The phase is not finished here: `map finish` does that.
    """
    if unmapped == (target is not None):  # both, or neither
        raise MappingDecisionError(
            message="say what to do with the column", column=column, hint="pass --target FIELD or --unmapped"
        )
    if unmapped and rules:
        raise MappingDecisionError(
            message="rules need a target: an unmapped column is not read",
            column=column,
            hint="drop --rule, or pass --target FIELD",
        )
    with uows(tenant) as uow:
        fid, import_id = _flow_import(uow, flow_id)
        generated = mapping_counts(uow, import_id).total == 0
        if generated:
            suggestions.generate_suggestions(uow, import_id)
        row = _column_row(uow, fid, import_id, column)
        was_status, was_target = row.status, row.target_field
        if unmapped:
            changed = decisions.reject(uow, row.id, row.version, reason=reason, auto_finish=False).changed
        else:
            changed = _map_onto(uow, row, _known_target(str(target), row.source_field), rules)
        state = mapping_states(uow, [row.id])[row.id]
        counts = mapping_counts(uow, import_id)
        return _commit(
            uow,
            ColumnSet(
                fid, import_id, row.source_field, generated, was_status, was_target, state, changed, counts
            ),
        )


def _map_onto(uow: UnitOfWork, row: ImportFieldMapping, field: str, rules: dict[str, Any] | None) -> bool:
    """Map `row` onto `field`: approve the suggestion as it is, else modify; True when it changed."""
    if rules is None and row.status in ACCEPTED and row.target_field == field:
        return False  # already mapped so
    if rules is None and field == (row.suggestion or {}).get("target_field"):
        version, reverted = row.version, row.status == MODIFIED
        if reverted:  # back to the suggestion, with its rules, as the consultant's approval
            version = decisions.revert(uow, row.id, version).version
        return decisions.approve(uow, row.id, version, auto_finish=False).changed or reverted
    return decisions.modify(
        uow,
        row.id,
        row.version,
        target_field=field,
        transformation_rules=_UNSET if rules is None else rules,
        auto_finish=False,
    ).changed
