"""Discovery-flow use cases: pause, resume, cancel, recover, correct a derived flag, reconcile, clean up.

Each per-flow action opens one unit of work for the tenant, calls a `core.flows` helper (which never
commits and notes what it wrote), commits — or rolls back on any error, so a refused change writes
nothing — and returns an `Outcome` whose `changes` name the flow (and its import where that changed).
`reconcile` and `cleanup_flows` walk every engagement the consultant can see and commit per flow /
per engagement; their outcome carries what those commits changed. Phase runs are `core.flows.run_phase`.
"""

from __future__ import annotations

import uuid

from core.actions.outcome import Outcome
from core.flows import derived, lifecycle, recovery, retention
from core.flows import reconcile as reconciliation
from core.flows.reconcile import ReconcileReport
from core.flows.recovery import RecoveryResult
from core.flows.retention import CleanupReport
from core.flows.transitions import PhaseTransitionResult, StatusChange
from core.uow import Tenant, UnitOfWorkFactory

FlowId = uuid.UUID | str


def pause_flow(
    uows: UnitOfWorkFactory, tenant: Tenant, flow_id: FlowId, *, reason: str | None = None
) -> Outcome[StatusChange]:
    """Stop scheduling work on the flow (refused unless it is initializing, running, waiting or recovered)."""
    with uows(tenant) as uow:
        value = lifecycle.pause(uow, flow_id, reason=reason)
        uow.commit()
    return Outcome(value, uow.committed_changes)


def resume_flow(
    uows: UnitOfWorkFactory, tenant: Tenant, flow_id: FlowId, *, reason: str | None = None
) -> Outcome[StatusChange]:
    """Continue a paused flow in the status it was paused from."""
    with uows(tenant) as uow:
        value = lifecycle.resume(uow, flow_id, reason=reason)
        uow.commit()
    return Outcome(value, uow.committed_changes)


def cancel_flow(
    uows: UnitOfWorkFactory, tenant: Tenant, flow_id: FlowId, *, reason: str | None = None
) -> Outcome[StatusChange]:
    """Abandon the flow for good (completed and cancelled flows cannot be cancelled)."""
    with uows(tenant) as uow:
        value = lifecycle.cancel(uow, flow_id, reason=reason)
        uow.commit()
    return Outcome(value, uow.committed_changes)


def recover_flow(uows: UnitOfWorkFactory, tenant: Tenant, flow_id: FlowId) -> Outcome[RecoveryResult]:
    """Bring a failed or corrupted flow back to its last valid checkpoint (status `recovered`)."""
    with uows(tenant) as uow:
        value = recovery.recover(uow, flow_id)
        uow.commit()
    return Outcome(value, uow.committed_changes)


def correct_derived_flags(
    uows: UnitOfWorkFactory, tenant: Tenant, flow_id: FlowId
) -> Outcome[PhaseTransitionResult | None]:
    """Persist a completion flag the stored data implies (an import with raw records); None: nothing stale.

    The correction `flow_status` used to make on read; reads now never write. `reconcile` repairs the
    same lag (and later phases) across every flow.
    """
    with uows(tenant) as uow:
        value = derived.refresh_derived_flags(uow, flow_id)
        if value is not None:
            uow.commit()
    return Outcome(value, uow.committed_changes)


def reconcile(
    uows: UnitOfWorkFactory, *, apply: bool = False, client: str | None = None
) -> Outcome[ReconcileReport]:
    """Check every visible flow (optionally one client's) against its artefacts; `apply` commits repairs."""
    report = reconciliation.reconcile(uows, apply=apply, client=client)
    return Outcome(report, report.changes)


def cleanup_flows(
    uows: UnitOfWorkFactory, *, older_than_days: int, apply: bool = False, client: str | None = None
) -> Outcome[CleanupReport]:
    """List (dry run) or archive old completed flows and remove abandoned ones with their imports."""
    report = retention.cleanup_flows(uows, older_than_days=older_than_days, apply=apply, client=client)
    return Outcome(report, report.changes)
