"""A consultant's decisions on suggested mappings: approve, reject, modify, revert, in bulk.

Every decision
  * is made on the version the caller saw (`expected_version`): if the row changed since, it
    raises `MappingConflictError` carrying the stored row (who decided what, when) and writes
    nothing — it never overwrites someone else's decision;
  * records who (`approved_by` = the tenant's user, also for rejections) and when, and bumps
    the row's `version`;
  * writes one `flow_events` entry (`mapping_approved`, `mapping_rejected`, `mapping_modified`,
    `mapping_reverted`) with the source column, old and new target and the actor;
  * updates the client's mapping memory in the same transaction (see `memory`);
  * returns a result saying what changed (ids, new versions, whether the flow advanced).

Targets: a non-list target takes one source column; approving a second raises
`DuplicateTargetError` naming the other column. List-like targets (`list_like` in the target
schema, e.g. `tags`) may take several.

Completing the phase: with `auto_finish=True` (the default) the decision that leaves no column
undecided also sets `field_mapping_completed`, by advancing the flow from `field_mapping` to
`data_cleansing` through `core.flows.advance_phase`, in the same transaction. Screens that
prefer an explicit "Finish mapping" button pass `auto_finish=False` and call `finish_mapping`,
which refuses with the list of undecided columns. Once the phase is complete the decisions are
locked (`MappingLockedError`): the flow has moved on and cleansing uses them.

`auto_map_remaining` (auto-finish) decides every undecided column: a column whose suggested target
is free, at or above the consultant's threshold (`DEFAULT_MIN_CONFIDENCE` unless given) and whose
preview does not fail for most sampled values, is approved (highest confidence first); every other
column is rejected with its target cleared ("left unmapped"), and the result lists each with why.
Nothing auto-finish decides teaches mapping memory (`decided_via` = auto). It then completes the
phase; on a mapping already finished it changes nothing.

A suggestion whose preview fails for most sampled values (a type mismatch, `fit`) is never
approved in bulk or by auto-finish: a person approves it one row at a time, or not at all.

An AI crew's suggestion (`suggested_by = ai_agent`) is never approved by a threshold either
(`bulk_approve`, `map accept --min-confidence`, the grid's "approve all ≥ X") nor by auto-finish:
the consultant has to look at it, so only an explicit decision on that row approves it (`approve`,
approving the rows they selected, `map set`). `bulk_approve` leaves such rows pending and
auto-finish leaves them unmapped; both list them in `skipped` / `left_unmapped` with why and in
`ai_skipped`.

Transactions: these helpers never commit. They run inside the caller's unit of work — a use case in
`core.actions.mapping` — which commits, or rolls everything back on any error. Each notes what it
changed on the unit of work (`uow.note`), so the use case can say what changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.changes import OpChanges, ids
from core.db.models import DataImport, DiscoveryFlow, ImportFieldMapping
from core.mapping_review import fit, memory, samples, store
from core.mapping_review.errors import (
    DuplicateTargetError,
    MappingConflictError,
    MappingDecisionError,
    MappingIncompleteError,
    MappingLockedError,
    MappingNotFoundError,
)
from core.mapping_review.rules import validate_rules
from core.mapping_review.suggestions import apply_proposal, generate_suggestions
from core.mapping_review.types import (
    ACCEPTED,
    DEFAULT_MIN_CONFIDENCE,
    VIA_AUTO,
    VIA_BULK,
    VIA_PERSON,
    BulkResult,
    DecisionResult,
    ForgetResult,
    MappingCounts,
)
from core.uow import UnitOfWork

T = TypeVar("T")
_UNSET: Any = object()
NEXT_PHASE = "data_cleansing"
AI_SUGGESTER = "ai_agent"
AI_NOT_AUTOMATIC = (
    "never approved by a threshold or automatically; review it and approve the row yourself "
    "(select it in the grid, or `migration-discovery map set FLOW_ID COLUMN --target FIELD`)"
)


def _is_ai(row: ImportFieldMapping) -> bool:
    """Suggested by an AI crew: approved only by an explicit decision on the row."""
    return row.suggested_by == AI_SUGGESTER


@dataclass
class _Ctx:
    """The locked state a decision works on."""

    imp: DataImport
    flow: DiscoveryFlow | None
    rows: list[ImportFieldMapping]


def _schema() -> Any:
    """Every target a mapping row may name: asset fields and connection fields."""
    from core.mapping.schema import load_any_schema

    return load_any_schema()


def _is_list_like(target: str) -> bool:
    field = _schema().get(target)
    return bool(field and field.list_like)


def _below(score: float | None, threshold: float) -> str:
    """A score under the threshold printed so that it reads as under it (0.895, not "0.90")."""
    value = float(score or 0.0)
    for digits in (2, 3, 4):
        text = f"{value:.{digits}f}"
        if float(text) < threshold:
            return text
    return f"{value:.6f}"


def _check_not_locked(flow: DiscoveryFlow | None) -> None:
    if flow is not None and flow.field_mapping_completed:
        raise MappingLockedError(
            f"the field mapping of flow {flow.flow_name!r} is finished (the flow is at "
            f"{flow.current_phase}); its decisions can no longer change until it is reopened: "
            f"`migration-discovery map reopen {flow.id} --reason TEXT` (in the app: Reopen mapping), "
            "after which cleansing, inventory and later phases are redone"
        )


def _noted(uow: UnitOfWork, result: T) -> T:
    """Say what a decision changed (mappings, their import, the flow when the phase moved)."""
    mapping_ids = getattr(result, "mapping_ids", frozenset())
    advanced = bool(getattr(result, "phase_advanced", False))
    if mapping_ids or advanced:
        flow_id = getattr(result, "flow_id", None)
        uow.note(
            OpChanges(
                mappings=True,
                flows=advanced,
                mapping_ids=frozenset(mapping_ids),
                import_ids=ids(getattr(result, "import_id", None)),
                flow_ids=ids(flow_id) if advanced else frozenset(),
                count=len(mapping_ids),
            )
        )
    return result


def _lock_row(
    uow: UnitOfWork, mapping_id: uuid.UUID | str, expected_version: int
) -> tuple[_Ctx, ImportFieldMapping]:
    """Import lock, then the row `FOR UPDATE` at the caller's version (else a conflict)."""
    tenant = store.require_tenant(uow)
    s = uow.session
    mid = store.as_uuid(mapping_id, "mapping")
    seen = store.mapping_of_import(s, tenant, mid)
    if seen is None:
        raise MappingNotFoundError(
            message=f"no column mapping {mid} in this engagement", details={"mapping_id": str(mid)}
        )
    imp = store.load_import(uow, seen.data_import_id)
    store.lock_import(s, imp.id)
    row = store.mapping_of_import(s, tenant, mid, lock=True)
    if row is None:  # visible but not lockable: row-level security lets this role only read
        raise MappingDecisionError(
            message="you can view this engagement's mappings but not decide them",
            column=seen.source_field,
            hint="ask the engagement lead for member access",
        )
    if row.version != expected_version:
        raise MappingConflictError(expected_version, store.snapshot(s, row))
    flow = store.flow_for_import(s, tenant, imp.id)
    _check_not_locked(flow)
    return _Ctx(imp, flow, []), row


