"""What a write changed, so every screen refreshes only what it shows (Anki's `OpChanges`).

The core says what changed: code that writes notes it on its unit of work (`uow.note(...)`), the use case
returns the accumulated value in its `Outcome`, and the GUI task manager broadcasts it with
`operation_did_execute(changes, initiator)`. The front ends never declare changes themselves.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class OpChanges:
    """Kinds of data a write touched, plus the ids it touched when known (empty = any)."""

    engagements: bool = False
    imports: bool = False
    mappings: bool = False
    flows: bool = False
    assets: bool = False
    settings: bool = False
    analysis: bool = False
    """tech-debt findings, move groups, 6R recommendations, waves (issue 14)"""
    import_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    flow_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    mapping_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    asset_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    count: int = 0

    def merged(self, other: OpChanges) -> OpChanges:
        """Both sets of changes (for composite operations)."""
        return replace(
            self,
            engagements=self.engagements or other.engagements,
            imports=self.imports or other.imports,
            mappings=self.mappings or other.mappings,
            flows=self.flows or other.flows,
            assets=self.assets or other.assets,
            settings=self.settings or other.settings,
            analysis=self.analysis or other.analysis,
            import_ids=self.import_ids | other.import_ids,
            flow_ids=self.flow_ids | other.flow_ids,
            mapping_ids=self.mapping_ids | other.mapping_ids,
            asset_ids=self.asset_ids | other.asset_ids,
            count=self.count + other.count,
        )

    def touches_import(self, import_id: uuid.UUID | None) -> bool:
        """True when the change may affect this import (no ids recorded means "maybe any")."""
        return import_id is not None and (not self.import_ids or import_id in self.import_ids)

    def touches_flow(self, flow_id: uuid.UUID | None) -> bool:
        return flow_id is not None and (not self.flow_ids or flow_id in self.flow_ids)

    @property
    def any(self) -> bool:
        """Did anything change at all?"""
        return self != NOTHING

    @property
    def navigation(self) -> bool:
        """Does the sidebar (clients → engagements → imports/flows) need a refresh?"""
        return self.engagements or self.imports or self.flows


def ids(*values: uuid.UUID | None) -> frozenset[uuid.UUID]:
    """A frozenset of the given ids, ignoring None (keeps call sites short)."""
    return frozenset(v for v in values if v is not None)


NOTHING = OpChanges()


def attach(exc: BaseException, changes: OpChanges) -> BaseException:
    """Let a failed use case still say what it committed (a failed phase run records the failure)."""
    exc.op_changes = changes  # type: ignore[attr-defined]
    return exc


def changes_of_failure(exc: BaseException) -> OpChanges:
    """What a failed use case committed before failing (NOTHING when it says nothing)."""
    found = getattr(exc, "op_changes", None)
    return found if isinstance(found, OpChanges) else NOTHING
