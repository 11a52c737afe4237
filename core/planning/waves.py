"""The wave planner: move groups, dependencies and limits in, dated waves and what they break out.

How it decides (every step is reported in `WavePlan.stats`):

1. Locked waves keep their members and position; manual placements pin an application's or a
   group's servers to a wave (a group that fits follows its pinned applications whole).
2. Every other group is one unit, unless it is larger than a wave: then it is split between its
   applications along the weakest connections (`core.planning.split`) and the cut is reported.
3. Units that depend on each other in a cycle and fit one wave together become one block.
4. Greedy plan: blocks in dependency order (what is depended on first), ready blocks by priority
   (non-production before production, low criticality before critical), each into the earliest
   wave that is open, not full and not before its dependencies.
5. CP-SAT improves it within the time limit: the same constraints — dependency order as hard
   constraints when the greedy plan shows they can all be met, as heavy penalties otherwise — and
   the objective "sum over servers of wave number × earliness" (earliness 8 for a low-criticality
   non-production server … 1 for a critical production one), plus keeping a split group's parts
   close. Its plan is taken only when it is at least as good as the greedy one.

A wave limit that a unit which may not be split cannot meet (one application, one server's
storage) is a `UserInputError` naming it and the smallest limit that works; nothing loops.
"""

from __future__ import annotations

import heapq
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.errors import UserInputError
from core.planning import split as splitting
from core.planning.model import (
    BrokenDependency,
    Dependency,
    GroupSplit,
    LockedWave,
    MoveGroup,
    Placement,
    Server,
    Wave,
    WaveCalendar,
    WaveLimits,
    WavePlan,
)
from core.planning.solver import WaveModel, refine_split, solve_waves
from core.progress import CancelToken
from core.values.enums import enum_set

CRITICALITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
#: risk = 4 × production + criticality rank (0..7); earliness = RISK_LEVELS − risk (8..1)
RISK_LEVELS = 8
#: share of the time limit the splits of oversized groups may use together
SPLIT_TIME_SHARE = 0.25
#: groups split with CP-SAT refinement only up to this many atoms (the greedy split beyond)
SPLIT_REFINE_MAX_ATOMS = 3000


def is_production(environment: str | None) -> bool:
    """Production, or not known (treated as production: never moved early by mistake)."""
    if environment is None or not str(environment).strip():
        return True
    enum = enum_set("environment")
    canon = enum.lookup(str(environment)) if enum is not None else None
    return (canon or str(environment).strip().lower()) == "production"


def criticality_rank(criticality: str | None) -> int:
    """0 low … 3 critical; not known counts as medium."""
    if criticality is None or not str(criticality).strip():
        return 1
    enum = enum_set("business_criticality")
    canon = enum.lookup(str(criticality)) if enum is not None else None
    return CRITICALITY_RANK.get(canon or str(criticality).strip().lower(), 1)


def risk_of(server: Server) -> int:
    return 4 * is_production(server.environment) + criticality_rank(server.criticality)


@dataclass
class _Unit:
    servers: list[str]
    group: str
    fixed: int | None = None
    """wave index (0-based) of a locked or pinned unit; None: the planner decides"""
    locked: bool = False


def _fits(size: int, storage: int, limits: WaveLimits) -> bool:
    return size <= limits.max_servers and (limits.max_storage_gb is None or storage <= limits.max_storage_gb)


def _sccs(n: int, adj: Sequence[Sequence[int]]) -> list[list[int]]:
    """Strongly connected components (iterative Tarjan), dependencies before their dependents."""
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    for root in range(n):
        if index[root] != -1:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        work = [(root, 0)]
        while work:
            v, i = work[-1]
            if i < len(adj[v]):
                work[-1] = (v, i + 1)
                w = adj[v][i]
                if index[w] == -1:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, 0))
                elif on_stack[w]:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    comp.append(w)
                    if w == v:
                        break
                out.append(comp)
    return out


def _check_limits(limits: WaveLimits) -> None:
    if (
        not isinstance(limits.max_servers, int)
        or isinstance(limits.max_servers, bool)
        or limits.max_servers < 1
    ):
        raise UserInputError(
            f"the wave limit must be a whole number of servers, at least 1 (got {limits.max_servers!r})",
            hint="pass --max-servers N with N ≥ 1",
        )
    if limits.max_storage_gb is not None and not limits.max_storage_gb > 0:
        raise UserInputError(
            f"the wave storage limit must be more than 0 GB (got {limits.max_storage_gb!r})",
            hint="leave it out for no storage limit",
        )