def _check_target(row: ImportFieldMapping, target: str | None) -> str:
    if not target:
        raise MappingDecisionError(
            message="there is no suggested target to approve",
            column=row.source_field,
            hint="choose a target (modify) or reject the column to leave it unmapped "
            "(`migration-discovery map set FLOW_ID COLUMN --target FIELD` or `--unmapped`)",
        )
    if target not in _schema():
        raise MappingDecisionError(
            message=f"unknown target field {target!r}",
            column=row.source_field,
            hint="pick a field of the schema (resources/target_schema.yaml; `migration-discovery map "
            "set` names the closest ones)",
        )
    return target


def _check_duplicate(s: Session, row: ImportFieldMapping, target: str) -> None:
    if _is_list_like(target):
        return
    for other in store.rows_of_import(s, row.data_import_id):
        if other.id != row.id and other.status in ACCEPTED and other.target_field == target:
            raise DuplicateTargetError(row.source_field, target, store.snapshot(s, other))


def _flush(uow: UnitOfWork, row: ImportFieldMapping, expected_version: int) -> None:
    """Flush the row; a stale version (should the lock ever be bypassed) is a conflict too."""
    try:
        uow.session.flush()
    except StaleDataError:
        uow.rollback()
        tenant = store.require_tenant(uow)
        current = store.mapping_of_import(uow.session, tenant, row.id)
        if current is None:
            raise MappingNotFoundError(message=f"column mapping {row.id} was deleted") from None
        raise MappingConflictError(expected_version, store.snapshot(uow.session, current)) from None


