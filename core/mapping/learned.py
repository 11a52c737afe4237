"""Seam for learned decisions: what consultants approved or rejected on earlier imports.

Persistence lives elsewhere; the engine only needs the decisions as plain values. A decision
applies to a column when the header normalises to the same text; the value fingerprint says
whether the values still look the same (then it is trusted more).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from core.mapping.normalize import normalize
from core.mapping.text import fold


@dataclass(frozen=True)
class PriorDecision:
    """One remembered decision: this header (with values of this shape) went to this field."""

    source_header: str
    value_fingerprint: str | None
    target_field: str | None
    count: int = 1
    rejected: bool = False


@dataclass(frozen=True)
class LearnedHint:
    target: str | None
    score: float
    count: int
    same_values: bool


def header_key(header: str) -> str:
    """The normalised form under which decisions are remembered."""
    form = normalize(header)
    return " ".join(sorted(form.core)) + (f"|{form.unit.label}" if form.unit else "") or fold(header)


def coerce_decisions(learned: Iterable[Any] | None) -> list[PriorDecision]:
    """Accept PriorDecision objects, 5-tuples or mappings."""
    out: list[PriorDecision] = []
    for item in learned or ():
        if isinstance(item, PriorDecision):
            out.append(item)
        elif isinstance(item, dict):
            out.append(PriorDecision(**item))
        else:
            header, fingerprint, target, count, rejected = item
            out.append(PriorDecision(str(header), fingerprint, target, int(count or 1), bool(rejected)))
    return out


def hints_for(
    header: str, fingerprint: str, decisions: Sequence[PriorDecision]
) -> tuple[LearnedHint | None, set[str]]:
    """The approved field to prefer (if any) and the fields consultants rejected for this header."""
    key = header_key(header)
    approved: dict[str | None, tuple[int, bool]] = {}
    rejected: set[str] = set()
    for d in decisions:
        if header_key(d.source_header) != key and fold(d.source_header) != fold(header):
            continue
        same = d.value_fingerprint is None or d.value_fingerprint == fingerprint
        if d.rejected:
            if d.target_field:
                rejected.add(d.target_field)
            continue
        count, any_same = approved.get(d.target_field, (0, False))
        approved[d.target_field] = (count + max(1, d.count), any_same or same)
    if not approved:
        return None, rejected
    target, (count, same) = max(approved.items(), key=lambda kv: (kv[1][1], kv[1][0]))
    if target in rejected:
        return None, rejected
    score = min(0.995, (0.97 if same else 0.9) + 0.005 * min(count, 5))
    return LearnedHint(target, score, count, same), rejected
