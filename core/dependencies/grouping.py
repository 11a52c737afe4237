"""Move groups: named applications joined by heavy traffic, unnamed servers placed by their traffic.

Three steps, each with a reason a consultant can check:

1. **Applications join applications** only on strong evidence: the traffic between two units must
   be at least `link_ratio` (¾) of what a server of the smaller one typically exchanges inside it
   (its mean internal weighted degree; for a single-server unit, the estate's median link inside
   applications). One nightly job between two large applications is a dependency, not a reason to
   move them together. Two groups that both hold named applications must also show corroborated
   evidence: at least `min_application_pairs` (2) distinct server pairs — independent witnesses —
   or, through a single pair, more observations than the estate's median connection (traffic that
   stands out from an ordinary connection). An application name is the consultant's own statement,
   and the weight test alone cannot protect it: being relative, it passes trivially when the counts
   say nothing (a netstat snapshot, every count 1) or the smaller application has no internal
   traffic, so one connection would glue two applications together.
2. **Servers without an application** are placed by Leiden (leidenalg, RB-configuration quality)
   on the unit graph, with every application unit fixed in its own community: an unnamed server
   joins the application it talks to most, or forms a group with other unnamed servers, and no
   application can be pulled into another by the community search (modularity's resolution limit
   otherwise merges small groups along a single connection).
3. Step 1's rule again on the groups of step 2, so applications linked through their unnamed
   servers are joined too.

Evidence is log-scaled (a pair's weight is the sum of log(1 + observations) over its connections);
a weak pair (one connection, few observations) is never evidence; infrastructure and unresolved
endpoints take no part; and by default groups of different known environments never merge.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import igraph as ig
import leidenalg

from core.dependencies.estate import EstateGraph, is_weak
from core.dependencies.units import Units


@dataclass(frozen=True, slots=True)
class GroupingSettings:
    """The knobs of the grouping: defaults from the middle of the plateau benchmarks/planning.py measured."""

    link_ratio: float = 0.75
    min_application_pairs: int = 2  # distinct server pairs that join named applications without a heavy pair
    resolution: float = 10.0
    seed: int = 1
    merge_across_environments: bool = False


@dataclass(frozen=True, slots=True)
class Link:
    """Evidence between two units (server pairs that are not weak)."""

    weight: float
    connections: int
    observations: int
    pairs: int


@dataclass(frozen=True, slots=True)
class Merge:
    """Why two groups were joined in step 1 or 3."""

    a: int  # a unit of each side
    b: int
    weight: float
    connections: int
    pairs: int
    reference: float  # the typical internal traffic of the smaller side's servers
    step: int


@dataclass
class Grouping:
    """Each unit's group label, and the evidence that made the groups."""

    label: list[int]
    merges: list[Merge]
    links: dict[tuple[int, int], Link]
    internal: dict[int, float]
    weak_pairs: int
    cross_environment_pairs: int
    reference: float
    attached: dict[int, int] = field(default_factory=dict)  # unnamed unit → the unit it talks to most


def _compatible(a: frozenset[str], b: frozenset[str]) -> bool:
    return len(a | b) <= 1


class _Groups:
    """Union of groups with the environment rule (a known environment never mixes with another)."""

    def __init__(self, envs: Sequence[frozenset[str]], check_env: bool) -> None:
        self.parent = list(range(len(envs)))
        self.env = [set(e) for e in envs]
        self.check_env = check_env

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if self.check_env and len(self.env[ra] | self.env[rb]) > 1:
            return False
        self.parent[rb] = ra
        self.env[ra] |= self.env[rb]
        return True


