"""Read API for the GUI timeline and the CLI: the contract-shaped status and a per-phase timeline.

Reads never write: a stale derivable flag is reported as stored (correcting it is the
`correct_derived_flags` use case, or reconciliation). Front ends reach these through
`core.pipeline.status`, which opens the unit of work and adds the allowed actions.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import tenancy
from core.db.models import DataImport, DiscoveryFlow, FlowEvent
from core.flows.errors import FlowNotFoundError
from core.flows.phases import COMPLETED, FLAG_FIELDS, PHASE_FLAG_MAP, PHASES, position
from core.flows.store import as_uuid, load_flow
from core.uow import Tenant, UnitOfWork, UnitOfWorkFactory

CREW_EVENTS = ("crew_completed", "crew_failed")


def ai_crew_error(session: Session, flow_id: uuid.UUID) -> dict[str, Any] | None:
    """The newest AI crew failure on the flow that no later run of that crew has succeeded over.

    A crew is optional advice: its failure never fails or blocks the flow (`error` stays the phases'
    own), but it is shown here — with its code, class and recovery hint — until that crew runs again
    successfully. A cancelled run is the consultant's choice, neither a failure nor a success.
    """
    events = session.scalars(
        select(FlowEvent)
        .where(FlowEvent.flow_id == flow_id, FlowEvent.event_type.in_(CREW_EVENTS))
        .order_by(FlowEvent.occurred_at.desc(), FlowEvent.created_at.desc())
    ).all()
    settled: set[str] = set()
    for ev in events:
        data = ev.data or {}
        crew = str(data.get("crew"))
        if crew in settled or data.get("error_code") == "cancelled":
            continue
        settled.add(crew)
        if ev.event_type == "crew_failed":
            return {
                "crew": data.get("crew"),
                "model": data.get("model"),
                "message": data.get("message"),
                "error_code": data.get("error_code"),
                "error_class": data.get("error_class"),
                "recovery_hint": data.get("recovery_hint"),
                "crew_output_id": data.get("crew_output_id"),
                "at": ev.occurred_at.isoformat() if ev.occurred_at else None,
                "blocks_flow": False,
            }
    return None


def status_dict(flow: DiscoveryFlow) -> dict[str, Any]:
    """Exactly the `flow status --json` shape of the CLI contract."""
    error = None
    if flow.error_message is not None or flow.error_phase is not None:
        error = {"message": flow.error_message, "phase": flow.error_phase, "details": flow.error_details}
    return {
        "flow_id": str(flow.id),
        "status": flow.status,
        "current_phase": flow.current_phase,
        "phases_completed": list(flow.phases_completed or []),
        "progress_percentage": flow.progress_percentage,
        "flags": {flag: bool(getattr(flow, flag)) for flag in FLAG_FIELDS},
        "version": flow.version,
        "error": error,
    }


def flow_status(uow: UnitOfWork, flow_id: uuid.UUID | str) -> dict[str, Any]:
    """The flow's state as stored (the `flow status --json` contract); writes nothing."""
    return status_dict(load_flow(uow, flow_id))


def locate_flow(uows: UnitOfWorkFactory, flow_id: uuid.UUID | str) -> Tenant:
    """The tenant (engagement) a flow belongs to, among those the consultant may see.

    Row-level security only shows rows inside one engagement's transaction, so each visible
    engagement is asked in turn; an id found in none raises `FlowNotFoundError`.
    """
    fid = as_uuid(flow_id)
    for ref in tenancy.list_engagements(uows.sessions):
        tenant = uows.tenant_for(ref)
        with uows(tenant) as uow:
            if uow.session.scalar(select(DiscoveryFlow.id).where(DiscoveryFlow.id == fid)) is not None:
                return tenant
    raise FlowNotFoundError.for_id(fid)


def _index(phase: object) -> int:
    """Position of a phase named in an event (past the end for anything else)."""
    return PHASES.index(phase) if phase in PHASES else len(PHASES)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return round((end - start).total_seconds(), 3) if start and end else None


