"""Which flow actions are allowed now, and why not when they are not.

Why here: the timeline's buttons, `flow status --json` (its `actions` key) and `flow run` all ask
the same question; answering it once, from the registry and the status rules of
`core.flows.phases`, means a greyed-out button and a refused command give the same reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from core.flows.phases import ADVANCEABLE_STATUSES, COMPLETED, PHASE_FLAG_MAP, STATUS_TRANSITIONS
from core.flows.transitions import REOPENED_PHASE, reopen_refusal
from core.pipeline.registry import REGISTRY, title

FLOW_ACTIONS: Final[tuple[str, ...]] = (
    "run_next",
    "retry",
    "recover",
    "pause",
    "resume",
    "cancel",
    "reopen_mapping",
)
"""Every action on a flow a front end may offer (the one list)."""


@dataclass(frozen=True)
class ActionState:
    """Allowed, or not with the reason a consultant reads."""

    allowed: bool
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"allowed": self.allowed, "reason": self.reason}


_YES = ActionState(True)


def _no(reason: str) -> ActionState:
    return ActionState(False, reason)


def _run_next(status: str, phase: str, error_phase: str | None, pending_mappings: int | None) -> ActionState:
    if phase == COMPLETED or status == "completed":
        return _no("every phase of the flow is complete")
    if status == "cancelled":
        return _no("the flow was cancelled")
    if status == "paused":
        return _no("the flow is paused: resume it first")
    if status == "failed":
        return _no(f"{title(error_phase or phase)} failed: retry it, or recover the flow")
    if status not in ADVANCEABLE_STATUSES:
        return _no(f"the flow is {status.replace('_', ' ')}")
    spec = REGISTRY[phase]
    if spec.completion == "import":
        return _no("the data import has not finished: import the file again")
    if spec.completion == "review":
        if pending_mappings:
            return _no(
                f"{pending_mappings} column(s) still undecided: decide them in the mapping review,"
                " then finish it"
            )
        return _no("finish the mapping review to complete this phase")
    if spec.runner is None:
        return _no(spec.unavailable or f"{spec.title} cannot be run")
    return _YES


def _retry(status: str, error_phase: str | None) -> ActionState:
    if status != "failed" or not error_phase:
        return _no("nothing has failed")
    spec = REGISTRY.get(error_phase)
    if spec is None or spec.runner is None:
        if spec is not None and spec.unavailable:
            return _no(spec.unavailable)
        return _no(f"{title(error_phase)} cannot be re-run here")
    return _YES


def _reopen_mapping(status: str, flags: Any) -> ActionState:
    finished = isinstance(flags, dict) and bool(flags.get(PHASE_FLAG_MAP[REOPENED_PHASE]))
    refused = reopen_refusal(status, finished)
    return _YES if refused is None else _no(f"{refused[0]}: {refused[1]}")


def flow_actions(status: dict[str, Any], *, pending_mappings: int | None = None) -> dict[str, ActionState]:
    """The actions of `FLOW_ACTIONS` for a flow in this state (`core.flows.status.status_dict`'s shape)."""
    state = str(status.get("status") or "")
    phase = str(status.get("current_phase") or "")
    error = status.get("error") or {}
    error_phase = error.get("phase") if isinstance(error, dict) else None
    named = state.replace("_", " ")
    return {
        "run_next": _run_next(state, phase, error_phase, pending_mappings),
        "retry": _retry(state, error_phase),
        "recover": _YES if state == "failed" else _no("only a failed flow needs recovering"),
        "pause": _YES if state in STATUS_TRANSITIONS["pause"] else _no(f"a {named} flow cannot be paused"),
        "resume": _YES if state in STATUS_TRANSITIONS["resume"] else _no("the flow is not paused"),
        "cancel": _YES if state in STATUS_TRANSITIONS["cancel"] else _no(f"the flow is already {named}"),
        "reopen_mapping": _reopen_mapping(state, status.get("flags")),
    }
