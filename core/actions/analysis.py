"""Use cases of the dependency analysis: the consultant's infrastructure decisions, and a re-run.

Setting or clearing an override re-runs the grouping in the same transaction, so what the screens
show after the action always reflects the decision (`Outcome.changes` says the analysis changed).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert

from core.actions.outcome import Outcome
from core.analysis.dependencies import analyse_engagement
from core.changes import OpChanges
from core.db.models import Asset, InfrastructureOverride
from core.errors import UserInputError
from core.uow import Tenant, UnitOfWorkFactory


def set_infrastructure_override(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    asset_id: uuid.UUID,
    *,
    is_infrastructure: bool,
    reason: str,
    category: str | None = None,
) -> Outcome[dict[str, Any]]:
    """Mark an asset as infrastructure (or keep it in the groups) with a reason; re-runs the grouping.

    The value is the new analysis summary.
    """
    why = (reason or "").strip()
    if not why:
        raise UserInputError(
            "an infrastructure decision needs a reason", hint="say why, e.g. 'backup server'"
        )
    with uows(tenant) as uow:
        if uow.session.get(Asset, asset_id) is None:
            raise UserInputError(
                f"no asset {asset_id} in this engagement", hint="pick an asset of the inventory"
            )
        stmt = insert(InfrastructureOverride).values(
            id=uuid.uuid4(),
            client_account_id=tenant.client_account_id,
            engagement_id=tenant.engagement_id,
            asset_id=asset_id,
            is_infrastructure=is_infrastructure,
            category=category,
            reason=why,
            decided_by=tenant.user_id,
        )
        uow.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["asset_id"],
                set_={
                    "is_infrastructure": stmt.excluded.is_infrastructure,
                    "category": stmt.excluded.category,
                    "reason": stmt.excluded.reason,
                    "decided_by": stmt.excluded.decided_by,
                },
            )
        )
        uow.note(OpChanges(analysis=True))
        summary = analyse_engagement(uow)
        uow.commit()
    return Outcome(summary, uow.committed_changes)


def clear_infrastructure_override(
    uows: UnitOfWorkFactory, tenant: Tenant, asset_id: uuid.UUID
) -> Outcome[dict[str, Any]]:
    """Forget the consultant's decision on an asset (detection decides again); re-runs the grouping."""
    with uows(tenant) as uow:
        uow.session.execute(delete(InfrastructureOverride).where(InfrastructureOverride.asset_id == asset_id))
        uow.note(OpChanges(analysis=True))
        summary = analyse_engagement(uow)
        uow.commit()
    return Outcome(summary, uow.committed_changes)


def run_dependency_analysis(uows: UnitOfWorkFactory, tenant: Tenant) -> Outcome[dict[str, Any]]:
    """Re-run the dependency analysis on demand (outside a flow)."""
    with uows(tenant) as uow:
        summary = analyse_engagement(uow)
        uow.commit()
    return Outcome(summary, uow.committed_changes)
