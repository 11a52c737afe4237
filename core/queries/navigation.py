"""Read-only queries shaped for the desktop screens (sidebar, status), returning plain data.

Why here: the GUI never touches SQLAlchemy; what a screen lists it reads through these small
functions, run in the task manager's read pool.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core import tenancy
from core.db.models import ImportFieldMapping, User
from core.queries import catalog
from core.uow import UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True)
class EngagementNode:
    """An engagement and its imports (each with its discovery flow), for the sidebar."""

    ref: tenancy.EngagementRef
    imports: list[catalog.ImportSummary] = field(default_factory=list)


@dataclass(frozen=True)
class ClientNode:
    client_account_id: uuid.UUID
    name: str
    engagements: list[EngagementNode] = field(default_factory=list)


def navigation(uows: UnitOfWorkFactory) -> list[ClientNode]:
    """Client accounts → engagements → imports/flows, as the consultant may see them.

    One query for the engagements, then one per engagement for its imports: row-level security
    only shows an engagement's rows inside a unit of work acting for that engagement.
    """
    clients: dict[uuid.UUID, ClientNode] = {}
    for ref in tenancy.list_engagements(uows.sessions):
        with uows(uows.tenant_for(ref)) as uow:
            imports = catalog.list_imports(uow)
        node = clients.get(ref.client_account_id)
        if node is None:
            node = clients[ref.client_account_id] = ClientNode(ref.client_account_id, ref.client_name)
        node.engagements.append(EngagementNode(ref, imports))
    return list(clients.values())


def engagement_imports(
    uows: UnitOfWorkFactory, client_account_id: uuid.UUID, engagement_id: uuid.UUID
) -> list[catalog.ImportSummary]:
    """Imports of one engagement with their flows, newest first (the home screen's table)."""
    ref = tenancy.EngagementRef(client_account_id, "", engagement_id, "")
    with uows(uows.tenant_for(ref)) as uow:
        return catalog.list_imports(uow)


def engagements(uows: UnitOfWorkFactory) -> list[tenancy.EngagementRef]:
    """Engagements the consultant may see (wizard target picker)."""
    return tenancy.list_engagements(uows.sessions)


def find_import(
    uows: UnitOfWorkFactory, import_id: uuid.UUID
) -> tuple[tenancy.EngagementRef, catalog.ImportSummary] | None:
    """The engagement and summary of one import (navigating to it from anywhere)."""
    for ref in tenancy.list_engagements(uows.sessions):
        with uows(uows.tenant_for(ref)) as uow:
            for summary in catalog.list_imports(uow):
                if summary.import_id == import_id:
                    return ref, summary
    return None


@dataclass(frozen=True)
class MappingState:
    """The decision columns of one mapping row (the grid merges them into the row it shows)."""

    mapping_id: uuid.UUID
    status: str
    target_field: str | None
    transformation_rules: dict[str, Any] | None
    version: int
    decided_by: str | None
    decided_at: datetime | None


def mapping_states(uow: UnitOfWork, mapping_ids: list[uuid.UUID]) -> dict[uuid.UUID, MappingState]:
    """Current decision state of some mapping rows (read back after a decision, no samples)."""
    if not mapping_ids:
        return {}
    rows = uow.session.execute(
        select(
            ImportFieldMapping.id,
            ImportFieldMapping.status,
            ImportFieldMapping.target_field,
            ImportFieldMapping.transformation_rules,
            ImportFieldMapping.version,
            User.display_name,
            ImportFieldMapping.approved_at,
        )
        .outerjoin(User, User.id == ImportFieldMapping.approved_by)
        .where(ImportFieldMapping.id.in_(mapping_ids))
    ).all()
    return {r[0]: MappingState(*r) for r in rows}
