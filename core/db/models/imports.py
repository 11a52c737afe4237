"""Imported files, their raw rows (lossless), column mappings and per-client mapping memory."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantMixin, tenant_table_args

IMPORT_STATUSES = ("pending", "processing", "completed", "failed")
MAPPING_STATUSES = ("suggested", "approved", "rejected", "modified")


class DataImport(TenantMixin, Base):
    """One imported file (or sheet). `columns` is the header the raw rows' cells line up with."""

    __tablename__ = "data_imports"
    __table_args__ = tenant_table_args(
        CheckConstraint("status IN ('pending', 'processing', 'completed', 'failed')", name="status"),
    )

    master_flow_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("master_flows.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(1000))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    file_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    mime_type: Mapped[str | None] = mapped_column(String(200))
    source_system: Mapped[str | None] = mapped_column(String(200))
    sheet_name: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    columns: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    import_metadata: Mapped[dict[str, Any]] = mapped_column(default=dict)
    total_records: Mapped[int] = mapped_column(Integer, default=0)
    processed_records: Mapped[int] = mapped_column(Integer, default=0)
    failed_records: Mapped[int] = mapped_column(Integer, default=0)
    completed_at: Mapped[datetime | None] = mapped_column()
    error_message: Mapped[str | None] = mapped_column(Text)
    error_details: Mapped[dict[str, Any] | None] = mapped_column()
    imported_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class RawImportRecord(TenantMixin, Base):
    """One data row of an import, every cell as text, aligned with `DataImport.columns`.

    The table is partitioned by import (LIST on `data_import_id`): a bulk import loads a fresh
    partition created for it in the same transaction (see `md_create_raw_partition` in the
    migration), which needs no per-row foreign-key or policy check, builds its indexes in bulk
    and, on the embedded server (`wal_level = minimal`), writes no WAL for the rows. Each
    partition's CHECK constraints pin it to its import's tenant; the application role may not
    read partitions directly, only through this table and its row-level security. Rows inserted
    through the ORM land in the default partition. Deleting an import drops its partition
    (trigger on `data_imports`), so there is no foreign key here.
    """

    __tablename__ = "raw_import_records"
    __table_args__ = (
        # tenant columns first: this one index serves tenant scans and an import's ordered rows
        UniqueConstraint(
            "client_account_id",
            "engagement_id",
            "data_import_id",
            "record_index",
            name="uq_raw_import_records_tenant_import_record",
        ),
        {"postgresql_partition_by": "LIST (data_import_id)"},
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_account_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    engagement_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    data_import_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    record_index: Mapped[int] = mapped_column(Integer)
    cells: Mapped[list[str]] = mapped_column(ARRAY(Text))
    is_processed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_valid: Mapped[bool | None] = mapped_column(Boolean)
    validation_errors: Mapped[list[Any] | None] = mapped_column()
    cleansed_data: Mapped[dict[str, Any] | None] = mapped_column()
    # where each value of `cleansed_data` came from, decided with it by the cleansing phase:
    # {"row": record index, "position": {field: index into DataImport.columns and `cells`, whose
    #  cells[index] is the raw value}, "derived_from": {field: field}, "merged": {"tags": [index, ...]}}
    cleansed_lineage: Mapped[dict[str, Any] | None] = mapped_column()
    processed_at: Mapped[datetime | None] = mapped_column()


class ImportFieldMapping(TenantMixin, Base):
    """Suggested or decided mapping of one source column onto a canonical asset field."""

    __tablename__ = "import_field_mappings"
    __table_args__ = tenant_table_args(
        UniqueConstraint("data_import_id", "source_field"),
        CheckConstraint("status IN ('suggested', 'approved', 'rejected', 'modified')", name="status"),
        CheckConstraint("confidence_score >= 0 AND confidence_score <= 1", name="confidence"),
    )

    data_import_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("data_imports.id", ondelete="CASCADE"), index=True
    )
    source_field: Mapped[str] = mapped_column(Text)
    source_position: Mapped[int] = mapped_column(Integer, default=0)
    target_field: Mapped[str | None] = mapped_column(String(100))
    confidence_score: Mapped[float] = mapped_column(Float, default=0.0)
    match_type: Mapped[str] = mapped_column(String(30), default="none")
    suggested_by: Mapped[str] = mapped_column(String(30), default="rules")
    status: Mapped[str] = mapped_column(String(20), default="suggested")
    approved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column()
    transformation_rules: Mapped[dict[str, Any] | None] = mapped_column()
    explanation: Mapped[str | None] = mapped_column(Text)
    # The suggester's proposal as first stored (target, confidence, rules, value fingerprint, ...):
    # kept when a consultant modifies the row, so `revert` can restore it and learning can tell
    # what was overridden.
    suggestion: Mapped[dict[str, Any] | None] = mapped_column()
    # how the decision was made: person (one row), bulk (at a threshold a person chose) or auto
    # (auto-finish, which teaches mapping memory nothing); NULL while undecided or decided before 0004
    decided_via: Mapped[str | None] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}


class MappingMemory(TenantMixin, Base):
    """What a client's consultants decided before: header + value fingerprint → target.

    Shared across the client's engagements (row-level security reads it at client level);
    `engagement_id` records where it was learned.
    """

    __tablename__ = "mapping_memory"
    __table_args__ = tenant_table_args(
        UniqueConstraint("client_account_id", "source_header", "value_fingerprint", "target_field"),
    )

    source_header: Mapped[str] = mapped_column(Text)
    value_fingerprint: Mapped[str] = mapped_column(String(200), default="")
    target_field: Mapped[str] = mapped_column(String(100))
    transformation_rules: Mapped[dict[str, Any] | None] = mapped_column()
    approved_count: Mapped[int] = mapped_column(Integer, default=0)
    rejected_count: Mapped[int] = mapped_column(Integer, default=0)
    last_decided_at: Mapped[datetime | None] = mapped_column()
    # who last taught the pairing (their approval; a pairing only ever rejected: who rejected it
    # first) and when; the name is kept because memory outlives engagements the reader may see
    taught_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    taught_by_name: Mapped[str | None] = mapped_column(Text)
    taught_at: Mapped[datetime | None] = mapped_column()
