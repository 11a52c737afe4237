"""Hard links: the servers an application name ties together, before any traffic is looked at.

The inventory's application names are the consultant's own knowledge, so a named application is
never split: all its servers (in one environment, by default — production and development copies
of an application move in different waves) form one unit that the grouping may only join with
others. A server carrying two application names ties both together. Names are compared folded
("Payroll", " payroll ", "PAYROLL" are one application); environments through the shared
enumeration (`prd` = `Production`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import igraph as ig

from core.dependencies.model import Server
from core.values.enums import enum_set

HardLinkScope = Literal["application_environment", "application"]


def application_key(name: str) -> str:
    """The form application names are compared in: trimmed, spaces collapsed, case folded."""
    return re.sub(r"\s+", " ", name).strip().casefold()


@lru_cache(maxsize=4096)
def environment_key(value: str | None) -> str | None:
    """The canonical environment (`production`, `development`, ...), or the folded text, or None."""
    if value is None or not str(value).strip():
        return None
    environments = enum_set("environment")
    known = environments.lookup(str(value)) if environments else None
    return known or str(value).strip().casefold()


@dataclass(frozen=True)
class Units:
    """Servers tied by application names: `of[i]` is server i's unit; each unit lists its members."""

    of: tuple[int, ...]
    members: tuple[tuple[int, ...], ...]
    applications: tuple[tuple[str, ...], ...]  # display names of each unit's applications
    environments: tuple[str | None, ...]  # canonical environment per server

    def named(self, unit: int) -> bool:
        return bool(self.applications[unit])


def hard_link_units(servers: Sequence[Server], scope: HardLinkScope = "application_environment") -> Units:
    """Units of servers that share an application (and environment) name."""
    n = len(servers)
    envs = tuple(environment_key(s.environment) for s in servers)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    app_envs: dict[str, set[str]] = defaultdict(set)
    server_apps: list[tuple[str, ...]] = []
    for server, env in zip(servers, envs, strict=True):
        keys = []
        for name in server.applications:
            key = application_key(name)
            if not key:
                continue
            keys.append(key)
            spellings[key][re.sub(r"\s+", " ", name).strip()] += 1
            if env is not None:
                app_envs[key].add(env)
        server_apps.append(tuple(dict.fromkeys(keys)))
    label_index: dict[tuple[str, str | None], int] = {}
    edges: list[tuple[int, int]] = []
    for i, (keys, env) in enumerate(zip(server_apps, envs, strict=True)):
        for key in keys:
            if scope == "application":
                scoped: str | None = None
            elif env is not None:
                scoped = env
            else:  # environment unknown: the application's only environment, if it has one
                known = app_envs.get(key, set())
                scoped = next(iter(known)) if len(known) == 1 else None
            label = label_index.setdefault((key, scoped), n + len(label_index))
            edges.append((i, label))
    graph = ig.Graph(n=n + len(label_index), edges=edges)
    membership = graph.connected_components().membership
    # renumber units by their first server so unit ids follow the input order
    renumber: dict[int, int] = {}
    of = []
    for i in range(n):
        of.append(renumber.setdefault(membership[i], len(renumber)))
    members: list[list[int]] = [[] for _ in renumber]
    for i, unit in enumerate(of):
        members[unit].append(i)
    # the most used spelling names the application; on a tie, one in mixed case ("Payroll", not "PAYROLL")
    display = {
        key: sorted(c.items(), key=lambda kv: (-kv[1], kv[0].isupper() or kv[0].islower(), kv[0]))[0][0]
        for key, c in spellings.items()
    }
    applications: list[tuple[str, ...]] = []
    for unit_members in members:
        keys: Counter[str] = Counter(k for i in unit_members for k in server_apps[i])
        ordered = sorted(keys.items(), key=lambda kv: (-kv[1], display[kv[0]].casefold()))
        applications.append(tuple(display[k] for k, _ in ordered))
    return Units(
        of=tuple(of),
        members=tuple(tuple(m) for m in members),
        applications=tuple(applications),
        environments=envs,
    )
