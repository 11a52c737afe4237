"""Splitting a move group that is larger than a wave along its weakest links.

Why atoms: servers that share a named application are a hard link (the grouping stage says so too),
so a group is split between applications, never inside one — unless the caller allows splitting
applications. A part is a set of atoms; the greedy joins atoms along their heaviest connections
while the part still fits a wave (Kruskal with a capacity), packs what is left first-fit by
connection, then CP-SAT (`core.planning.solver.refine_split`) moves atoms to lower the cut weight.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.errors import UserInputError
from core.planning.model import Server, WaveLimits


@dataclass(frozen=True)
class Atom:
    """Servers that cannot be separated: one application's servers, or one server."""

    servers: tuple[str, ...]
    size: int
    storage: int
    label: str


def storage_units(gb: float) -> int:
    """Storage in whole GB, rounded up (the solver works on integers)."""
    return int(-(-float(gb or 0.0) // 1))


def atoms_of(
    servers: Sequence[Server], limits: WaveLimits, *, split_applications: bool, group_label: str
) -> list[Atom]:
    """The group's atoms; an application larger than a wave is an error unless it may be split."""
    parent: dict[str, str] = {s.id: s.id for s in servers}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first_of_app: dict[str, str] = {}
    for s in servers:
        for app in s.applications:
            other = first_of_app.setdefault(app, s.id)
            ra, rb = find(s.id), find(other)
            if ra != rb:
                parent[rb] = ra
    members: dict[str, list[Server]] = defaultdict(list)
    for s in servers:
        members[find(s.id)].append(s)
    atoms: list[Atom] = []
    for group in members.values():
        size = len(group)
        storage = sum(storage_units(s.storage_gb) for s in group)
        apps = sorted({a for s in group for a in s.applications})
        label = (
            ", ".join(repr(a) for a in apps[:3]) + (" …" if len(apps) > 3 else "") if apps else group[0].label
        )
        if _fits(size, storage, limits):
            atoms.append(Atom(tuple(s.id for s in group), size, storage, label))
            continue
        if not split_applications:
            need = f"at least {size} servers" + (
                f" and {storage} GB" if limits.max_storage_gb is not None else ""
            )
            raise UserInputError(
                f"the wave limit ({_limit_text(limits)}) is smaller than application {label} "
                f"of move group {group_label} ({size} servers, {storage} GB), which cannot be split",
                hint=f"raise the wave limit to {need}, or allow splitting applications",
                details={"group": group_label, "servers": size, "storage_gb": storage},
            )
        atoms.extend(
            Atom((s.id,), 1, storage_units(s.storage_gb), s.label) for s in group
        )  # each server fits: checked by the caller
    return atoms


def _limit_text(limits: WaveLimits) -> str:
    text = f"{limits.max_servers} servers"
    if limits.max_storage_gb is not None:
        text += f", {limits.max_storage_gb:g} GB"
    return text


def _fits(size: int, storage: int, limits: WaveLimits) -> bool:
    return size <= limits.max_servers and (limits.max_storage_gb is None or storage <= limits.max_storage_gb)


def atom_edges(atoms: Sequence[Atom], edges: Mapping[tuple[str, str], float]) -> dict[tuple[int, int], float]:
    """Connection weight between atoms (undirected, summed over their servers' links)."""
    index = {s: i for i, a in enumerate(atoms) for s in a.servers}
    out: dict[tuple[int, int], float] = defaultdict(float)
    for (u, v), w in edges.items():
        i, j = index.get(u), index.get(v)
        if i is None or j is None or i == j:
            continue
        out[(min(i, j), max(i, j))] += w
    return dict(out)


def greedy_split(
    atoms: Sequence[Atom], links: Mapping[tuple[int, int], float], limits: WaveLimits
) -> list[int]:
    """Part index of each atom: heaviest links joined first while the part fits, then first-fit packing."""
    n = len(atoms)
    parent = list(range(n))
    size = [a.size for a in atoms]
    storage = [a.storage for a in atoms]

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for (i, j), _w in sorted(links.items(), key=lambda kv: (-kv[1], kv[0])):
        ri, rj = find(i), find(j)
        if ri != rj and _fits(size[ri] + size[rj], storage[ri] + storage[rj], limits):
            parent[rj] = ri
            size[ri] += size[rj]
            storage[ri] += storage[rj]
    roots = sorted({find(i) for i in range(n)}, key=lambda r: (-size[r], r))
    # connection weight between clusters, for packing connected clusters together
    between: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for (i, j), w in links.items():
        ri, rj = find(i), find(j)
        if ri != rj:
            between[ri][rj] += w
            between[rj][ri] += w
    bins: list[list[int]] = []
    bin_size: list[int] = []
    bin_storage: list[int] = []
    bin_of: dict[int, int] = {}
    for r in roots:
        best, best_w = -1, -1.0
        for b in range(len(bins)):
            if not _fits(bin_size[b] + size[r], bin_storage[b] + storage[r], limits):
                continue
            w = sum(between[r].get(m, 0.0) for m in bins[b])
            if w > best_w:
                best, best_w = b, w
        if best < 0:
            bins.append([])
            bin_size.append(0)
            bin_storage.append(0)
            best = len(bins) - 1
        bins[best].append(r)
        bin_size[best] += size[r]
        bin_storage[best] += storage[r]
        bin_of[r] = best
    return [bin_of[find(i)] for i in range(n)]


def cut_weight(assignment: Sequence[int], links: Mapping[tuple[int, int], float]) -> float:
    return sum(w for (i, j), w in links.items() if assignment[i] != assignment[j])
