"""Asset use cases: one function per consultant action on the inventory, each one transaction.

Each opens its own unit of work, calls a `core.inventory` helper (which never commits and notes what
it wrote), commits — or rolls back on any error, so a refused action writes nothing — and returns
an `Outcome` whose `changes` name the assets it touched, for the screens to refresh from.

- `merge_assets`: merge assets the inventory kept apart (recorded, so it can be split again);
- `split_merge`: undo a recorded merge, the merged assets back with their ids and lineage;
- `mark_not_duplicate`: the assets are different machines; the review stops proposing them;
- `undo_not_duplicate`: take that back; the group is proposed again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from core import inventory
from core.actions.outcome import Outcome
from core.uow import Tenant, UnitOfWorkFactory


def merge_assets(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    keep_id: uuid.UUID,
    merge_ids: Sequence[uuid.UUID],
    *,
    note: str | None = None,
) -> Outcome[dict[str, Any]]:
    """Merge assets into `keep_id` (lineage recomputed by precedence); the value is the kept asset.

    The value also carries `merge_id`, the recorded merge `split_merge` undoes.
    """
    with uows(tenant) as uow:
        kept = inventory.merge_assets(uow, keep_id, list(merge_ids), note=note)
        uow.commit()
    return Outcome(kept, uow.committed_changes)


def split_merge(uows: UnitOfWorkFactory, tenant: Tenant, merge_id: uuid.UUID) -> Outcome[dict[str, Any]]:
    """Undo a recorded merge: `{merge_id, kept: <kept asset's detail>, restored: [asset ids]}`."""
    with uows(tenant) as uow:
        done = inventory.split_merge(uow, merge_id)
        uow.commit()
    return Outcome(done, uow.committed_changes)


def mark_not_duplicate(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    asset_ids: Sequence[uuid.UUID],
    *,
    note: str | None = None,
) -> Outcome[int]:
    """Say these assets are not duplicates of each other; the value is how many pairs were new."""
    with uows(tenant) as uow:
        added = inventory.mark_distinct(uow, list(asset_ids), note=note)
        uow.commit()
    return Outcome(added, uow.committed_changes)


def undo_not_duplicate(
    uows: UnitOfWorkFactory, tenant: Tenant, decision_ids: Sequence[uuid.UUID]
) -> Outcome[int]:
    """Take back a "not a duplicate" decision (its pairs); the value is how many pairs were removed."""
    with uows(tenant) as uow:
        removed = inventory.forget_distinct(uow, list(decision_ids))
        uow.commit()
    return Outcome(removed, uow.committed_changes)
