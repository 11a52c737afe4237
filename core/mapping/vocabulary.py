"""Domain vocabulary (mapping_vocabulary.yaml) in the shapes the matchers use.

Kept apart from the schema so that knowledge about how inventories are written (token
expansions, units, statistics, known no-target concepts) can grow without touching the
field contract. The units are the value pipeline's one unit table (`core.values.units`, read from
the same file), so headers and cells agree on what "Go" or "Mbps" is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from core.mapping.text import fold
from core.values.resources import read_yaml
from core.values.units import VOCABULARY_FILE, UnitInfo, unit_table

__all__ = ["ContextRule", "MagnitudeRule", "NoTargetConcept", "UnitInfo", "Vocabulary", "load_vocabulary"]


@dataclass(frozen=True)
class NoTargetConcept:
    concept: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class ContextRule:
    headers: tuple[frozenset[str], ...]
    when_table_has: tuple[frozenset[str], ...]
    unless_table_has: tuple[frozenset[str], ...]
    prefer: str
    boost: float
    reason: str
    reject: bool = False
    """The header does *not* mean `prefer` in such a table: its candidate is vetoed with `reason`."""


@dataclass(frozen=True)
class MagnitudeRule:
    unit: str
    max_median: float | None = None
    max_value: float | None = None
    needs_decimals: bool = False


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """Everything the normaliser and the value analyser know about inventory exports."""

    protected_words: dict[str, str]
    phrases: dict[tuple[str, ...], tuple[str, ...]]
    tokens: dict[str, str]
    stopwords: frozenset[str]
    soft_tokens: frozenset[str]
    subject_tokens: frozenset[str]
    units: dict[str, UnitInfo]
    ambiguous_unit_tokens: frozenset[str]
    target_units: dict[str, UnitInfo]
    statistics: dict[str, str]
    quantities: dict[str, str]
    magnitudes: dict[str, tuple[MagnitudeRule, ...]]
    plausible: dict[str, dict[str, Any]]
    no_target: tuple[NoTargetConcept, ...]
    context_rules: tuple[ContextRule, ...]
    enumerations: dict[str, dict[str, Any]]
    booleans: dict[str, bool]
    os_patterns: tuple[re.Pattern[str], ...]
    cpu_patterns: tuple[re.Pattern[str], ...]
    max_phrase_len: int = field(default=1)
    os_any: re.Pattern[str] | None = None
    """All `os_patterns` as one alternation: one search per value instead of one per pattern."""
    cpu_any: re.Pattern[str] | None = None

    def unit_named(self, label: str) -> UnitInfo | None:
        """A unit by its label in either table (header tokens or target units)."""
        return self.target_units.get(label) or self.units.get(fold(label))


def _folded_list(values: Any) -> list[str]:
    return [fold(str(v)) for v in (values or [])]


def _enumerations(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, values in raw.items():
        if isinstance(values, dict):
            out[name] = {fold(str(k)): v for k, v in values.items()}
        else:
            out[name] = {fold(str(v)): fold(str(v)) for v in values}
    return out


@lru_cache(maxsize=1)
def load_vocabulary() -> Vocabulary:
    """The mapping vocabulary (cached)."""
    raw = read_yaml(VOCABULARY_FILE)
    units = unit_table().units
    target_units = unit_table().target_units
    statistics = {fold(str(w)): stat for stat, words in raw["statistics"].items() for w in words}
    quantities = {fold(str(w)): q for q, words in raw["quantities"].items() for w in words}
    phrases = {
        tuple(fold(k).split()): tuple(str(t) for t in v) for k, v in (raw.get("phrases") or {}).items()
    }
    magnitudes = {
        name: tuple(
            MagnitudeRule(
                unit=str(r["unit"]),
                max_median=r.get("max_median"),
                max_value=r.get("max_value"),
                needs_decimals=bool(r.get("needs_decimals", False)),
            )
            for r in rules
        )
        for name, rules in raw["magnitudes"].items()
    }
    no_target = tuple(
        NoTargetConcept(str(c["concept"]), tuple(str(p) for p in c["phrases"])) for c in raw["no_target"]
    )
    context_rules = tuple(
        ContextRule(
            headers=tuple(frozenset(x) for x in r["headers"]),
            when_table_has=tuple(frozenset(x) for x in r["when_table_has"]),
            unless_table_has=tuple(frozenset(x) for x in r.get("unless_table_has") or ()),
            prefer=str(r["prefer"]),
            boost=float(r.get("boost", 0.15)),
            reason=str(r["reason"]),
            reject=bool(r.get("reject", False)),
        )
        for r in raw.get("context_rules") or []
    )
    return Vocabulary(
        protected_words={str(k): str(v) for k, v in raw["protected_words"].items()},
        phrases=phrases,
        tokens={fold(str(k)): fold(str(v)) for k, v in raw["tokens"].items()},
        stopwords=frozenset(_folded_list(raw["stopwords"])),
        soft_tokens=frozenset(_folded_list(raw["soft_tokens"])),
        subject_tokens=frozenset(_folded_list(raw["subject_tokens"]))
        - frozenset(_folded_list(raw["soft_tokens"])),
        units=units,
        ambiguous_unit_tokens=frozenset(_folded_list(raw["ambiguous_unit_tokens"])),
        target_units=target_units,
        statistics=statistics,
        quantities=quantities,
        magnitudes=magnitudes,
        plausible={str(k): dict(v) for k, v in raw["plausible"].items()},
        no_target=no_target,
        context_rules=context_rules,
        enumerations=_enumerations(raw["enumerations"]),
        booleans={fold(str(k)): bool(v) for k, v in raw["booleans"].items()},
        os_patterns=tuple(re.compile(p, re.IGNORECASE) for p in raw["os_patterns"]),
        cpu_patterns=tuple(re.compile(p, re.IGNORECASE) for p in raw["cpu_patterns"]),
        max_phrase_len=max((len(k) for k in phrases), default=1),
        os_any=_alternation(raw["os_patterns"]),
        cpu_any=_alternation(raw["cpu_patterns"]),
    )


def _alternation(patterns: list[str]) -> re.Pattern[str]:
    """One pattern that matches where any of `patterns` does (none uses a back-reference)."""
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
