"""Read models of the dependency analysis: move groups, infrastructure, unresolved ends, connections.

`groups_report` is the `analysis groups` contract: computed from the assets and connections as
they are now, with the consultant's overrides, without writing (like `analysis techdebt`), so
every non-infrastructure asset is in exactly one group even before the phase has run.
`stored_groups` / `stored_infrastructure` read what the phase last stored (the screens);
`group_connections` gives one group's connections on demand (a screen never draws them all).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, or_, select

from core.analysis.dependencies import compute
from core.db.models import (
    Asset,
    AssetDependency,
    InfrastructureOverride,
    InfrastructureService,
    MoveGroup,
    MoveGroupMember,
)
from core.uow import Tenant, UnitOfWorkFactory


def groups_report(uows: UnitOfWorkFactory, tenant: Tenant) -> dict[str, Any]:
    """`{"groups": [{"name", "applications", "assets"}], "infrastructure": [...], "unresolved_endpoints"}`."""
    with uows(tenant) as uow:
        result, _connections = compute(uow)
    return {
        "groups": [
            {"name": g.name, "applications": list(g.applications), "assets": list(g.hostnames)}
            for g in result.groups
        ],
        "infrastructure": [i.hostname for i in result.infrastructure],
        "unresolved_endpoints": result.unresolved.endpoints,
    }


def _display(host: str | None, name: str | None, aid: uuid.UUID) -> str:
    return (host or "").strip() or (name or "").strip() or str(aid)


def stored_groups(uows: UnitOfWorkFactory, tenant: Tenant) -> list[dict[str, Any]]:
    """The stored move groups with their members (id and hostname), largest first."""
    with uows(tenant) as uow:
        s = uow.session
        members: dict[uuid.UUID, list[dict[str, Any]]] = {}
        for gid, aid, host, name in s.execute(
            select(MoveGroupMember.move_group_id, Asset.id, Asset.hostname, Asset.asset_name).join(
                Asset, Asset.id == MoveGroupMember.asset_id
            )
        ):
            members.setdefault(gid, []).append({"asset_id": str(aid), "hostname": _display(host, name, aid)})
        out = []
        for g in s.scalars(select(MoveGroup)):
            assets = sorted(members.get(g.id, []), key=lambda m: m["hostname"].casefold())
            out.append(
                {
                    "id": str(g.id),
                    "key": g.key,
                    "name": g.name,
                    "applications": list(g.applications or []),
                    "environments": list(g.environments or []),
                    "reasons": list(g.reasons or []),
                    "internal_connections": g.internal_connections,
                    "unresolved_connections": g.unresolved_connections,
                    "assets": assets,
                }
            )
    out.sort(key=lambda g: (-len(g["assets"]), g["name"].casefold()))
    return out


def stored_infrastructure(uows: UnitOfWorkFactory, tenant: Tenant) -> list[dict[str, Any]]:
    """Servers set aside as infrastructure, with category, how (port, fan, override) and the reasons;
    plus the consultant's overrides that keep a server in the groups."""
    with uows(tenant) as uow:
        s = uow.session
        rows = s.execute(
            select(InfrastructureService, Asset.hostname, Asset.asset_name).join(
                Asset, Asset.id == InfrastructureService.asset_id
            )
        ).all()
        out = [
            {
                "asset_id": str(i.asset_id),
                "hostname": _display(host, name, i.asset_id),
                "category": i.category,
                "source": i.source,
                "reasons": list(i.reasons or []),
                "peers": i.peers,
                "infrastructure": True,
            }
            for i, host, name in rows
        ]
        kept = s.execute(
            select(InfrastructureOverride, Asset.hostname, Asset.asset_name)
            .join(Asset, Asset.id == InfrastructureOverride.asset_id)
            .where(InfrastructureOverride.is_infrastructure.is_(False))
        ).all()
        out.extend(
            {
                "asset_id": str(o.asset_id),
                "hostname": _display(host, name, o.asset_id),
                "category": o.category,
                "source": "override",
                "reasons": [f"kept in the groups by the consultant: {o.reason}"],
                "peers": 0,
                "infrastructure": False,
            }
            for o, host, name in kept
        )
    out.sort(key=lambda r: r["hostname"].casefold())
    return out


def unresolved_count(uows: UnitOfWorkFactory, tenant: Tenant) -> int:
    """Distinct connection ends that matched no asset (kept as external endpoints)."""
    with uows(tenant) as uow:
        s = uow.session
        src = select(func.lower(AssetDependency.source_endpoint).label("e")).where(
            AssetDependency.source_asset_id.is_(None)
        )
        dst = select(func.lower(AssetDependency.target_endpoint).label("e")).where(
            AssetDependency.target_asset_id.is_(None)
        )
        ends = src.union(dst).subquery()
        return int(s.scalar(select(func.count()).select_from(ends)) or 0)


def group_connections(
    uows: UnitOfWorkFactory, tenant: Tenant, group_id: uuid.UUID, *, limit: int = 1000
) -> list[dict[str, Any]]:
    """The connections touching one stored group's members (busiest first, at most `limit`)."""
    with uows(tenant) as uow:
        s = uow.session
        members = select(MoveGroupMember.asset_id).where(MoveGroupMember.move_group_id == group_id)
        names = dict(
            (aid, _display(h, n, aid))
            for aid, h, n in s.execute(select(Asset.id, Asset.hostname, Asset.asset_name))
        )
        rows = s.scalars(
            select(AssetDependency)
            .where(
                or_(
                    AssetDependency.source_asset_id.in_(members),
                    AssetDependency.target_asset_id.in_(members),
                )
            )
            .order_by(AssetDependency.observation_count.desc(), AssetDependency.id)
            .limit(limit)
        )
        return [
            {
                "source": names.get(d.source_asset_id) if d.source_asset_id else d.source_endpoint,
                "target": names.get(d.target_asset_id) if d.target_asset_id else d.target_endpoint,
                "source_asset_id": str(d.source_asset_id) if d.source_asset_id else None,
                "target_asset_id": str(d.target_asset_id) if d.target_asset_id else None,
                "port": d.port,
                "protocol": d.protocol,
                "observations": d.observation_count,
                "first_seen": d.first_seen.isoformat() if d.first_seen else None,
                "last_seen": d.last_seen.isoformat() if d.last_seen else None,
            }
            for d in rows
        ]
