"""Results of the cleansing and inventory phases that belong to neither a raw record nor an asset."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantMixin, tenant_table_args


class ImportQualityReport(TenantMixin, Base):
    """The data-quality report of one import's cleansing run (replaced on every re-run).

    `report` also keeps the mapping snapshot the run used (`field_sources`), so asset lineage
    names the source column that really produced a value even after the mapping changes.
    """

    __tablename__ = "import_quality_reports"
    __table_args__ = tenant_table_args(UniqueConstraint("data_import_id"))

    data_import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_imports.id", ondelete="CASCADE"))
    discovery_flow_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("discovery_flows.id", ondelete="SET NULL")
    )
    total_records: Mapped[int] = mapped_column(Integer, default=0)
    valid_records: Mapped[int] = mapped_column(Integer, default=0)
    invalid_records: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AssetMergeDecision(TenantMixin, Base):
    """A consultant's decision that raw records describe one asset (kept across inventory re-runs)."""

    __tablename__ = "asset_merge_decisions"

    kept_asset_id: Mapped[uuid.UUID | None] = mapped_column()
    record_ids: Mapped[list[Any]] = mapped_column(default=list)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
