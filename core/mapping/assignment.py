"""Global assignment: each target gets at most one source column, chosen for the whole table.

A greedy pass would let the first strong-ish column steal a field from a better column later
on; solving the assignment as a whole (Hungarian method on the reduced score matrix) keeps
"# Memory" on memory_gb and lets "vRAM" go unmapped. List-like targets (tags) take every
column whose best field they are. Small and pure Python, so no scipy at run time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

TOP_PER_TARGET = 12
_TIE = 1e-6


@dataclass(frozen=True)
class Assignment:
    """Chosen target per column position (None = unmapped), and who took a column's best target."""

    targets: dict[int, str | None]
    taken_by: dict[int, tuple[str, int]]


def _hungarian(cost: list[list[float]]) -> list[int]:
    """Minimum-cost assignment of every row to a distinct column (rows <= columns).

    Classic O(n^2 m) shortest augmenting path method with potentials; returns the column
    chosen for each row.
    """
    n = len(cost)
    m = len(cost[0]) if n else 0
    inf = float("inf")
    u = [0.0] * (n + 1)
    v = [0.0] * (m + 1)
    p = [0] * (m + 1)
    way = [0] * (m + 1)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = [inf] * (m + 1)
        used = [False] * (m + 1)
        while True:
            used[j0] = True
            i0 = p[j0]
            row = cost[i0 - 1]
            delta = inf
            j1 = 0
            ui0 = u[i0]
            for j in range(1, m + 1):
                if used[j]:
                    continue
                cur = row[j - 1] - ui0 - v[j]
                if cur < minv[j]:
                    minv[j] = cur
                    way[j] = j0
                if minv[j] < delta:
                    delta = minv[j]
                    j1 = j
            for j in range(m + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while True:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
            if j0 == 0:
                break
    result = [-1] * n
    for j in range(1, m + 1):
        if p[j]:
            result[p[j] - 1] = j - 1
    return result


def assign(
    scores: Mapping[int, Mapping[str, float]],
    *,
    list_like: frozenset[str] = frozenset(),
    threshold: float = 0.5,
) -> Assignment:
    """Pick at most one column per target (list-like targets: any number) maximising total score."""
    targets: dict[int, str | None] = dict.fromkeys(scores)
    eligible: dict[int, dict[str, float]] = {
        col: {t: s for t, s in cands.items() if s >= threshold} for col, cands in scores.items()
    }
    # list-like targets: a column goes there when it is that column's best field
    for col, cands in eligible.items():
        if cands:
            best = max(cands, key=lambda t: cands[t])
            if best in list_like:
                targets[col] = best
    pending = {c: cands for c, cands in eligible.items() if cands and targets[c] is None}
    for cands in pending.values():
        for t in list(cands):
            if t in list_like:
                del cands[t]
    # keep, per target, only its strongest columns (optimality is kept in practice; bounds the work)
    by_target: dict[str, list[tuple[float, int]]] = {}
    for col, cands in pending.items():
        for t, s in cands.items():
            by_target.setdefault(t, []).append((s, col))
    keep: set[tuple[str, int]] = set()
    for t, lst in by_target.items():
        lst.sort(key=lambda x: (-x[0], x[1]))
        keep.update((t, col) for _s, col in lst[:TOP_PER_TARGET])
    rows = sorted({t for t, _c in keep})
    cols = sorted({c for _t, c in keep})
    if rows:
        col_pos = {c: i for i, c in enumerate(cols)}
        width = len(cols) + len(rows)  # one "leave empty" slot per target
        cost: list[list[float]] = []
        for r, t in enumerate(rows):
            row = [0.0] * width
            for c in cols:
                s = pending[c].get(t)
                if s is not None and (t, c) in keep:
                    row[col_pos[c]] = -(s - _TIE * c)  # earlier columns win exact ties
            row[len(cols) + r] = 0.0
            cost.append(row)
        # non-candidate pairs and other targets' empty slots must be worse than leaving empty
        for r, t in enumerate(rows):
            for c in cols:
                if (t, c) not in keep:
                    cost[r][col_pos[c]] = 1.0
            for r2 in range(len(rows)):
                if r2 != r:
                    cost[r][len(cols) + r2] = 1.0
        chosen = _hungarian(cost)
        for r, j in enumerate(chosen):
            if 0 <= j < len(cols) and cost[r][j] < 0:
                targets[cols[j]] = rows[r]
    taken_by: dict[int, tuple[str, int]] = {}
    owner = {t: c for c, t in targets.items() if t is not None and t not in list_like}
    for col, cands in eligible.items():
        if targets.get(col) is None and cands:
            best = max(cands, key=lambda t: cands[t])
            if best in owner and owner[best] != col:
                taken_by[col] = (best, owner[best])
    return Assignment(targets, taken_by)


def assign_sequence(per_column: Sequence[Mapping[str, float]], **kwargs: object) -> list[str | None]:
    """Convenience wrapper over `assign` for a list of per-column score maps."""
    result = assign(dict(enumerate(per_column)), **kwargs)  # type: ignore[arg-type]
    return [result.targets[i] for i in range(len(per_column))]
