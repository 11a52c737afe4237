"""Reconciliation: find flows whose flags lag behind their stored artefacts, and repair them.

For every engagement the consultant can see (row-level security decides), each flow is locked and
compared with the evidence of `artefacts.phase_evidence`. A fix is made only when the artefacts are
present, no error is logged on the flow and the transition is valid — and always through
`advance_phase`, one phase at a time. A dry run performs exactly the same transitions and rolls
them back, so the report of a dry run is the report of the apply. Flags are never unset.

`reconcile` is a use case over many engagements: it commits each repaired flow in its own unit of work
(one bad flow stops nothing else) and reports what the commits changed; `reconcile_flow` never commits.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from core import tenancy
from core.changes import NOTHING, OpChanges
from core.db.models import DiscoveryFlow
from core.errors import UserInputError
from core.flows import metrics
from core.flows.artefacts import Evidence, phase_evidence
from core.flows.errors import FlowNotFoundError, FlowReadOnlyError, InvalidTransitionError
from core.flows.phases import FLAG_FIELDS, PHASE_FLAG_MAP, PHASES, phase_at, position
from core.flows.store import load_flow
from core.flows.transitions import advance_phase
from core.flows.validation import snapshot_of
from core.uow import UnitOfWork, UnitOfWorkFactory

REPORT_COLUMNS = (
    "flow_id",
    "client",
    "engagement",
    "flow_name",
    "field",
    "old_value",
    "new_value",
    "reason",
    "action",
)
#: Fields a repair may change, in report order.
REPORTED_FIELDS = (
    *FLAG_FIELDS,
    "current_phase",
    "phases_completed",
    "progress_percentage",
    "status",
    "completed_at",
)


@dataclass(frozen=True)
class ReconcileRow:
    """One field of one flow: `action` is `fix` (changed, or changed with --apply) or `skip`."""

    flow_id: str
    client: str
    engagement: str
    flow_name: str
    field: str
    old_value: str
    new_value: str
    reason: str
    action: str


@dataclass
class ReconcileReport:
    applied: bool
    rows: list[ReconcileRow] = field(default_factory=list)
    flows_checked: int = 0
    flows_fixed: int = 0
    flows_skipped: int = 0
    changes: OpChanges = NOTHING
    """What the committed repairs changed (nothing for a dry run)."""

    @property
    def fixes(self) -> list[ReconcileRow]:
        return [r for r in self.rows if r.action == "fix"]

    def summary(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "flows_checked": self.flows_checked,
            "flows_fixed": self.flows_fixed,
            "flows_skipped": self.flows_skipped,
            "fields_fixed": len(self.fixes),
            "skipped": len(self.rows) - len(self.fixes),
        }


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


@dataclass
class _FlowContext:
    ref: tenancy.EngagementRef
    flow: DiscoveryFlow
    rows: list[ReconcileRow] = field(default_factory=list)

    def row(self, field_name: str, old: Any, new: Any, reason: str, action: str) -> None:
        self.rows.append(
            ReconcileRow(
                str(self.flow.id),
                self.ref.client_name,
                self.ref.engagement_name,
                self.flow.flow_name,
                field_name,
                _text(old),
                _text(new),
                reason,
                action,
            )
        )

    def skip(self, phase: str, reason: str, violation: str) -> None:
        flag = PHASE_FLAG_MAP[phase]
        value = getattr(self.flow, flag)
        self.row(flag, value, value, reason, "skip")
        metrics.CONSISTENCY_VIOLATIONS.labels(type=violation).inc()


def _plan(ctx: _FlowContext, evidence: dict[str, Evidence]) -> list[tuple[str, str]]:
    """Transitions (target phase, reason) the evidence supports; records skips on `ctx`."""
    flow = ctx.flow
    at = position(flow.current_phase)
    plan: list[tuple[str, str]] = []
    for i, phase in enumerate(PHASES[:at]):  # stale records behind the current phase
        if getattr(flow, PHASE_FLAG_MAP[phase]) and phase in (flow.phases_completed or []):
            continue
        if evidence[phase].present:
            plan.append((phase_at(i + 1), evidence[phase].reason))
            metrics.CONSISTENCY_VIOLATIONS.labels(type="stale_flag").inc()
        else:
            ctx.skip(
                phase,
                f"{flow.current_phase} is past {phase} but it is not recorded, and {evidence[phase].reason}",
                "flag_without_artefacts",
            )
    i = at
    while i < len(PHASES) and evidence[PHASES[i]].present:  # the flags lag behind the artefacts
        plan.append((phase_at(i + 1), evidence[PHASES[i]].reason))
        metrics.CONSISTENCY_VIOLATIONS.labels(type="missing_flag").inc()
        i += 1
    if i < len(PHASES):
        blocked = PHASES[i]
        for later in PHASES[i + 1 :]:
            if evidence[later].present or getattr(flow, PHASE_FLAG_MAP[later]):
                what = "artefacts" if evidence[later].present else "a completion flag"
                ctx.skip(
                    later,
                    f"{later} has {what} but {blocked} is not complete ({evidence[blocked].reason})",
                    "out_of_order",
                )
                break
    return plan


def reconcile_flow(
    uow: UnitOfWork, ref: tenancy.EngagementRef, flow_id: Any
) -> tuple[list[ReconcileRow], bool]:
    """Repair one flow inside the caller's transaction; returns the report rows and whether it changed."""
    flow = load_flow(uow, flow_id, lock=True)
    ctx = _FlowContext(ref, flow)
    if flow.status == "cancelled":
        return [], False
    try:
        position(flow.current_phase)
    except ValueError:
        ctx.row(
            "current_phase", flow.current_phase, flow.current_phase, "unknown phase: recover the flow", "skip"
        )
        return ctx.rows, False
    evidence = phase_evidence(uow, flow)
    plan = _plan(ctx, evidence)
    if not plan:
        return ctx.rows, False
    if flow.error_message is not None or flow.status == "failed":
        for target, _reason in plan:
            ctx.skip(
                phase_at(position(target) - 1),
                f"an error is logged on {flow.error_phase or 'the flow'}: recover it first",
                "error_logged",
            )
        return ctx.rows, False
    before = snapshot_of(flow)
    before["phases_completed"] = list(before["phases_completed"] or [])
    reasons: dict[str, str] = {}
    changed = False
    for target, reason in plan:
        prior = phase_at(position(target) - 1)
        try:
            result = advance_phase(
                uow,
                flow.id,
                target,
                set_status="waiting_for_review" if target == "field_mapping" else None,
                reason=f"reconcile: {reason}",
            )
        except InvalidTransitionError as exc:
            ctx.skip(prior, f"not repaired: {exc.reason}", "invalid_transition")
            break
        changed = changed or not result.was_idempotent
        reasons[PHASE_FLAG_MAP[prior]] = reason
    after = snapshot_of(flow)
    derived = "follows from the completion flags"
    for name in REPORTED_FIELDS:
        old = before["flags"][name] if name in FLAG_FIELDS else before[name]
        new = after["flags"][name] if name in FLAG_FIELDS else after[name]
        if old != new:
            ctx.row(name, old, new, reasons.get(name, derived), "fix")
    return ctx.rows, changed


