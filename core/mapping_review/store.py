"""Row access shared by the mapping-review modules: tenant-scoped loads, locks, events.

Reads filter on the unit of work's tenant as well as relying on row-level security, so an id
from another engagement is simply "not found".

Locking order (every write path follows it, so two writers cannot deadlock):
  1. the import's advisory lock (`lock_import`): serialises decisions on one import, which is
     what makes "one approved column per target" hold under concurrency;
  2. the mapping rows, `FOR UPDATE`;
  3. the discovery flow row (taken by `core.flows.advance_phase` when the mapping completes).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core.db.models import DataImport, DiscoveryFlow, FlowEvent, ImportFieldMapping, User
from core.mapping_review.errors import DecisionSnapshot, MappingNotFoundError
from core.mapping_review.types import MappingCounts
from core.uow import Tenant, UnitOfWork

PHASE = "field_mapping"


def now() -> datetime:
    return datetime.now(UTC)


def require_tenant(uow: UnitOfWork) -> Tenant:
    if uow.tenant is None:
        raise ValueError("the mapping review needs a tenant unit of work (core.uow(tenant))")
    return uow.tenant


def as_uuid(value: uuid.UUID | str, kind: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise MappingNotFoundError(message=f"{value!r} is not a {kind} id") from None


def load_import(uow: UnitOfWork, import_id: uuid.UUID | str) -> DataImport:
    tenant = require_tenant(uow)
    iid = as_uuid(import_id, "data import")
    imp = uow.session.scalar(
        select(DataImport).where(
            DataImport.id == iid,
            DataImport.client_account_id == tenant.client_account_id,
            DataImport.engagement_id == tenant.engagement_id,
        )
    )
    if imp is None:
        raise MappingNotFoundError(
            message=f"no data import {iid} in this engagement", details={"import_id": str(iid)}
        )
    return imp


def lock_import(session: Session, import_id: uuid.UUID) -> None:
    """Transaction-scoped advisory lock for the mapping decisions of one import."""
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"md.mapping_review:{import_id}"},
    )


def flow_for_import(session: Session, tenant: Tenant, import_id: uuid.UUID) -> DiscoveryFlow | None:
    """The import's discovery flow (the newest one, should there ever be several)."""
    return session.scalar(
        select(DiscoveryFlow)
        .where(
            DiscoveryFlow.data_import_id == import_id,
            DiscoveryFlow.client_account_id == tenant.client_account_id,
            DiscoveryFlow.engagement_id == tenant.engagement_id,
        )
        .order_by(DiscoveryFlow.created_at.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )


def mapping_of_import(
    session: Session, tenant: Tenant, mapping_id: uuid.UUID, *, lock: bool = False
) -> ImportFieldMapping | None:
    stmt = (
        select(ImportFieldMapping)
        .where(
            ImportFieldMapping.id == mapping_id,
            ImportFieldMapping.client_account_id == tenant.client_account_id,
            ImportFieldMapping.engagement_id == tenant.engagement_id,
        )
        .execution_options(populate_existing=True)
    )
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def rows_of_import(session: Session, import_id: uuid.UUID, *, lock: bool = False) -> list[ImportFieldMapping]:
    stmt = (
        select(ImportFieldMapping)
        .where(ImportFieldMapping.data_import_id == import_id)
        .order_by(ImportFieldMapping.source_position, ImportFieldMapping.source_field)
        .execution_options(populate_existing=True)
    )
    if lock:
        stmt = stmt.with_for_update()
    return list(session.scalars(stmt))


def counts_of(session: Session, import_id: uuid.UUID) -> MappingCounts:
    found = dict(
        session.execute(
            select(ImportFieldMapping.status, func.count())
            .where(ImportFieldMapping.data_import_id == import_id)
            .group_by(ImportFieldMapping.status)
        ).all()
    )
    return MappingCounts(
        total=sum(found.values()),
        pending=found.get("suggested", 0),
        approved=found.get("approved", 0),
        modified=found.get("modified", 0),
        rejected=found.get("rejected", 0),
    )


def user_name(session: Session, user_id: uuid.UUID | None) -> str | None:
    if user_id is None:
        return None
    return session.scalar(select(User.display_name).where(User.id == user_id))


def snapshot(session: Session, row: ImportFieldMapping) -> DecisionSnapshot:
    return DecisionSnapshot(
        mapping_id=row.id,
        source_field=row.source_field,
        status=row.status,
        target_field=row.target_field,
        transformation_rules=row.transformation_rules,
        version=row.version,
        decided_by=user_name(session, row.approved_by),
        decided_by_id=row.approved_by,
        decided_at=row.approved_at,
    )


def record_event(
    uow: UnitOfWork,
    imp: DataImport,
    flow: DiscoveryFlow | None,
    event_type: str,
    data: dict[str, Any],
) -> None:
    """Append to the flow's audit log (an import without a flow logs under the import's id)."""
    tenant = require_tenant(uow)
    uow.session.add(
        FlowEvent(
            flow_id=flow.id if flow is not None else imp.id,
            master_flow_id=flow.master_flow_id if flow is not None else imp.master_flow_id,
            event_type=event_type,
            phase=PHASE,
            data={"import_id": str(imp.id), **data},
            actor=tenant.actor,
            actor_user_id=tenant.user_id,
            client_account_id=imp.client_account_id,
            engagement_id=imp.engagement_id,
        )
    )