def _maybe_finish(
    uow: UnitOfWork, imp: DataImport, flow: DiscoveryFlow | None, *, reason: str
) -> tuple[bool, bool]:
    """Advance field_mapping → data_cleansing when nothing is pending; (completed, advanced).

    A flow that cannot advance right now (paused, failed, not yet at field mapping) is left as
    it is: the decision still stands and `finish_mapping` can complete the phase later.
    """
    if flow is None:
        return False, False
    if flow.field_mapping_completed:
        return True, False
    from core.flows.errors import InvalidTransitionError
    from core.flows.phases import ADVANCEABLE_STATUSES
    from core.flows.transitions import advance_phase

    counts = store.counts_of(uow.session, imp.id)
    if not counts.complete or flow.current_phase != store.PHASE or flow.status not in ADVANCEABLE_STATUSES:
        return False, False
    try:
        result = advance_phase(
            uow,
            flow.id,
            NEXT_PHASE,
            reason=reason,
            event_data={"mapping": counts.to_dict(), "import_id": str(imp.id)},
        )
    except InvalidTransitionError:  # changed under us between the check and the lock
        return False, False
    return True, not result.was_idempotent


def _record_decision(
    uow: UnitOfWork,
    ctx: _Ctx,
    row: ImportFieldMapping,
    before: memory.RowState,
    old_target: str | None,
    action: str,
    actor: str | None,
    extra: dict[str, Any],
) -> None:
    """The audit event of one decision: what changed on which column, by whom."""
    store.record_event(
        uow,
        ctx.imp,
        ctx.flow,
        f"mapping_{action}",
        {
            "mapping_id": str(row.id),
            "source_field": row.source_field,
            "old_target": old_target,
            "new_target": row.target_field,
            "old_status": before.status,
            "new_status": row.status,
            "mapping_version": row.version,
            "actor": actor,
            **extra,
        },
    )


def _decide(
    uow: UnitOfWork,
    mapping_id: uuid.UUID | str,
    expected_version: int,
    action: str,
    change: Callable[[_Ctx, ImportFieldMapping], dict[str, Any] | None],
    *,
    auto_finish: bool,
) -> DecisionResult:
    """The shared shape of one decision: lock, check, change, learn, log, maybe finish."""

    def work() -> DecisionResult:
        tenant = store.require_tenant(uow)
        ctx, row = _lock_row(uow, mapping_id, expected_version)
        before = memory.RowState.of(row)
        old_target = row.target_field
        extra = change(ctx, row)
        if extra is None:  # already so: nothing written
            completed = bool(ctx.flow and ctx.flow.field_mapping_completed)
            return DecisionResult(
                import_id=ctx.imp.id,
                flow_id=ctx.flow.id if ctx.flow else None,
                field_mapping_completed=completed,
                mapping_id=row.id,
                action=action,
                source_field=row.source_field,
                previous_status=before.status,
                status=row.status,
                old_target=old_target,
                new_target=row.target_field,
                version=row.version,
            )
        if row.status == "suggested":
            row.approved_by = None
            row.approved_at = None
            row.decided_via = None
        else:
            row.approved_by = tenant.user_id
            row.approved_at = store.now()
            row.decided_via = VIA_PERSON
        _flush(uow, row, expected_version)
        learned = memory.learn(uow, row, before, memory.RowState.of(row))
        _record_decision(uow, ctx, row, before, old_target, action, tenant.actor, extra)
        uow.session.flush()
        completed, advanced = (
            _maybe_finish(uow, ctx.imp, ctx.flow, reason="every column decided")
            if auto_finish
            else (False, False)
        )
        return DecisionResult(
            import_id=ctx.imp.id,
            flow_id=ctx.flow.id if ctx.flow else None,
            mapping_ids=frozenset({row.id}),
            versions={row.id: row.version},
            memory_changed=learned,
            field_mapping_completed=completed,
            phase_advanced=advanced,
            mapping_id=row.id,
            action=action,
            source_field=row.source_field,
            previous_status=before.status,
            status=row.status,
            old_target=old_target,
            new_target=row.target_field,
            version=row.version,
        )

    return _noted(uow, work())