def _unwritable(ref: tenancy.EngagementRef, flow_id: Any) -> ReconcileRow:
    reason = "not repairable: you may only read this engagement (or the flow was just removed)"
    return ReconcileRow(str(flow_id), ref.client_name, ref.engagement_name, "", "*", "", "", reason, "skip")


def reconcile(uows: UnitOfWorkFactory, *, apply: bool = False, client: str | None = None) -> ReconcileReport:
    """Check every visible flow (optionally of one client); with `apply` commit the repairs."""
    engagements = tenancy.list_engagements(uows.sessions)
    if client:
        engagements = [e for e in engagements if e.client_name.lower() == client.strip().lower()]
        if not engagements:
            raise UserInputError(
                f"no client {client!r} among the engagements you are a member of", hint="check the name"
            )
    report = ReconcileReport(applied=apply)
    for ref in engagements:
        tenant = uows.tenant_for(ref)
        with uows(tenant) as uow:
            ids = uow.session.scalars(
                select(DiscoveryFlow.id).order_by(DiscoveryFlow.created_at, DiscoveryFlow.id)
            ).all()
        for flow_id in ids:
            with uows(tenant) as uow:  # one transaction per flow: one bad flow stops nothing else
                try:
                    rows, changed = reconcile_flow(uow, ref, flow_id)
                except (FlowNotFoundError, FlowReadOnlyError):  # a viewer, or removed since listed
                    rows, changed = [_unwritable(ref, flow_id)], False
                if changed and apply:
                    uow.commit()
            report.changes = report.changes.merged(uow.committed_changes)
            report.flows_checked += 1
            report.rows.extend(rows)
            report.flows_fixed += changed
            report.flows_skipped += bool(rows) and not changed
    return report


def write_report(report: ReconcileReport, path: str | Path) -> None:
    """The CSV report: flow, field, old value, new value, reason (plus names and the action)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=REPORT_COLUMNS)
        writer.writeheader()
        for row in report.rows:
            writer.writerow(asdict(row))
