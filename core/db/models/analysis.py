"""What the analysis, assessment and planning phases store (issue 14; schema 0008).

- `techdebt_findings`: the tech-debt phase's findings per asset — lifecycle (`os`, `database`) and
  right-sizing (`cpu`, `memory`) — replaced as a whole on every run;
- `infrastructure_services` (detected) and `infrastructure_overrides` (the consultant's word,
  kept across runs): servers set aside from move groups;
- `move_groups` / `move_group_members`: what must move together (every asset in at most one group);
- `sixr_recommendations` (recomputed) and `sixr_overrides` (the consultant's, kept across runs):
  the 6R disposition per application, or per asset where no application is known;
- `waves` / `wave_members`: the migration plan (every asset in at most one wave).

Every table is tenant-scoped (client account + engagement) with forced row-level security, like
all others. Rows that name an asset go with it (ON DELETE CASCADE); rows that name the flow that
computed them keep their content when the flow goes (SET NULL).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantMixin, tenant_table_args

LIFECYCLE_STATUSES = ("eol", "eol_12m", "supported", "unknown")
LIFECYCLE_COMPONENTS = ("os", "database")
SIZING_KINDS = ("downsize", "undersized")
SIZING_RESOURCES = ("cpu", "memory")
FINDING_KINDS = ("lifecycle", "rightsizing")
INFRASTRUCTURE_SOURCES = ("port", "fan", "override")
DISPOSITIONS = ("rehost", "replatform", "refactor", "repurchase", "retire", "retain", "relocate")
PLACED_BY = ("manual", "planner")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


_FINDING_SHAPE = (
    f"(kind = 'lifecycle' AND {_in('component', LIFECYCLE_COMPONENTS)}"
    f" AND {_in('status', LIFECYCLE_STATUSES)})"
    f" OR (kind = 'rightsizing' AND {_in('component', SIZING_RESOURCES)} AND {_in('status', SIZING_KINDS)})"
)
_APPLICATION_OR_ASSET = "(application IS NULL) <> (asset_id IS NULL)"


class TechDebtFinding(TenantMixin, Base):
    """One finding of the tech-debt phase on one asset.

    `kind` `lifecycle`: `component` os | database, `status` eol | eol_12m | supported | unknown,
    with product, version, the table entry (`release`), end of support, the rule and a paid-extension
    note (`core.techdebt.Finding`); `details` keeps the text and version field that were assessed.
    `kind` `rightsizing`: `component` cpu | memory, `status` downsize | undersized, `details` the
    measure, field, value and threshold (`core.techdebt.SizingFinding`). `as_of` is the date the
    statuses hold for; the phase replaces the engagement's findings as a whole.
    """

    __tablename__ = "techdebt_findings"
    __table_args__ = tenant_table_args(
        UniqueConstraint("asset_id", "kind", "component", "status"),
        CheckConstraint(_FINDING_SHAPE, name="shape"),
    )

    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    discovery_flow_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("discovery_flows.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(Text)
    component: Mapped[str] = mapped_column(Text)
    product: Mapped[str | None] = mapped_column(Text)
    version: Mapped[str | None] = mapped_column(Text)
    release: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    end_of_support: Mapped[dt.date | None] = mapped_column()
    rule: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    as_of: Mapped[dt.date] = mapped_column()
    assessed_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class InfrastructureService(TenantMixin, Base):
    """A server the dependency analysis set aside as infrastructure (DNS, AD, backup, scanner ...).

    `source` says how: a well-known `port`, its `fan`-in/out across the estate, or an `override`.
    Replaced on every analysis run.
    """

    __tablename__ = "infrastructure_services"
    __table_args__ = tenant_table_args(
        UniqueConstraint("asset_id"),
        CheckConstraint(_in("source", INFRASTRUCTURE_SOURCES), name="source"),
    )

    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    discovery_flow_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("discovery_flows.id", ondelete="SET NULL"), index=True
    )
    category: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    peers: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class InfrastructureOverride(TenantMixin, Base):
    """The consultant's decision that a server is (or is not) infrastructure; survives re-runs."""

    __tablename__ = "infrastructure_overrides"
    __table_args__ = tenant_table_args(UniqueConstraint("asset_id"))

    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    is_infrastructure: Mapped[bool] = mapped_column(Boolean)
    category: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class MoveGroup(TenantMixin, Base):
    """Applications and servers that must move together, with the links that hold them (reasons)."""

    __tablename__ = "move_groups"
    __table_args__ = tenant_table_args(UniqueConstraint("engagement_id", "key"))

    key: Mapped[str] = mapped_column(Text)
    """the analysis' id of the group (stable across runs for the same members)"""
    name: Mapped[str] = mapped_column(Text)
    applications: Mapped[list[Any]] = mapped_column(default=list)
    environments: Mapped[list[Any]] = mapped_column(default=list)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    internal_connections: Mapped[int] = mapped_column(Integer, default=0)
    unresolved_connections: Mapped[int] = mapped_column(Integer, default=0)
    discovery_flow_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("discovery_flows.id", ondelete="SET NULL"), index=True
    )
    computed_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class MoveGroupMember(TenantMixin, Base):
    """One asset of a move group (an asset is in at most one group)."""

    __tablename__ = "move_group_members"
    __table_args__ = tenant_table_args(UniqueConstraint("asset_id"))

    move_group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("move_groups.id", ondelete="CASCADE"), index=True
    )
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))


