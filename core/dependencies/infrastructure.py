"""Infrastructure services: by their well-known ports, and by talking to a large part of the estate.

Ports find DNS, directory, NTP, pollers and the rest that use their own ports
(`resources/infrastructure_ports.yaml`). Scanners, agents reporting to 443, backup on ordinary
ports, jump hosts and shared databases do not, so the second test looks at spread: a server whose
peers lie in far more distinct move groups (computed without the busiest servers) than ordinary
servers reach is a hub, whatever its ports. Groups, not raw degree, because a large application's
own database also has hundreds of peers — all in one group — and the core of a move group of
several applications reaches those few applications only. The threshold is relative to the estate:
a spread that stray links would give fewer than 1 in 100 estates of this size, given what an
ordinary server reaches on average (and at least a floor), so it holds from 50 servers to 20,000.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from core.dependencies.estate import EstateGraph, low_count_threshold
from core.dependencies.grouping import GroupingSettings, group
from core.dependencies.ports import PortRule, index_rules
from core.dependencies.units import Units


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why one server looks like infrastructure."""

    category: str
    reason: str
    peers: int
    source: str  # "port" or "fan"


def by_ports(graph: EstateGraph, rules: Sequence[PortRule]) -> dict[int, list[Evidence]]:
    """Servers that serve (or poll on) an infrastructure port for at least the rule's `min_peers` servers."""
    index = index_rules(tuple(rules))
    peers: dict[tuple[int, PortRule], set[int]] = defaultdict(set)
    ports: dict[tuple[int, PortRule], set[str]] = defaultdict(set)
    for a, b, port, protocol in graph.directed:
        if port is None:
            continue
        matched = index.get((port, protocol))
        if not matched:
            continue
        spelled = f"{port}/{protocol}" if protocol else str(port)
        for rule in matched:
            if rule.side in ("target", "either"):
                peers[(b, rule)].add(a)
                ports[(b, rule)].add(spelled)
            if rule.side in ("source", "either"):
                peers[(a, rule)].add(b)
                ports[(a, rule)].add(spelled)
    found: dict[int, list[Evidence]] = defaultdict(list)
    for (server, rule), who in peers.items():
        if len(who) < rule.min_peers:
            continue
        spelled = ", ".join(sorted(ports[(server, rule)], key=lambda p: (len(p), p)))
        if rule.side == "source":
            reason = f"{rule.label}: reaches {len(who):,} servers on {spelled}"
        elif rule.side == "target":
            reason = f"{rule.label}: used by {len(who):,} servers on {spelled}"
        else:
            reason = f"{rule.label}: talks to {len(who):,} servers on {spelled}"
        found[server].append(Evidence(rule.category, reason, len(who), "port"))
    for evidence in found.values():
        evidence.sort(key=lambda e: (-e.peers, e.reason))
    return dict(found)


@dataclass(frozen=True, slots=True)
class FanThreshold:
    """How the spread threshold came out for this estate (reported with each detection)."""

    threshold: int
    usual: float  # parts an ordinary server reaches on average (trimmed mean)
    parts: int
    #: server → parts of the estate its peers lie in
    spread: Mapping[int, int] = field(default_factory=dict, repr=False)


def parts(graph: EstateGraph, units: Units, excluded: set[int], settings: GroupingSettings) -> list[int]:
    """What 'distinct parts of the estate' means: each unit's move group in the estate without `excluded`.

    The grouping itself, so the applications of one move group that talk heavily count as one part,
    and a hub's own satellites (left alone once the hubs are out) as none.
    """
    return group(graph, units, excluded, low_count_threshold(graph), settings).label


def _chance_threshold(mean: float, servers: int, floor: int, alpha: float) -> int:
    """The smallest spread (at least `floor`) that chance gives fewer than `alpha` servers of the estate.

    Ordinary servers reach other groups through stray links, a few each: counted as Poisson with the
    ordinary mean (widened by the caller for clumping). The bound grows with the estate, slowly.
    """
    k = 0
    term = math.exp(-mean)  # P(X = 0)
    below = 0.0  # P(X < k)
    while True:
        if k >= floor and servers * max(0.0, 1.0 - below) < alpha:
            return k
        below += term
        k += 1
        term *= mean / k
        if k > 100_000:  # unreachable for any real estate; keeps the loop finite
            return k