def _index(groups: Sequence[MoveGroup]) -> tuple[dict[str, Server], dict[str, str], dict[str, MoveGroup]]:
    servers: dict[str, Server] = {}
    group_of: dict[str, str] = {}
    by_id: dict[str, MoveGroup] = {}
    for g in groups:
        if g.id in by_id:
            raise UserInputError(
                f"move group id {g.id!r} is given twice", hint="each move group needs its own id"
            )
        by_id[g.id] = g
        for s in g.servers:
            if s.id in group_of:
                raise UserInputError(
                    f"server {s.label!r} is in two move groups "
                    f"({by_id[group_of[s.id]].name!r} and {g.name!r})",
                    hint="a server belongs to exactly one move group; re-run the grouping",
                )
            servers[s.id] = s
            group_of[s.id] = g.id
    return servers, group_of, by_id


def _locked(
    locked: Sequence[LockedWave], servers: dict[str, Server], warnings: list[str]
) -> tuple[dict[str, int], dict[int, LockedWave]]:
    at: dict[str, int] = {}
    by_index: dict[int, LockedWave] = {}
    for lw in locked:
        if lw.order < 1:
            raise UserInputError(f"locked wave order must be 1 or more (got {lw.order})")
        if lw.order - 1 in by_index:
            raise UserInputError(
                f"two locked waves have order {lw.order}", hint="give each locked wave its own order"
            )
        by_index[lw.order - 1] = lw
        missing = 0
        for sid in lw.servers:
            if sid not in servers:
                missing += 1
                continue
            if sid in at:
                raise UserInputError(
                    f"server {servers[sid].label!r} is in two locked waves ({at[sid] + 1} and {lw.order})",
                    hint="unlock one of them",
                )
            at[sid] = lw.order - 1
        if missing:
            warnings.append(
                f"locked wave {lw.order}: {missing} member(s) are in no move group any more and were left out"
            )
    return at, by_index


def _pins(
    placements: Sequence[Placement],
    groups: dict[str, MoveGroup],
    locked_at: dict[str, int],
    locked_by_index: dict[int, LockedWave],
    warnings: list[str],
) -> dict[str, int]:
    by_app: dict[str, list[str]] = defaultdict(list)
    for g in groups.values():
        for s in g.servers:
            for app in s.applications:
                by_app[app.casefold()].append(s.id)
    group_by_key = {k.casefold(): g for k, g in groups.items()} | {
        g.name.casefold(): g for g in groups.values()
    }
    pin: dict[str, int] = {}
    for p in placements:
        if not isinstance(p.wave, int) or p.wave < 1:
            raise UserInputError(f"manual placement of {p.label}: wave must be 1 or more (got {p.wave!r})")
        if p.wave - 1 in locked_by_index:
            raise UserInputError(
                f"cannot move {p.label} into wave {p.wave}: that wave is locked",
                hint="unlock the wave first, or move it to another wave",
            )
        if p.application is not None:
            targets = by_app.get(p.application.casefold(), [])
        else:
            g = groups.get(p.group) or group_by_key.get(str(p.group).casefold())
            targets = [s.id for s in g.servers] if g is not None else []
        if not targets:
            warnings.append(
                f"manual placement of {p.label} in wave {p.wave} ignored: it is in no move group any more"
            )
            continue
        for sid in targets:
            if sid not in locked_at:
                pin[sid] = p.wave - 1
    return pin


def _dependencies(
    dependencies: Iterable[Dependency], servers: dict[str, Server]
) -> tuple[dict[tuple[str, str], float], int]:
    out: dict[tuple[str, str], float] = defaultdict(float)
    ignored = 0
    for d in dependencies:
        if d.source == d.target:
            continue
        if d.source not in servers or d.target not in servers:
            ignored += 1
            continue
        out[(d.source, d.target)] += float(d.weight) if d.weight and d.weight > 0 else 1.0
    return dict(out), ignored


def _weight(w: float) -> int:
    return max(1, round(w))


