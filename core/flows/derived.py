"""Write-through of derived flags: persist the flag that the stored data already implies.

Only what can be derived cheaply is checked here (an import with raw records means
`data_import_completed`); the full inference over all phases is reconciliation's job. This is a write,
so reads never call it (`flow_status` reports the row as stored): the `correct_derived_flags` use case
(`core.actions.flows`) does, and reconciliation repairs the same lag among the others. The correction
goes through `advance_phase`, never around it, and is committed by the caller.
"""

from __future__ import annotations

import uuid

from sqlalchemy.exc import DBAPIError

from core.flows import metrics
from core.flows.artefacts import import_evidence
from core.flows.errors import FlowNotFoundError, FlowReadOnlyError, FlowStateError
from core.flows.phases import ADVANCEABLE_STATUSES, PHASE_FLAG_MAP, PHASES, next_phase
from core.flows.store import load_flow, log
from core.flows.transitions import PhaseTransitionResult, advance_phase
from core.uow import UnitOfWork


def refresh_derived_flags(uow: UnitOfWork, flow_id: uuid.UUID | str) -> PhaseTransitionResult | None:
    """Correct a stale `data_import_completed` (not committed); None when there is nothing to correct.

    A consultant who may only read the engagement (viewer) gets `FlowReadOnlyError`.
    """
    flow = load_flow(uow, flow_id)
    phase = PHASES[0]
    if (
        flow.data_import_completed
        or flow.current_phase != phase
        or flow.status not in ADVANCEABLE_STATUSES
        or flow.error_message is not None
    ):
        return None
    evidence = import_evidence(uow, flow)
    if not evidence.present:
        return None
    metrics.CONSISTENCY_VIOLATIONS.labels(type="stale_flag").inc()
    try:
        return advance_phase(
            uow,
            flow.id,
            next_phase(phase),
            set_status="waiting_for_review",
            reason=f"write-through: {evidence.reason}",
        )
    except (FlowStateError, FlowNotFoundError, FlowReadOnlyError, DBAPIError) as exc:
        metrics.FLAG_UPDATES.labels(flag=PHASE_FLAG_MAP[phase], result="failed").inc()
        log.warning("could not persist the derived flag of flow %s: %s", flow.id, exc)
        raise