def by_fan(
    graph: EstateGraph,
    units: Units,
    excluded: set[int],
    *,
    settings: GroupingSettings | None = None,
    floor: int = 5,
    dispersion: float = 2.0,
    alpha: float = 0.01,
    candidate_share: float = 0.02,
) -> tuple[dict[int, list[Evidence]], FanThreshold]:
    """Servers whose peers lie in many more move groups than the estate's ordinary servers reach."""
    degree: dict[int, int] = defaultdict(int)
    for a, b in graph.pairs:
        if a in excluded or b in excluded:
            continue
        degree[a] += 1
        degree[b] += 1
    if not degree:
        return {}, FanThreshold(threshold=floor, usual=0.0, parts=0)
    # candidates: the busiest servers — the top `candidate_share`, or (in a small estate, where hubs are
    # more than that share) every server with three times the median number of peers
    ranked = sorted(degree.values(), reverse=True)
    top = ranked[min(len(ranked) - 1, int(len(ranked) * candidate_share))]
    cut = max(floor, min(top, math.ceil(3 * statistics.median(ranked))))
    candidates = {i for i, d in degree.items() if d >= cut}
    membership = parts(graph, units, excluded | candidates, settings or GroupingSettings())
    of = units.of
    part_of = [membership[of[i]] for i in range(len(of))]
    size = defaultdict(int)
    for i in degree:
        if i not in candidates:
            size[part_of[i]] += 1
    reached: dict[int, set[int]] = defaultdict(set)
    fan_in: dict[int, set[int]] = defaultdict(set)
    fan_out: dict[int, set[int]] = defaultdict(set)
    for a, b, _port, _protocol in graph.directed:
        if a in excluded or b in excluded:
            continue
        fan_out[a].add(b)
        fan_in[b].add(a)
    for a, b in graph.pairs:
        if a in excluded or b in excluded:
            continue
        # a peer counts towards spread by the group it is in without the hubs; a peer that is left
        # alone once the hubs are gone is the hub's own satellite, not another part of the estate
        if b not in candidates and size[part_of[b]] > 1:
            reached[a].add(part_of[b])
        if a not in candidates and size[part_of[a]] > 1:
            reached[b].add(part_of[a])
    spread = {
        i: len(reached.get(i, set()) - ({part_of[i]} if i not in candidates else set())) for i in degree
    }
    n_parts = len({part_of[i] for i in degree if i not in candidates})
    # what ordinary servers reach: the busiest servers (the candidates) and the top 5 % are left out
    # of the mean, so hubs that are not candidates (a small estate has more hubs than candidates)
    # do not raise it
    ordinary = sorted(v for i, v in spread.items() if i not in candidates)
    trimmed = ordinary[: max(1, math.ceil(len(ordinary) * 0.95))] if ordinary else [0]
    usual = sum(trimmed) / len(trimmed)
    threshold = _chance_threshold(dispersion * usual, len(ordinary), floor, alpha)
    info = FanThreshold(threshold=threshold, usual=usual, parts=n_parts, spread=spread)
    found: dict[int, list[Evidence]] = {}
    for i, value in spread.items():
        if value < threshold:
            continue
        n_in, n_out = len(fan_in.get(i, ())), len(fan_out.get(i, ()))
        direction = "fan-out" if n_out >= n_in else "fan-in"
        category = "scanner or agent poller" if direction == "fan-out" else "shared service or collector"
        reason = (
            f"{direction}: talks to {degree[i]:,} servers ({n_out:,} out, {n_in:,} in) in {value:,} parts of "
            f"the estate; an ordinary server reaches {usual:.1f} on average: {threshold} or more is no chance"
        )
        found[i] = [Evidence(category, reason, degree[i], "fan")]
    return found, info
