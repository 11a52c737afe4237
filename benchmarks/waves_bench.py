"""Benchmark of the wave planner (`core.planning.plan_waves`) on a synthetic estate.

Generates move groups with a known valid plan: heavy-tailed group sizes (a few groups larger than
a wave, made of several applications joined by weak links), production and non-production
applications with criticalities, storage, strong links inside an application and weak ones between
the applications of a group, cross-group dependencies that form a DAG plus a few mutual
dependencies between small groups (cycles that fit one wave). So a plan with 0 dependencies
scheduled after their dependents exists; splits of the oversized groups are reported as cuts.

Prints the plan's validity (order-broken dependencies, wave sizes against the limit), the split
cuts, the greedy and CP-SAT objectives and the improvement, and the time of each stage.

Run: `.venv/bin/python benchmarks/waves_bench.py [--servers 20000] [--groups 2000] [--max-servers 250]
[--time-limit 20] [--seed 7] [--json]`.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from core.planning import Dependency, MoveGroup, Server, WaveLimits, plan_waves

NON_PROD = ("development", "test", "uat")
CRITICALITY = (("low", 0.3), ("medium", 0.35), ("high", 0.25), ("critical", 0.1))


@dataclass
class Estate:
    groups: list[MoveGroup]
    dependencies: list[Dependency]
    oversized: int


def _sizes(rng: random.Random, n_servers: int, n_groups: int, max_servers: int, oversized: int) -> list[int]:
    big = [rng.randint(int(max_servers * 1.2), int(max_servers * 2.0)) for _ in range(oversized)]
    rest = n_servers - sum(big)
    raw = [rng.lognormvariate(0.0, 0.9) for _ in range(n_groups - oversized)]
    scale = rest / sum(raw)
    sizes = [max(1, min(max_servers, round(r * scale))) for r in raw]
    i = 0
    while sum(sizes) != rest:  # fix rounding, keeping every size within 1..max_servers
        j = i % len(sizes)
        if sum(sizes) > rest and sizes[j] > 1:
            sizes[j] -= 1
        elif sum(sizes) < rest and sizes[j] < max_servers:
            sizes[j] += 1
        i += 1
    return big + sizes


def synthetic_estate(
    n_servers: int = 20_000,
    n_groups: int = 2_000,
    *,
    max_servers: int = 250,
    oversized: int = 4,
    cross_deps_per_group: float = 1.5,
    mutual_pairs: int = 40,
    seed: int = 7,
) -> Estate:
    """Move groups and dependencies for which a plan with no dependency scheduled late exists."""
    rng = random.Random(seed)
    sizes = _sizes(rng, n_servers, n_groups, max_servers, oversized)
    groups: list[MoveGroup] = []
    deps: list[Dependency] = []
    sid = 0
    for g, size in enumerate(sizes):
        n_apps = 1 if size < 4 else min(size, rng.randint(2, 6) if g < oversized else rng.randint(1, 4))
        if g < oversized:
            n_apps = max(n_apps, math.ceil(size / (max_servers * 0.45)))
        apps = [f"app-{g:04d}-{a}" for a in range(n_apps)]
        app_env = {a: ("production" if rng.random() < 0.6 else rng.choice(NON_PROD)) for a in apps}
        app_crit = {a: rng.choices([c for c, _ in CRITICALITY], [w for _, w in CRITICALITY])[0] for a in apps}
        servers = []
        for i in range(size):
            app = apps[i % n_apps]
            servers.append(
                Server(
                    id=f"s{sid:05d}",
                    name=f"srv{sid:05d}",
                    environment=app_env[app],
                    criticality=app_crit[app],
                    storage_gb=round(rng.lognormvariate(4.5, 1.0), 1),
                    applications=(app,),
                )
            )
            sid += 1
        groups.append(MoveGroup(f"g{g:04d}", f"group-{g:04d}", tuple(servers)))
        by_app: dict[str, list[Server]] = {}
        for s in servers:
            by_app.setdefault(s.applications[0], []).append(s)
        for members in by_app.values():  # strong links inside an application (a chain plus extras)
            for a, b in itertools.pairwise(members):
                deps.append(Dependency(a.id, b.id, weight=rng.randint(20, 200)))
            for _ in range(len(members) // 2):
                a, b = rng.sample(members, 2) if len(members) > 1 else (members[0], members[0])
                if a is not b:
                    deps.append(Dependency(a.id, b.id, weight=rng.randint(5, 50)))
        app_list = list(by_app.values())
        for a_members, b_members in itertools.pairwise(app_list):  # weak links between apps
            deps.append(
                Dependency(rng.choice(a_members).id, rng.choice(b_members).id, weight=rng.randint(1, 3))
            )
    # cross-group dependencies: a DAG along a hidden rank (a group depends only on lower-ranked ones)
    rank = list(range(n_groups))
    rng.shuffle(rank)
    by_rank = sorted(range(n_groups), key=lambda g: rank[g])
    for pos, g in enumerate(by_rank):
        if pos == 0:
            continue
        k = min(pos, int(cross_deps_per_group) + (rng.random() < cross_deps_per_group % 1))
        for h in rng.sample(by_rank[max(0, pos - 400) : pos], min(k, min(pos, 400))):
            src = rng.choice(groups[g].servers)
            dst = rng.choice(groups[h].servers)
            deps.append(Dependency(src.id, dst.id, weight=rng.randint(1, 30)))
    # a few mutual dependencies between small groups next to each other in the rank (cycles that fit
    # one wave: no other group lies on a path between them)
    small = {g for g in range(oversized, n_groups) if len(groups[g].servers) <= max_servers // 3}
    starts = [p for p in range(0, n_groups - 1, 2) if by_rank[p] in small and by_rank[p + 1] in small]
    for p in rng.sample(starts, min(mutual_pairs, len(starts))):
        a, b = by_rank[p], by_rank[p + 1]
        sa, sb = rng.choice(groups[a].servers), rng.choice(groups[b].servers)
        deps.append(Dependency(sa.id, sb.id, weight=5))
        deps.append(Dependency(sb.id, sa.id, weight=5))
    return Estate(groups, deps, oversized)


def run(
    n_servers: int = 20_000,
    n_groups: int = 2_000,
    *,
    max_servers: int = 250,
    time_limit_s: float = 20.0,
    seed: int = 7,
) -> dict[str, Any]:
    """Generate, plan (greedy and CP-SAT) and return the figures."""
    t0 = time.perf_counter()
    estate = synthetic_estate(n_servers, n_groups, max_servers=max_servers, seed=seed)
    generated = time.perf_counter() - t0
    t1 = time.perf_counter()
    plan = plan_waves(estate.groups, estate.dependencies, WaveLimits(max_servers), time_limit_s=time_limit_s)
    wall = time.perf_counter() - t1
    contract = plan.to_contract()
    placed = [a for w in contract["waves"] for a in w["assets"]]
    stats = plan.stats
    return {
        "servers": n_servers,
        "groups": n_groups,
        "dependencies": stats["dependencies"],
        "max_servers": max_servers,
        "time_limit_s": time_limit_s,
        "generate_s": round(generated, 2),
        "plan_s": round(wall, 2),
        "waves": stats["waves"],
        "max_wave_servers": stats["max_wave_servers"],
        "sizes_within_limit": stats["max_wave_servers"] <= max_servers,
        "every_asset_once": len(placed) == len(set(placed)) == n_servers,
        "broken_order": stats["broken_order"],
        "split_groups": stats["split_groups"],
        "split_cut_edges": stats["broken_split"],
        "split_cut_weight": {k: v for k, v in stats["split_cut"].items()},
        "greedy_objective": stats["greedy"]["objective"],
        "final_objective": stats["final"]["objective"],
        "improvement_pct": stats["improvement_pct"],
        "inversions": {"greedy": stats["greedy"]["inversions"], "final": stats["final"]["inversions"]},
        "solver": stats["solver"],
        "seconds": stats["seconds"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=20_000)
    parser.add_argument("--groups", type=int, default=2_000)
    parser.add_argument("--max-servers", type=int, default=250)
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    figures = run(
        args.servers, args.groups, max_servers=args.max_servers, time_limit_s=args.time_limit, seed=args.seed
    )
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:>20}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
