"""Running phase work so that a failure is recorded durably and classified.

`run_phase` runs the work in one transaction; on success it completes the phase through
`complete_phase` in that same transaction (work results and flag commit together). On failure the
work's transaction rolls back, and the error — message, phase, class, recovery hint and counts of
what had been processed — is written in a *separate* transaction, so it survives that rollback.
Partial progress reported by the work (`PhaseProgress.state`) is kept in
`flow_state["partial_progress"][phase]` and handed back to the next attempt.

`run_phase` and `record_failure` are use cases themselves (they commit in steps: start, work, failure
record), so they take the unit-of-work factory; the helpers they call never commit.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from core.errors import MigrationDiscoveryError, OperationCancelled, UserInputError
from core.flows import metrics
from core.flows.errors import ConcurrentModificationError, InvalidTransitionError
from core.flows.phases import PHASE_FLAG_MAP, STATUS_TRANSITIONS
from core.flows.store import after_commit, load_flow, log
from core.flows.transitions import apply_status, complete_phase
from core.uow import Tenant, UnitOfWork, UnitOfWorkFactory

T = TypeVar("T")
ErrorClass = Literal["retryable", "non_retryable", "partial"]
MAX_MESSAGE = 2000


@dataclass
class PhaseProgress:
    """What the phase work has done so far; `state` is a JSON-serialisable resume position."""

    total: int | None = None
    processed: int = 0
    failed: int = 0
    state: dict[str, Any] = field(default_factory=dict)
    resumed_from: dict[str, Any] | None = None

    def counts(self) -> dict[str, int | None]:
        return {"total": self.total, "processed": self.processed, "failed": self.failed}


class PhaseError(MigrationDiscoveryError):
    """Raised by phase work that knows how its failure should be classified."""

    def __init__(
        self,
        message: str,
        *,
        error_code: str = "phase_failed",
        error_class: ErrorClass = "non_retryable",
        recovery_hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.error_class: ErrorClass = error_class
        self.recovery_hint = recovery_hint


_TRANSIENT = (OperationalError, InterfaceError, PoolTimeoutError, ConnectionError, TimeoutError)


def classify(exc: BaseException, progress: PhaseProgress) -> dict[str, Any]:
    """error_code, class (retryable / non_retryable / partial) and a hint a consultant can act on."""
    if isinstance(exc, PhaseError):
        code, cls, hint = exc.error_code, exc.error_class, exc.recovery_hint
    elif isinstance(exc, OperationCancelled):
        code, cls, hint = "cancelled", "retryable", "run the phase again when ready"
    elif isinstance(exc, ConcurrentModificationError):
        code, cls, hint = (
            "concurrent_modification",
            "retryable",
            "someone changed the flow; run the phase again",
        )
    elif isinstance(exc, _TRANSIENT) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        code, cls, hint = "transient_failure", "retryable", "check the database connection and retry"
    elif isinstance(exc, UserInputError | ValueError | InvalidTransitionError):
        code, cls, hint = (
            "invalid_data",
            "non_retryable",
            "fix the input data or mappings, then recover the flow",
        )
    else:
        code, cls, hint = (
            "unexpected_error",
            "non_retryable",
            "see the log for details; recover the flow to retry",
        )
    if progress.processed > 0 and cls != "retryable" and not isinstance(exc, PhaseError):
        cls = "partial"
        hint = f"{progress.processed} item(s) were processed before the failure; " + hint
    return {"error_code": code, "error_class": cls, "recovery_hint": hint}


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def record_failure(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    flow_id: uuid.UUID | str,
    phase: str,
    exc: BaseException,
    progress: PhaseProgress,
) -> dict[str, Any]:
    """Persist the failure in its own transaction; the flow becomes `failed` where allowed."""
    details = {
        **classify(exc, progress),
        "exception_type": type(exc).__name__,
        "counts": progress.counts(),
        "partial_state": _json_safe(progress.state),
        "occurred_at": datetime.now(UTC).isoformat(),
    }
    message = (str(exc) or type(exc).__name__)[:MAX_MESSAGE]
    with uows(tenant) as uow:
        flow = load_flow(uow, flow_id, lock=True)
        state = dict(flow.flow_state) if isinstance(flow.flow_state, dict) else {}
        partial = dict(state.get("partial_progress") or {})
        partial[phase] = {
            **progress.counts(),
            "state": details["partial_state"],
            "at": details["occurred_at"],
        }
        state["partial_progress"] = partial
        updates = {
            "error_message": message,
            "error_phase": phase,
            "error_details": details,
            "flow_state": state,
        }
        new_status = "failed" if flow.status in STATUS_TRANSITIONS["fail"] else flow.status
        apply_status(
            uow,
            flow,
            "fail" if new_status == "failed" else "record_error",
            new_status,
            event_type="phase_failed",
            phase=phase,
            data={"message": message, **details},
            field_updates=updates,
        )
        after_commit(
            uow.session,
            lambda: metrics.PHASE_TRANSITIONS.labels(phase=phase, outcome="failed").inc(),
        )
        uow.commit()
    return details


def run_phase(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    flow_id: uuid.UUID | str,
    phase: str,
    work: Callable[[UnitOfWork, PhaseProgress], T],
    *,
    complete: bool = True,
    set_status: str | None = None,
) -> T:
    """Run `work(uow, progress)` for the flow's current `phase`; see the module docstring."""
    if phase not in PHASE_FLAG_MAP:
        raise ValueError(f"unknown phase {phase!r}")
    progress = PhaseProgress()
    with uows(tenant) as uow:
        flow = load_flow(uow, flow_id, lock=True)
        if flow.current_phase != phase:
            raise InvalidTransitionError(
                flow.id, flow.current_phase, phase, f"the flow is at {flow.current_phase}, not {phase}"
            )
        prior = (
            (flow.flow_state or {}).get("partial_progress", {}) if isinstance(flow.flow_state, dict) else {}
        )
        if isinstance(prior, dict) and isinstance(prior.get(phase), dict):
            progress.resumed_from = prior[phase]
            progress.state = dict(prior[phase].get("state") or {})
        apply_status(
            uow,
            flow,
            "start_phase",
            "running",
            event_type="phase_started",
            phase=phase,
            data={"retry": flow.status == "failed"},
        )
        uow.commit()
    try:
        with uows(tenant) as uow:
            result = work(uow, progress)
            if complete:
                complete_phase(
                    uow,
                    flow_id,
                    phase,
                    set_status=set_status,
                    event_data={"counts": progress.counts()},
                    reason="phase work finished",
                )
            uow.commit()
            return result
    except Exception as exc:
        try:
            record_failure(uows, tenant, flow_id, phase, exc, progress)
        except Exception:  # never hide the original failure behind a failure to record it
            log.exception("could not record the failure of phase %s of flow %s", phase, flow_id)
        raise
