"""Running discovery phases: one phase through the registry, or a whole flow headless.

A phase whose turn it is runs through `core.flows.run_phase`: the work and the phase advance
commit together, and a failure (including `OperationCancelled`) is recorded on the flow in its
own transaction. A phase the flow has already completed can be *re-run* (after a mapping change):
the work runs in its own transaction and the flow's phase state is not touched.

`run_flow` is what `migration-discovery flow run` calls: it refuses while mappings are pending,
finishes the mapping phase when every column is decided, then runs the pending phases up to
`through` whose registry entry has a runner; a phase without one stops the run with the
registry's reason as a note.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from core.cleansing.service import pending_mappings
from core.errors import UserInputError
from core.flows import PHASES, PhaseProgress, run_phase
from core.flows.store import load_flow
from core.pipeline.registry import REGISTRY, PhaseJob, phase_spec, summarise
from core.pipeline.status import status_with_actions
from core.progress import CancelToken, Progress, ProgressFn
from core.uow import Tenant, UnitOfWork, UnitOfWorkFactory


@dataclass
class FlowRunResult:
    """What `run_flow` did: the phases it ran (with their summaries) and notes for the consultant."""

    flow_id: uuid.UUID
    phases_run: list[str] = field(default_factory=list)
    summaries: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    status: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"phases_run": self.phases_run, "summaries": self.summaries, "notes": self.notes}


def _import_of(uow: UnitOfWork, flow_id: uuid.UUID | str) -> tuple[uuid.UUID, str, list[str]]:
    flow = load_flow(uow, flow_id)
    if flow.data_import_id is None:
        raise UserInputError(
            f"flow {flow.id} has no data import",
            hint="import a file: `migration-discovery import FILE --client NAME --engagement NAME`",
        )
    return flow.data_import_id, flow.current_phase, list(flow.phases_completed or [])


def run_one_phase(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    flow_id: uuid.UUID | str,
    phase: str,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Run (or re-run) one phase with its registry runner; returns the runner's result."""
    spec = phase_spec(phase)
    if spec.runner is None:
        raise UserInputError(
            spec.unavailable or f"{spec.title} is not run by an engine",
            hint="finish the mapping review (`migration-discovery map finish FLOW_ID`)"
            if spec.completion == "review"
            else None,
        )
    runner = spec.runner
    fid = uuid.UUID(str(flow_id))
    token = cancel or CancelToken()
    with uows(tenant) as uow:
        import_id, current, _done = _import_of(uow, fid)
    if current == phase:

        def phase_work(uow: UnitOfWork, state: PhaseProgress) -> dict[str, Any]:
            def tracked(snapshot: Progress) -> None:
                state.total, state.processed = snapshot.total, snapshot.done
                if progress is not None:
                    progress(snapshot)

            return runner(uow, PhaseJob(fid, import_id, phase, tracked, token))

        return run_phase(uows, tenant, fid, phase, phase_work)
    with uows(tenant) as uow:  # re-run of a completed phase: no phase state changes
        result = runner(uow, PhaseJob(fid, import_id, phase, progress, token))
        uow.commit()
        return result


def run_data_cleansing(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    flow_id: uuid.UUID | str,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Cleanse the flow's import; returns the quality report."""
    return run_one_phase(uows, tenant, flow_id, "data_cleansing", progress=progress, cancel=cancel)


def run_asset_inventory(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    flow_id: uuid.UUID | str,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Create or update the engagement's assets from the flow's import; returns counts."""
    return run_one_phase(uows, tenant, flow_id, "asset_inventory", progress=progress, cancel=cancel)


def run_flow(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    flow_id: uuid.UUID | str,
    *,
    through: str = "asset_inventory",
    rerun: bool = False,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> FlowRunResult:
    """Run the flow's pending phases headless, stopping after `through` (see module docstring).

    `rerun=True` also re-runs engine phases the flow has completed already.
    """
    if through not in PHASES:
        raise UserInputError(f"unknown phase {through!r}", hint=f"phases are {', '.join(PHASES)}")
    fid = uuid.UUID(str(flow_id))
    result = FlowRunResult(fid)
    with uows(tenant) as uow:
        import_id, current, completed = _import_of(uow, fid)
        pending = pending_mappings(uow, import_id)
    if pending:
        raise UserInputError(
            f"{len(pending)} column mapping(s) still pending review: {', '.join(pending[:10])}"
            + (" ..." if len(pending) > 10 else ""),
            hint="decide them in the mapping review, or from scripts: `migration-discovery map accept"
            " FLOW_ID --min-confidence X`, then `migration-discovery map finish FLOW_ID --auto` to leave"
            " the rest unmapped",
            details={"pending_mappings": pending},
        )
    if current == "data_import":
        raise UserInputError(
            f"flow {fid} has not finished its data import",
            hint="import the file again: `migration-discovery import FILE --client NAME --engagement NAME`",
        )
    stop = PHASES.index(through)
    if current == "field_mapping" and stop >= PHASES.index("field_mapping"):
        from core.mapping_review import finish_mapping

        with uows(tenant) as uow:
            finish_mapping(uow, import_id)
            uow.commit()
        result.phases_run.append("field_mapping")
    for phase in PHASES[: stop + 1]:
        spec = REGISTRY[phase]
        if spec.completion != "engine":
            continue
        with uows(tenant) as uow:
            _iid, current, completed = _import_of(uow, fid)
        if phase in completed and current != phase and not rerun:
            continue
        if spec.runner is None:
            result.notes.append(f"stopped before {phase}: {spec.unavailable}")
            break
        outcome = run_one_phase(uows, tenant, fid, phase, progress=progress, cancel=cancel)
        result.summaries[phase] = summarise(phase, outcome)
        result.phases_run.append(phase)
    with uows(tenant) as uow:
        result.status = status_with_actions(uow, fid)
    return result