def _suggested(row: ImportFieldMapping) -> dict[str, Any]:
    return dict(row.suggestion or {})


def approve(
    uow: UnitOfWork,
    mapping_id: uuid.UUID | str,
    expected_version: int,
    *,
    auto_finish: bool = True,
) -> DecisionResult:
    """Accept the suggested target (and rules). Approving an accepted row changes nothing."""

    def change(ctx: _Ctx, row: ImportFieldMapping) -> dict[str, Any] | None:
        if row.status in ACCEPTED:
            return None
        suggestion = _suggested(row)
        target = _check_target(row, row.target_field or suggestion.get("target_field"))
        _check_duplicate(uow.session, row, target)
        if row.target_field != target:  # approving after an automatic "left unmapped"
            row.target_field = target
            row.transformation_rules = suggestion.get("transformation_rules")
        row.status = "approved"
        return {"confidence": row.confidence_score, "match_type": row.match_type}

    return _decide(uow, mapping_id, expected_version, "approved", change, auto_finish=auto_finish)


def reject(
    uow: UnitOfWork,
    mapping_id: uuid.UUID | str,
    expected_version: int,
    reason: str | None = None,
    *,
    auto_finish: bool = True,
) -> DecisionResult:
    """Leave the column unmapped. The rejected target stays on the row (and is remembered as a
    pairing to suppress for this client)."""

    def change(ctx: _Ctx, row: ImportFieldMapping) -> dict[str, Any] | None:
        if row.status == "rejected":
            return None
        row.status = "rejected"
        return {"reason": reason} if reason else {}

    return _decide(uow, mapping_id, expected_version, "rejected", change, auto_finish=auto_finish)


def modify(
    uow: UnitOfWork,
    mapping_id: uuid.UUID | str,
    expected_version: int,
    *,
    target_field: str | None = _UNSET,
    transformation_rules: dict[str, Any] | None = _UNSET,
    data_type: str | None = None,
    note: str | None = None,
    auto_finish: bool = True,
) -> DecisionResult:
    """Map the column onto `target_field` with `transformation_rules` (status `modified`).

    Omitted arguments keep the row's current value, except that changing the target without
    giving rules clears the old target's rules. `data_type` (only when it differs from the
    target's type) is kept in the rules as `data_type`: parse the column as that type. Validated
    with `core.mapping.models.ManualMappingRequest`: the target must exist in the schema, the data
    type be one of string|integer|float|boolean|datetime|json, the rules well-formed. To leave a
    column unmapped, `reject` it.
    """
    from pydantic import ValidationError

    from core.mapping.models import ManualMappingRequest

    def change(ctx: _Ctx, row: ImportFieldMapping) -> dict[str, Any] | None:
        target = row.target_field if target_field is _UNSET else target_field
        if not target:
            raise MappingDecisionError(
                message="modify needs a target field",
                column=row.source_field,
                hint="reject the column to leave it unmapped (`migration-discovery map set FLOW_ID "
                "COLUMN --unmapped`)",
            )
        if transformation_rules is _UNSET:
            rules = row.transformation_rules if target == row.target_field else None
        else:
            rules = dict(transformation_rules) if transformation_rules else None
        try:
            request = ManualMappingRequest(
                source_field=row.source_field,
                target_field=target,
                data_type=data_type,
                transformation_rules=rules,
                note=note,
            )
        except ValidationError as exc:
            problems = "; ".join(str(e.get("msg", e)).removeprefix("Value error, ") for e in exc.errors())
            raise MappingDecisionError(message=problems, column=row.source_field) from None
        target = _check_target(row, request.target_field)
        problems = validate_rules(rules)
        if problems:
            raise MappingDecisionError(message="; ".join(problems), column=row.source_field)
        schema_type = _schema()[target].type
        if data_type is not None and request.data_type != schema_type:
            rules = {**(rules or {}), "data_type": request.data_type}
        elif rules and "data_type" in rules and rules["data_type"] == schema_type:
            rules = {k: v for k, v in rules.items() if k != "data_type"} or None
        if row.status == "modified" and row.target_field == target and row.transformation_rules == rules:
            return None
        _check_duplicate(uow.session, row, target)
        row.target_field = target
        row.transformation_rules = rules
        row.status = "modified"
        return {
            "suggested_target": _suggested(row).get("target_field"),
            "transformation_rules": rules,
            **({"note": note} if note else {}),
        }

    return _decide(uow, mapping_id, expected_version, "modified", change, auto_finish=auto_finish)


