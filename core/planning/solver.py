"""The CP-SAT models of the wave planner: improving the greedy wave plan and a group's split.

OR-Tools is imported inside the functions: it costs about 0.4 s and 100 MB to import, which the
app must not pay at start-up (only when a plan is computed). Both models start from the greedy
answer as a hint and stop at a wall-clock time limit, so the result is never worse than the greedy
one and the call always ends.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from core.progress import CancelToken

#: (block, wave) booleans up to which the whole plan is one CP-SAT model
WHOLE_BUDGET = 12_000
#: above it, windows of this many consecutive waves are re-solved one after the other (small windows
#: solved to optimality in milliseconds gain more within a time limit than large ones), widening up to
#: WIDEST_WINDOW when a whole round of them gains nothing
WINDOW_WAVES = 2
WIDEST_WINDOW = 6
#: time limit of one window's model (the windows share the whole time limit)
WINDOW_SECONDS = 0.3


#: stop when the plan is proven within this share of the best possible objective
RELATIVE_GAP = 0.001


def default_workers() -> int:
    """Search workers: CP-SAT's portfolio (LNS among them) needs a few even on a 2-core machine."""
    return max(4, min(8, os.cpu_count() or 1))


@dataclass
class WaveModel:
    """The free part of a wave plan, as integers: blocks to place in waves 0..waves-1."""

    waves: int
    size: list[int]
    storage: list[int]
    earliness: list[int]
    """per block: cost of each wave it moves later (low-risk blocks cost more, so they go first)"""
    capacity: list[int]
    """per wave: servers still free for blocks (0 on a locked wave)"""
    storage_capacity: list[int] | None
    closed: list[bool]
    edges: dict[tuple[int, int], int]
    """(a, b) → weight: block a depends on block b (wave a ≥ wave b)"""
    lower: list[list[tuple[int, int]]]
    """per block: (wave, weight) of fixed units it depends on (wave ≥ that)"""
    upper: list[list[tuple[int, int]]]
    """per block: (wave, weight) of fixed units that depend on it (wave ≤ that)"""
    soft_edges: dict[tuple[int, int], int] = field(default_factory=dict)
    """like `edges`, but always penalised (between the parts of one split group)"""
    soft_lower: list[list[tuple[int, int]]] = field(default_factory=list)
    soft_upper: list[list[tuple[int, int]]] = field(default_factory=list)
    spreads: list[tuple[list[int], int]] = field(default_factory=list)
    """(blocks of one split group, cost per wave between its first and last part)"""
    hard: bool = False
    """dependency order as constraints (the greedy plan proves it satisfiable) rather than penalties"""
    penalty: int = 1


@dataclass
class SolveOutcome:
    assignment: list[int]
    status: str
    """`optimal` (the whole plan proven best), `improved`, `no improvement` or `no solution`"""
    seconds: float
    subproblems: int
    window: int
    """waves per sub-problem (all of them when the whole plan was one model)"""
    largest_model: int
    """(block, wave) booleans in the largest sub-problem"""


def _at(rows: list[list[tuple[int, int]]], b: int) -> list[tuple[int, int]]:
    return rows[b] if b < len(rows) else []


def _base_domains(
    model: WaveModel, hint: Sequence[int], est: Sequence[int], lst: Sequence[int]
) -> list[list[int]]:
    """The waves each block may take at all: open, with room for it, within its dependency bounds."""
    out: list[list[int]] = []
    for b in range(len(model.size)):
        lo, hi = (est[b], lst[b]) if model.hard else (0, model.waves - 1)
        dom = [
            w
            for w in range(lo, hi + 1)
            if not model.closed[w]
            and model.size[b] <= model.capacity[w]
            and (model.storage_capacity is None or model.storage[b] <= model.storage_capacity[w])
        ]
        if hint[b] not in dom:
            dom.append(hint[b])
            dom.sort()
        out.append(dom)
    return out


@dataclass
class _Graph:
    deps: list[list[tuple[int, int, bool]]]
    """per block: (block it depends on, weight, hard)"""
    dependents: list[list[tuple[int, int, bool]]]
    spreads_of: list[list[int]]
    """per block: indices of `model.spreads` it is part of"""


def _graph(model: WaveModel) -> _Graph:
    n = len(model.size)
    deps: list[list[tuple[int, int, bool]]] = [[] for _ in range(n)]
    dependents: list[list[tuple[int, int, bool]]] = [[] for _ in range(n)]
    for edges, hard in ((model.edges, model.hard), (model.soft_edges, False)):
        for (a, b), w in edges.items():
            deps[a].append((b, w, hard))
            dependents[b].append((a, w, hard))
    spreads_of: list[list[int]] = [[] for _ in range(n)]
    for i, (blocks, _cost) in enumerate(model.spreads):
        for b in blocks:
            spreads_of[b].append(i)
    return _Graph(deps, dependents, spreads_of)


