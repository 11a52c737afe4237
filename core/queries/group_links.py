"""Links between stored move groups, summarised as counts (the dependency screen's list column).

Why one aggregate in SQL: at 20,000 servers and 200,000 connections a screen must not read every
connection to say which groups a group talks to; PostgreSQL sums them per group pair instead.
A connection to an infrastructure server or an unresolved endpoint counts on the group's side.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from core.db.models import AssetDependency, InfrastructureService, MoveGroupMember
from core.uow import Tenant, UnitOfWorkFactory


def group_links(uows: UnitOfWorkFactory, tenant: Tenant) -> dict[str, Any]:
    """`{"connections": N, "links": {group_id: {"groups": {other_id: observations}, "infrastructure": n,
    "external": n}}}` over every stored connection (both directions folded together)."""
    src, dst = aliased(MoveGroupMember), aliased(MoveGroupMember)
    infra = select(InfrastructureService.asset_id).scalar_subquery()
    links: dict[str, dict[str, Any]] = {}

    def entry(gid: uuid.UUID) -> dict[str, Any]:
        return links.setdefault(str(gid), {"groups": {}, "infrastructure": 0, "external": 0})

    with uows(tenant) as uow:
        s = uow.session
        total = int(s.scalar(select(func.count()).select_from(AssetDependency)) or 0)
        pairs = s.execute(
            select(src.move_group_id, dst.move_group_id, func.sum(AssetDependency.observation_count))
            .join(src, src.asset_id == AssetDependency.source_asset_id)
            .join(dst, dst.asset_id == AssetDependency.target_asset_id)
            .where(src.move_group_id != dst.move_group_id)
            .group_by(src.move_group_id, dst.move_group_id)
        )
        for a, b, n in pairs:
            for one, other in ((a, b), (b, a)):
                g = entry(one)["groups"]
                g[str(other)] = g.get(str(other), 0) + int(n or 0)
        for side, other in (
            (AssetDependency.source_asset_id, AssetDependency.target_asset_id),
            (AssetDependency.target_asset_id, AssetDependency.source_asset_id),
        ):
            for gid, to_infra, external in s.execute(
                select(
                    MoveGroupMember.move_group_id,
                    func.count().filter(other.in_(infra)),
                    func.count().filter(other.is_(None)),
                )
                .join(MoveGroupMember, MoveGroupMember.asset_id == side)
                .group_by(MoveGroupMember.move_group_id)
            ):
                e = entry(gid)
                e["infrastructure"] += int(to_infra or 0)
                e["external"] += int(external or 0)
    return {"connections": total, "links": links}
