"""Plain values the mapping review hands to screens and commands (no ORM objects leak out).

Every write returns a result saying what it changed — ids touched, their new versions, whether
the flow advanced — so a screen can refresh just those rows (Anki's `OpChanges` idea; the GUI
turns it into `desktop_app.changes.OpChanges`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

PENDING = "suggested"
DECIDED = ("approved", "modified", "rejected")
ACCEPTED = ("approved", "modified")

DEFAULT_MIN_CONFIDENCE = 0.9
"""The confidence a suggestion needs to be approved without a person looking at it, unless the
consultant chose another: the grid's "approve all ≥" default (desktop settings) and
`map finish --auto` both read this one definition."""

# How a row was decided (`import_field_mappings.decided_via`); only a person's decisions teach.
VIA_PERSON = "person"
"""One row approved, modified or rejected by a consultant."""
VIA_BULK = "bulk"
"""Approved in bulk at or above a threshold the consultant chose."""
VIA_AUTO = "auto"
"""Decided by auto-finish (`map finish --auto`): nobody looked at it, so memory learns nothing."""


@dataclass(frozen=True)
class MappingRow:
    """One line of the review grid: a source column, what is suggested, what was decided.

    `approved_by` / `approved_at` name who decided the row and when — for a rejection too.
    `suggested_target` is the suggester's original proposal (it differs from `target_field`
    once a consultant modified the row).
    """

    id: uuid.UUID
    import_id: uuid.UUID
    source_field: str
    position: int
    samples: list[str]
    target_field: str | None
    target_description: str | None
    target_unit: str | None
    target_type: str | None
    confidence: float
    match_type: str
    suggested_by: str
    status: str
    explanation: str | None
    transformation_rules: dict[str, Any] | None
    version: int
    approved_by: str | None
    approved_by_id: uuid.UUID | None
    approved_at: datetime | None
    suggested_target: str | None = None
    alternatives: tuple[tuple[str, float], ...] = ()
    """Runner-up targets of the suggester, (target, confidence), best first."""
    preview_failing: bool = False
    """The preview fails for most sampled values (a type mismatch): never approved automatically."""
    preview_problem: str | None = None
    """Why `preview_failing`, e.g. "4 of 5 sampled values do not fit subnet (e.g. 'VM Network': ...)"."""
    decided_via: str | None = None
    """`VIA_PERSON`, `VIA_BULK` or `VIA_AUTO` for a decided row (None: undecided or decided earlier)."""

    @property
    def is_pending(self) -> bool:
        return self.status == PENDING

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "source_field": self.source_field,
            "position": self.position,
            "samples": list(self.samples),
            "target_field": self.target_field,
            "target_description": self.target_description,
            "target_unit": self.target_unit,
            "target_type": self.target_type,
            "confidence": self.confidence,
            "match_type": self.match_type,
            "suggested_by": self.suggested_by,
            "status": self.status,
            "explanation": self.explanation,
            "transformation_rules": self.transformation_rules,
            "version": self.version,
            "approved_by": self.approved_by,
            "approved_at": self.approved_at.isoformat() if self.approved_at else None,
            "suggested_target": self.suggested_target,
            "alternatives": [{"target_field": t, "confidence": c} for t, c in self.alternatives],
            "preview_failing": self.preview_failing,
            "preview_problem": self.preview_problem,
            "decided_via": self.decided_via,
        }


@dataclass(frozen=True)
class MappingCounts:
    """How far the review of one import is: `pending` = still `suggested`."""

    total: int = 0
    pending: int = 0
    approved: int = 0
    modified: int = 0
    rejected: int = 0

    @property
    def decided(self) -> int:
        return self.approved + self.modified + self.rejected

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.pending == 0

    def to_dict(self) -> dict[str, int]:
        return {
            "total": self.total,
            "pending": self.pending,
            "approved": self.approved,
            "modified": self.modified,
            "rejected": self.rejected,
        }


@dataclass(frozen=True)
class MappingChanges:
    """What a write touched: refresh these rows (at these versions) and, if advanced, the flow."""

    import_id: uuid.UUID
    flow_id: uuid.UUID | None
    mapping_ids: frozenset[uuid.UUID] = frozenset()
    versions: Mapping[uuid.UUID, int] = field(default_factory=dict)
    memory_changed: bool = False
    field_mapping_completed: bool = False
    phase_advanced: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.mapping_ids) or self.phase_advanced


@dataclass(frozen=True)
class DecisionResult(MappingChanges):
    """One decision on one row. `changed` is False when it was already so (nothing written)."""

    mapping_id: uuid.UUID | None = None
    action: str = ""
    source_field: str = ""
    previous_status: str = ""
    status: str = ""
    old_target: str | None = None
    new_target: str | None = None
    version: int = 0


@dataclass(frozen=True)
class BulkResult(MappingChanges):
    """A decision over many rows; `skipped` lists (column, why) left as they were, `left_unmapped`
    (column, why) the columns auto-finish rejected instead of approving; `ai_skipped` the columns
    whose AI suggestion a threshold or auto-finish did not approve (only a person does, row by row)."""

    approved: int = 0
    rejected: int = 0
    skipped: tuple[tuple[str, str], ...] = ()
    left_unmapped: tuple[tuple[str, str], ...] = ()
    counts: MappingCounts = field(default_factory=MappingCounts)
    ai_skipped: tuple[str, ...] = ()


@dataclass(frozen=True)
class PreviewPair:
    """One raw value and what the mapping's rules make of it (error when it does not fit)."""

    raw: str
    value: Any
    error: str | None = None


@dataclass(frozen=True)
class EffectiveMapping:
    """An accepted column → field mapping, as the cleansing phase applies it."""

    mapping_id: uuid.UUID
    source_field: str
    position: int
    target_field: str
    target_type: str
    transformation_rules: dict[str, Any] | None


@dataclass(frozen=True)
class LearnedEntry:
    """One pairing of the client's mapping memory, with who taught it and when."""

    source_header: str
    value_fingerprint: str
    target_field: str
    approved_count: int
    rejected_count: int
    taught_by: str | None
    taught_at: datetime | None
    engagement_id: uuid.UUID | None = None

    @property
    def learned(self) -> bool:
        """Suggested as `learned` (approvals outnumber rejections); otherwise it suppresses the target."""
        return self.approved_count > self.rejected_count

    def to_dict(self) -> dict[str, Any]:
        return {
            "source_header": self.source_header,
            "target_field": self.target_field,
            "approved_count": self.approved_count,
            "rejected_count": self.rejected_count,
            "learned": self.learned,
            "taught_by": self.taught_by,
            "taught_at": self.taught_at.isoformat() if self.taught_at else None,
        }


@dataclass(frozen=True)
class ForgetResult(MappingChanges):
    """What was forgotten for a column, and the column's row as suggested afterwards."""

    source_field: str = ""
    forgotten: tuple[LearnedEntry, ...] = ()
    row: MappingRow | None = None
