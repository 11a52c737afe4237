"""What a write changed, so every screen can refresh only what it shows (Anki's `OpChanges`).

Core writes return plain results; the write op that ran them states (or derives) one of these and
the task manager broadcasts it with `operation_did_execute(changes, initiator)`.
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
    import_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    flow_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    mapping_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
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
            import_ids=self.import_ids | other.import_ids,
            flow_ids=self.flow_ids | other.flow_ids,
            mapping_ids=self.mapping_ids | other.mapping_ids,
            count=self.count + other.count,
        )

    def touches_import(self, import_id: uuid.UUID | None) -> bool:
        """True when the change may affect this import (no ids recorded means "maybe any")."""
        return import_id is not None and (not self.import_ids or import_id in self.import_ids)

    def touches_flow(self, flow_id: uuid.UUID | None) -> bool:
        return flow_id is not None and (not self.flow_ids or flow_id in self.flow_ids)

    @property
    def navigation(self) -> bool:
        """Does the sidebar (clients → engagements → imports/flows) need a refresh?"""
        return self.engagements or self.imports or self.flows


def ids(*values: uuid.UUID | None) -> frozenset[uuid.UUID]:
    """A frozenset of the given ids, ignoring None (keeps call sites short)."""
    return frozenset(v for v in values if v is not None)


NOTHING = OpChanges()