def plan_waves(
    groups: Sequence[MoveGroup],
    dependencies: Iterable[Dependency],
    limits: WaveLimits,
    *,
    locked: Sequence[LockedWave] = (),
    placements: Sequence[Placement] = (),
    calendar: WaveCalendar | None = None,
    time_limit_s: float = 10.0,
    solve: bool = True,
    split_applications: bool = False,
    workers: int | None = None,
    cancel: CancelToken | None = None,
) -> WavePlan:
    """Plan migration waves (see the module docstring); `solve=False` gives the greedy plan alone."""
    t_import = time.perf_counter()
    warnings: list[str] = []
    _check_limits(limits)
    if solve:
        try:  # here, not at module level: ~0.4 s and 100 MB the app must not pay at start-up
            from ortools.sat.python import cp_model  # noqa: F401
        except ImportError as exc:  # a bundle without it (or without numpy/pandas) still plans
            solve = False
            warnings.append(
                f"OR-Tools cannot be loaded ({exc}): the greedy plan was not improved by the solver"
            )
    t_start = time.perf_counter()
    servers, group_of, groups_by_id = _index(groups)
    locked_at, locked_by_index = _locked(locked, servers, warnings)
    pin = _pins(placements, groups_by_id, locked_at, locked_by_index, warnings)
    for sid, s in servers.items():
        if sid in locked_at or sid in pin or limits.max_storage_gb is None:
            continue
        if splitting.storage_units(s.storage_gb) > limits.max_storage_gb:
            raise UserInputError(
                f"server {s.label!r} has {s.storage_gb:g} GB of storage, more than the wave storage limit "
                f"({limits.max_storage_gb:g} GB), so it fits no wave",
                hint=f"raise the storage limit to at least {splitting.storage_units(s.storage_gb)} GB",
            )
    dep_w, ignored = _dependencies(dependencies, servers)
    intra: dict[str, dict[tuple[str, str], float]] = defaultdict(lambda: defaultdict(float))
    for (a, b), w in dep_w.items():
        if group_of[a] == group_of[b]:
            intra[group_of[a]][(min(a, b), max(a, b))] += w

    # units: locked, pinned, free (oversized groups split)
    t_split = time.perf_counter()
    units: list[_Unit] = []
    size_split: dict[str, tuple[float, float]] = {}
    spread_groups: dict[str, list[int]] = {}
    oversized: list[tuple[MoveGroup, list[Server]]] = []
    storage_of = {sid: splitting.storage_units(s.storage_gb) for sid, s in servers.items()}

    def fits_servers(ids: Sequence[str]) -> bool:
        return _fits(len(ids), sum(storage_of[i] for i in ids), limits)

    for g in groups:
        by_lock: dict[int, list[str]] = defaultdict(list)
        free: list[Server] = []
        for s in g.servers:
            if s.id in locked_at:
                by_lock[locked_at[s.id]].append(s.id)
            else:
                free.append(s)
        for w, ids in sorted(by_lock.items()):
            units.append(_Unit(ids, g.id, w, locked=True))
        pinned = {s.id: pin[s.id] for s in free if s.id in pin}
        rest = free
        if pinned:
            counts = Counter(pinned.values())
            target = max(counts, key=lambda w: (counts[w], -w))
            by_wave: dict[int, list[str]] = defaultdict(list)
            if fits_servers([s.id for s in free]):
                for s in free:
                    by_wave[pinned.get(s.id, target)].append(s.id)
                rest = []
            else:
                for sid, w in pinned.items():
                    by_wave[w].append(sid)
                rest = [s for s in free if s.id not in pinned]
            for w, ids in sorted(by_wave.items()):
                units.append(_Unit(ids, g.id, w))
        if not rest:
            continue
        if fits_servers([s.id for s in rest]):
            units.append(_Unit([s.id for s in rest], g.id))
        else:
            oversized.append((g, rest))
    split_budget = time_limit_s * SPLIT_TIME_SHARE / max(1, len(oversized))
    for g, rest in oversized:
        atoms = splitting.atoms_of(
            rest, limits, split_applications=split_applications, group_label=repr(g.name)
        )
        links = splitting.atom_edges(atoms, intra.get(g.id, {}))
        assignment = splitting.greedy_split(atoms, links, limits)
        greedy_cut = splitting.cut_weight(assignment, links)
        if solve and len(atoms) <= SPLIT_REFINE_MAX_ATOMS and greedy_cut > 0:
            refined = refine_split(
                [a.size for a in atoms],
                [a.storage for a in atoms],
                links,
                assignment,
                limits.max_servers,
                limits.max_storage_gb,
                time_limit_s=split_budget,
                workers=workers,
            )
            if splitting.cut_weight(refined, links) <= greedy_cut:
                assignment = refined
        size_split[g.id] = (greedy_cut, splitting.cut_weight(assignment, links))
        parts: dict[int, list[str]] = defaultdict(list)
        for atom, p in zip(atoms, assignment, strict=True):
            parts[p].extend(atom.servers)
        spread_groups[g.id] = []
        for p in sorted(parts):
            spread_groups[g.id].append(len(units))
            units.append(_Unit(parts[p], g.id))
        if cancel is not None:
            cancel.raise_if_cancelled("wave planning was cancelled")
    t_split_done = time.perf_counter()

    unit_of = {sid: u for u, unit in enumerate(units) for sid in unit.servers}
    uedges: dict[tuple[int, int], float] = defaultdict(float)
    for (a, b), w in dep_w.items():
        ua, ub = unit_of[a], unit_of[b]
        if ua != ub:
            uedges[(ua, ub)] += w
    uadj: list[list[int]] = [[] for _ in units]
    for ua, ub in uedges:
        uadj[ua].append(ub)

    # blocks: free units, cycles that fit one wave merged
    block_units: list[list[int]] = []
    block_of_unit: dict[int, int] = {}
    merged_cycles = 0
    for comp in _sccs(len(units), uadj):
        free_units = [u for u in comp if units[u].fixed is None]
        if len(comp) > 1 and len(free_units) == len(comp):
            ids = [sid for u in comp for sid in units[u].servers]
            if fits_servers(ids):
                for u in comp:
                    block_of_unit[u] = len(block_units)
                block_units.append(sorted(comp))
                merged_cycles += 1
                continue
        for u in free_units:
            block_of_unit[u] = len(block_units)
            block_units.append([u])
    nb = len(block_units)
    bsize = [sum(len(units[u].servers) for u in bu) for bu in block_units]
    bstorage = [sum(storage_of[s] for u in bu for s in units[u].servers) for bu in block_units]
    risk = {sid: risk_of(s) for sid, s in servers.items()}
    bearly = [sum(RISK_LEVELS - risk[s] for u in bu for s in units[u].servers) for bu in block_units]
    bname = [min(servers[s].label for u in bu for s in units[u].servers) for bu in block_units]
    # block constraints: `inter` between move groups (hard when the greedy plan meets them all),
    # `intra` between the parts of one split group (always penalised: the split already cuts them)
    bedges: dict[str, dict[tuple[int, int], int]] = {"inter": defaultdict(int), "intra": defaultdict(int)}
    lower_w: dict[str, list[dict[int, int]]] = {k: [defaultdict(int) for _ in range(nb)] for k in bedges}
    upper_w: dict[str, list[dict[int, int]]] = {k: [defaultdict(int) for _ in range(nb)] for k in bedges}
    for (sa, sb), w in dep_w.items():
        ua, ub = unit_of[sa], unit_of[sb]
        if ua == ub:
            continue
        kind = "intra" if group_of[sa] == group_of[sb] else "inter"
        ba, bb = block_of_unit.get(ua), block_of_unit.get(ub)
        if ba is not None and bb is not None:
            if ba != bb:
                bedges[kind][(ba, bb)] += _weight(w)
        elif ba is not None:
            lower_w[kind][ba][units[ub].fixed] += _weight(w)  # type: ignore[index]
        elif bb is not None:
            upper_w[kind][bb][units[ua].fixed] += _weight(w)  # type: ignore[index]
    lower = {k: [sorted(d.items()) for d in v] for k, v in lower_w.items()}
    upper = {k: [sorted(d.items()) for d in v] for k, v in upper_w.items()}
    badj: list[list[int]] = [[] for _ in range(nb)]
    for a, b in {*bedges["inter"], *bedges["intra"]}:
        badj[a].append(b)
    for adj in badj:
        adj.sort()

    # greedy
    t_greedy = time.perf_counter()
    fixed_servers: dict[int, int] = defaultdict(int)
    fixed_storage: dict[int, int] = defaultdict(int)
    for unit in units:
        if unit.fixed is not None:
            fixed_servers[unit.fixed] += len(unit.servers)
            fixed_storage[unit.fixed] += sum(storage_of[s] for s in unit.servers)
    closed = set(locked_by_index)
    use_s: dict[int, int] = defaultdict(int, fixed_servers)
    use_g: dict[int, int] = defaultdict(int, fixed_storage)
    comps = _sccs(nb, badj)
    comp_of = [0] * nb
    for c, comp in enumerate(comps):
        for b in comp:
            comp_of[b] = c
    comp_deps: list[set[int]] = [set() for _ in comps]
    comp_dependents: list[set[int]] = [set() for _ in comps]
    for a in range(nb):
        for b in badj[a]:
            ca, cb = comp_of[a], comp_of[b]
            if ca != cb:
                comp_deps[ca].add(cb)
                comp_dependents[cb].add(ca)

    density = _waiting_density(
        [sum(bearly[b] for b in comp) for comp in comps],
        [sum(bsize[b] for b in comp) for comp in comps],
        comp_dependents,
    )

    def comp_key(c: int) -> tuple[float, str]:
        return (-density[c], min(bname[b] for b in comps[c]))

    waiting = [len(d) for d in comp_deps]
    ready = [(comp_key(c), c) for c in range(len(comps)) if waiting[c] == 0]
    heapq.heapify(ready)
    greedy = [-1] * nb
    while ready:
        _, c = heapq.heappop(ready)
        for b in sorted(comps[c], key=lambda b: (-bearly[b] / bsize[b], bname[b])):
            lb = max(
                [greedy[d] for d in badj[b] if greedy[d] >= 0]
                + [f for kind in lower for f, _ in lower[kind][b]]
                + [0]
            )
            w = lb
            while w in closed or not _fits(use_s[w] + bsize[b], use_g[w] + bstorage[b], limits):
                w += 1
            greedy[b] = w
            use_s[w] += bsize[b]
            use_g[w] += bstorage[b]
        for d in comp_dependents[c]:
            waiting[d] -= 1
            if waiting[d] == 0:
                heapq.heappush(ready, (comp_key(d), d))
    n_waves = max([*greedy, *(u.fixed for u in units if u.fixed is not None), -1]) + 1
    t_greedy_done = time.perf_counter()

    spreads = []
    for _gid, unit_ids in spread_groups.items():
        blocks = sorted({block_of_unit[u] for u in unit_ids})
        if len(blocks) > 1:
            spreads.append((blocks, sum(bsize[b] for b in blocks)))

    def block_broken(assign: Sequence[int], kinds: Sequence[str] = ("inter", "intra")) -> int:
        total = 0
        for kind in kinds:
            total += sum(w for (a, b), w in bedges[kind].items() if assign[a] < assign[b])
            for b in range(nb):
                total += sum(w for f, w in lower[kind][b] if assign[b] < f)
                total += sum(w for f, w in upper[kind][b] if assign[b] > f)
        return total

    def objective(assign: Sequence[int]) -> int:
        value = sum(bearly[b] * assign[b] for b in range(nb))
        for blocks, cost in spreads:
            waves_of = [assign[b] for b in blocks]
            value += cost * (max(waves_of) - min(waves_of))
        return value

    greedy_broken = block_broken(greedy)
    greedy_obj = objective(greedy)
    final = list(greedy)
    solver_info: dict[str, object] = {"status": "not run", "seconds": 0.0}
    if solve and nb:
        hard = block_broken(greedy, ("inter",)) == 0
        est, lst = _bounds(nb, n_waves, bedges["inter"], lower["inter"], upper["inter"])
        # a broken dependency costs more than any plan's whole objective: fewest broken first
        penalty = (sum(bearly) + sum(c for _b, c in spreads)) * max(1, n_waves - 1) + 1
        model = WaveModel(
            waves=n_waves,
            size=bsize,
            storage=bstorage,
            earliness=bearly,
            capacity=[
                0 if w in closed else max(0, limits.max_servers - fixed_servers[w]) for w in range(n_waves)
            ],
            storage_capacity=None
            if limits.max_storage_gb is None
            else [
                0 if w in closed else max(0, int(limits.max_storage_gb) - fixed_storage[w])
                for w in range(n_waves)
            ],
            closed=[w in closed for w in range(n_waves)],
            edges=dict(bedges["inter"]),
            lower=lower["inter"],
            upper=upper["inter"],
            soft_edges=dict(bedges["intra"]),
            soft_lower=lower["intra"],
            soft_upper=upper["intra"],
            spreads=spreads,
            hard=hard,
            penalty=penalty,
        )
        remaining = max(0.2, time_limit_s - (time.perf_counter() - t_split))
        outcome = solve_waves(model, greedy, est, lst, time_limit_s=remaining, workers=workers, cancel=cancel)
        candidate = outcome.assignment
        taken = (block_broken(candidate), objective(candidate)) <= (greedy_broken, greedy_obj)
        if taken:
            final = candidate
        solver_info = {
            "status": outcome.status,
            "seconds": round(outcome.seconds, 3),
            "time_limit_s": round(remaining, 3),
            "subproblems": outcome.subproblems,
            "window_waves": outcome.window,
            "largest_model": outcome.largest_model,
            "dependency_order": "hard" if hard else "penalised",
            "taken": taken,
        }
    t_solved = time.perf_counter()

    # the plan
    wave_of: dict[str, int] = {}
    for u, unit in enumerate(units):
        w = unit.fixed if unit.fixed is not None else final[block_of_unit[u]]
        for sid in unit.servers:
            wave_of[sid] = w
    greedy_wave_of = dict(wave_of)
    for u, unit in enumerate(units):
        if unit.fixed is None:
            for sid in unit.servers:
                greedy_wave_of[sid] = greedy[block_of_unit[u]]
    last = max([*wave_of.values(), *locked_by_index, -1])
    members: list[list[str]] = [[] for _ in range(last + 1)]
    for sid, w in wave_of.items():
        members[w].append(sid)
    waves: list[Wave] = []
    for w, ids in enumerate(members):
        ids.sort(key=lambda i: (servers[i].label, i))
        lw = locked_by_index.get(w)
        start = end = None
        if lw is not None and lw.start is not None:
            start, end = lw.start, lw.end
        elif calendar is not None:
            start, end = calendar.window(w + 1)
        waves.append(
            Wave(
                order=w + 1,
                name=(lw.name if lw is not None and lw.name else f"Wave {w + 1}"),
                locked=lw is not None,
                servers=tuple(ids),
                names=tuple(servers[i].label for i in ids),
                applications=tuple(sorted({a for i in ids for a in servers[i].applications})),
                storage_gb=round(sum(float(servers[i].storage_gb or 0.0) for i in ids), 3),
                start=start,
                end=end,
            )
        )
        if len(ids) > limits.max_servers:
            warnings.append(
                f"{waves[-1].name} has {len(ids)} servers, more than the limit of {limits.max_servers}, "
                "because of locked waves or manual placements"
            )
    name_of_wave = [wv.name for wv in waves]
    broken, splits = _report(
        groups, servers, group_of, dep_w, wave_of, name_of_wave, locked_at, pin, size_split
    )
    t_end = time.perf_counter()

    order_broken = sum(1 for b in broken if b.kind == "order")
    stats = {
        "servers": len(servers),
        "groups": len(groups),
        "dependencies": len(dep_w),
        "ignored_dependencies": ignored,
        "units": len(units),
        "blocks": nb,
        "merged_cycles": merged_cycles,
        "waves": len(waves),
        "max_wave_servers": max((len(w.servers) for w in waves), default=0),
        "split_groups": len(splits),
        "broken_order": order_broken,
        "broken_split": len(broken) - order_broken,
        "greedy": {
            "objective": greedy_obj,
            "waves": n_waves,
            "broken_weight": greedy_broken,
            "inversions": _inversions(greedy_wave_of, servers),
        },
        "final": {
            "objective": objective(final),
            "waves": max([*final, *(u.fixed for u in units if u.fixed is not None), -1]) + 1,
            "broken_weight": block_broken(final),
            "inversions": _inversions(wave_of, servers),
        },
        "improvement_pct": round(100.0 * (greedy_obj - objective(final)) / greedy_obj, 3)
        if greedy_obj
        else 0.0,
        "solver": solver_info,
        "split_cut": {
            gid: {"greedy": round(g, 3), "final": round(f, 3)} for gid, (g, f) in sorted(size_split.items())
        },
        "seconds": {
            "load_solver": round(t_start - t_import, 3),
            "prepare": round(t_split - t_start, 3),
            "split": round(t_split_done - t_split, 3),
            "greedy": round(t_greedy_done - t_greedy, 3),
            "solve": round(t_solved - t_greedy_done, 3),
            "report": round(t_end - t_solved, 3),
            "total": round(t_end - t_import, 3),
        },
    }
    return WavePlan(waves=waves, broken=broken, splits=splits, limits=limits, stats=stats, warnings=warnings)


