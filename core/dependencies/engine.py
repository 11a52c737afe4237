"""`analyse`: infrastructure services and move groups of one estate, every decision with its reason.

Plain data in (servers, connections, the consultant's overrides), `DependencyAnalysis` out; no
database, so the phase runner, the CLI, the benchmark and the tests all call the same function.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field

from core.dependencies.estate import EstateGraph, build, is_weak, low_count_threshold
from core.dependencies.grouping import Grouping, GroupingSettings, Merge, group
from core.dependencies.infrastructure import Evidence, by_fan, by_ports
from core.dependencies.model import (
    Connection,
    DependencyAnalysis,
    GroupLink,
    InfrastructureService,
    MoveGroup,
    Override,
    Server,
    UnresolvedSummary,
)
from core.dependencies.ports import PortRule, default_rules
from core.dependencies.units import HardLinkScope, Units, hard_link_units

#: (done, total) after each stage; may raise to cancel (a phase job's `report`)
ReportFn = Callable[[int, int], None]
_STAGES = 5
_MAX_REASONS = 6


@dataclass(frozen=True, slots=True)
class AnalysisSettings:
    """Everything that shapes the answer; reported with it so a result can be reproduced."""

    hard_link_scope: HardLinkScope = "application_environment"
    weak_share: float = 0.05  # one connection with ≤ this share of the median count is weak evidence
    fan_floor: int = 5  # a hub reaches at least this many parts (move groups) of the estate
    fan_dispersion: float = 2.0  # stray links clump: the chance model's mean is widened by this factor
    grouping: GroupingSettings = field(default_factory=GroupingSettings)


def _fmt(n: float) -> str:
    return f"{n:,.0f}" if n >= 10 else f"{n:.1f}"


def _infrastructure(
    graph: EstateGraph,
    units: Units,
    overrides: Sequence[Override],
    rules: Sequence[PortRule],
    settings: AnalysisSettings,
    notes: list[str],
) -> tuple[list[InfrastructureService], dict[str, float]]:
    servers = graph.servers
    forced: dict[int, Override] = {}
    for override in overrides:
        i = graph.index.get(override.server_id)
        if i is None:
            notes.append(
                f"An override names server {override.server_id!r}, which is not in the inventory: ignored."
            )
            continue
        forced[i] = override  # the last decision on a server wins
    port = by_ports(graph, rules)
    forced_in = {i for i, o in forced.items() if o.infrastructure}
    forced_out = {i for i, o in forced.items() if not o.infrastructure}
    set_aside = (set(port) - forced_out) | forced_in
    fan, threshold = by_fan(
        graph,
        units,
        set_aside,
        floor=settings.fan_floor,
        dispersion=settings.fan_dispersion,
        settings=settings.grouping,
    )
    found: list[InfrastructureService] = []
    for i in sorted(set(port) | set(fan) | forced_in, key=lambda i: servers[i].hostname.casefold()):
        evidence: list[Evidence] = [*port.get(i, ()), *fan.get(i, ())]
        if i in forced_out:
            continue
        reasons = [e.reason for e in evidence]
        if i in forced_in:
            why = forced[i].reason or "no reason given"
            reasons.insert(0, f"marked as infrastructure by the consultant: {why}")
            source = "override"
            category = evidence[0].category if evidence else "marked by consultant"
        else:
            source = evidence[0].source  # type: ignore[assignment]
            category = evidence[0].category
        found.append(
            InfrastructureService(
                server_id=servers[i].id,
                hostname=servers[i].hostname,
                category=category,
                source=source,  # type: ignore[arg-type]
                reasons=tuple(reasons),
                peers=max((e.peers for e in evidence), default=0),
            )
        )
    for i in sorted(forced_out & (set(port) | set(fan))):
        why = forced[i].reason or "no reason given"
        notes.append(
            f"{servers[i].hostname} looks like infrastructure but the consultant keeps it in the groups: "
            f"{why}."
        )
    return found, {"fan_threshold": threshold.threshold, "fan_usual_reach": round(threshold.usual, 3)}


def _group_id(server_ids: Iterable[str]) -> str:
    digest = hashlib.sha1("\n".join(sorted(server_ids)).encode("utf-8")).hexdigest()
    return f"mg-{digest[:12]}"


def _strength(graph: EstateGraph, excluded: set[int]) -> dict[int, float]:
    strength: dict[int, float] = defaultdict(float)
    for (a, b), pair in graph.pairs.items():
        if a in excluded or b in excluded:
            continue
        strength[a] += pair.weight
        strength[b] += pair.weight
    return strength


def _build_groups(
    graph: EstateGraph, units: Units, grouping: Grouping, infra: set[int], low: float
) -> tuple[list[MoveGroup], dict[int, str]]:
    servers = graph.servers
    members: dict[int, list[int]] = defaultdict(list)
    for unit, label in enumerate(grouping.label):
        for i in units.members[unit]:
            if i not in infra:
                members[label].append(i)
    strength = _strength(graph, infra)
    unit_of = units.of
    merges_by_group: dict[int, list[Merge]] = defaultdict(list)
    for merge in grouping.merges:
        merges_by_group[grouping.label[merge.a]].append(merge)
    internal_connections: Counter[int] = Counter()
    label_of_server = {i: grouping.label[unit_of[i]] for i in range(len(servers)) if i not in infra}
    for a, b, _p, _q in graph.directed:
        la, lb = label_of_server.get(a), label_of_server.get(b)
        if la is not None and la == lb:
            internal_connections[la] += 1
    weak_neighbours: dict[int, Counter[int]] = defaultdict(Counter)
    for (a, b), pair in graph.pairs.items():
        la, lb = label_of_server.get(a), label_of_server.get(b)
        if la is not None and lb is not None and la != lb and is_weak(pair, low):
            weak_neighbours[la][lb] += 1
            weak_neighbours[lb][la] += 1
    drafts = []
    for label, idx in members.items():
        idx.sort(key=lambda i: servers[i].hostname.casefold())
        apps: Counter[str] = Counter()
        app_units: dict[str, set[int]] = defaultdict(set)
        for unit in {unit_of[i] for i in idx}:
            n = sum(1 for i in units.members[unit] if i not in infra)
            for name in units.applications[unit]:
                apps[name] += n
                app_units[name].add(unit)
        ordered_apps = [name for name, _ in sorted(apps.items(), key=lambda kv: (-kv[1], kv[0].casefold()))]
        envs = sorted({units.environments[i] for i in idx if units.environments[i]})
        if ordered_apps:
            base = ordered_apps[0]
        else:
            top = sorted(idx, key=lambda i: (-strength.get(i, 0.0), servers[i].hostname.casefold()))[0]
            base = servers[top].hostname
        name = f"{base} ({envs[0]})" if len(envs) == 1 else base
        reasons = _reasons(
            graph, units, grouping, idx, merges_by_group[label], infra, weak_neighbours[label], strength
        )
        unresolved = sum(graph.unresolved_by_server.get(i, 0) for i in idx)
        drafts.append((label, idx, name, tuple(ordered_apps), tuple(envs), reasons, unresolved))
    # unique names: the larger group keeps the plain name, then by first hostname
    drafts.sort(key=lambda d: (-len(d[1]), d[2].casefold(), servers[d[1][0]].hostname.casefold()))
    seen: Counter[str] = Counter()
    groups: list[MoveGroup] = []
    group_of_label: dict[int, str] = {}
    for label, idx, name, apps, envs, reasons, unresolved in drafts:
        seen[name] += 1
        if seen[name] > 1:
            name = f"{name} #{seen[name]}"
        ids = tuple(servers[i].id for i in idx)
        gid = _group_id(ids)
        group_of_label[label] = gid
        groups.append(
            MoveGroup(
                id=gid,
                name=name,
                server_ids=ids,
                hostnames=tuple(servers[i].hostname for i in idx),
                applications=apps,
                environments=envs,
                reasons=reasons,
                internal_connections=internal_connections[label],
                unresolved_connections=unresolved,
            )
        )
    return groups, group_of_label


def _unit_name(graph: EstateGraph, units: Units, unit: int) -> str:
    apps = units.applications[unit]
    if apps:
        return apps[0]
    return graph.servers[units.members[unit][0]].hostname


def _reasons(
    graph: EstateGraph,
    units: Units,
    grouping: Grouping,
    idx: list[int],
    merges: list[Merge],
    infra: set[int],
    weak_neighbours: Counter[int],
    strength: dict[int, float],
) -> tuple[str, ...]:
    servers = graph.servers
    reasons: list[str] = []
    unit_of = units.of
    named_units = sorted({unit_of[i] for i in idx if units.named(unit_of[i])})
    for unit in named_units:
        n = sum(1 for i in units.members[unit] if i not in infra)
        names = " + ".join(units.applications[unit])
        what = "application" if len(units.applications[unit]) == 1 else "applications sharing servers"
        reasons.append(f"{what} {names}: {n} server{'s' if n != 1 else ''} (named in the inventory)")
    for merge in sorted(merges, key=lambda m: -m.weight)[:_MAX_REASONS]:
        a, b = _unit_name(graph, units, merge.a), _unit_name(graph, units, merge.b)
        reasons.append(
            f"{a} ↔ {b}: {merge.connections} connection{'s' if merge.connections != 1 else ''} between "
            f"{merge.pairs} server pair{'s' if merge.pairs != 1 else ''} (weight {_fmt(merge.weight)}, "
            f"{merge.weight / merge.reference:.1f}× the typical internal traffic of the smaller side)"
        )
    if len(merges) > _MAX_REASONS:
        reasons.append(f"and {len(merges) - _MAX_REASONS} more links between applications")
    unnamed = [i for i in idx if not units.named(unit_of[i])]
    attached = [(i, grouping.attached.get(unit_of[i])) for i in unnamed]
    placed = [(i, target) for i, target in attached if target is not None]
    if placed:
        shown = ", ".join(
            f"{servers[i].hostname} → {_unit_name(graph, units, t)}" for i, t in placed[:_MAX_REASONS]
        )
        more = f" and {len(placed) - _MAX_REASONS} more" if len(placed) > _MAX_REASONS else ""
        reasons.append(
            f"{len(placed)} server{'s' if len(placed) != 1 else ''} without an application placed by their "
            f"traffic (strongest link): {shown}{more}"
        )
    if len(idx) == 1 and not named_units:
        if strength.get(idx[0], 0.0) == 0.0 and not weak_neighbours:
            reasons.append(
                "no connection to another server (outside infrastructure) in the data: a group of its own"
            )
        elif not placed:
            reasons.append("its traffic to other groups is not enough to join them: a group of its own")
    if weak_neighbours:
        n = sum(weak_neighbours.values())
        reasons.append(
            f"{n} weak link{'s' if n != 1 else ''} to {len(weak_neighbours)} other group"
            f"{'s' if len(weak_neighbours) != 1 else ''} (one connection, few observations) did not join them"
        )
    return tuple(reasons)


def _group_links(graph: EstateGraph, group_of_server: dict[int, str], low: float) -> list[GroupLink]:
    acc: dict[tuple[str, str], list[int]] = {}
    for (a, b, _p, _q), count in graph.directed.items():
        ga, gb = group_of_server.get(a), group_of_server.get(b)
        if ga is None or gb is None or ga == gb:
            continue
        entry = acc.get((ga, gb))
        if entry is None:
            entry = acc[(ga, gb)] = [0, 0]
        entry[0] += 1
        entry[1] += count
    return [
        GroupLink(source=s, target=t, connections=c, observations=o, weak=c == 1 and o <= low)
        for (s, t), (c, o) in sorted(acc.items())
    ]


def analyse(
    servers: Sequence[Server],
    connections: Iterable[Connection],
    overrides: Sequence[Override] = (),
    *,
    rules: Sequence[PortRule] | None = None,
    settings: AnalysisSettings | None = None,
    report: ReportFn | None = None,
) -> DependencyAnalysis:
    """Infrastructure services and move groups of `servers` given their `connections`."""
    settings = settings or AnalysisSettings()
    rules = default_rules() if rules is None else rules
    notes: list[str] = []

    def step(done: int) -> None:
        if report is not None:
            report(done, _STAGES)

    graph = build(servers, connections)
    servers = graph.servers  # in id order, so the answer does not depend on the input's order
    step(1)
    units = hard_link_units(servers, settings.hard_link_scope)
    low = low_count_threshold(graph, settings.weak_share)
    step(2)
    infrastructure, fan_figures = _infrastructure(graph, units, overrides, rules, settings, notes)
    infra = {graph.index[s.server_id] for s in infrastructure}
    step(3)
    grouping = group(graph, units, infra, low, settings.grouping)
    step(4)
    groups, group_of_label = _build_groups(graph, units, grouping, infra, low)
    group_of_server = {
        i: group_of_label[grouping.label[units.of[i]]] for i in range(len(servers)) if i not in infra
    }
    links = _group_links(graph, group_of_server, low)
    touched = {i for pair in graph.pairs for i in pair}
    silent = [i for i in range(len(servers)) if i not in touched and i not in infra]
    if not graph.directed:
        notes.insert(
            0,
            "No dependency data: there are no connections between servers of the inventory, so the groups "
            "come from application names only and every server without an application is a group of its own. "
            "Import a connection export to group by traffic.",
        )
    elif silent:
        notes.append(
            f"{len(silent):,} server{'s have' if len(silent) != 1 else ' has'} no connection to another "
            "server in the data: grouped by application name only (alone when none is known)."
        )
    if graph.directed and low < 1:
        notes.append(
            "Every connection has about the same observation count, so counts cannot tell weak links from "
            "strong ones: each connection counts as evidence."
        )
    if graph.self_connections:
        notes.append(f"{graph.self_connections:,} self-connection(s) (a server to itself) ignored.")
    if graph.unknown_server_ids:
        notes.append(
            f"{graph.unknown_server_ids:,} connection end(s) name a server id the inventory does not have: "
            "kept as unresolved endpoints."
        )
    if graph.unresolved_connections:
        notes.append(
            f"{graph.unresolved_connections:,} connection(s) to or from {len(graph.unresolved_endpoints):,} "
            "endpoint(s) that are not servers of the inventory (external or unknown addresses): kept and "
            "counted, not used for grouping."
        )
    if grouping.cross_environment_pairs:
        notes.append(
            f"{grouping.cross_environment_pairs:,} server pair(s) talk across environments (e.g. production "
            "and test): recorded as links between groups, never a reason to move them together."
        )
    unresolved = UnresolvedSummary(
        endpoints=len(graph.unresolved_endpoints),
        connections=graph.unresolved_connections,
        observations=graph.unresolved_observations,
        top=tuple(sorted(graph.unresolved_endpoints.items(), key=lambda kv: (-kv[1], kv[0]))[:10]),
    )
    stats = {
        "servers": len(servers),
        "connection_rows": graph.rows,
        "distinct_connections": len(graph.directed),
        "server_pairs": len(graph.pairs),
        "self_connections": graph.self_connections,
        "unresolved_connections": graph.unresolved_connections,
        "unresolved_endpoints": len(graph.unresolved_endpoints),
        "infrastructure": len(infrastructure),
        "groups": len(groups),
        "servers_without_connections": len(silent),
        "weak_pairs": grouping.weak_pairs,
        "cross_environment_pairs": grouping.cross_environment_pairs,
        "weak_count_threshold": round(low, 3),
        "typical_internal_link_weight": round(grouping.reference, 3),
        **fan_figures,
    }
    step(5)
    return DependencyAnalysis(
        infrastructure=tuple(infrastructure),
        groups=tuple(groups),
        group_links=tuple(links),
        unresolved=unresolved,
        stats=stats,
        notes=tuple(notes),
        settings=asdict(settings),
    )
