"""Orchestration: master flows, discovery flows, their event log, checkpoints and archive."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text, false, func
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantMixin, tenant_table_args

FLOW_STATUSES = (
    "initializing",
    "running",
    "paused",
    "waiting_for_review",
    "failed",
    "recovered",
    "cancelled",
    "completed",
)


class MasterFlow(TenantMixin, Base):
    """Root tying the discovery, assessment, planning and execution phases of one piece of work."""

    __tablename__ = "master_flows"

    flow_type: Mapped[str] = mapped_column(String(30), default="discovery")
    status: Mapped[str] = mapped_column(String(30), default="initializing")
    master_state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class DiscoveryFlow(TenantMixin, Base):
    """State of one discovery run over one import. Written only through the phase-advance path."""

    __tablename__ = "discovery_flows"
    __table_args__ = tenant_table_args(
        CheckConstraint(
            "status IN ('initializing', 'running', 'paused', 'waiting_for_review', 'failed', "
            "'recovered', 'cancelled', 'completed')",
            name="status",
        ),
        CheckConstraint("progress_percentage >= 0 AND progress_percentage <= 100", name="progress"),
    )

    master_flow_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("master_flows.id", ondelete="CASCADE"), index=True
    )
    data_import_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("data_imports.id", ondelete="SET NULL"), index=True
    )
    flow_name: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(30), default="initializing")
    current_phase: Mapped[str] = mapped_column(String(40), default="data_import")
    phases_completed: Mapped[list[Any]] = mapped_column(default=list)
    progress_percentage: Mapped[float] = mapped_column(Float, default=0.0)

    data_import_completed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    field_mapping_completed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    data_cleansing_completed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    asset_inventory_completed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    dependency_analysis_completed: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    tech_debt_assessment_completed: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )

    flow_state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    crew_outputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    field_mappings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    discovered_assets: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dependencies: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tech_debt_analysis: Mapped[dict[str, Any]] = mapped_column(default=dict)

    error_message: Mapped[str | None] = mapped_column(Text)
    error_phase: Mapped[str | None] = mapped_column(String(40))
    error_details: Mapped[dict[str, Any] | None] = mapped_column()

    started_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}


class FlowEvent(TenantMixin, Base):
    """Append-only audit and event log: every state change and decision, with its actor."""

    __tablename__ = "flow_events"

    flow_id: Mapped[uuid.UUID] = mapped_column(index=True)
    master_flow_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    event_type: Mapped[str] = mapped_column(String(60), index=True)
    phase: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actor: Mapped[str | None] = mapped_column(String(320))
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column()
    occurred_at: Mapped[datetime] = mapped_column(server_default=func.now())


class FlowCheckpoint(TenantMixin, Base):
    """Snapshot of a flow's state after a phase, for recovery."""

    __tablename__ = "flow_checkpoints"

    flow_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("discovery_flows.id", ondelete="CASCADE"), index=True
    )
    phase: Mapped[str] = mapped_column(String(40))
    snapshot: Mapped[dict[str, Any]] = mapped_column()
    version: Mapped[int] = mapped_column(Integer)
    is_valid: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")


class FlowArchive(TenantMixin, Base):
    """History of completed flows removed from the working tables by retention clean-up."""

    __tablename__ = "flow_archive"

    flow_id: Mapped[uuid.UUID] = mapped_column(index=True)
    master_flow_id: Mapped[uuid.UUID | None] = mapped_column()
    flow_name: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(30))
    snapshot: Mapped[dict[str, Any]] = mapped_column()
    archived_reason: Mapped[str] = mapped_column(String(200))
    flow_completed_at: Mapped[datetime | None] = mapped_column()