def _solve_window(
    model: WaveModel,
    graph: _Graph,
    domains: list[list[int]],
    current: list[int],
    free: list[int],
    waves: set[int],
    *,
    time_limit_s: float,
    workers: int,
    cancel: CancelToken | None,
) -> tuple[str, int, int]:
    """Re-place the `free` blocks within `waves`, the others keeping `current` (updated).

    Every block in `waves` must be free (the capacities of those waves are then the model's). Returns
    (status, gain in objective, booleans of the model).
    """
    from ortools.sat.python import cp_model

    is_free = set(free)
    m = cp_model.CpModel()
    terms: list[tuple[object, int]] = []  # objective (var, coefficient)
    hints: dict[int, int] = {}  # var index → hinted value

    def hint(var: object, value: int) -> None:
        m.add_hint(var, value)
        hints[var.index] = value  # type: ignore[attr-defined]

    wave_var: dict[int, object] = {}
    per_wave: dict[int, list[tuple[object, int, int]]] = {}
    booleans = 0
    for b in free:
        lo, hi = 0, model.waves - 1
        for d, _w, hard in graph.deps[b]:
            if hard and d not in is_free:
                lo = max(lo, current[d])
        for a, _w, hard in graph.dependents[b]:
            if hard and a not in is_free:
                hi = min(hi, current[a])
        dom = [w for w in domains[b] if lo <= w <= hi and w in waves]
        if current[b] not in dom:
            dom = sorted({*dom, current[b]})
        xs = [m.new_bool_var("") for _ in dom]
        booleans += len(xs)
        m.add_exactly_one(xs)
        wave = m.new_int_var_from_domain(cp_model.Domain.from_values(dom), "")
        m.add(wave == cp_model.LinearExpr.weighted_sum(xs, dom))
        wave_var[b] = wave
        hint(wave, current[b])
        terms.append((wave, model.earliness[b]))
        for w, x in zip(dom, xs, strict=True):
            per_wave.setdefault(w, []).append((x, model.size[b], model.storage[b]))
            hint(x, int(w == current[b]))
            broken = sum(wt for f, wt in _at(model.soft_lower, b) if w < f)
            broken += sum(wt for f, wt in _at(model.soft_upper, b) if w > f)
            if not model.hard:
                broken += sum(wt for f, wt in model.lower[b] if w < f)
                broken += sum(wt for f, wt in model.upper[b] if w > f)
            for d, wt, hard in graph.deps[b]:  # penalised links to blocks that keep their wave
                if not hard and d not in is_free and w < current[d]:
                    broken += wt
            for a, wt, hard in graph.dependents[b]:
                if not hard and a not in is_free and w > current[a]:
                    broken += wt
            if broken:
                terms.append((x, model.penalty * broken))
    for w, members in per_wave.items():
        xs = [x for x, _s, _g in members]
        m.add(cp_model.LinearExpr.weighted_sum(xs, [s for _x, s, _g in members]) <= model.capacity[w])
        if model.storage_capacity is not None:
            m.add(
                cp_model.LinearExpr.weighted_sum(xs, [g for _x, _s, g in members])
                <= model.storage_capacity[w]
            )
    for a in free:
        for b, weight, hard in graph.deps[a]:
            if b not in is_free:
                continue
            if hard:
                m.add(wave_var[a] >= wave_var[b])
            else:
                z = m.new_bool_var("")
                m.add(wave_var[a] >= wave_var[b]).only_enforce_if(~z)
                hint(z, int(current[a] < current[b]))
                terms.append((z, model.penalty * weight))
    touched = sorted({i for b in free for i in graph.spreads_of[b]})
    for i in touched:
        blocks, cost = model.spreads[i]
        inside = [wave_var[b] for b in blocks if b in is_free]
        outside = [current[b] for b in blocks if b not in is_free]
        hi = m.new_int_var(0, model.waves - 1, "")
        lo = m.new_int_var(0, model.waves - 1, "")
        for v in inside:
            m.add(hi >= v)
            m.add(lo <= v)
        if outside:
            m.add(hi >= max(outside))
            m.add(lo <= min(outside))
        all_waves = [current[b] for b in blocks]
        hint(hi, max(all_waves))
        hint(lo, min(all_waves))
        terms.extend([(hi, cost), (lo, -cost)])
    m.minimize(cp_model.LinearExpr.weighted_sum([v for v, _c in terms], [c for _v, c in terms]))
    before = sum(c * hints[v.index] for v, c in terms)  # type: ignore[attr-defined]

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit_s)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 0
    solver.parameters.relative_gap_limit = RELATIVE_GAP
    if cancel is not None:
        with cancel.on_cancel(solver.stop_search):
            status = solver.solve(m)
        cancel.raise_if_cancelled("wave planning was cancelled")
    else:
        status = solver.solve(m)
    name = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible"}.get(status, "no solution")
    if name == "no solution":
        return name, 0, booleans
    after = round(solver.objective_value)
    if after >= before:
        return name, 0, booleans
    for b in free:
        current[b] = solver.value(wave_var[b])
    return name, before - after, booleans


