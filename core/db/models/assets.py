"""Asset inventory: one row per real machine/application, every canonical field typed.

The canonical columns mirror `resources/asset_fields.yaml` (the contract) exactly, then the
project's own fields of `resources/project_asset_fields.yaml`; a test keeps them in step.
Provenance says where every value came from.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Double,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
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
    # the project's own fields (resources/project_asset_fields.yaml; migration 0006)
    is_template: Mapped[bool | None] = mapped_column(Boolean)
    nic_count: Mapped[int | None] = mapped_column(Integer)
    firmware_type: Mapped[str | None] = mapped_column(Text)
    vm_hardware_version: Mapped[str | None] = mapped_column(Text)
    os_configured: Mapped[str | None] = mapped_column(Text)
    # ... and what a whole RVTools export adds (migration 0007)
    snapshot_count: Mapped[int | None] = mapped_column(Integer)
    tools_status: Mapped[str | None] = mapped_column(Text)
    tools_version: Mapped[str | None] = mapped_column(Text)
    ip_addresses: Mapped[str | None] = mapped_column(Text)

    # provenance and identity
    source_record_ids: Mapped[list[Any]] = mapped_column(default=list)
    field_lineage: Mapped[dict[str, Any]] = mapped_column(default=dict)
    field_conflicts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    identity_key: Mapped[str | None] = mapped_column(String(500), index=True)


class AssetDependency(TenantMixin, Base):
    """A dependency between two assets (application flow, network connection, hosting).

    From a connection export (schema 0008): each end is an asset when it resolved (hostname, FQDN
    or short name, then IP) and always keeps the text the export gave (`source_endpoint`,
    `target_endpoint`: host name or IP), so an end that did not resolve is kept as an external
    endpoint (asset id NULL), never dropped; a CHECK makes sure each end is one or the other.
    Observations of one source, target, port and protocol are one row (`connection_key`, unique per
    engagement): a newer export adds to `observation_count` and widens `first_seen`/`last_seen`.
    `data_import_id` is the import that first recorded it. Hand-made dependencies have no key.
    """

    __tablename__ = "asset_dependencies"
    __table_args__ = tenant_table_args(
        UniqueConstraint("engagement_id", "connection_key"),
        CheckConstraint("source_asset_id IS NOT NULL OR source_endpoint IS NOT NULL", name="source_known"),
        CheckConstraint("target_asset_id IS NOT NULL OR target_endpoint IS NOT NULL", name="target_known"),
        CheckConstraint("observation_count >= 0", name="observation_count"),
    )

    source_asset_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("assets.id", ondelete="CASCADE"), index=True
    )
    target_asset_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("assets.id", ondelete="CASCADE"), index=True
    )
    dependency_type: Mapped[str | None] = mapped_column(String(50))
    port: Mapped[int | None] = mapped_column(Integer)
    protocol: Mapped[str | None] = mapped_column(String(20))
    direction: Mapped[str | None] = mapped_column(String(20))
    confidence: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str | None] = mapped_column(Text)
    # connection exports (migration 0008)
    source_endpoint: Mapped[str | None] = mapped_column(Text)
    target_endpoint: Mapped[str | None] = mapped_column(Text)
    source_process: Mapped[str | None] = mapped_column(Text)
    target_process: Mapped[str | None] = mapped_column(Text)
    source_application: Mapped[str | None] = mapped_column(Text)
    target_application: Mapped[str | None] = mapped_column(Text)
    observation_count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    first_seen: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    data_import_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("data_imports.id", ondelete="SET NULL"), index=True
    )
    connection_key: Mapped[str | None] = mapped_column(Text)
