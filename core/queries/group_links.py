"""Links between stored move groups, summarised as counts (the dependency screen's list column).

Why one aggregate in SQL: at 20,000 servers and 200,000 connections a screen must not read every
connection to say which groups a group talks to; PostgreSQL sums them per group pair instead.
A connection to an infrastructure server or an unresolved endpoint counts on the group's side.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, union_all
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


def group_overview_links(uows: UnitOfWorkFactory, tenant: Tenant) -> dict[str, Any]:
    """The estate picture's edges, aggregated in SQL: `{"pairs": [{"groups": (a, b), "links": n,
    "observations": n}], "infrastructure": {infra_asset_id: {"links": n, "observations": n,
    "groups": {group_id: n}}}}`.

    Why: the overview draws one edge per linked group pair (and per group-infrastructure pair),
    never one line per connection. `links` counts distinct server pairs (both directions and every
    port of one pair are one link); `a < b` as text, so each pair comes once.
    """
    d = AssetDependency
    src, dst = aliased(MoveGroupMember), aliased(MoveGroupMember)
    lo_g, hi_g = (
        func.least(src.move_group_id, dst.move_group_id),
        func.greatest(src.move_group_id, dst.move_group_id),
    )
    server_pairs = (
        select(
            lo_g.label("ga"),
            hi_g.label("gb"),
            func.sum(d.observation_count).label("obs"),
        )
        .join(src, src.asset_id == d.source_asset_id)
        .join(dst, dst.asset_id == d.target_asset_id)
        .where(src.move_group_id != dst.move_group_id)
        .group_by(
            lo_g,
            hi_g,
            func.least(d.source_asset_id, d.target_asset_id),
            func.greatest(d.source_asset_id, d.target_asset_id),
        )
        .subquery()
    )
    infra = InfrastructureService
    member = MoveGroupMember
    to_infra = union_all(
        select(infra.asset_id.label("infra"), member.move_group_id.label("gid"),
               member.asset_id.label("aid"), d.observation_count.label("obs"))
        .join(d, d.source_asset_id == infra.asset_id)
        .join(member, member.asset_id == d.target_asset_id),
        select(infra.asset_id, member.move_group_id, member.asset_id, d.observation_count)
        .join(d, d.target_asset_id == infra.asset_id)
        .join(member, member.asset_id == d.source_asset_id),
    ).subquery()  # fmt: skip
    per_server = (
        select(to_infra.c.infra, to_infra.c.gid, func.sum(to_infra.c.obs).label("obs"))
        .group_by(to_infra.c.infra, to_infra.c.gid, to_infra.c.aid)
        .subquery()
    )
    with uows(tenant) as uow:
        s = uow.session
        pairs = [
            {"groups": tuple(sorted((str(a), str(b)))), "links": int(n), "observations": int(obs or 0)}
            for a, b, n, obs in s.execute(
                select(
                    server_pairs.c.ga,
                    server_pairs.c.gb,
                    func.count(),
                    func.sum(server_pairs.c.obs),
                ).group_by(server_pairs.c.ga, server_pairs.c.gb)
            )
        ]
        infrastructure: dict[str, dict[str, Any]] = {}
        for iid, gid, n, obs in s.execute(
            select(per_server.c.infra, per_server.c.gid, func.count(), func.sum(per_server.c.obs)).group_by(
                per_server.c.infra, per_server.c.gid
            )
        ):
            e = infrastructure.setdefault(str(iid), {"links": 0, "observations": 0, "groups": {}})
            e["groups"][str(gid)] = int(n)
            e["links"] += int(n)
            e["observations"] += int(obs or 0)
    pairs.sort(key=lambda p: p["groups"])
    return {"pairs": pairs, "infrastructure": infrastructure}
