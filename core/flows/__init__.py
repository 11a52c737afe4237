"""Discovery flow state: PostgreSQL is the single source of truth, `core.flows` its only writer.

Modules: `phases` (order, `PHASE_FLAG_MAP`, progress formula, status machine), `transitions`
(`create_discovery_flow`, `advance_phase`, `complete_phase`, `mark_import_completed`), `state`
(`save_flow_state`, optimistic locking), `lifecycle` (pause/resume/cancel), `error_wrapper`
(`run_phase`), `recovery` (`recover_flow`), `validation` (snapshot schema), `derived` and
`reconcile` (flags inferred from artefacts), `retention` (clean-up), `status` (`flow_status`,
`flow_timeline`, `locate_flow`), `metrics` (Prometheus, structured logs), `store` (row access).

Rules the rest of the code relies on:
- Only `core.flows` writes the six flags, `current_phase`, `phases_completed`,
  `progress_percentage`, `status`, `completed_at` and the error fields (a test scans for others).
- The last phase completes with `advance_phase(uow, id, "completed")` or, equivalently,
  `complete_phase(uow, id, "tech_debt_assessment")`: `current_phase` becomes `completed`,
  status `completed`, `completed_at` set. Both go through the same internal `_transition`.
- `advance_phase(..., commit=True)` commits its own transaction; `commit=False` flushes inside the
  caller's open transaction (the import pipeline's rows and `mark_import_completed` commit
  together; `mark_import_completed` never commits). `create_discovery_flow` never commits.
- Every committed write of a flow produces exactly one `flow_events` row carrying the version it
  produced, and every phase transition a `flow_checkpoints` snapshot.
- `flow_status` may commit a write-through correction (pass `write_through=False` inside a
  larger transaction of your own).
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
from core.flows.lifecycle import StatusChange, cancel_flow, pause_flow, resume_flow
from core.flows.phases import COMPLETED, PHASE_FLAG_MAP, PHASES
from core.flows.recovery import RecoveryResult, recover_flow
from core.flows.state import save_flow_state
from core.flows.status import flow_status, flow_timeline, locate_flow
from core.flows.transitions import (
    PhaseTransitionResult,
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
    "cancel_flow",
    "complete_phase",
    "create_discovery_flow",
    "flow_status",
    "flow_timeline",
    "locate_flow",
    "mark_import_completed",
    "pause_flow",
    "recover_flow",
    "resume_flow",
    "run_phase",
    "save_flow_state",
]
