"""The one authoritative write path for a discovery flow's phase state.

This module is the only code that writes the protected fields (`phases.PROTECTED_FIELDS`: completion
flags, `current_phase`, `phases_completed`, progress, status, `completed_at`, the error fields; a test
scans for other writers, in `core/flows/` too):

- `_transition` (through `advance_phase` / `complete_phase` / `mark_import_completed`) completes phases;
  the import pipeline, phase runners, reconciliation, the derived-flag correction and the demo seed
  all call it;
- `apply_status` changes the status outside a phase advance (pause, resume, cancel, start a phase,
  record a failure) for `lifecycle` and `error_wrapper`;
- `restore_phase_state` is recovery's write (a trusted checkpoint's phase state, or the initial one);
- `reopen_mapping` takes a flow whose field mapping is finished back to `field_mapping` (that phase and
  every later one to be done again), for a consultant who must correct a decision.

Completing the last phase is `advance_phase(uow, id, "completed")` (or, equivalently,
`complete_phase(uow, id, "tech_debt_assessment")`): `current_phase` becomes the terminal pseudo-phase
`completed`, status `completed` and `completed_at` are set.

Transactions: nothing here commits. Every function flushes inside the caller's unit of work, so the
caller's rows and the flow change commit (or roll back) together — the import pipeline relies on this —
and notes the write on the unit of work (through `store.record_event`). Use cases
(`core.actions.flows`) and the phase-run wrapper own the commit.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.db.models import DataImport, DiscoveryFlow, FlowCheckpoint, MasterFlow
from core.flows import master as master_stages
from core.flows import metrics
from core.flows.errors import InvalidTransitionError, ReopenRefusedError, StateValidationError
from core.flows.phases import (
    ADVANCEABLE_STATUSES,
    COMPLETED,
    FLAG_FIELDS,
    PHASE_FLAG_MAP,
    PHASES,
    SETTABLE_ON_ADVANCE,
    STATUS_TRANSITIONS,
    is_phase,
    next_phase,
    phase_at,
    position,
    progress_for,
)
from core.flows.store import after_commit, load_flow, record_event, require_tenant
from core.flows.validation import (
    EDITABLE_FIELDS,
    STATE_FIELDS,
    FlowSnapshot,
    new_problems,
    problem_type,
    snapshot_of,
    state_problems,
)
from core.uow import UnitOfWork


@dataclass(frozen=True)
class PhaseTransitionResult:
    """What a phase advance did: `was_idempotent` means it had already happened (nothing written)."""

    success: bool
    was_idempotent: bool
    prior_phase: str
    warnings: list[str] = field(default_factory=list)
    current_phase: str = ""
    status: str = ""
    version: int = 0


@dataclass(frozen=True)
class StatusChange:
    """A status change outside a phase advance: from which status to which, and the version it made."""

    flow_id: uuid.UUID
    previous_status: str
    status: str
    version: int


def _now() -> datetime:
    return datetime.now(UTC)


def check_editable(updates: dict[str, Any] | None) -> dict[str, Any]:
    """Only the JSON work columns and the name may be edited freely; phase fields have a path."""
    updates = dict(updates or {})
    refused = sorted(set(updates) - EDITABLE_FIELDS)
    if refused:
        raise ValueError(
            f"cannot update {', '.join(refused)} directly; editable are {', '.join(sorted(EDITABLE_FIELDS))} "
            "(phases, flags, status and errors change only through core.flows)"
        )
    return updates


def apply_updates(flow: DiscoveryFlow, updates: dict[str, Any]) -> None:
    """Assign copies so SQLAlchemy sees the JSON columns change."""
    for name, value in updates.items():
        setattr(flow, name, dict(value) if isinstance(value, dict) else value)


def write_checkpoint(uow: UnitOfWork, flow: DiscoveryFlow, snapshot: dict[str, Any]) -> None:
    """Snapshot of the state the flow is in now (after the flush that produced `flow.version`)."""
    uow.session.add(
        FlowCheckpoint(
            flow_id=flow.id,
            phase=flow.current_phase,
            snapshot={**snapshot, "version": flow.version},
            version=flow.version,
            is_valid=True,
            client_account_id=flow.client_account_id,
            engagement_id=flow.engagement_id,
        )
    )


def create_discovery_flow(
    uow: UnitOfWork,
    *,
    data_import_id: uuid.UUID | None,
    flow_name: str,
    master_flow_id: uuid.UUID | None = None,
    flow_id: uuid.UUID | None = None,
) -> DiscoveryFlow:
    """Create a flow (and its master flow when none is given) in the caller's transaction.

    Status `initializing`, at phase `data_import`; writes a `flow_created` event and the initial
    checkpoint. Flushes but never commits: the caller's transaction owns the new rows. A master
    flow created here is linked to the data import when the import has none yet.
    """
    tenant = require_tenant(uow)
    s = uow.session
    linked = False
    scope = {"client_account_id": tenant.client_account_id, "engagement_id": tenant.engagement_id}
    if master_flow_id is None:
        master = MasterFlow(
            flow_type="discovery",
            status="initializing",
            master_state={"data_import_id": str(data_import_id) if data_import_id else None},
            created_by=tenant.user_id,
            **scope,
        )
        s.add(master)
        s.flush()
        master_flow_id = master.id
        if data_import_id is not None:
            imp = s.get(DataImport, data_import_id)
            if imp is not None and imp.master_flow_id is None:
                imp.master_flow_id = master_flow_id
                linked = True
    flow = DiscoveryFlow(
        id=flow_id or uuid.uuid4(),
        master_flow_id=master_flow_id,
        data_import_id=data_import_id,
        flow_name=flow_name,
        status="initializing",
        current_phase=PHASES[0],
        phases_completed=[],
        progress_percentage=0.0,
        flow_state={},
        crew_outputs={},
        field_mappings={},
        discovered_assets={},
        dependencies={},
        tech_debt_analysis={},
        created_by=tenant.user_id,
        version=1,
        **{flag: False for flag in FLAG_FIELDS},
        **scope,
    )
    snapshot = snapshot_of(flow)
    problems = state_problems(snapshot)
    if problems:
        raise StateValidationError(flow.id, problems)
    s.add(flow)
    s.flush()
    record_event(
        uow,
        flow,
        "flow_created",
        phase=PHASES[0],
        data={"data_import_id": str(data_import_id)},
        imports=linked,
    )
    write_checkpoint(uow, flow, snapshot)
    s.flush()
    after_commit(s, lambda: metrics.log_change("flow_created", id=flow.id, name=flow_name, version=1))
    return flow


def _transition(
    uow: UnitOfWork,
    flow: DiscoveryFlow,
    target_phase: str,
    *,
    set_status: str | None,
    extra_updates: dict[str, Any] | None,
    event_data: dict[str, Any] | None,
    reason: str | None,
) -> PhaseTransitionResult:
    """Apply one phase transition to a locked flow row; flushes, never commits."""
    current = flow.current_phase
    if not is_phase(target_phase) or target_phase == PHASES[0]:
        why = "it is the first phase" if target_phase == PHASES[0] else "no such phase"
        raise InvalidTransitionError(flow.id, current, target_phase, why)
    if set_status is not None and set_status not in SETTABLE_ON_ADVANCE:
        raise ValueError(f"set_status must be one of {sorted(SETTABLE_ON_ADVANCE)}, not {set_status!r}")
    updates = check_editable(extra_updates)
    target = position(target_phase)
    prior = phase_at(target - 1)
    prior_flag = PHASE_FLAG_MAP[prior]
    try:
        at = position(current)
    except ValueError:
        raise InvalidTransitionError(
            flow.id, current, target_phase, "the current phase is unknown; recover the flow"
        ) from None

    repair = False
    if target <= at:
        if (
            getattr(flow, prior_flag)
            and isinstance(flow.phases_completed, list)
            and prior in flow.phases_completed
        ):
            ignored = [f"already done: ignored updates of {', '.join(sorted(updates))}"] if updates else []
            return PhaseTransitionResult(True, True, prior, ignored, current, flow.status, flow.version)
        repair = True  # the flow is past `prior` but its flag or list entry is stale
        if flow.status == "cancelled":
            raise InvalidTransitionError(flow.id, current, target_phase, "the flow is cancelled")
    elif target > at + 1:
        missing = ", ".join(PHASES[at : target - 1])
        raise InvalidTransitionError(
            flow.id, current, target_phase, f"{missing} must be completed first (phases complete in order)"
        )
    elif flow.status not in ADVANCEABLE_STATUSES:
        hint = {
            "paused": "resume it first",
            "failed": "recover it first",
            "cancelled": "it was cancelled",
            "completed": "it is completed",
        }.get(flow.status, "")
        raise InvalidTransitionError(flow.id, current, target_phase, f"the flow is {flow.status}; {hint}")

    before = snapshot_of(flow)
    before_problems = state_problems(before)
    warnings: list[str] = []
    if before_problems:
        warnings.append("the flow was inconsistent before this transition: " + "; ".join(before_problems))
        for problem in before_problems:
            metrics.CONSISTENCY_VIOLATIONS.labels(type=problem_type(problem)).inc()

    flag_was_set = bool(getattr(flow, prior_flag))
    setattr(flow, prior_flag, True)
    # list semantics without duplicates, in canonical order (normally: `prior` is appended)
    existing = flow.phases_completed if isinstance(flow.phases_completed, list) else []
    listed = {*(p if isinstance(p, str) else repr(p) for p in existing), prior}
    flow.phases_completed = [p for p in PHASES if p in listed] + sorted(str(p) for p in listed - set(PHASES))
    now = _now()
    if flow.started_at is None:
        flow.started_at = now
    flags = {flag: bool(getattr(flow, flag)) for flag in FLAG_FIELDS}
    flow.progress_percentage = progress_for(flags)
    cleared_error = None
    if repair:
        warnings.append(f"{current} is already past {target_phase}; repaired the stale record of {prior}")
    else:
        flow.current_phase = target_phase
        flow.status = set_status or "running"
        if flow.error_phase == prior:
            cleared_error = {"message": flow.error_message, "details": flow.error_details}
            flow.error_message = None
            flow.error_phase = None
            flow.error_details = None
    if all(flags.values()):
        flow.status = "completed"
        flow.completed_at = flow.completed_at or now
    apply_updates(flow, updates)

    after = snapshot_of(flow)
    introduced = new_problems(before_problems, state_problems(after))
    if introduced:
        raise StateValidationError(flow.id, introduced)
    uow.session.flush()  # one UPDATE: version + 1 (the row is locked, so it cannot be stale)

    data: dict[str, Any] = {
        "from": current,
        "to": flow.current_phase,
        "status": flow.status,
        "progress": flow.progress_percentage,
        **({"reason": reason} if reason else {}),
        **({"warnings": warnings} if warnings else {}),
        **({"cleared_error": cleared_error} if cleared_error else {}),
        **({"updated": sorted(updates)} if updates else {}),
        **(event_data or {}),
    }
    record_event(
        uow,
        flow,
        "flag_repaired" if repair else "phase_advanced",
        phase=prior,
        data=data,
        imports=prior == PHASES[0],  # the import now shows as imported (its flow left data_import)
    )
    write_checkpoint(uow, flow, after)
    uow.session.flush()
    if flow.status == "completed":
        master_stages.refresh_status(uow, flow.master_flow_id)

    outcome = "repaired" if repair else "success"
    result_flag = "already_set" if flag_was_set else ("repaired" if repair else "set")
    version, status, now_phase = flow.version, flow.status, flow.current_phase

    def committed() -> None:
        metrics.PHASE_TRANSITIONS.labels(phase=prior, outcome=outcome).inc()
        metrics.FLAG_UPDATES.labels(flag=prior_flag, result=result_flag).inc()
        metrics.log_change(
            "phase_repaired" if repair else "phase_advanced",
            id=flow.id,
            phase=prior,
            to=now_phase,
            status=status,
            version=version,
            reason=reason or "",
        )

    after_commit(uow.session, committed)
    return PhaseTransitionResult(True, False, prior, warnings, now_phase, status, version)


def advance_phase(
    uow: UnitOfWork,
    flow_id: uuid.UUID | str,
    target_phase: str,
    *,
    set_status: str | None = None,
    extra_updates: dict[str, Any] | None = None,
    event_data: dict[str, Any] | None = None,
    reason: str | None = None,
) -> PhaseTransitionResult:
    """Lock the flow, complete the phase before `target_phase` and move to it (flushed, not committed).

    Repeating a transition that already happened returns `was_idempotent=True` and writes nothing;
    skipping a phase, or advancing a paused/failed/cancelled flow, raises `InvalidTransitionError`
    (the caller's unit of work then rolls back whatever it had done).
    """
    started = time.perf_counter()
    flow = load_flow(uow, flow_id, lock=True)
    label = flow.current_phase
    try:
        result = _transition(
            uow,
            flow,
            target_phase,
            set_status=set_status,
            extra_updates=extra_updates,
            event_data=event_data,
            reason=reason,
        )
    except InvalidTransitionError as exc:
        metrics.PHASE_TRANSITIONS.labels(phase=label, outcome="invalid").inc()
        metrics.log_change("transition_refused", id=flow.id, phase=label, to=target_phase, reason=exc.reason)
        raise
    except Exception:
        metrics.PHASE_TRANSITIONS.labels(phase=label, outcome="error").inc()
        raise
    if result.was_idempotent:
        metrics.PHASE_TRANSITIONS.labels(phase=result.prior_phase, outcome="idempotent").inc()
    metrics.TRANSITION_DURATION.labels(phase=result.prior_phase).observe(time.perf_counter() - started)
    return result


def complete_phase(
    uow: UnitOfWork,
    flow_id: uuid.UUID | str,
    phase: str,
    **kwargs: Any,
) -> PhaseTransitionResult:
    """Mark `phase` done and move to the next one (`completed` after the last): `advance_phase`."""
    if phase == COMPLETED or phase not in PHASE_FLAG_MAP:
        raise ValueError(f"unknown phase {phase!r}; phases are {', '.join(PHASES)}")
    return advance_phase(uow, flow_id, next_phase(phase), **kwargs)


def mark_import_completed(uow: UnitOfWork, flow_id: uuid.UUID | str) -> PhaseTransitionResult:
    """data_import → field_mapping inside the import's own transaction (not committed here).

    The flow then waits for the consultant's mapping review (`waiting_for_review`), so the import's
    rows and the flag become visible together or not at all.
    """
    return advance_phase(
        uow,
        flow_id,
        next_phase(PHASES[0]),
        set_status="waiting_for_review",
        reason="import completed",
    )


def apply_status(
    uow: UnitOfWork,
    flow: DiscoveryFlow,
    action: str,
    new_status: str,
    *,
    event_type: str,
    phase: str | None = None,
    data: dict[str, Any] | None = None,
    field_updates: dict[str, Any] | None = None,
) -> StatusChange:
    """Validate and apply a status change on a locked flow (flush, one event; never commits).

    `action` names the row of `phases.STATUS_TRANSITIONS` that must allow the flow's current status;
    `field_updates` are written in the same UPDATE (a failure's error fields and partial progress).
    """
    previous = flow.status
    if previous not in STATUS_TRANSITIONS[action]:
        raise InvalidTransitionError(flow.id, previous, new_status, f"a {previous} flow cannot {action}")
    before = state_problems(snapshot_of(flow))
    flow.status = new_status
    for name, value in (field_updates or {}).items():
        setattr(flow, name, value)
    introduced = new_problems(before, state_problems(snapshot_of(flow)))
    if introduced:
        raise StateValidationError(flow.id, introduced)
    uow.session.flush()
    record_event(
        uow, flow, event_type, phase=phase, data={"from": previous, "to": new_status, **(data or {})}
    )
    uow.session.flush()
    version = flow.version
    after_commit(
        uow.session,
        lambda: metrics.log_change(
            event_type, id=flow.id, status=new_status, previous=previous, version=version
        ),
    )
    return StatusChange(flow.id, previous, new_status, version)


def restore_phase_state(
    uow: UnitOfWork,
    flow: DiscoveryFlow,
    source: FlowSnapshot | None,
    *,
    reset: bool = False,
    keep_partial: dict[str, Any] | None = None,
    event_type: str,
    event_data: dict[str, Any],
) -> None:
    """Recovery's write on a locked flow: flush, one event; never commits.

    With `source` (a checkpoint's snapshot that passed validation) its phase state and work columns
    come back; with `reset` the flow returns to its initial state; with neither the current (valid)
    state is kept. The error is always cleared and the status becomes `recovered` — `completed` when
    the restored checkpoint was. `keep_partial` is the partial progress of failed phase work, kept for
    the retry. Refuses (`StateValidationError`) to leave an invalid state behind.
    """
    if source is not None:
        for flag in FLAG_FIELDS:
            setattr(flow, flag, getattr(source.flags, flag))
        flow.current_phase = source.current_phase
        flow.phases_completed = list(source.phases_completed)
        flow.progress_percentage = source.progress_percentage
        for name in STATE_FIELDS:
            setattr(flow, name, dict(getattr(source, name)))
        if keep_partial:
            flow.flow_state = {**flow.flow_state, "partial_progress": keep_partial}
        flow.completed_at = source.completed_at
        flow.status = "completed" if source.status == "completed" else "recovered"
    elif reset:
        for flag in FLAG_FIELDS:
            setattr(flow, flag, False)
        flow.current_phase = PHASES[0]
        flow.phases_completed = []
        flow.progress_percentage = 0.0
        for name in STATE_FIELDS:
            setattr(flow, name, {})
        flow.completed_at = None
        flow.status = "recovered"
    else:
        flow.status = "recovered"
    flow.error_message = None
    flow.error_phase = None
    flow.error_details = None
    problems = state_problems(snapshot_of(flow))
    if problems:
        raise StateValidationError(flow.id, problems)
    uow.session.flush()
    record_event(uow, flow, event_type, phase=flow.current_phase, data=event_data)
    uow.session.flush()


# ------------------------------------------------------------------------------------ reopening

REOPENED_PHASE = "field_mapping"
"""The phase `reopen_mapping` returns to; it and every later phase are done again."""


@dataclass(frozen=True)
class ReopenResult:
    """What reopening did: where the flow was, the phases now to be redone, the version it made."""

    flow_id: uuid.UUID
    import_id: uuid.UUID | None
    previous_phase: str
    previous_status: str
    reset_phases: tuple[str, ...]
    status: str
    version: int
    reason: str | None = None


def reopen_refusal(status: str, mapping_finished: bool) -> tuple[str, str] | None:
    """Why a flow's mapping cannot be reopened now, with what to do; None when it can.

    One rule for the use case and for the allowed actions (`core.pipeline.availability`), so a
    greyed-out "Reopen mapping" and a refused `map reopen` give the same reason.
    """
    if status == "cancelled":
        return "the flow was cancelled", "start a new import of the file to map it again"
    if status == "paused":
        return "the flow is paused", "resume it first, then reopen the mapping"
    if not mapping_finished:
        return (
            "the field mapping is not finished, so there is nothing to reopen",
            "its decisions can be changed in the mapping review now",
        )
    return None


def reopen_mapping(uow: UnitOfWork, flow_id: uuid.UUID | str, *, reason: str | None = None) -> ReopenResult:
    """Take a flow whose field mapping is finished back to `field_mapping` (flushed, not committed).

    The flags of field mapping and every later phase are cleared, `phases_completed` keeps the phases
    before it, progress is recomputed, the status becomes `waiting_for_review` (a completed flow is no
    longer completed; a failure of a later phase is cleared, since that phase runs again) and the
    partial progress of the reset phases is dropped. One `mapping_reopened` event names the actor
    (the unit of work's tenant) and `reason`; a checkpoint records the new state. The phase work of
    the reset phases (cleansed records, assets) stays until those phases run again, which replaces it.
    Refused with `ReopenRefusedError` (see `reopen_refusal`).
    """
    flow = load_flow(uow, flow_id, lock=True)
    target = position(REOPENED_PHASE)
    finished = bool(getattr(flow, PHASE_FLAG_MAP[REOPENED_PHASE]))
    refused = reopen_refusal(flow.status, finished)
    if refused is not None:
        why, hint = refused
        metrics.log_change(
            "transition_refused", id=flow.id, phase=flow.current_phase, to=REOPENED_PHASE, reason=why
        )
        raise ReopenRefusedError(
            message=f"cannot reopen the mapping of flow {flow.flow_name!r}: {why}",
            hint=hint,
            details={"flow_id": str(flow.id), "status": flow.status, "current_phase": flow.current_phase},
        )
    before = snapshot_of(flow)
    before_problems = state_problems(before)
    previous_phase, previous_status = flow.current_phase, flow.status
    reset = tuple(p for p in PHASES[target:] if getattr(flow, PHASE_FLAG_MAP[p]))
    for phase in PHASES[target:]:
        setattr(flow, PHASE_FLAG_MAP[phase], False)
    kept = set(PHASES[:target])
    existing = flow.phases_completed if isinstance(flow.phases_completed, list) else []
    flow.phases_completed = [p for p in PHASES if p in kept and p in existing]
    flow.current_phase = REOPENED_PHASE
    flow.progress_percentage = progress_for({flag: bool(getattr(flow, flag)) for flag in FLAG_FIELDS})
    flow.status = "waiting_for_review"
    flow.completed_at = None
    cleared_error = None
    if flow.error_message is not None or flow.error_phase is not None or flow.error_details is not None:
        cleared_error = {"phase": flow.error_phase, "message": flow.error_message}
        flow.error_message = None
        flow.error_phase = None
        flow.error_details = None
    state = dict(flow.flow_state) if isinstance(flow.flow_state, dict) else {}
    partial = state.get("partial_progress")
    if isinstance(partial, dict) and any(p in partial for p in PHASES[target:]):
        state["partial_progress"] = {k: v for k, v in partial.items() if k not in PHASES[target:]}
        flow.flow_state = state
    after = snapshot_of(flow)
    introduced = new_problems(before_problems, state_problems(after))
    if introduced:
        raise StateValidationError(flow.id, introduced)
    uow.session.flush()
    data: dict[str, Any] = {
        "from": previous_phase,
        "to": REOPENED_PHASE,
        "previous_status": previous_status,
        "status": flow.status,
        "progress": flow.progress_percentage,
        "reset_phases": list(reset),
        "reason": reason,
        **({"cleared_error": cleared_error} if cleared_error else {}),
    }
    # the import shows as being mapped again: note it too
    record_event(uow, flow, "mapping_reopened", phase=REOPENED_PHASE, data=data, imports=True)
    write_checkpoint(uow, flow, after)
    uow.session.flush()
    master_stages.refresh_status(uow, flow.master_flow_id)
    version = flow.version
    tenant = require_tenant(uow)

    def committed() -> None:
        metrics.PHASE_TRANSITIONS.labels(phase=REOPENED_PHASE, outcome="reopened").inc()
        metrics.log_change(
            "mapping_reopened",
            id=flow.id,
            phase=previous_phase,
            to=REOPENED_PHASE,
            version=version,
            actor=tenant.actor,
            reason=reason or "",
        )

    after_commit(uow.session, committed)
    return ReopenResult(
        flow.id, flow.data_import_id, previous_phase, previous_status, reset, flow.status, version, reason
    )
