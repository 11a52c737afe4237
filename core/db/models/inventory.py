"""Results of the cleansing and inventory phases that belong to neither a raw record nor an asset."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Text, UniqueConstraint
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
    """A consultant's decision that raw records describe one asset (kept across inventory re-runs).

    `merged_assets` records what the merge joined, so it can be split again (schema 0005): each
    asset's id, records, creation time and flows (`kept` marks the asset that stayed);
    `moved_dependencies` the dependencies it re-pointed to the kept asset. A split sets
    `split_at`/`split_by`, and later inventory runs no longer keep the records together.
    """

    __tablename__ = "asset_merge_decisions"

    kept_asset_id: Mapped[uuid.UUID | None] = mapped_column()
    record_ids: Mapped[list[Any]] = mapped_column(default=list)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    merged_assets: Mapped[list[Any] | None] = mapped_column()
    moved_dependencies: Mapped[list[Any] | None] = mapped_column()
    split_at: Mapped[datetime | None] = mapped_column()
    split_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class AssetDistinctDecision(TenantMixin, Base):
    """A consultant's decision that two assets are not duplicates: the pair is not proposed again.

    The pair is stored once, smaller id first; it goes with either asset (a merge or a re-run that
    removes one removes the decision too).
    """

    __tablename__ = "asset_distinct_decisions"
    __table_args__ = tenant_table_args(
        UniqueConstraint("asset_a_id", "asset_b_id"),
        CheckConstraint("asset_a_id < asset_b_id", name="ordered_pair"),
    )

    asset_a_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    asset_b_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)


DETAIL_KINDS = ("disk", "partition", "nic", "snapshot", "tools", "host", "cluster")


class AssetDetail(TenantMixin, Base):
    """One row of an RVTools detail sheet (vDisk, vPartition, vNetwork, ...) stored with its import.

    `attributes` holds the typed values, `lineage` per attribute the source column and raw cell,
    `sheet`/`row_index` where the row is. The inventory joins it to the VM's vInfo record
    (`record_id`, `match`: how; NULL for a VM the export does not list) and so to the asset holding
    that record (`asset_id`). Host and cluster rows are shared: they join through the VM's host and
    cluster. See `core.inventory.details` (schema 0007).
    """

    __tablename__ = "asset_details"
    __table_args__ = tenant_table_args(
        UniqueConstraint("data_import_id", "sheet", "row_index"),
        CheckConstraint("kind IN (" + ", ".join(f"'{k}'" for k in DETAIL_KINDS) + ")", name="kind"),
    )

    data_import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_imports.id", ondelete="CASCADE"))
    asset_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("assets.id", ondelete="SET NULL"), index=True
    )
    record_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(Text)
    sheet: Mapped[str] = mapped_column(Text)
    row_index: Mapped[int] = mapped_column(Integer)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    lineage: Mapped[dict[str, Any]] = mapped_column(default=dict)
    join_keys: Mapped[dict[str, Any]] = mapped_column(default=dict)
    match: Mapped[str | None] = mapped_column(Text)
