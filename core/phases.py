"""The discovery phase state machine: canonical order, completion flags, progress, statuses.

Everything that reasons about "where a flow is" derives from these tables, so the six flags,
`current_phase`, `phases_completed` and `progress_percentage` have exactly one definition.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ADVANCEABLE_STATUSES",
    "COMPLETED",
    "FLAG_FIELDS",
    "MASTER_STAGES",
    "MASTER_STAGE_COMMANDS",
    "PHASES",
    "PHASE_FLAG_MAP",
    "PROTECTED_FIELDS",
    "SETTABLE_ON_ADVANCE",
    "STATUS_TRANSITIONS",
    "TERMINAL_STATUSES",
    "is_phase",
    "next_phase",
    "phase_at",
    "position",
    "progress_for",
]

PHASES: Final[tuple[str, ...]] = (
    "data_import",
    "field_mapping",
    "data_cleansing",
    "asset_inventory",
    "dependency_analysis",
    "tech_debt_assessment",
)

#: The master flow's stages: the discovery flows of its imports, then the engagement's 6R
#: assessment, then its wave plan. Assessment and planning work on the whole engagement, so one run
#: completes that stage of every master flow whose discovery is complete (`core.flows.master`).
MASTER_STAGES: Final[tuple[str, ...]] = ("discovery", "assessment", "planning")
#: The CLI command that does each stage's work (named in reasons and hints).
MASTER_STAGE_COMMANDS: Final[dict[str, str]] = {
    "discovery": "flow run FLOW_ID",
    "assessment": "plan sixr",
    "planning": "plan waves",
}

#: Terminal pseudo-phase: `current_phase` once the last phase is complete.
COMPLETED: Final = "completed"

#: Each phase and the boolean column that records its completion.
PHASE_FLAG_MAP: Final[dict[str, str]] = {phase: f"{phase}_completed" for phase in PHASES}
FLAG_FIELDS: Final[tuple[str, ...]] = tuple(PHASE_FLAG_MAP.values())

#: Columns only `core.flows` may write (a test scans the code base for other writers).
PROTECTED_FIELDS: Final[tuple[str, ...]] = (
    *FLAG_FIELDS,
    "current_phase",
    "phases_completed",
    "progress_percentage",
    "status",
    "completed_at",
    "error_message",
    "error_phase",
    "error_details",
)

#: Statuses from which a phase may be advanced (paused/failed/cancelled/completed may not).
ADVANCEABLE_STATUSES: Final[frozenset[str]] = frozenset(
    {"initializing", "running", "waiting_for_review", "recovered"}
)
#: Statuses a caller may request while advancing (`set_status=`); the rest have their own paths.
SETTABLE_ON_ADVANCE: Final[frozenset[str]] = frozenset({"running", "waiting_for_review"})
TERMINAL_STATUSES: Final[frozenset[str]] = frozenset({"completed", "cancelled"})

#: Lifecycle changes outside phase advance: pause, resume, cancel, fail, recover.
STATUS_TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    "pause": frozenset({"initializing", "running", "waiting_for_review", "recovered"}),
    "resume": frozenset({"paused"}),
    "cancel": frozenset({"initializing", "running", "paused", "waiting_for_review", "failed", "recovered"}),
    "fail": frozenset({"initializing", "running", "waiting_for_review", "recovered", "failed"}),
    "start_phase": frozenset({"initializing", "running", "waiting_for_review", "recovered", "failed"}),
    # a phase failing while the flow was paused/cancelled/completed keeps that status, records the error
    "record_error": frozenset({"paused", "cancelled", "completed"}),
}


def position(phase: str) -> int:
    """Index of a phase in the canonical order; `completed` is one past the last phase."""
    if phase == COMPLETED:
        return len(PHASES)
    try:
        return PHASES.index(phase)
    except ValueError:
        raise ValueError(f"unknown phase {phase!r}; phases are {', '.join(PHASES)} and {COMPLETED}") from None


def phase_at(index: int) -> str:
    """Inverse of `position`."""
    return COMPLETED if index >= len(PHASES) else PHASES[index]


def next_phase(phase: str) -> str:
    """The phase after `phase` (`completed` after the last one)."""
    return phase_at(position(phase) + 1)


def is_phase(name: str) -> bool:
    return name in PHASE_FLAG_MAP or name == COMPLETED


def progress_for(flags: dict[str, bool]) -> float:
    """Percentage of completed phases, rounded to one decimal (the only progress formula)."""
    done = sum(1 for phase in PHASES if flags.get(PHASE_FLAG_MAP[phase]))
    return round(100.0 * done / len(PHASES), 1)
