"""Discovery flow state: PostgreSQL is the single source of truth, `core.flows` its only writer.

Modules: `phases` (order, `PHASE_FLAG_MAP`, progress formula, status machine), `transitions`
(the one writer: `create_discovery_flow`, `advance_phase`, `complete_phase`, `mark_import_completed`,
`apply_status`, `restore_phase_state`), `state` (`save_flow_state`, optimistic locking), `lifecycle`
(`pause`/`resume`/`cancel`), `error_wrapper` (`run_phase`), `recovery` (`recover`), `validation`
(snapshot schema), `derived` and `reconcile` (flags inferred from artefacts), `retention` (clean-up),
`status` (`flow_status`, `flow_timeline`, `locate_flow`), `metrics` (Prometheus, structured logs),
`store` (row access, events).

Rules the rest of the code relies on:
- Only `core.flows.transitions` writes the six flags, `current_phase`, `phases_completed`,
  `progress_percentage`, `status`, `completed_at` and the error fields (a test scans for others,
  inside `core/flows/` too).
- The last phase completes with `advance_phase(uow, id, "completed")` or, equivalently,
  `complete_phase(uow, id, "tech_debt_assessment")`: `current_phase` becomes `completed`,
  status `completed`, `completed_at` set. Both go through the same internal `_transition`.
- Helpers never commit: they flush inside the caller's unit of work (the import pipeline's rows and
  `mark_import_completed` commit together) and note what they changed (`uow.note`, in
  `store.record_event`). The use cases in `core.actions.flows` commit; `run_phase`, `reconcile` and
  `cleanup_flows` are use cases themselves and commit in steps.
- Every committed write of a flow produces exactly one `flow_events` row carrying the version it
  produced, and every phase transition a `flow_checkpoints` snapshot.
- Reads never write: `flow_status` and `flow_timeline` report the row as stored.
- Flows are found only inside the tenant's engagement: another engagement's flow id raises
  `FlowNotFoundError` (CLI exit 2); a viewer's attempt to change one raises `FlowReadOnlyError`.
"""

from core.flows.error_wrapper import PhaseError, PhaseProgress, run_phase
from core.flows.errors import (
    ConcurrentModificationError,
    FlowNotFoundError,
    FlowReadOnlyError,
    FlowStateError,
    InvalidTransitionError,
    StateValidationError,
)
from core.flows.phases import COMPLETED, PHASE_FLAG_MAP, PHASES
from core.flows.recovery import RecoveryResult
from core.flows.state import save_flow_state
from core.flows.status import flow_status, flow_timeline, locate_flow
from core.flows.transitions import (
    PhaseTransitionResult,
    StatusChange,
    advance_phase,
    complete_phase,
    create_discovery_flow,
    mark_import_completed,
)

__all__ = [
    "COMPLETED",
    "PHASES",
    "PHASE_FLAG_MAP",
    "ConcurrentModificationError",
    "FlowNotFoundError",
    "FlowReadOnlyError",
    "FlowStateError",
    "InvalidTransitionError",
    "PhaseError",
    "PhaseProgress",
    "PhaseTransitionResult",
    "RecoveryResult",
    "StateValidationError",
    "StatusChange",
    "advance_phase",
    "complete_phase",
    "create_discovery_flow",
    "flow_status",
    "flow_timeline",
    "locate_flow",
    "mark_import_completed",
    "run_phase",
    "save_flow_state",
]
