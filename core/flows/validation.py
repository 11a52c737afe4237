"""The flow-state schema: a JSON snapshot of a flow row, and its validator.

The same snapshot is what checkpoints and the archive store, so "validated against the schema
of the state" means one pydantic model for the live row, checkpoints and recovery. Problems are
split into *structure* (required fields, types, JSON-serialisable) and *consistency* (flags,
`phases_completed`, `current_phase`, progress and status agree). A save may never introduce a
problem; a flow that was already inconsistent (old data) can still be repaired step by step.
"""

from __future__ import annotations

import json
import math
import uuid
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from core.db.models import FLOW_STATUSES, DiscoveryFlow
from core.flows.phases import COMPLETED, FLAG_FIELDS, PHASE_FLAG_MAP, PHASES, position, progress_for

SNAPSHOT_SCHEMA = 1
#: JSON columns of a flow that hold phase work; saved by `save_flow_state`, restored by recovery.
STATE_FIELDS: tuple[str, ...] = (
    "flow_state",
    "crew_outputs",
    "field_mappings",
    "discovered_assets",
    "dependencies",
    "tech_debt_analysis",
)
#: Columns callers may change through `save_flow_state` / `extra_updates`.
EDITABLE_FIELDS: frozenset[str] = frozenset({*STATE_FIELDS, "flow_name"})

Phase = Literal[
    "data_import",
    "field_mapping",
    "data_cleansing",
    "asset_inventory",
    "dependency_analysis",
    "tech_debt_assessment",
]
PhaseOrDone = Literal[
    "data_import",
    "field_mapping",
    "data_cleansing",
    "asset_inventory",
    "dependency_analysis",
    "tech_debt_assessment",
    "completed",
]
Status = Literal[
    "initializing", "running", "paused", "waiting_for_review", "failed", "recovered", "cancelled", "completed"
]
if set(get_args(Status)) != set(FLOW_STATUSES):  # the model's CHECK constraint is the reference
    raise RuntimeError("flow statuses of core.flows.validation and core.db.models differ")


class ErrorInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str
    phase: str | None = None
    details: dict[str, Any] | None = None


class Flags(BaseModel):
    """All six completion flags, each a real boolean."""

    model_config = ConfigDict(extra="forbid")

    data_import_completed: StrictBool
    field_mapping_completed: StrictBool
    data_cleansing_completed: StrictBool
    asset_inventory_completed: StrictBool
    dependency_analysis_completed: StrictBool
    tech_debt_assessment_completed: StrictBool


class FlowSnapshot(BaseModel):
    """Schema of a flow's state as stored in checkpoints and the archive."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1]
    flow_id: uuid.UUID
    version: StrictInt = Field(ge=1)
    flow_name: str = Field(min_length=1)
    status: Status
    current_phase: PhaseOrDone
    phases_completed: list[Phase]
    progress_percentage: float = Field(ge=0, le=100)
    flags: Flags
    flow_state: dict[str, Any]
    crew_outputs: dict[str, Any]
    field_mappings: dict[str, Any]
    discovered_assets: dict[str, Any]
    dependencies: dict[str, Any]
    tech_debt_analysis: dict[str, Any]
    error: ErrorInfo | None
    started_at: datetime | None
    completed_at: datetime | None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def snapshot_of(flow: DiscoveryFlow) -> dict[str, Any]:
    """The flow row as a plain dict (JSON-ready apart from whatever a caller put in the state)."""
    error = None
    if flow.error_message is not None or flow.error_phase is not None or flow.error_details is not None:
        error = {
            "message": flow.error_message or "",
            "phase": flow.error_phase,
            "details": flow.error_details,
        }
    return {
        "schema_version": SNAPSHOT_SCHEMA,
        "flow_id": str(flow.id),
        "version": flow.version,
        "flow_name": flow.flow_name,
        "status": flow.status,
        "current_phase": flow.current_phase,
        "phases_completed": flow.phases_completed,
        "progress_percentage": flow.progress_percentage,
        "flags": {flag: getattr(flow, flag) for flag in FLAG_FIELDS},
        **{name: getattr(flow, name) for name in STATE_FIELDS},
        "error": error,
        "started_at": _iso(flow.started_at),
        "completed_at": _iso(flow.completed_at),
    }


def _structure_problems(snapshot: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    try:
        FlowSnapshot.model_validate(snapshot)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            where = ".".join(str(p) for p in err["loc"]) or "state"
            problems.append(f"{where}: {err['msg']}")
    try:
        json.dumps(snapshot, allow_nan=False)
    except (TypeError, ValueError) as exc:
        problems.append(f"state is not JSON-serialisable: {exc}")
    return problems


def _consistency_problems(snapshot: dict[str, Any]) -> list[str]:
    flags = snapshot.get("flags")
    completed = snapshot.get("phases_completed")
    current = snapshot.get("current_phase")
    if not isinstance(flags, dict) or not isinstance(completed, list) or not isinstance(current, str):
        return []  # already reported as structure problems
    problems: list[str] = []
    done = [p for p in PHASES if flags.get(PHASE_FLAG_MAP[p]) is True]
    prefix = list(PHASES[: len(done)])
    if done != prefix:
        missing = next(p for p in PHASES if p not in done)
        problems.append(f"phases completed out of order: {', '.join(done)} done but {missing} is not")
    if len(set(map(str, completed))) != len(completed):
        problems.append("phases_completed lists a phase twice")
    if [p for p in completed if p in PHASE_FLAG_MAP] != done:
        problems.append(f"phases_completed {completed} disagrees with the completion flags ({done})")
    if current in completed:
        problems.append(f"current phase {current} is already marked as completed")
    try:
        if done == prefix and position(current) != len(done):
            problems.append(f"current phase {current} disagrees with the completion flags ({done})")
    except ValueError:
        pass  # unknown phase: a structure problem
    progress = snapshot.get("progress_percentage")
    if isinstance(progress, int | float) and not math.isclose(progress, progress_for(flags), abs_tol=0.05):
        problems.append(f"progress {progress} should be {progress_for(flags)}")
    status = snapshot.get("status")
    all_done = len(done) == len(PHASES)
    if all_done != (status == "completed"):
        problems.append(f"status {status} with {len(done)} of {len(PHASES)} phases completed")
    if all_done and current != COMPLETED:
        problems.append(f"all phases completed but current phase is {current}")
    if (status == "completed") != (snapshot.get("completed_at") is not None):
        problems.append("completed_at must be set exactly when the flow is completed")
    return problems


def state_problems(snapshot: dict[str, Any]) -> list[str]:
    """Every structure and consistency problem of a snapshot (empty when valid)."""
    return _structure_problems(snapshot) + _consistency_problems(snapshot)


def is_valid_snapshot(snapshot: object) -> bool:
    return isinstance(snapshot, dict) and not state_problems(snapshot)


def new_problems(before: list[str], after: list[str]) -> list[str]:
    """Problems a change introduced (old, already-present ones are tolerated so repairs can run)."""
    known = set(before)
    return [p for p in after if p not in known]


_PROBLEM_TYPES = (
    ("out of order", "flags_out_of_order"),
    ("phases_completed", "phases_completed_mismatch"),
    ("current phase", "current_phase_mismatch"),
    ("all phases completed", "current_phase_mismatch"),
    ("progress", "progress_mismatch"),
    ("status", "status_mismatch"),
    ("completed_at", "completed_at_mismatch"),
    ("JSON", "not_serialisable"),
)


def problem_type(problem: str) -> str:
    """A short metric label for a problem message."""
    for needle, label in _PROBLEM_TYPES:
        if needle in problem:
            return label
    return "invalid_structure"
