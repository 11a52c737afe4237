"""The mapping grid's row value, adapted from whatever the core's `mapping_rows` returns.

Why an adapter: the grid, delegates and undo commands work on one small frozen value, and the
core's row type can grow fields without touching the GUI. What a row *shows* as its confidence and
reason follows its current decision (`shown_confidence`, `shown_reason`): the suggester's reason
is only true of the suggested target, so a changed or rejected row says who decided what instead.
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


AI_SUGGESTER = "ai_agent"
AI_MARK = "✦ AI"
"""How the grid marks an AI crew's suggestion (the Match column; its tooltip says more)."""


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
    alternatives: tuple[tuple[str, float], ...] = ()
    suggested_by: str = "rules"  # "ai_agent": an AI crew's suggestion (issue 16), shown as AI
    conflict: Conflict | None = field(default=None, compare=False)

    @property
    def pending(self) -> bool:
        return self.status in PENDING_STATUSES

    @property
    def unmapped(self) -> bool:
        return self.target_field is None or self.status == "rejected"

    @property
    def by_ai(self) -> bool:
        """The row shows an AI crew's suggestion (not a person's choice of another target)."""
        if self.suggested_by != AI_SUGGESTER or self.status == "rejected":
            return False
        return not (self.status == "modified" and self.target_field != self.suggested_target)

    @property
    def no_target(self) -> bool:
        """Pending, and the suggester found no target field for it (approving needs a choice)."""
        return self.pending and not self.target_field and not self.suggested_target

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
        explanation=_explanation(obj),
        status=str(_get(obj, "status", default="suggested")),
        version=int(_get(obj, "version", default=1)),
        rules=dict(rules) if isinstance(rules, dict) else None,
        decided_by=_get(obj, "decided_by", "approved_by", "actor"),
        decided_at=_get(obj, "decided_at", "approved_at"),
        suggested_target=suggested,
        target_description=_get(obj, "target_description"),
        target_unit=_get(obj, "target_unit"),
        target_type=_get(obj, "target_type"),
        alternatives=_alternatives(_get(obj, "alternatives", default=())),
        suggested_by=str(_get(obj, "suggested_by", default="rules")),
    )


def _alternatives(value: Any) -> tuple[tuple[str, float], ...]:
    out: list[tuple[str, float]] = []
    for item in value or ():
        target = _get(item, "target_field") if isinstance(item, dict) else item[0]
        score = _get(item, "confidence") if isinstance(item, dict) else item[1]
        if target:
            out.append((str(target), float(score or 0.0)))
    return tuple(out)


def shown_confidence(row: ReviewRow) -> float | None:
    """The confidence of the target the row holds now; None when it holds none or a target the
    suggester did not score (a consultant's own choice)."""
    if row.status == "rejected" or not row.target_field:
        return None
    if row.status == "modified" and row.target_field != row.suggested_target:
        return dict(row.alternatives).get(row.target_field)
    return row.confidence


def shown_match(row: ReviewRow) -> str:
    """How the target the row holds was found: the suggester's way, or "chosen" by a person."""
    if row.status == "rejected":
        return "—"
    if row.status == "modified" and row.target_field != row.suggested_target:
        return "chosen"
    if row.by_ai:
        return AI_MARK
    return row.match_type


def _by(row: ReviewRow) -> str:
    return f" by {row.decided_by}" if row.decided_by else ""


def shown_reason(row: ReviewRow) -> str:
    """Why the row holds what it holds now: the suggester's reason while it stands, else the decision."""
    suggested = row.suggested_target
    if row.status == "modified":
        if row.target_field and row.target_field == suggested:
            return f"Rules changed{_by(row)} — {row.explanation}".rstrip(" —")
        return f"Changed{_by(row)}" + (f" (suggested {suggested})" if suggested else "")
    if row.status == "rejected":
        was = row.target_field or suggested
        return f"Left unmapped{_by(row)}" + (f" (suggested {was})" if was else "")
    return row.explanation


def _explanation(obj: Any) -> str:
    """The suggester's reason, led by a warning when the preview fails for most sampled values."""
    text = str(_get(obj, "explanation", default="") or "")
    problem = _get(obj, "preview_problem") if _get(obj, "preview_failing") else None
    return (f"⚠ {problem} — {text}" if text else f"⚠ {problem}") if problem else text


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
