"""Asset inventory: one row per real machine/application, every canonical field typed.

The canonical columns mirror `resources/asset_fields.yaml` (the contract) exactly; a test keeps
them in step. Provenance says where every value came from.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Double, Float, ForeignKey, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantMixin, tenant_table_args


class Asset(TenantMixin, Base):
    """A deduplicated asset with typed canonical fields and per-field lineage."""

    __tablename__ = "assets"
    __table_args__ = tenant_table_args()

    master_flow_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("master_flows.id", ondelete="SET NULL"), index=True
    )
    discovery_flow_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("discovery_flows.id", ondelete="SET NULL"), index=True
    )
    data_import_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("data_imports.id", ondelete="SET NULL"), index=True
    )

    # canonical fields (resources/asset_fields.yaml)
    asset_name: Mapped[str | None] = mapped_column(Text)
    hostname: Mapped[str | None] = mapped_column(Text)
    fqdn: Mapped[str | None] = mapped_column(Text)
    asset_type: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(Text)
    serial_number: Mapped[str | None] = mapped_column(Text)
    asset_tag: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    ip_address: Mapped[str | None] = mapped_column(Text)
    mac_address: Mapped[str | None] = mapped_column(Text)
    subnet: Mapped[str | None] = mapped_column(Text)
    dns_domain: Mapped[str | None] = mapped_column(Text)
    cpu_sockets: Mapped[int | None] = mapped_column(Integer)
    cpu_cores: Mapped[int | None] = mapped_column(Integer)
    cpu_logical_processors: Mapped[int | None] = mapped_column(Integer)
    cpu_model: Mapped[str | None] = mapped_column(Text)
    cpu_speed_mhz: Mapped[float | None] = mapped_column(Double)
    cpu_utilization_avg_pct: Mapped[float | None] = mapped_column(Double)
    cpu_utilization_peak_pct: Mapped[float | None] = mapped_column(Double)
    memory_gb: Mapped[float | None] = mapped_column(Double)
    memory_utilization_avg_pct: Mapped[float | None] = mapped_column(Double)
    memory_utilization_peak_pct: Mapped[float | None] = mapped_column(Double)
    storage_gb: Mapped[float | None] = mapped_column(Double)
    storage_used_gb: Mapped[float | None] = mapped_column(Double)
    disk_count: Mapped[int | None] = mapped_column(Integer)
    disk_read_kbps_avg: Mapped[float | None] = mapped_column(Double)
    disk_write_kbps_avg: Mapped[float | None] = mapped_column(Double)
    disk_read_iops_avg: Mapped[float | None] = mapped_column(Double)
    disk_write_iops_avg: Mapped[float | None] = mapped_column(Double)
    network_in_kbps_avg: Mapped[float | None] = mapped_column(Double)
    network_out_kbps_avg: Mapped[float | None] = mapped_column(Double)
    operating_system: Mapped[str | None] = mapped_column(Text)
    os_version: Mapped[str | None] = mapped_column(Text)
    os_architecture: Mapped[str | None] = mapped_column(Text)
    os_family: Mapped[str | None] = mapped_column(Text)
    is_virtual: Mapped[bool | None] = mapped_column(Boolean)
    virtualization_platform: Mapped[str | None] = mapped_column(Text)
    vm_id: Mapped[str | None] = mapped_column(Text)
    vcenter: Mapped[str | None] = mapped_column(Text)
    datacenter: Mapped[str | None] = mapped_column(Text)
    cluster: Mapped[str | None] = mapped_column(Text)
    physical_host: Mapped[str | None] = mapped_column(Text)
    power_state: Mapped[str | None] = mapped_column(Text)
    manufacturer: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(Text)
    environment: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(Text)
    business_unit: Mapped[str | None] = mapped_column(Text)
    application_name: Mapped[str | None] = mapped_column(Text)
    business_owner: Mapped[str | None] = mapped_column(Text)
    technical_owner: Mapped[str | None] = mapped_column(Text)
    support_group: Mapped[str | None] = mapped_column(Text)
    business_criticality: Mapped[str | None] = mapped_column(Text)
    cost_center: Mapped[str | None] = mapped_column(Text)
    data_classification: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    operational_status: Mapped[str | None] = mapped_column(Text)
    install_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    discovery_source: Mapped[str | None] = mapped_column(Text)
    warranty_expiration: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    database_engine: Mapped[str | None] = mapped_column(Text)
    database_version: Mapped[str | None] = mapped_column(Text)
    database_size_gb: Mapped[float | None] = mapped_column(Double)
    migration_wave: Mapped[str | None] = mapped_column(Text)
    sixr_strategy: Mapped[str | None] = mapped_column(Text)
    migration_complexity: Mapped[str | None] = mapped_column(Text)

    # provenance and identity
    source_record_ids: Mapped[list[Any]] = mapped_column(default=list)
    field_lineage: Mapped[dict[str, Any]] = mapped_column(default=dict)
    field_conflicts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    identity_key: Mapped[str | None] = mapped_column(String(500), index=True)


class AssetDependency(TenantMixin, Base):
    """A dependency between two assets (application flow, network connection, hosting)."""

    __tablename__ = "asset_dependencies"

    source_asset_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assets.id", ondelete="CASCADE"), index=True
    )
    target_asset_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assets.id", ondelete="CASCADE"), index=True
    )
    dependency_type: Mapped[str | None] = mapped_column(String(50))
    port: Mapped[int | None] = mapped_column(Integer)
    protocol: Mapped[str | None] = mapped_column(String(20))
    direction: Mapped[str | None] = mapped_column(String(20))
    confidence: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str | None] = mapped_column(Text)
