"""The mapping grid's row value, adapted from whatever the core's `mapping_rows` returns.

Why an adapter: the grid, delegates and undo commands work on one small frozen value, and the
core's row type can grow fields without touching the GUI.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

PENDING_STATUSES = frozenset({"suggested"})
DECIDED_STATUSES = frozenset({"approved", "rejected", "modified"})


@dataclass(frozen=True)
class Conflict:
    """Someone else decided first: what is stored now, by whom, when (shown inline, never overwritten)."""

    status: str
    target_field: str | None
    version: int
    decided_by: str | None
    decided_at: datetime | None
    text: str


@dataclass(frozen=True)
class ReviewRow:
    mapping_id: uuid.UUID
    source_field: str
    position: int
    samples: tuple[str, ...]
    target_field: str | None
    confidence: float
    match_type: str
    explanation: str
    status: str
    version: int
    rules: dict[str, Any] | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    suggested_target: str | None = None
    target_description: str | None = None
    target_unit: str | None = None
    target_type: str | None = None
    conflict: Conflict | None = field(default=None, compare=False)

    @property
    def pending(self) -> bool:
        return self.status in PENDING_STATUSES

    @property
    def unmapped(self) -> bool:
        return self.target_field is None or self.status == "rejected"

    def with_conflict(self, conflict: Conflict | None) -> ReviewRow:
        return replace(self, conflict=conflict)


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value is not None:
            return value
    return default


def row_from_core(obj: Any) -> ReviewRow:
    """Build a `ReviewRow` from a core mapping row (dataclass, dict or ORM-like object)."""
    samples = _get(obj, "samples", "sample_values", default=()) or ()
    rules = _get(obj, "transformation_rules", "rules")
    suggestion = _get(obj, "suggestion")
    suggested = _get(obj, "suggested_target", "suggested_target_field")
    if suggested is None and isinstance(suggestion, dict):
        suggested = suggestion.get("target_field")
    return ReviewRow(
        mapping_id=_get(obj, "mapping_id", "id"),
        source_field=str(_get(obj, "source_field", default="")),
        position=int(_get(obj, "source_position", "position", default=0)),
        samples=tuple("" if s is None else str(s) for s in samples),
        target_field=_get(obj, "target_field"),
        confidence=float(_get(obj, "confidence", "confidence_score", default=0.0)),
        match_type=str(_get(obj, "match_type", default="none")),
        explanation=str(_get(obj, "explanation", default="") or ""),
        status=str(_get(obj, "status", default="suggested")),
        version=int(_get(obj, "version", default=1)),
        rules=dict(rules) if isinstance(rules, dict) else None,
        decided_by=_get(obj, "decided_by", "approved_by", "actor"),
        decided_at=_get(obj, "decided_at", "approved_at"),
        suggested_target=suggested,
        target_description=_get(obj, "target_description"),
        target_unit=_get(obj, "target_unit"),
        target_type=_get(obj, "target_type"),
    )


def conflict_from_core(snapshot: Any) -> Conflict:
    """From the core's `MappingConflictError.current` (a `DecisionSnapshot`)."""
    describe = getattr(snapshot, "describe", None)
    text = describe() if callable(describe) else str(snapshot)
    return Conflict(
        status=str(_get(snapshot, "status", default="")),
        target_field=_get(snapshot, "target_field"),
        version=int(_get(snapshot, "version", default=0)),
        decided_by=_get(snapshot, "decided_by"),
        decided_at=_get(snapshot, "decided_at"),
        text=text,
    )