def _unit_links(
    graph: EstateGraph,
    units: Units,
    excluded: set[int],
    low: float,
    envs: Sequence[frozenset[str]],
    check_env: bool,
) -> tuple[dict[tuple[int, int], Link], dict[int, float], list[float], int, int]:
    """Non-weak evidence between units, each unit's internal weight, and what was left out."""
    acc: dict[tuple[int, int], list[float]] = {}
    internal: dict[int, float] = defaultdict(float)
    internal_pairs: list[float] = []
    weak = 0
    cross_env = 0
    of = units.of
    for (a, b), pair in graph.pairs.items():
        if a in excluded or b in excluded:
            continue
        ua, ub = of[a], of[b]
        if ua == ub:
            internal[ua] += pair.weight
            internal_pairs.append(pair.weight)
            continue
        if is_weak(pair, low):
            weak += 1
            continue
        if check_env and not _compatible(envs[ua], envs[ub]):
            cross_env += 1
            continue
        key = (ua, ub) if ua < ub else (ub, ua)
        entry = acc.get(key)
        if entry is None:
            entry = acc[key] = [0.0, 0, 0, 0]
        entry[0] += pair.weight
        entry[1] += pair.connections
        entry[2] += pair.observations
        entry[3] += 1
    links = {k: Link(v[0], int(v[1]), int(v[2]), int(v[3])) for k, v in acc.items()}
    return links, dict(internal), internal_pairs, weak, cross_env


def _evidence_merge(
    label: list[int],
    links: dict[tuple[int, int], Link],
    internal: dict[int, float],
    sizes: Sequence[int],
    named: Sequence[bool],
    envs: Sequence[frozenset[str]],
    settings: GroupingSettings,
    reference: float,
    typical_count: float,
    *,
    only_named: bool,
    step: int,
) -> tuple[list[int], list[Merge]]:
    """Join groups whose traffic is at least `link_ratio` × the smaller one's typical internal traffic.

    Groups that both hold named applications also need `min_application_pairs` distinct server pairs,
    or one pair carrying more observations than `typical_count` (the estate's median connection).
    """
    g_size: dict[int, int] = defaultdict(int)
    g_internal: dict[int, float] = defaultdict(float)
    g_named: set[int] = set()
    g_env: dict[int, set[str]] = defaultdict(set)
    for unit, group in enumerate(label):
        g_size[group] += sizes[unit]
        g_internal[group] += internal.get(unit, 0.0)
        g_env[group] |= envs[unit]
        if named[unit]:
            g_named.add(group)
    between: dict[tuple[int, int], list[float]] = {}
    witness: dict[tuple[int, int], tuple[int, int]] = {}
    for (ua, ub), link in links.items():
        ga, gb = label[ua], label[ub]
        if ga == gb:
            g_internal[ga] += link.weight
            continue
        key = (ga, gb) if ga < gb else (gb, ga)
        entry = between.get(key)
        if entry is None:
            entry = between[key] = [0.0, 0, 0, 0]
            witness[key] = (ua, ub)
        entry[0] += link.weight
        entry[1] += link.connections
        entry[2] += link.pairs
        entry[3] += link.observations

    def typical(group: int) -> float:
        inner = g_internal[group]
        return 2.0 * inner / g_size[group] if inner > 0 else reference

    candidates: list[tuple[float, int, int]] = []
    for (ga, gb), (weight, _c, pairs, observations) in between.items():
        both_named = ga in g_named and gb in g_named
        if only_named and not both_named:
            continue
        if both_named and pairs < settings.min_application_pairs and observations <= typical_count:
            continue  # one ordinary pair is one witness: not enough to overrule two application names
        ref = min(typical(ga), typical(gb))
        if weight >= settings.link_ratio * ref:
            candidates.append((weight / ref, ga, gb))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    groups = sorted(set(label))
    position = {g: i for i, g in enumerate(groups)}
    union = _Groups([frozenset(g_env[g]) for g in groups], not settings.merge_across_environments)
    merges: list[Merge] = []
    for _ratio, ga, gb in candidates:
        if union.union(position[ga], position[gb]):
            weight, connections, pairs, _o = between[(ga, gb)]
            ua, ub = witness[(ga, gb)]
            ref = min(typical(ga), typical(gb))
            merges.append(Merge(ua, ub, weight, int(connections), int(pairs), ref, step))
    return [groups[union.find(position[g])] for g in label], merges


