"""The phase registry: what each discovery phase is, how it completes and which engine runs it.

Why one registry: `flow run`, the timeline's buttons and the status rules all read it, so a phase
that gains an engine (dependency analysis, tech debt) is added here once and every front end
offers it. The phase *order* stays defined once, in `core.flows.phases.PHASES`; this module adds
what the order cannot say. A phase without an engine says so here (`unavailable`), and every
front end shows that sentence instead of a greyed-out button.

A runner does the phase's work inside the unit of work it is given and never commits:
`runner(uow, PhaseJob) -> summary dict`. `core.pipeline.run` wraps it in `core.flows.run_phase`,
so the work and the phase advance commit together and a failure is recorded on the flow.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

from core.analysis.connections import store_connections
from core.analysis.dependencies import analyse_engagement
from core.analysis.techdebt import assess_engagement
from core.changes import OpChanges, ids
from core.cleansing.service import cleanse_import
from core.db.models import DataImport
from core.flows.phases import PHASES
from core.inventory.service import build_inventory
from core.mapping.kind import import_kind
from core.progress import CancelToken, Progress, ProgressFn
from core.uow import UnitOfWork

Completion = Literal["import", "review", "engine"]
"""How a phase completes: when its import finishes, when the consultant finishes a review, or by
running its engine."""


@dataclass(frozen=True)
class PhaseJob:
    """What a runner gets: the flow and its import, and the one progress/cancel protocol."""

    flow_id: uuid.UUID
    import_id: uuid.UUID
    phase: str
    progress: ProgressFn | None
    cancel: CancelToken

    def report(self, done: int, total: int | None, *, unit: str = "records") -> None:
        """Tell the caller how far the phase is (and stop here if it was cancelled)."""
        self.cancel.raise_if_cancelled("cancelled by the user; nothing of this run was kept")
        if self.progress is not None:
            self.progress(Progress(stage=self.phase, done=done, total=total, unit=unit))


PhaseRunner = Callable[[UnitOfWork, PhaseJob], dict[str, Any]]


@dataclass(frozen=True)
class PhaseSpec:
    """One discovery phase as the front ends need it."""

    name: str
    title: str
    completion: Completion
    runner: PhaseRunner | None = None
    unavailable: str | None = None
    """Why the phase cannot be run from the app (None when it can, or when it completes otherwise)."""
    summary_keys: tuple[str, ...] = ()
    """The summary fields `flow run` prints (all when empty)."""

    @property
    def runnable(self) -> bool:
        return self.runner is not None


def _cleansing(uow: UnitOfWork, job: PhaseJob) -> dict[str, Any]:
    report = cleanse_import(
        uow,
        job.import_id,
        flow_id=job.flow_id,
        progress=job.progress,
        cancel=job.cancel,
    )
    uow.note(OpChanges(imports=True, import_ids=ids(job.import_id)))  # cleansed records, quality report
    return report


def _inventory(uow: UnitOfWork, job: PhaseJob) -> dict[str, Any]:
    """Assets from an inventory; `asset_dependencies` from a connection export (core.analysis)."""
    imp = uow.session.get(DataImport, job.import_id)
    if imp is not None and import_kind(imp.import_metadata) == "connections":
        summary = store_connections(
            uow, job.import_id, flow_id=job.flow_id, progress=job.progress, cancel=job.cancel
        )
        uow.note(OpChanges(imports=True, analysis=True, import_ids=ids(job.import_id)))
        return summary
    summary = build_inventory(
        uow,
        job.import_id,
        flow_id=job.flow_id,
        progress=job.progress,
        cancel=job.cancel,
    )
    uow.note(OpChanges(imports=True, assets=True, import_ids=ids(job.import_id)))
    return summary


def _dependencies(uow: UnitOfWork, job: PhaseJob) -> dict[str, Any]:
    """Engagement-wide: infrastructure services and move groups (core.analysis.dependencies)."""
    return analyse_engagement(uow, flow_id=job.flow_id, progress=job.progress, cancel=job.cancel)


def _tech_debt(uow: UnitOfWork, job: PhaseJob) -> dict[str, Any]:
    """Engagement-wide: every asset's OS and database against the lifecycle table (core.analysis)."""
    return assess_engagement(uow, flow_id=job.flow_id, progress=job.progress, cancel=job.cancel)


_NO_ENGINE = "{title} has no engine in this version yet, so it cannot be run"

REGISTRY: Final[dict[str, PhaseSpec]] = {
    spec.name: spec
    for spec in (
        PhaseSpec("data_import", "Data import", "import"),
        PhaseSpec("field_mapping", "Field mapping", "review"),
        PhaseSpec(
            "data_cleansing",
            "Data cleansing",
            "engine",
            _cleansing,
            summary_keys=("total_records", "valid_records", "invalid_records", "invalid_by_rule"),
        ),
        PhaseSpec("asset_inventory", "Asset inventory", "engine", _inventory),
        PhaseSpec(
            "dependency_analysis",
            "Dependency analysis",
            "engine",
            _dependencies,
            summary_keys=("connections", "groups", "infrastructure", "unresolved_endpoints", "notes"),
        ),
        PhaseSpec(
            "tech_debt_assessment",
            "Tech debt assessment",
            "engine",
            _tech_debt,
            summary_keys=("as_of", "assets", "findings", "by_status", "rightsizing"),
        ),
    )
}
assert tuple(REGISTRY) == PHASES, "the registry must describe exactly the phases of core.flows.phases"


def phase_spec(name: str) -> PhaseSpec:
    """The registry entry of a phase (ValueError naming the phases for an unknown name)."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown phase {name!r}; phases are {', '.join(PHASES)}") from None


def title(name: str) -> str:
    """A phase's display name ("Data cleansing"); `completed` reads "Completed"."""
    spec = REGISTRY.get(name)
    return spec.title if spec else name.replace("_", " ").capitalize()


def summarise(phase: str, outcome: dict[str, Any]) -> dict[str, Any]:
    """The part of a runner's result that `flow run` reports."""
    spec = phase_spec(phase)
    if phase == "data_cleansing":
        picked = {k: outcome.get(k) for k in spec.summary_keys}
        return picked | {"duplicate_candidates": (outcome.get("duplicate_candidates") or {}).get("groups", 0)}
    return {k: outcome.get(k) for k in spec.summary_keys} if spec.summary_keys else outcome