def revert(
    uow: UnitOfWork,
    mapping_id: uuid.UUID | str,
    expected_version: int,
) -> DecisionResult:
    """Undo a decision: back to `suggested` with the original suggestion; memory forgets it."""

    def change(ctx: _Ctx, row: ImportFieldMapping) -> dict[str, Any] | None:
        if row.status == "suggested":
            return None
        if row.suggestion:
            apply_proposal(row, row.suggestion)
        row.status = "suggested"
        return {}

    return _decide(uow, mapping_id, expected_version, "reverted", change, auto_finish=False)


# ------------------------------------------------------------------------------------------ bulk


def _lock_import_rows(uow: UnitOfWork, import_id: uuid.UUID | str, *, allow_finished: bool = False) -> _Ctx:
    tenant = store.require_tenant(uow)
    s = uow.session
    imp = store.load_import(uow, import_id)
    store.lock_import(s, imp.id)
    rows = store.rows_of_import(s, imp.id, lock=True)
    flow = store.flow_for_import(s, tenant, imp.id)
    if not allow_finished:
        _check_not_locked(flow)
    return _Ctx(imp, flow, rows)


def _bulk(
    uow: UnitOfWork,
    ctx: _Ctx,
    approve_rows: Iterable[ImportFieldMapping],
    reject_rows: Iterable[tuple[ImportFieldMapping, str]],
    skipped: list[tuple[str, str]],
    *,
    via: str,
    decided_via: str,
    auto_finish: bool,
    ai_skipped: Iterable[ImportFieldMapping] = (),
) -> BulkResult:
    tenant = store.require_tenant(uow)
    stamp = store.now()
    changed: list[tuple[ImportFieldMapping, memory.RowState, str | None, str, str | None]] = []
    for row in approve_rows:
        before = memory.RowState.of(row)
        row.status = "approved"
        changed.append((row, before, row.target_field, "approved", None))
    for row, why in reject_rows:
        before = memory.RowState.of(row)
        old_target = row.target_field
        row.status = "rejected"
        row.target_field = None  # automatic "left unmapped": teaches memory nothing
        row.transformation_rules = None
        changed.append((row, before, old_target, "rejected", why))
    for row, *_ in changed:
        row.approved_by = tenant.user_id
        row.approved_at = stamp
        row.decided_via = decided_via
    uow.session.flush()
    learned = False
    for row, before, old_target, action, why in changed:
        learned |= memory.learn(uow, row, before, memory.RowState.of(row))
        extra = {
            "via": via,
            **({"reason": f"left unmapped: {why}"} if why else {}),
            **({"confidence": row.confidence_score} if action == "approved" else {}),
        }
        _record_decision(uow, ctx, row, before, old_target, action, tenant.actor, extra)
    uow.session.flush()
    completed, advanced = (
        _maybe_finish(uow, ctx.imp, ctx.flow, reason=f"every column decided ({via})")
        if auto_finish
        else (bool(ctx.flow and ctx.flow.field_mapping_completed), False)
    )
    return BulkResult(
        import_id=ctx.imp.id,
        flow_id=ctx.flow.id if ctx.flow else None,
        mapping_ids=frozenset(row.id for row, *_ in changed),
        versions={row.id: row.version for row, *_ in changed},
        memory_changed=learned,
        field_mapping_completed=completed,
        phase_advanced=advanced,
        approved=sum(1 for c in changed if c[3] == "approved"),
        rejected=sum(1 for c in changed if c[3] == "rejected"),
        skipped=tuple(skipped),
        left_unmapped=tuple(
            (c[0].source_field, c[4] or "")
            for c in sorted(changed, key=lambda c: c[0].source_position)
            if c[3] == "rejected"
        ),
        counts=store.counts_of(uow.session, ctx.imp.id),
        ai_skipped=tuple(r.source_field for r in sorted(ai_skipped, key=lambda r: r.source_position)),
    )