def _waiting_density(weight: list[int], size: list[int], dependents: list[set[int]]) -> list[float]:
    """Greedy priority of each component: its earliness per server, or that of itself together with
    everything that waits on it (transitively) when that is higher — so what low-risk applications
    depend on is moved early enough for them. `dependents` point to later components only."""
    import numpy as np

    n = len(weight)
    own = [weight[c] / size[c] for c in range(n)]
    if not any(dependents):
        return own
    w = np.asarray(weight, dtype=np.float64)
    s = np.asarray(size, dtype=np.float64)
    nbytes = (n + 7) // 8
    reach = [0] * n
    out = list(own)
    for c in range(n - 1, -1, -1):
        bits = 1 << c
        for d in dependents[c]:
            bits |= reach[d]
        reach[c] = bits
        if dependents[c]:
            row = np.unpackbits(
                np.frombuffer(bits.to_bytes(nbytes, "little"), dtype=np.uint8), bitorder="little"
            )[:n]
            out[c] = max(own[c], float(row @ w) / float(row @ s))
    return out


def _bounds(
    nb: int,
    n_waves: int,
    edges: dict[tuple[int, int], int],
    lower: list[list[tuple[int, int]]],
    upper: list[list[tuple[int, int]]],
) -> tuple[list[int], list[int]]:
    """Earliest and latest wave of each block when every dependency in `edges` is kept (a cycle: one wave)."""
    adj: list[list[int]] = [[] for _ in range(nb)]
    for a, b in edges:
        adj[a].append(b)
    comps = _sccs(nb, adj)
    comp_of = [0] * nb
    for c, comp in enumerate(comps):
        for b in comp:
            comp_of[b] = c
    est_c = [0] * len(comps)
    for c, comp in enumerate(comps):  # dependencies first
        est_c[c] = max(
            [f for b in comp for f, _ in lower[b]] + [est_c[comp_of[d]] for b in comp for d in adj[b]] + [0]
        )
    lst_c = [n_waves - 1] * len(comps)
    dependents: list[list[int]] = [[] for _ in range(nb)]
    for a, b in edges:
        dependents[b].append(a)
    for c in range(len(comps) - 1, -1, -1):
        comp = comps[c]
        lst_c[c] = min(
            [f for b in comp for f, _ in upper[b]]
            + [lst_c[comp_of[a]] for b in comp for a in dependents[b] if comp_of[a] != c]
            + [n_waves - 1]
        )
    return [est_c[comp_of[b]] for b in range(nb)], [lst_c[comp_of[b]] for b in range(nb)]