class SixRRecommendation(TenantMixin, Base):
    """The 6R rules' disposition for one application, or for one asset where no application is known."""

    __tablename__ = "sixr_recommendations"
    __table_args__ = tenant_table_args(
        UniqueConstraint("engagement_id", "application"),
        UniqueConstraint("asset_id"),
        CheckConstraint(_APPLICATION_OR_ASSET, name="application_or_asset"),
        CheckConstraint(_in("disposition", DISPOSITIONS), name="disposition"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence"),
    )

    application: Mapped[str | None] = mapped_column(Text)
    asset_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    disposition: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    master_flow_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("master_flows.id", ondelete="SET NULL"), index=True
    )
    computed_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class SixROverride(TenantMixin, Base):
    """A consultant's disposition for an application or asset, with the reason; survives re-runs."""

    __tablename__ = "sixr_overrides"
    __table_args__ = tenant_table_args(
        UniqueConstraint("engagement_id", "application"),
        UniqueConstraint("asset_id"),
        CheckConstraint(_APPLICATION_OR_ASSET, name="application_or_asset"),
        CheckConstraint(_in("disposition", DISPOSITIONS), name="disposition"),
    )

    application: Mapped[str | None] = mapped_column(Text)
    asset_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    disposition: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class Wave(TenantMixin, Base):
    """One migration wave: name, position (`ordinal`, 1 first; the contract's `order`), dates, limit.

    `ordinal` is unique per engagement, checked at commit (deferred) so waves can be reordered in
    one transaction. A `locked` wave keeps its members and position when the plan is recomputed.
    """

    __tablename__ = "waves"
    __table_args__ = tenant_table_args(
        UniqueConstraint("engagement_id", "ordinal", deferrable=True, initially="DEFERRED"),
        CheckConstraint("ordinal >= 1", name="ordinal"),
        CheckConstraint("start_date IS NULL OR end_date IS NULL OR end_date >= start_date", name="dates"),
        CheckConstraint("max_servers IS NULL OR max_servers >= 1", name="max_servers"),
    )

    name: Mapped[str] = mapped_column(Text)
    ordinal: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[dt.date | None] = mapped_column()
    end_date: Mapped[dt.date | None] = mapped_column()
    locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    max_servers: Mapped[int | None] = mapped_column(Integer)
    max_storage_gb: Mapped[float | None] = mapped_column(Float)
    notes: Mapped[str | None] = mapped_column(Text)
    master_flow_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("master_flows.id", ondelete="SET NULL"), index=True
    )
    planned_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class WaveMember(TenantMixin, Base):
    """One asset in a wave (at most one wave per asset), placed by the planner or by hand.

    `application` is the application it was placed with; `placed_by` `manual` marks a consultant's
    move (`moved_by` who), which re-planning keeps.
    """

    __tablename__ = "wave_members"
    __table_args__ = tenant_table_args(
        UniqueConstraint("asset_id"),
        CheckConstraint(_in("placed_by", PLACED_BY), name="placed_by"),
    )

    wave_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    application: Mapped[str | None] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(Text, default="planner")
    moved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    placed_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