def _preview_failures(uow: UnitOfWork, ctx: _Ctx) -> dict[uuid.UUID, str]:
    """Pending rows whose suggested target fails the preview for most sampled values: why."""
    pending = [r for r in ctx.rows if r.status == "suggested" and r.target_field in _schema()]
    if not pending:
        return {}
    records = samples.first_records(uow.session, ctx.imp.id)
    columns = list(ctx.imp.columns or [])
    spots = [
        (
            columns.index(r.source_field) if r.source_field in columns else r.source_position,
            r.target_field,
            r.transformation_rules,
        )
        for r in pending
    ]
    fits = fit.fits_of_columns(records, spots)
    return {r.id: f.describe() for r, f in zip(pending, fits, strict=True) if f is not None and f.failing}


def _plan_approvals(
    rows: list[ImportFieldMapping],
    min_confidence: float,
    failing: dict[uuid.UUID, str] | None = None,
) -> tuple[
    list[ImportFieldMapping], list[tuple[ImportFieldMapping, str]], list[tuple[ImportFieldMapping, str]]
]:
    """Pending rows with a target at/above the threshold, best first, one per single target.

    Returns (to approve, not approved although eligible: (row, why) — lost to another column or
    failing the preview (`failing`: id → why) —, other pending rows: (row, why)). AI suggestions
    are never eligible: they are among the other rows, with `AI_NOT_AUTOMATIC` as why.
    """
    schema = _schema()
    failing = failing or {}
    taken = {r.target_field: r for r in rows if r.status in ACCEPTED and r.target_field}
    pending = [r for r in rows if r.status == "suggested"]
    eligible = sorted(
        (
            r
            for r in pending
            if r.target_field and not _is_ai(r) and r.confidence_score >= min_confidence - 1e-9
        ),
        key=lambda r: (-r.confidence_score, r.source_position),
    )
    chosen: list[ImportFieldMapping] = []
    lost: list[tuple[ImportFieldMapping, str]] = []
    for row in eligible:
        target = row.target_field
        assert target is not None
        field = schema.get(target)
        if field is None:
            lost.append((row, f"unknown target field {target!r}"))
            continue
        if row.id in failing:
            lost.append((row, failing[row.id]))
            continue
        holder = taken.get(target)
        if holder is not None and not field.list_like:
            lost.append((row, f"{target} is already mapped from column {holder.source_field!r}"))
            continue
        taken[target] = row
        chosen.append(row)
    chosen_ids = {r.id for r in chosen} | {r.id for r, _ in lost}
    rest = [
        (
            r,
            "no target suggested"
            if not r.target_field
            else f"AI suggestion {r.target_field}: {AI_NOT_AUTOMATIC}"
            if _is_ai(r)
            else f"confidence {_below(r.confidence_score, min_confidence)} below the threshold"
            f" {min_confidence:.2f}",
        )
        for r in pending
        if r.id not in chosen_ids
    ]
    chosen.sort(key=lambda r: r.source_position)
    return chosen, lost, rest


