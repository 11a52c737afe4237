"""Read-only listings for navigation: engagements and their imports and flows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from core.db.models import DataImport, DiscoveryFlow
from core.uow import UnitOfWork


@dataclass(frozen=True)
class ImportSummary:
    import_id: uuid.UUID
    filename: str
    status: str
    total_records: int
    created_at: datetime
    flow_id: uuid.UUID | None
    flow_status: str | None
    current_phase: str | None
    progress_percentage: float | None


def list_imports(uow: UnitOfWork) -> list[ImportSummary]:
    """Imports of the unit of work's engagement, newest first, each with its discovery flow."""
    rows = uow.session.execute(
        select(
            DataImport.id,
            DataImport.filename,
            DataImport.status,
            DataImport.total_records,
            DataImport.created_at,
            DiscoveryFlow.id,
            DiscoveryFlow.status,
            DiscoveryFlow.current_phase,
            DiscoveryFlow.progress_percentage,
        )
        .outerjoin(DiscoveryFlow, DiscoveryFlow.data_import_id == DataImport.id)
        .order_by(DataImport.created_at.desc())
    ).all()
    return [ImportSummary(*r) for r in rows]
