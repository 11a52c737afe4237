"""Phase-run use cases: run one discovery phase, or a flow's pending phases, saying what changed.

A phase run commits in steps (the phase starts, the work and the advance, or the failure record), so
these use a recording unit-of-work factory and return the merged changes of every commit. A failed
run raises as before, with what it committed attached (`core.changes.changes_of_failure`).
"""

from __future__ import annotations

import uuid
from typing import Any

from core.actions.outcome import Outcome
from core.changes import attach
from core.pipeline import run as pipeline
from core.progress import CancelToken, ProgressFn
from core.uow import Tenant, UnitOfWorkFactory


def run_phase(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    flow_id: uuid.UUID | str,
    phase: str,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> Outcome[dict[str, Any]]:
    """Run (or re-run) one phase with its registry engine (the timeline's "Run …" and "Retry")."""
    recorder = uows.recording()
    try:
        value = pipeline.run_one_phase(recorder, tenant, flow_id, phase, progress=progress, cancel=cancel)
    except BaseException as exc:
        attach(exc, recorder.changes)
        raise
    return Outcome(value, recorder.changes)


def run_flow(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    flow_id: uuid.UUID | str,
    *,
    through: str = "asset_inventory",
    rerun: bool = False,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> Outcome[pipeline.FlowRunResult]:
    """`flow run`: the flow's pending phases up to `through` (see `core.pipeline.run.run_flow`)."""
    recorder = uows.recording()
    try:
        value = pipeline.run_flow(
            recorder, tenant, flow_id, through=through, rerun=rerun, progress=progress, cancel=cancel
        )
    except BaseException as exc:
        attach(exc, recorder.changes)
        raise
    return Outcome(value, recorder.changes)
