"""Right-sizing findings from the utilisation fields an inventory may carry.

A pure function of an asset's fields: CPU or memory that stays low even at its peak is a
downsize candidate, a sustained high load is undersized. Thresholds and which field is read
first are data (resources/rightsizing.yaml), so a consultant can read and change them; an asset
without utilisation fields gets no finding.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from core.techdebt.table import LifecycleTableError
from core.values.resources import read_yaml

RIGHTSIZING_FILE = "rightsizing.yaml"
KINDS = ("downsize", "undersized")


@dataclass(frozen=True, slots=True)
class SizingFinding:
    """One resource's right-sizing finding."""

    resource: str  # "cpu" | "memory"
    kind: str  # "downsize" | "undersized"
    measure: str  # "peak" | "average": which utilisation figure was compared
    field: str  # the asset field it came from
    value: float  # percent
    threshold: float  # percent
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "kind": self.kind,
            "measure": self.measure,
            "field": self.field,
            "value": self.value,
            "threshold": self.threshold,
            "rule": self.rule,
        }


@dataclass(frozen=True)
class _Rule:
    kind: str
    use: tuple[str, ...]
    limits: Mapping[str, float]
    above: bool


@dataclass(frozen=True)
class SizingRules:
    """The thresholds of resources/rightsizing.yaml."""

    fields: Mapping[str, Mapping[str, str]]  # resource → {"average": field, "peak": field}
    rules: tuple[_Rule, ...]


def build_rules(data: Mapping[str, Any]) -> SizingRules:
    """The rules from the parsed YAML, checked (a broken file fails here, not with wrong findings)."""
    try:
        fields = {res: dict(m) for res, m in data["resources"].items()}
        rules = (
            _Rule("downsize", tuple(data["downsize"]["use"]), dict(data["downsize"]["below"]), False),
            _Rule("undersized", tuple(data["undersized"]["use"]), dict(data["undersized"]["above"]), True),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise LifecycleTableError(f"{RIGHTSIZING_FILE}: missing or malformed key {exc}") from None
    for rule in rules:
        for measure in rule.use:
            if measure not in ("average", "peak"):
                raise LifecycleTableError(f"{RIGHTSIZING_FILE}: {rule.kind}.use: unknown measure {measure!r}")
        for res, limit in rule.limits.items():
            if res not in fields or not isinstance(limit, int | float) or not 0 <= limit <= 100:
                raise LifecycleTableError(
                    f"{RIGHTSIZING_FILE}: {rule.kind}: {res}: needs a resource of `resources` and a percent"
                )
    return SizingRules(fields, rules)


@lru_cache(maxsize=1)
def sizing_rules() -> SizingRules:
    return build_rules(read_yaml(RIGHTSIZING_FILE))


def _percent(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip().rstrip("%").strip().replace(",", ".")
        if not value:
            return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(number) or not 0 <= number <= 100:
        return None
    return number


def rightsizing(asset_fields: Mapping[str, Any], rules: SizingRules | None = None) -> list[SizingFinding]:
    """Downsize / undersized findings for one asset's fields ([] when it has no utilisation)."""
    rules = rules or sizing_rules()
    found: list[SizingFinding] = []
    for rule in rules.rules:
        for resource, limit in rule.limits.items():
            names = rules.fields[resource]
            for position, measure in enumerate(rule.use):
                field = names.get(measure)
                value = _percent(asset_fields.get(field)) if field else None
                if value is None:
                    continue
                hit = value > limit if rule.above else value < limit
                if hit:
                    sign = ">" if rule.above else "<"
                    rule_text = (
                        f"{rightsizing_label(rule.kind)}: {resource} {measure} {value:g} % {sign} {limit:g} %"
                    )
                    if position > 0:
                        rule_text += f" ({rule.use[0]} not given; {measure} is a weaker sign)"
                    found.append(
                        SizingFinding(resource, rule.kind, measure, field, value, float(limit), rule_text)
                    )
                break  # the first measure the asset has decides
    return found


def rightsizing_label(kind: str) -> str:
    return {"downsize": "downsize candidate", "undersized": "undersized"}[kind]