def _leiden_fixed(
    n_units: int,
    links: dict[tuple[int, int], Link],
    internal: dict[int, float],
    label: list[int],
    named: Sequence[bool],
    settings: GroupingSettings,
) -> list[int]:
    """Leiden over the units with the application groups fixed: only unnamed units move."""
    fixed = [named[u] for u in range(n_units)]
    edges: list[tuple[int, int]] = []
    weights: list[float] = []
    for (ua, ub), link in links.items():
        if named[ua] and named[ub]:
            continue  # applications are joined by the evidence rule only
        edges.append((ua, ub))
        weights.append(link.weight)
    if not edges:
        return list(label)
    for unit, weight in internal.items():
        edges.append((unit, unit))
        weights.append(weight)
    initial: dict[int, int] = {}
    membership = []
    for unit in range(n_units):
        key = label[unit] if named[unit] else -1 - unit
        membership.append(initial.setdefault(key, len(initial)))
    g = ig.Graph(n=n_units, edges=edges)
    partition = leidenalg.RBConfigurationVertexPartition(
        g, initial_membership=membership, weights=weights, resolution_parameter=settings.resolution
    )
    optimiser = leidenalg.Optimiser()
    optimiser.set_rng_seed(settings.seed)
    optimiser.optimise_partition(partition, n_iterations=-1, is_membership_fixed=fixed)
    return list(partition.membership)


def group(
    graph: EstateGraph, units: Units, excluded: set[int], low: float, settings: GroupingSettings
) -> Grouping:
    """Group the units of the estate (servers in `excluded` — the infrastructure — take no part)."""
    n_units = len(units.members)
    sizes = [sum(1 for i in members if i not in excluded) for members in units.members]
    named = [units.named(u) for u in range(n_units)]
    envs = [
        frozenset(env for i in members if (env := units.environments[i]) is not None)
        for members in units.members
    ]
    check_env = not settings.merge_across_environments
    links, internal, internal_pairs, weak, cross_env = _unit_links(
        graph, units, excluded, low, envs, check_env
    )
    if internal_pairs:
        reference = statistics.median(internal_pairs)
    else:
        all_pairs = [p.weight for (a, b), p in graph.pairs.items() if a not in excluded and b not in excluded]
        reference = statistics.median(all_pairs) if all_pairs else 1.0
    counts = sorted(graph.directed.values())
    typical_count = float(counts[len(counts) // 2]) if counts else 0.0
    label = list(range(n_units))  # step 1: applications join applications on strong evidence only
    label, merges = _evidence_merge(
        label,
        links,
        internal,
        sizes,
        named,
        envs,
        settings,
        reference,
        typical_count,
        only_named=True,
        step=1,
    )
    # step 2: servers without an application find their place; the application groups of step 1 stay fixed
    label = _leiden_fixed(n_units, links, internal, label, named, settings)
    label, later = _evidence_merge(  # step 3: the same rule on the groups step 2 made
        label,
        links,
        internal,
        sizes,
        named,
        envs,
        settings,
        reference,
        typical_count,
        only_named=False,
        step=3,
    )
    merges.extend(later)
    attached: dict[int, int] = {}
    strongest: dict[int, tuple[float, int]] = {}
    for (ua, ub), link in links.items():
        for x, y in ((ua, ub), (ub, ua)):
            if not named[x] and label[x] == label[y]:
                best = strongest.get(x)
                if best is None or link.weight > best[0]:
                    strongest[x] = (link.weight, y)
    for x, (_w, y) in strongest.items():
        attached[x] = y
    return Grouping(
        label=label,
        merges=merges,
        links=links,
        internal=internal,
        weak_pairs=weak,
        cross_environment_pairs=cross_env,
        reference=reference,
        attached=attached,
    )
