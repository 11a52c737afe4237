"""The one authoritative write path for a discovery flow's phase state.

`_transition` is the only code that sets completion flags, `current_phase`, `phases_completed`
and progress. Everything else — the import pipeline (`mark_import_completed`), phase runners
(`complete_phase`), write-through reads, reconciliation, the demo seed — calls it through
`advance_phase`.

Completing the last phase is `advance_phase(uow, id, "completed")` (or, equivalently,
`complete_phase(uow, id, "tech_debt_assessment")`): `current_phase` becomes the terminal pseudo-phase
`completed`, status `completed` and `completed_at` are set.

Transactions: `advance_phase(..., commit=True)` (the default) commits its own transaction. With
`commit=False` it only flushes, inside the caller's open transaction, so the caller's rows and the
flag change commit (or roll back) together; the import pipeline relies on this.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.db.models import DataImport, DiscoveryFlow, FlowCheckpoint, MasterFlow
from core.flows import metrics
from core.flows.errors import InvalidTransitionError, StateValidationError
from core.flows.phases import (
    ADVANCEABLE_STATUSES,
    COMPLETED,
    FLAG_FIELDS,
    PHASE_FLAG_MAP,
    PHASES,
    SETTABLE_ON_ADVANCE,
    is_phase,
    next_phase,
    phase_at,
    position,
    progress_for,
)
from core.flows.store import after_commit, load_flow, record_event, require_tenant
from core.flows.validation import (
    EDITABLE_FIELDS,
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
    record_event(uow, flow, "flow_created", phase=PHASES[0], data={"data_import_id": str(data_import_id)})
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
    record_event(uow, flow, "flag_repaired" if repair else "phase_advanced", phase=prior, data=data)
    write_checkpoint(uow, flow, after)
    uow.session.flush()

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
    commit: bool = True,
) -> PhaseTransitionResult:
    """Lock the flow, complete the phase before `target_phase` and move to it, in one transaction.

    Repeating a transition that already happened returns `was_idempotent=True` and writes nothing;
    skipping a phase, or advancing a paused/failed/cancelled flow, raises `InvalidTransitionError`.
    `commit=False` leaves the commit to the caller's open transaction.
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
        if commit:
            uow.rollback()
        raise
    except Exception:
        metrics.PHASE_TRANSITIONS.labels(phase=label, outcome="error").inc()
        if commit:
            uow.rollback()
        raise
    if result.was_idempotent:
        metrics.PHASE_TRANSITIONS.labels(phase=result.prior_phase, outcome="idempotent").inc()
    if commit:
        uow.commit()
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


def mark_import_completed(
    uow: UnitOfWork, flow_id: uuid.UUID | str, *, commit: bool = False
) -> PhaseTransitionResult:
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
        commit=commit,
    )