def flow_timeline(uow: UnitOfWork, flow_id: uuid.UUID | str) -> dict[str, Any]:
    """Per phase: status, start/end (from the event log), duration, counts and errors."""
    flow = load_flow(uow, flow_id)
    events = uow.session.scalars(
        select(FlowEvent)
        .where(FlowEvent.flow_id == flow.id)
        .order_by(FlowEvent.occurred_at, FlowEvent.created_at)
    ).all()
    try:
        at = position(flow.current_phase)
    except ValueError:
        at = -1
    import_counts = None
    import_seconds: float | None = None
    if flow.data_import_id is not None:
        row = uow.session.execute(
            select(
                DataImport.total_records,
                DataImport.processed_records,
                DataImport.failed_records,
                DataImport.import_metadata,
            ).where(DataImport.id == flow.data_import_id)
        ).first()
        if row is not None:
            import_counts = {"total": row[0], "processed": row[1], "failed": row[2]}
            seconds = (row[3] or {}).get("seconds") if isinstance(row[3], dict) else None
            import_seconds = float(seconds) if isinstance(seconds, int | float) else None
    phases: list[dict[str, Any]] = []
    for phase in PHASES:
        started: datetime | None = None
        attempt_started: datetime | None = None  # the last run of the phase's engine
        ended: datetime | None = None
        counts: dict[str, Any] | None = None
        errors: list[dict[str, Any]] = []
        attempts = 0
        for ev in events:
            data = ev.data or {}
            became_current = (ev.event_type == "flow_created" and phase == PHASES[0]) or (
                ev.event_type == "phase_advanced" and data.get("to") == phase
            )
            if ev.event_type == "mapping_reopened" and PHASES.index(phase) >= _index(data.get("to")):
                # a reopened mapping starts again from here; the later phases run again after it
                started = ev.occurred_at if phase == data.get("to") else None
                attempt_started = ended = counts = None
            elif became_current:
                started = started or ev.occurred_at
            elif ev.event_type == "phase_started" and ev.phase == phase:
                attempts += 1
                started = started or ev.occurred_at
                attempt_started = ev.occurred_at
            elif ev.event_type in ("phase_advanced", "flag_repaired") and ev.phase == phase:
                ended = ev.occurred_at
                counts = data.get("counts") or counts
            elif ev.event_type == "phase_failed" and ev.phase == phase:
                errors.append(
                    {
                        "at": ev.occurred_at.isoformat(),
                        "message": data.get("message"),
                        "error_code": data.get("error_code"),
                        "error_class": data.get("error_class"),
                        "recovery_hint": data.get("recovery_hint"),
                        "counts": data.get("counts"),
                    }
                )
        if phase == PHASES[0] and counts is None:
            counts = import_counts
        # Duration is the phase's own work: an engine phase from its last start (not from when it became
        # current, which counts the time the consultant waited); the import by its own measured time.
        duration = _seconds(attempt_started or started, ended)
        if phase == PHASES[0] and import_seconds is not None:
            duration = round(import_seconds, 3)
        done = bool(getattr(flow, PHASE_FLAG_MAP[phase]))
        if done:
            state = "completed"
        elif flow.error_phase == phase and flow.status == "failed":
            state = "failed"
        elif PHASES.index(phase) == at:
            state = {"paused": "paused", "cancelled": "cancelled"}.get(flow.status, "in_progress")
        else:
            state = "pending"
        phases.append(
            {
                "phase": phase,
                "status": state,
                "started_at": started.isoformat() if started else None,
                "ended_at": ended.isoformat() if ended and done else None,
                "duration_seconds": duration if done else None,
                "attempts": attempts,
                "counts": counts,
                "errors": errors,
            }
        )
    return {
        **status_dict(flow),
        "flow_name": flow.flow_name,
        "started_at": flow.started_at.isoformat() if flow.started_at else None,
        "completed_at": flow.completed_at.isoformat() if flow.completed_at else None,
        "is_completed": flow.current_phase == COMPLETED,
        "phases": phases,
        "events": len(events),
    }
