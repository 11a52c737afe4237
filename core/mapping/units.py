"""Unit decisions: which unit a column is in and the scale that brings it to the target unit.

The header says it when it can ("Memory (MB)", "KB/s", "GHz"); otherwise the magnitude of the
values does ("ram" holding 4096…65536 is MB). A unit of the wrong dimension ("CPU usage MHz"
for a percentage) vetoes the target.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.mapping.normalize import HeaderForm
from core.mapping.schema import TargetField
from core.mapping.values import ValueProfile
from core.mapping.vocabulary import UnitInfo, Vocabulary
from core.values.units import unit_table

_LABELS = {
    "data_size": "size",
    "data_rate": "throughput",
    "frequency": "frequency",
    "percent": "percentage",
    "ops_rate": "operations per second",
    "time": "time",
}


@dataclass(frozen=True)
class UnitDecision:
    """How a column's numbers relate to the target unit."""

    compatible: bool = True
    scale: float | None = None
    source_unit: str | None = None
    basis: str | None = None  # "header", "values" (magnitude) or "value units"
    note: str = ""


def _fraction(scale: float) -> str:
    if scale >= 1:
        return f"×{scale:g}"
    inv = 1 / scale
    return f"×1/{inv:g}" if abs(inv - round(inv)) < 1e-6 else f"×{scale:.6g}"


_DISPLAY = {
    "mbitps": "Mbit/s",
    "kbitps": "kbit/s",
    "gbitps": "Gbit/s",
    "kbyteps": "KB/s",
    "mbyteps": "MB/s",
    "gbyteps": "GB/s",
    "pct": "%",
    "percent": "%",
    "percentage": "%",
    "hz": "Hz",
    "khz": "kHz",
    "mhz": "MHz",
    "ghz": "GHz",
    "kib": "KiB",
    "mib": "MiB",
    "gib": "GiB",
    "tib": "TiB",
    "go": "Go",
    "mo": "Mo",
    "to": "To",
    "ko": "Ko",
}


def _display(label: str) -> str:
    """A unit label as people write it (MB, GiB, MB/s, GHz)."""
    if label in _DISPLAY:
        return _DISPLAY[label]
    if label.endswith("/s"):
        return _display(label[:-2]) + "/s"
    return label.upper() if len(label) <= 3 and label.isalpha() else label


def _scaled(target: TargetField, unit: UnitInfo, vocab: Vocabulary) -> float:
    tu = vocab.target_units[target.unit or ""]
    return unit.factor / tu.factor


def _from_magnitude(
    target: TargetField, profile: ValueProfile, vocab: Vocabulary
) -> tuple[str, float] | None:
    rules = vocab.magnitudes.get(target.magnitude or "")
    if not rules or not profile.numbers:
        return None
    median = profile.median or 0.0
    top = profile.max or 0.0
    for rule in rules:
        if rule.max_value is not None:
            if top <= rule.max_value and (not rule.needs_decimals or profile.decimals_share() > 0):
                return rule.unit, 100.0 if rule.unit == "fraction" else 1.0
            continue
        if rule.max_median is None or median < rule.max_median:
            if rule.unit in ("percent",):
                return rule.unit, 1.0
            unit = vocab.unit_named(rule.unit)
            if unit is None:
                return None
            return rule.unit, _scaled(target, unit, vocab)
    return None


def decide_unit(
    target: TargetField, header: HeaderForm, profile: ValueProfile, vocab: Vocabulary
) -> UnitDecision:
    """Unit compatibility and scale of a column for a target."""
    hunit = header.unit
    if target.dimension is None:
        if hunit is not None and hunit.dimension != "time":
            return UnitDecision(False, note=f"header unit {_display(hunit.label)} does not fit {target.name}")
        return UnitDecision()
    if hunit is not None:
        if hunit.dimension != target.dimension:
            return UnitDecision(
                False,
                note=f"header unit {_display(hunit.label)} is a "
                f"{_LABELS.get(hunit.dimension, hunit.dimension)}, "
                f"{target.name} is a {_LABELS.get(target.dimension, target.dimension)}",
            )
        scale = _scaled(target, hunit, vocab) if target.dimension != "percent" else 1.0
        if (
            target.dimension == "percent"
            and profile.numbers
            and (profile.max or 0) <= 1.0
            and profile.decimals_share()
        ):
            return UnitDecision(True, 100.0, "fraction", "values", "values 0–1 are fractions: ×100")
        if abs(scale - 1) < 1e-9:
            return UnitDecision(True, None, _display(hunit.label), "header")
        return UnitDecision(
            True,
            scale,
            _display(hunit.label),
            "header",
            f"unit {_display(hunit.label)}→{target.unit} {_fraction(scale)}",
        )
    if profile.value_units:
        label, _count = profile.value_units.most_common(1)[0]
        vunit = vocab.units.get(label) or unit_table().read(label, value_spellings=False)
        if vunit is not None and vunit.dimension == target.dimension:
            scale = _scaled(target, vunit, vocab) if target.dimension != "percent" else 1.0
            note = f"values carry {_display(label)}" + (
                f": {_fraction(scale)}" if abs(scale - 1) > 1e-9 else ""
            )
            return UnitDecision(
                True, None if abs(scale - 1) < 1e-9 else scale, _display(label), "value units", note
            )
    guess = _from_magnitude(target, profile, vocab)
    if guess is None:
        return UnitDecision()
    label, scale = guess
    if abs(scale - 1) < 1e-9:
        return UnitDecision(True, None, label if label != "percent" else "%", "values")
    rng = profile.range_text()
    what = "fractions" if label == "fraction" else label
    return UnitDecision(
        True, scale, label, "values", f"values {rng} look like {what}: {_fraction(scale)} to {target.unit}"
    )


def plausible(
    target: TargetField, profile: ValueProfile, scale: float | None, vocab: Vocabulary
) -> bool | None:
    """Whether the (converted) numbers are in a sensible range for the target; None if unknown."""
    bounds = vocab.plausible.get(target.name)
    if not bounds or not profile.numbers:
        return None
    factor = scale or 1.0
    med = (profile.median or 0.0) * factor
    top = (profile.max or 0.0) * factor
    lo, hi = bounds.get("median", [None, None])
    if lo is not None and med < lo:
        return False
    if hi is not None and med > hi:
        return False
    return not ("max" in bounds and top > bounds["max"])
