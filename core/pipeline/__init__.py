"""The discovery pipeline: the phase registry, which actions are allowed, and running phases.

`registry` says what each phase is and which engine runs it; `availability` which flow actions are
allowed now and why not; `status` the read models with those actions; `run` runs one phase or a
whole flow. A new phase plugs in by adding its runner to `registry.REGISTRY`.
"""

from core.pipeline.availability import FLOW_ACTIONS, ActionState, flow_actions
from core.pipeline.registry import REGISTRY, PhaseJob, PhaseSpec, phase_spec, title
from core.pipeline.run import FlowRunResult, run_asset_inventory, run_data_cleansing, run_flow, run_one_phase
from core.pipeline.status import flow_status, flow_timeline, status_with_actions

__all__ = [
    "FLOW_ACTIONS",
    "REGISTRY",
    "ActionState",
    "FlowRunResult",
    "PhaseJob",
    "PhaseSpec",
    "flow_actions",
    "flow_status",
    "flow_timeline",
    "phase_spec",
    "run_asset_inventory",
    "run_data_cleansing",
    "run_flow",
    "run_one_phase",
    "status_with_actions",
    "title",
]
