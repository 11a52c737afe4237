"""Errors of the mapping review; each carries what a screen needs to explain it inline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.errors import MigrationDiscoveryError, UserInputError


@dataclass(frozen=True)
class DecisionSnapshot:
    """The stored state of one mapping row: who decided what, when, at which version."""

    mapping_id: uuid.UUID
    source_field: str
    status: str
    target_field: str | None
    transformation_rules: dict[str, Any] | None
    version: int
    decided_by: str | None
    decided_by_id: uuid.UUID | None
    decided_at: datetime | None

    def describe(self) -> str:
        what = {
            "suggested": "is undecided (back to the suggestion)",
            "approved": f"was approved as {self.target_field}",
            "modified": f"was changed to {self.target_field}",
            "rejected": "was rejected (left unmapped)",
        }.get(self.status, f"is {self.status}")
        who = f" by {self.decided_by}" if self.decided_by else ""
        when = f" at {self.decided_at:%Y-%m-%d %H:%M}" if self.decided_at else ""
        return f"column {self.source_field!r} {what}{who}{when}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "mapping_id": str(self.mapping_id),
            "source_field": self.source_field,
            "status": self.status,
            "target_field": self.target_field,
            "transformation_rules": self.transformation_rules,
            "version": self.version,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
        }


class MappingConflictError(MigrationDiscoveryError):
    """The row changed since the caller read it: nothing was written; `current` is what is stored."""

    def __init__(self, expected_version: int, current: DecisionSnapshot) -> None:
        self.expected_version = expected_version
        self.current = current
        super().__init__(
            f"{current.describe()} (version {current.version}; you were looking at version "
            f"{expected_version}); your decision was not saved — review it and decide again"
        )


class MappingNotFoundError(UserInputError):
    """No such mapping row / import in the engagement (bad id: exit code 2)."""


class MappingDecisionError(UserInputError):
    """A decision that cannot be applied as asked (unknown target, bad rules, duplicate target)."""


class DuplicateTargetError(MappingDecisionError):
    """Another column is already mapped onto this (single-valued) target."""

    def __init__(self, source_field: str, target_field: str, other: DecisionSnapshot) -> None:
        self.other = other
        super().__init__(
            message=f"{target_field} is already mapped from column {other.source_field!r}",
            column=source_field,
            hint=f"reject or change the mapping of {other.source_field!r} first, or pick another target",
            details={"target_field": target_field, "other": other.to_dict()},
        )


class MappingIncompleteError(UserInputError):
    """`finish_mapping` refused: some columns are still undecided (named in `pending`)."""

    def __init__(self, pending: list[str], *, flow_id: uuid.UUID | None = None) -> None:
        self.pending = pending
        shown = ", ".join(repr(p) for p in pending[:10]) + (" …" if len(pending) > 10 else "")
        flow = str(flow_id) if flow_id is not None else "FLOW_ID"
        super().__init__(
            message=f"{len(pending)} column(s) still need a decision: {shown}",
            hint="approve, change or reject them (or auto-map the remaining ones); from scripts: "
            f"`migration-discovery map set {flow} COLUMN --target FIELD|--unmapped` for one, "
            f"`migration-discovery map accept {flow} --min-confidence X` for the sure ones, "
            f"`migration-discovery map finish {flow} --auto` to leave the rest unmapped",
            details={"pending": pending},
        )


class MappingLockedError(MigrationDiscoveryError):
    """The flow has finished field mapping; its decisions can no longer change."""