def bulk_approve(
    uow: UnitOfWork,
    import_id: uuid.UUID | str,
    min_confidence: float,
    *,
    auto_finish: bool = True,
) -> BulkResult:
    """Approve every pending suggestion with a target at or above `min_confidence`.

    Two pending columns suggesting the same single target: the more confident one is approved,
    the other stays pending (listed in `skipped`); a target an earlier decision holds is skipped
    too, and so is one whose preview fails for most sampled values. An AI crew's suggestion stays
    pending whatever its confidence (listed in `skipped` and `ai_skipped`): the consultant approves
    it row by row. Decided rows are not touched.
    The consultant chose the threshold, so what it approves is their decision and teaches memory.
    Completes the phase if nothing is left pending.
    """
    _check_threshold(min_confidence)

    def work() -> BulkResult:
        ctx = _lock_import_rows(uow, import_id)
        chosen, lost, rest = _plan_approvals(ctx.rows, float(min_confidence), _preview_failures(uow, ctx))
        ai_rows = [(r, why) for r, why in rest if r.target_field and _is_ai(r)]
        skipped = [
            (r.source_field, why)
            for r, why in sorted([*lost, *ai_rows], key=lambda item: item[0].source_position)
        ]
        return _bulk(
            uow,
            ctx,
            chosen,
            [],
            skipped,
            via="bulk_approve",
            decided_via=VIA_BULK,
            auto_finish=auto_finish,
            ai_skipped=[r for r, _ in ai_rows],
        )

    return _noted(uow, work())


def _check_threshold(min_confidence: float) -> None:
    if not 0.0 <= float(min_confidence) <= 1.0:
        raise MappingDecisionError(
            message=f"minimum confidence {min_confidence} is outside 0..1", hint="pass e.g. 0.8"
        )


def auto_map_remaining(
    uow: UnitOfWork, import_id: uuid.UUID | str, *, min_confidence: float = DEFAULT_MIN_CONFIDENCE
) -> BulkResult:
    """Decide every pending column and complete the phase (see the module docstring).

    Approves only free targets at or above `min_confidence` whose preview does not fail, never an AI
    crew's suggestion; the rest are left unmapped, listed in `left_unmapped` with why (AI ones also in
    `ai_skipped`). Teaches memory nothing.
    Idempotent once the phase is complete: nothing is left to decide, so it changes nothing and
    reports the mapping as finished (like `finish_mapping`), instead of refusing a locked mapping."""
    _check_threshold(min_confidence)

    def work() -> BulkResult:
        ctx = _lock_import_rows(uow, import_id, allow_finished=True)
        if ctx.flow is not None and ctx.flow.field_mapping_completed:
            return BulkResult(
                import_id=ctx.imp.id,
                flow_id=ctx.flow.id,
                field_mapping_completed=True,
                counts=store.counts_of(uow.session, ctx.imp.id),
            )
        chosen, lost, rest = _plan_approvals(ctx.rows, float(min_confidence), _preview_failures(uow, ctx))
        rejects = [(r, why) for r, why in [*lost, *rest]]
        return _bulk(
            uow,
            ctx,
            chosen,
            rejects,
            [],
            via="auto_map_remaining",
            decided_via=VIA_AUTO,
            auto_finish=True,
            ai_skipped=[r for r, _ in rest if r.target_field and _is_ai(r)],
        )

    return _noted(uow, work())


def finish_mapping(uow: UnitOfWork, import_id: uuid.UUID | str) -> BulkResult:
    """Complete the field-mapping phase; refuses (`MappingIncompleteError`) while any column is
    undecided, naming them. Idempotent once complete."""

    def work() -> BulkResult:
        ctx = _lock_import_rows(uow, import_id, allow_finished=True)
        flow_ref = str(ctx.flow.id) if ctx.flow is not None else "FLOW_ID"
        if not ctx.rows:
            raise MappingDecisionError(
                message="the import has no suggested mappings yet",
                hint=f"make them with `migration-discovery map generate {flow_ref}` (opening the mapping "
                "review does it too)",
            )
        pending = [r.source_field for r in ctx.rows if r.status == "suggested"]
        if pending:
            raise MappingIncompleteError(pending, flow_id=ctx.flow.id if ctx.flow is not None else None)
        if ctx.flow is None:
            raise MappingDecisionError(
                message=f"import {ctx.imp.filename!r} has no discovery flow to advance"
            )
        completed, advanced = _maybe_finish(
            uow, ctx.imp, ctx.flow, reason="mapping finished by the consultant"
        )
        if not completed:
            raise MappingDecisionError(
                message=f"flow {ctx.flow.flow_name!r} cannot leave field mapping now (it is "
                f"{ctx.flow.status} at {ctx.flow.current_phase})",
                hint="finish the data import first, or resume/recover the flow; "
                f"`migration-discovery flow status {ctx.flow.id}` says where it stands",
            )
        return BulkResult(
            import_id=ctx.imp.id,
            flow_id=ctx.flow.id,
            field_mapping_completed=True,
            phase_advanced=advanced,
            counts=store.counts_of(uow.session, ctx.imp.id),
        )

    return _noted(uow, work())


