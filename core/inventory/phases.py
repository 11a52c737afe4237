"""Running the data-cleansing and asset-inventory phases of a discovery flow.

A phase whose turn it is runs through `core.flows.run_phase`: the work and the phase advance
commit together, and a failure (including `OperationCancelled`) is recorded on the flow in its
own transaction. A phase the flow has already completed can be *re-run* (after a mapping change):
the work runs in its own transaction and the flow's phase state is not touched.

`run_flow` is what `migration-discovery flow run` calls: it refuses while mappings are pending,
finishes the mapping phase when every column is decided, then runs the pending phases up to
`through`. Phases after asset_inventory have no engine yet; asking for them stops after
asset_inventory with a note saying so.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.bootstrap import Core
from core.cleansing.service import Cancel, cleanse_import, pending_mappings
from core.errors import UserInputError
from core.flows import PHASES, PhaseProgress, flow_status, run_phase
from core.flows.store import load_flow
from core.inventory.service import build_inventory
from core.uow import Tenant, UnitOfWork

#: phase, records done, records in all
FlowProgress = Callable[[str, int, int], None]
#: the phases this package runs
ENGINES = ("data_cleansing", "asset_inventory")


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
        raise UserInputError(f"flow {flow.id} has no data import", hint="import a file first")
    return flow.data_import_id, flow.current_phase, list(flow.phases_completed or [])


def _run(
    core: Core,
    tenant: Tenant,
    flow_id: uuid.UUID,
    phase: str,
    work: Callable[[UnitOfWork, uuid.UUID, Callable[[int, int], None]], dict[str, Any]],
    progress: FlowProgress | None,
) -> dict[str, Any]:
    with core.uow(tenant) as uow:
        import_id, current, _done = _import_of(uow, flow_id)

    def report(done: int, total: int) -> None:
        if progress is not None:
            progress(phase, done, total)

    if current == phase:

        def phase_work(uow: UnitOfWork, state: PhaseProgress) -> dict[str, Any]:
            def tracked(done: int, total: int) -> None:
                state.total, state.processed = total, done
                report(done, total)

            return work(uow, import_id, tracked)

        return run_phase(core, tenant, flow_id, phase, phase_work)
    with core.uow(tenant) as uow:  # re-run of a completed phase: no phase state changes
        result = work(uow, import_id, report)
        uow.commit()
        return result


def run_data_cleansing(
    core: Core,
    tenant: Tenant,
    flow_id: uuid.UUID,
    *,
    progress: FlowProgress | None = None,
    cancel: Cancel = None,
) -> dict[str, Any]:
    """Cleanse the flow's import; returns the quality report."""

    def work(uow: UnitOfWork, import_id: uuid.UUID, report: Callable[[int, int], None]) -> dict[str, Any]:
        return cleanse_import(uow, import_id, flow_id=flow_id, progress=report, cancel=cancel)

    return _run(core, tenant, flow_id, "data_cleansing", work, progress)


def run_asset_inventory(
    core: Core,
    tenant: Tenant,
    flow_id: uuid.UUID,
    *,
    progress: FlowProgress | None = None,
    cancel: Cancel = None,
) -> dict[str, Any]:
    """Create or update the engagement's assets from the flow's import; returns counts."""

    def work(uow: UnitOfWork, import_id: uuid.UUID, report: Callable[[int, int], None]) -> dict[str, Any]:
        return build_inventory(uow, import_id, flow_id=flow_id, progress=report, cancel=cancel)

    return _run(core, tenant, flow_id, "asset_inventory", work, progress)


def run_flow(
    core: Core,
    tenant: Tenant,
    flow_id: uuid.UUID | str,
    *,
    through: str = "asset_inventory",
    rerun: bool = False,
    progress: FlowProgress | None = None,
    cancel: Cancel = None,
) -> FlowRunResult:
    """Run the flow's pending phases headless, stopping after `through` (see module docstring).

    `rerun=True` also re-runs cleansing and inventory when the flow has completed them already.
    """
    if through not in PHASES:
        raise UserInputError(f"unknown phase {through!r}", hint=f"phases are {', '.join(PHASES)}")
    fid = uuid.UUID(str(flow_id))
    result = FlowRunResult(fid)
    with core.uow(tenant) as uow:
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
        raise UserInputError(f"flow {fid} has not finished its data import", hint="import the file again")
    if current == "field_mapping" and PHASES.index(through) >= PHASES.index("field_mapping"):
        from core.mapping_review import finish_mapping

        with core.uow(tenant) as uow:
            finish_mapping(uow, import_id)
        result.phases_run.append("field_mapping")
    stop = PHASES.index(through)
    for phase, runner in (("data_cleansing", run_data_cleansing), ("asset_inventory", run_asset_inventory)):
        if PHASES.index(phase) > stop:
            break
        with core.uow(tenant) as uow:
            _iid, current, completed = _import_of(uow, fid)
        if phase in completed and current != phase and not rerun:
            continue
        result.summaries[phase] = _summary(phase, runner(core, tenant, fid, progress=progress, cancel=cancel))
        result.phases_run.append(phase)
    if stop > PHASES.index("asset_inventory"):
        missing = ", ".join(PHASES[PHASES.index("asset_inventory") + 1 : stop + 1])
        result.notes.append(
            f"stopped after asset_inventory: {missing} has no engine in this version yet, so it was not run"
        )
    with core.uow(tenant) as uow:
        result.status = flow_status(uow, fid)
        uow.commit()
    return result


def _summary(phase: str, outcome: dict[str, Any]) -> dict[str, Any]:
    if phase == "data_cleansing":
        keys = ("total_records", "valid_records", "invalid_records", "invalid_by_rule")
        return {k: outcome.get(k) for k in keys} | {
            "duplicate_candidates": (outcome.get("duplicate_candidates") or {}).get("groups", 0)
        }
    return outcome
