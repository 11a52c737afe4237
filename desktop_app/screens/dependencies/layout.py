"""Where the estate overview puts its bubbles: move groups by igraph, infrastructure on a ring.

Why here and not in the view: at 20,000 servers there are a few thousand groups; the layout is
computed once per refresh in the background pool (service.load), so the GUI thread only creates
items at ready positions. igraph's Fruchterman-Reingold (weighted by the log of the links) lays
out each connected set of groups; the sets are then packed in rows (largest first, unlinked groups
last), so unlinked groups do not drift to the edges. Bubbles are pushed apart afterwards because
the force layout sees points, not areas. Infrastructure servers go on a ring around the estate,
ordered by where the groups they serve are, so their edges cross the picture as little as possible.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import igraph
import numpy as np

GAP = 6.0  # scene units between two bubbles
PUSH_LIMIT = 800  # above this many groups in one linked set, the O(n²) push-apart is skipped
Circle = tuple[float, float, float]  # x, y, radius


@dataclass(frozen=True)
class OverviewLayout:
    """Scene positions and radii: `groups` by group id, `infrastructure` by infrastructure asset id."""

    groups: dict[str, Circle] = field(default_factory=dict)
    infrastructure: dict[str, Circle] = field(default_factory=dict)


def radius(servers: int) -> float:
    """Bubble radius: area grows with the number of servers (a floor keeps one server visible)."""
    return 6.0 + 3.5 * math.sqrt(max(servers, 0))


def infrastructure_radius(groups_served: int) -> float:
    """Infrastructure nodes stay small: they are context, not the subject."""
    return 5.0 + 1.5 * math.log1p(groups_served)


def _push_apart(xy: np.ndarray, r: np.ndarray, rounds: int = 30) -> np.ndarray:
    """Move overlapping bubbles apart along the line between their centres (vectorised, O(n²))."""
    n = len(r)
    if n < 2 or n > PUSH_LIMIT:
        return xy
    x, y = xy[:, 0].astype(np.float32), xy[:, 1].astype(np.float32)
    need = (r[:, None] + r[None, :] + GAP).astype(np.float32)
    np.fill_diagonal(need, 0.0)
    for _ in range(rounds):
        dx, dy = x[:, None] - x[None, :], y[:, None] - y[None, :]
        dist = np.hypot(dx, dy)
        overlap = need - dist
        np.fill_diagonal(overlap, 0.0)
        np.clip(overlap, 0.0, None, out=overlap)
        if not overlap.any():
            break
        share = overlap / (2.0 * np.maximum(dist, 1e-6))
        x, y = x + (dx * share).sum(axis=1), y + (dy * share).sum(axis=1)
    return np.column_stack([x, y]).astype(float)


def _component(g: igraph.Graph, members: list[int], r: np.ndarray) -> np.ndarray:
    """Positions of one linked set of groups, centred on (0, 0)."""
    n = len(members)
    if n == 1:
        return np.zeros((1, 2))
    if n == 2:
        a, b = r[members]
        return np.array([[-(a + GAP / 2), 0.0], [b + GAP / 2, 0.0]])
    sub = g.subgraph(members)
    # a fixed random start makes the picture the same on every refresh; spread as igraph's own
    # start is (a start squeezed into a small square makes the grid variant ~10x slower)
    rnd, half = random.Random(7), math.sqrt(n) / 2
    seed = [[rnd.uniform(-half, half), rnd.uniform(-half, half)] for _ in range(n)]
    xy = np.array(sub.layout_fruchterman_reingold(weights="weight", seed=seed, niter=300).coords, dtype=float)
    rr = r[members]
    edges = np.array(sub.get_edgelist(), dtype=int).reshape(-1, 2)
    lengths = np.linalg.norm(xy[edges[:, 0]] - xy[edges[:, 1]], axis=1)
    want = (rr[edges[:, 0]] + rr[edges[:, 1]] + GAP) * 2.4
    xy *= float(np.mean(want) / max(float(np.mean(lengths)), 1e-6))
    xy = _push_apart(xy, rr)
    lo, hi = (xy - rr[:, None]).min(axis=0), (xy + rr[:, None]).max(axis=0)
    return xy - (lo + hi) / 2


def overview_layout(
    groups: Sequence[dict[str, Any]],
    pairs: Sequence[dict[str, Any]],
    infrastructure: dict[str, dict[str, Any]],
) -> OverviewLayout:
    """Positions for every group (`id`, `assets`) given the linked pairs; infrastructure on a ring."""
    if not groups:
        return OverviewLayout()
    ids = [g["id"] for g in groups]
    index = {gid: i for i, gid in enumerate(ids)}
    r = np.array([radius(len(g["assets"])) for g in groups], dtype=float)
    edges = [(index[a], index[b]) for a, b in (p["groups"] for p in pairs) if a in index and b in index]
    weights = [
        1.0 + math.log1p(p["links"]) for p in pairs if p["groups"][0] in index and p["groups"][1] in index
    ]
    g = igraph.Graph(n=len(ids), edges=edges)
    g.es["weight"] = weights  # carried into each subgraph with its edges
    parts: list[tuple[list[int], np.ndarray, float, float]] = []
    for members in g.connected_components():
        xy = _component(g, list(members), r)
        rr = r[list(members)]
        w = float((xy[:, 0] + rr).max() - (xy[:, 0] - rr).min())
        h = float((xy[:, 1] + rr).max() - (xy[:, 1] - rr).min())
        parts.append((list(members), xy, w, h))
    # linked sets first (biggest first), then unlinked groups by size: a shelf packing in rows
    parts.sort(key=lambda p: (-len(p[0]), -p[2] * p[3]))
    area = sum((w + GAP * 3) * (h + GAP * 3) for _m, _xy, w, h in parts)
    width = max(math.sqrt(area) * 1.15, max(w for _m, _xy, w, _h in parts))
    where: dict[str, Circle] = {}
    x = y = row_h = 0.0
    for members, xy, w, h in parts:
        if x > 0 and x + w > width:
            x, y, row_h = 0.0, y + row_h + GAP * 3, 0.0
        for k, i in enumerate(members):
            where[ids[i]] = (float(xy[k, 0] + x + w / 2), float(xy[k, 1] + y + h / 2), float(r[i]))
        x += w + GAP * 3
        row_h = max(row_h, h)
    return OverviewLayout(groups=where, infrastructure=_ring(where, infrastructure))


def _ring(where: dict[str, Circle], infrastructure: dict[str, dict[str, Any]]) -> dict[str, Circle]:
    """Infrastructure servers evenly on a ring around the estate, ordered by the angle of the groups
    they serve (weighted by links), so each sits on the side of its groups."""
    if not infrastructure or not where:
        return {}
    xs = [c[0] - c[2] for c in where.values()] + [c[0] + c[2] for c in where.values()]
    ys = [c[1] - c[2] for c in where.values()] + [c[1] + c[2] for c in where.values()]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    ring = math.hypot(max(xs) - min(xs), max(ys) - min(ys)) / 2 + 40.0

    def angle(iid: str) -> float:
        served = [(where[g], n) for g, n in infrastructure[iid]["groups"].items() if g in where]
        sx = sum((c[0] - cx) * n for c, n in served)
        sy = sum((c[1] - cy) * n for c, n in served)
        return math.atan2(sy, sx) if served else math.pi

    order = sorted(infrastructure, key=lambda iid: (angle(iid), iid))
    count = len(order)
    ring = max(ring, count * 16.0 / (2 * math.pi))
    out: dict[str, Circle] = {}
    start = angle(order[0])
    for k, iid in enumerate(order):
        a = start + 2 * math.pi * k / count
        out[iid] = (
            cx + ring * math.cos(a),
            cy + ring * math.sin(a),
            infrastructure_radius(len(infrastructure[iid]["groups"])),
        )
    return out