def counts(uow: UnitOfWork, import_id: uuid.UUID | str) -> MappingCounts:
    imp = store.load_import(uow, import_id)
    return store.counts_of(uow.session, imp.id)


def leave_unmatched_unmapped(uow: UnitOfWork, import_id: uuid.UUID | str) -> BulkResult:
    """Reject every pending column the suggester found no target for ("leave all unmatched unmapped").

    One consultant's decision over many rows: each is rejected as if one at a time (audit event
    and decider per row; a row without a target teaches memory nothing), in the caller's one
    transaction. Rows with a target, and decided rows, are not touched.
    """
    ctx = _lock_import_rows(uow, import_id)
    unmatched = [r for r in ctx.rows if r.status == "suggested" and not r.target_field]
    changed: dict[uuid.UUID, int] = {}
    for row in sorted(unmatched, key=lambda r: r.source_position):
        done = reject(uow, row.id, row.version, reason="no target field fits", auto_finish=False)
        changed[row.id] = done.version
    return BulkResult(
        import_id=ctx.imp.id,
        flow_id=ctx.flow.id if ctx.flow else None,
        mapping_ids=frozenset(changed),
        versions=changed,
        rejected=len(changed),
        counts=store.counts_of(uow.session, ctx.imp.id),
    )


# ---------------------------------------------------------------------------------------- memory


def forget_learned(
    uow: UnitOfWork, import_id: uuid.UUID | str, source_field: str, *, use_semantic: bool | None = None
) -> ForgetResult:
    """Forget what the client's memory learned for a column of this import (every target).

    The decision is logged (`mapping_memory_forgotten`, with what was forgotten and by whom); a
    column still undecided is suggested afresh, without what was forgotten. Decided rows keep
    their decisions. Raises when the import has no such column, or the consultant may only read.
    """
    from core.mapping_review.queries import mapping_rows

    tenant = store.require_tenant(uow)
    s = uow.session
    imp = store.load_import(uow, import_id)
    row = next((r for r in store.rows_of_import(s, imp.id) if r.source_field == source_field), None)
    if row is None and source_field not in (imp.columns or []):
        raise MappingNotFoundError(
            message=f"import {imp.filename!r} has no column {source_field!r}",
            details={"import_id": str(imp.id), "column": source_field},
        )
    flow = store.flow_for_import(s, tenant, imp.id)
    forgotten = memory.forget(uow, source_field)
    mapping_ids: frozenset[uuid.UUID] = frozenset()
    if forgotten:
        store.record_event(
            uow,
            imp,
            flow,
            "mapping_memory_forgotten",
            {
                "source_field": source_field,
                "forgotten": [e.to_dict() for e in forgotten],
                "actor": tenant.actor,
            },
        )
        s.flush()
        if row is not None and row.status == "suggested":
            generate_suggestions(uow, imp.id, use_semantic=use_semantic)
            mapping_ids = frozenset({row.id})
        uow.note(
            OpChanges(mappings=True, import_ids=ids(imp.id), mapping_ids=mapping_ids, count=len(forgotten))
        )
    now = next((r for r in mapping_rows(uow, imp.id) if r.source_field == source_field), None)
    return ForgetResult(
        import_id=imp.id,
        flow_id=flow.id if flow else None,
        mapping_ids=mapping_ids,
        versions={now.id: now.version} if now is not None and mapping_ids else {},
        memory_changed=bool(forgotten),
        source_field=source_field,
        forgotten=tuple(forgotten),
        row=now,
    )