def _inversions(wave_of: dict[str, int], servers: dict[str, Server]) -> dict[str, int]:
    """Pairs moved against the priorities: a production server before a non-production one, and a more
    critical server before a less critical one (the figures the soft objectives lower)."""
    if not wave_of:
        return {"environment": 0, "criticality": 0}
    n = max(wave_of.values()) + 1
    prod = [0] * n
    nonprod = [0] * n
    crit = [[0] * 4 for _ in range(n)]
    for sid, w in wave_of.items():
        s = servers[sid]
        if is_production(s.environment):
            prod[w] += 1
        else:
            nonprod[w] += 1
        crit[w][criticality_rank(s.criticality)] += 1
    env_inv = 0
    later_nonprod = sum(nonprod)
    crit_inv = 0
    later = [sum(crit[w][r] for w in range(n)) for r in range(4)]
    for w in range(n):
        later_nonprod -= nonprod[w]
        env_inv += prod[w] * later_nonprod
        for r in range(4):
            later[r] -= crit[w][r]
        for r in range(4):
            crit_inv += crit[w][r] * sum(later[q] for q in range(r))
    return {"environment": env_inv, "criticality": crit_inv}


def _report(
    groups: Sequence[MoveGroup],
    servers: dict[str, Server],
    group_of: dict[str, str],
    dep_w: dict[tuple[str, str], float],
    wave_of: dict[str, int],
    wave_names: list[str],
    locked_at: dict[str, int],
    pin: dict[str, int],
    size_split: dict[str, tuple[float, float]],
) -> tuple[list[BrokenDependency], list[GroupSplit]]:
    """Broken dependencies (server pairs) and group splits of the final plan, each with its reason."""
    splits: list[GroupSplit] = []
    cause_of: dict[str, str] = {}
    for g in groups:
        parts: dict[int, list[str]] = defaultdict(list)
        for s in g.servers:
            parts[wave_of[s.id]].append(s.id)
        if len(parts) < 2:
            continue
        if g.id in size_split:
            cause = "size"
        elif any(s.id in pin for s in g.servers):
            cause = "placement"
        else:
            cause = "locked"
        cause_of[g.id] = cause
        cut = [
            (a, b, w)
            for (a, b), w in dep_w.items()
            if group_of[a] == g.id == group_of[b] and wave_of[a] != wave_of[b]
        ]
        splits.append(
            GroupSplit(
                group=g.id,
                name=g.name,
                cause=cause,
                parts=tuple(tuple(sorted(parts[w], key=lambda i: servers[i].label)) for w in sorted(parts)),
                cut_weight=round(sum(w for _a, _b, w in cut), 3),
                cut_edges=len(cut),
            )
        )
    why = {
        "size": "larger than the wave limit, split along its weakest links",
        "placement": "split by a manual placement",
        "locked": "partly in a locked wave",
    }
    label = {sid: s.label for sid, s in servers.items()}
    names = {g.id: g.name for g in groups}
    broken: list[BrokenDependency] = []
    seen_pairs: set[tuple[str, str]] = set()
    for (a, b), w in sorted(dep_w.items()):
        wa, wb = wave_of[a], wave_of[b]
        if wa == wb:
            continue
        late = wa < wb
        if group_of[a] == group_of[b]:
            pair = (min(a, b), max(a, b))
            if pair in seen_pairs:
                continue
            seen_pairs.add(pair)
            src, dst = a, b
            if not late and wave_of[b] < wave_of[a] and (b, a) in dep_w:
                src, dst = b, a  # report the direction that is late, when one is
            late = wave_of[src] < wave_of[dst]
            reason = (
                f"{label[src]} and {label[dst]} are in move group {names[group_of[a]]!r}, "
                f"{why[cause_of[group_of[a]]]}"
            )
            if late:
                reason += f"; {label[dst]}, which {label[src]} depends on, moves later"
            broken.append(
                BrokenDependency(
                    label[src],
                    label[dst],
                    wave_names[wave_of[src]],
                    wave_names[wave_of[dst]],
                    "split",
                    reason,
                    w,
                )
            )
        elif late:
            broken.append(
                BrokenDependency(
                    label[a],
                    label[b],
                    wave_names[wa],
                    wave_names[wb],
                    "order",
                    f"{label[a]} depends on {label[b]}, which moves later "
                    f"({wave_names[wb]} after {wave_names[wa]})",
                    w,
                )
            )
    cut_groups = {group_of[a] for a, _b in seen_pairs}
    for sp in splits:
        if sp.group in cut_groups:
            continue
        # no known connection crosses the split: one pair per boundary says the group is not whole
        for left, right in zip(sp.parts, sp.parts[1:], strict=False):
            broken.append(
                BrokenDependency(
                    label[left[0]],
                    label[right[0]],
                    wave_names[wave_of[left[0]]],
                    wave_names[wave_of[right[0]]],
                    "split",
                    f"move group {sp.name!r} is {why[sp.cause]}; no known connection crosses the split",
                    0.0,
                )
            )
    broken.sort(key=lambda x: (x.kind, x.source, x.target))
    return broken, splits