def solve_waves(
    model: WaveModel,
    hint: Sequence[int],
    est: Sequence[int],
    lst: Sequence[int],
    *,
    time_limit_s: float,
    workers: int | None = None,
    cancel: CancelToken | None = None,
) -> SolveOutcome:
    """Better wave numbers for the blocks than `hint` (the greedy plan's), within the time limit.

    One CP-SAT model when the whole plan is small enough (`WHOLE_BUDGET` booleans); otherwise a
    large-neighbourhood search: windows of consecutive waves are re-solved by CP-SAT one after the
    other, everything outside a window keeping its wave (its dependency bounds hold the window's
    blocks in place), sweeping the plan and widening the windows when a round gains nothing, until
    the time is up. A window's answer is taken only if better, so the plan never gets worse.
    """
    import time

    started = time.perf_counter()
    deadline = started + time_limit_s
    n = len(model.size)
    current = list(hint)
    if n == 0 or model.waves == 0:
        return SolveOutcome(current, "optimal", 0.0, 0, model.waves, 0)
    domains = _base_domains(model, hint, est, lst)
    graph = _graph(model)
    workers = workers or default_workers()
    total = sum(len(d) for d in domains)
    whole = total <= WHOLE_BUDGET
    window = model.waves if whole else min(model.waves, WINDOW_WAVES)
    subproblems = 0
    largest = 0
    gained = 0
    statuses: list[str] = []

    def run(waves: set[int]) -> int:
        nonlocal subproblems, largest
        free = [b for b in range(n) if current[b] in waves]
        remaining = deadline - time.perf_counter()
        if not free or remaining <= 0.05:
            return 0
        status, gain, booleans = _solve_window(
            model,
            graph,
            domains,
            current,
            free,
            waves,
            time_limit_s=remaining if whole else min(remaining, WINDOW_SECONDS),
            workers=workers if whole else 1,  # a window is small: one worker starts and ends fastest
            cancel=cancel,
        )
        subproblems += 1
        largest = max(largest, booleans)
        statuses.append(status)
        return gain

    if whole:
        gained = run(set(range(model.waves)))
    rounds = 0
    while not whole and time.perf_counter() < deadline - 0.05:
        round_gain = 0
        # consecutive waves, the boundaries shifted by one wave from one round to the next
        for first in range(-(rounds % window), model.waves, window):
            round_gain += run(set(range(max(0, first), min(model.waves, first + window))))
        rounds += 1
        gained += round_gain
        if round_gain == 0 and rounds >= window:  # every boundary tried: wider windows, or done
            if window >= min(model.waves, WIDEST_WINDOW):
                break
            window += 1
            rounds = 0
    seconds = time.perf_counter() - started
    if whole and statuses == ["optimal"]:
        status = "optimal"
    elif gained > 0:
        status = "improved"
    elif "no solution" in statuses and len(set(statuses)) == 1:
        status = "no solution"
    else:
        status = "no improvement"
    return SolveOutcome(current, status, seconds, subproblems, window, largest)


def refine_split(
    sizes: Sequence[int],
    storages: Sequence[int],
    links: Mapping[tuple[int, int], float],
    assignment: Sequence[int],
    max_servers: int,
    max_storage: float | None,
    *,
    time_limit_s: float,
    workers: int | None = None,
) -> list[int]:
    """A partition of the atoms into as many parts as `assignment` has, cutting less weight (or the same)."""
    from ortools.sat.python import cp_model

    parts = max(assignment) + 1
    n = len(sizes)
    if parts < 2 or n < 3 or not links:
        return list(assignment)
    m = cp_model.CpModel()
    x = [[m.new_bool_var(f"x{a}_{p}") for p in range(parts)] for a in range(n)]
    for a in range(n):
        m.add_exactly_one(x[a])
    for p in range(parts):
        col = [x[a][p] for a in range(n)]
        m.add(cp_model.LinearExpr.weighted_sum(col, list(sizes)) <= max_servers)
        if max_storage is not None:
            m.add(cp_model.LinearExpr.weighted_sum(col, list(storages)) <= int(max_storage))
    # symmetry: the largest atom sits in part 0 (relabel the hint to match)
    anchor = max(range(n), key=lambda a: (sizes[a], -a))
    relabel = {assignment[anchor]: 0, 0: assignment[anchor]}
    hinted = [relabel.get(p, p) for p in assignment]
    for a in range(n):
        for p in range(parts):
            m.add_hint(x[a][p], int(hinted[a] == p))
    m.add(x[anchor][0] == 1)
    scale = 1000
    cut_vars, cut_coefs = [], []
    for (i, j), w in links.items():
        y = m.new_bool_var(f"y{i}_{j}")
        for p in range(parts):
            m.add(x[i][p] - x[j][p] <= y)
        m.add_hint(y, int(hinted[i] != hinted[j]))
        cut_vars.append(y)
        cut_coefs.append(max(1, round(w * scale)))
    m.minimize(cp_model.LinearExpr.weighted_sum(cut_vars, cut_coefs))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit_s)
    solver.parameters.num_workers = workers or default_workers()
    solver.parameters.random_seed = 0
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return list(assignment)
    out = []
    for a in range(n):
        out.append(next(p for p in range(parts) if solver.value(x[a][p])))
    return out
