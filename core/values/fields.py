"""The canonical asset fields (name, type, unit, range): what the value pipeline converts onto.

Used by the field coercer (cleansing and the mapping preview alike), inventory and exports.

Name, type and unit come from the contract copy `resources/asset_fields.yaml` (identical to the
shared contract) followed by the project's own fields in `resources/project_asset_fields.yaml`
(RVTools' template flag, NIC count, firmware, ...); the `assets` table mirrors both, so a field added
there is typed here without a second list to keep in step.
The range a number may take (`min` / `max`) comes from the field's definition in
`resources/target_schema.yaml`: data, not a list of names in code. A number field without `min`
is non-negative (counts, sizes, rates); `min: null` lets it go below zero (a temperature, a delta).
A unit's dimension comes from the one unit table (`core.values.units`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from core.values.resources import read_yaml
from core.values.units import unit_table

NUMBER_TYPES = ("integer", "float")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One canonical field: its stored type, the unit its value is in, and (numbers) its range."""

    name: str
    type: str
    unit: str | None
    minimum: float | None = 0.0
    """Lowest value of a number field (None: no lower bound); counts and sizes start at 0."""
    maximum: float | None = None
    """Highest value of a number field (None: no upper bound)."""

    @property
    def dimension(self) -> str | None:
        """Physical dimension of the field's unit; a value's own unit must share it to be converted."""
        return unit_table().dimension_of(self.unit)

    @property
    def header(self) -> str:
        """Column header with the unit, e.g. `memory_gb (GB)` (exports)."""
        return f"{self.name} ({self.unit})" if self.unit else self.name


def _bound(name: str, key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"target_schema.yaml field {name!r}: {key} must be a number or null, not {value!r}")
    return float(value)


def field_spec(contract: Mapping[str, Any], definition: Mapping[str, Any] | None = None) -> FieldSpec:
    """The spec of one contract entry, with the range its target-schema `definition` declares."""
    name, kind = str(contract["name"]), str(contract["type"])
    declared = definition or {}
    if kind not in NUMBER_TYPES:
        if "min" in declared or "max" in declared:
            raise ValueError(f"target_schema.yaml field {name!r}: min/max need a number field, not {kind}")
        return FieldSpec(name, kind, contract.get("unit"), minimum=None, maximum=None)
    minimum = _bound(name, "min", declared["min"]) if "min" in declared else 0.0
    maximum = _bound(name, "max", declared.get("max"))
    if minimum is not None and maximum is not None and maximum < minimum:
        raise ValueError(f"target_schema.yaml field {name!r}: max {maximum:g} is below min {minimum:g}")
    return FieldSpec(name, kind, contract.get("unit"), minimum=minimum, maximum=maximum)


CONTRACT_FILE = "asset_fields.yaml"
PROJECT_FILE = "project_asset_fields.yaml"


def field_entries() -> list[dict[str, Any]]:
    """The contract's field entries, then the project's own (a project name may not repeat one)."""
    contract = list(read_yaml(CONTRACT_FILE)["fields"])
    project = list(read_yaml(PROJECT_FILE)["fields"])
    names = {str(f["name"]) for f in contract}
    twice = sorted(str(f["name"]) for f in project if str(f["name"]) in names)
    if twice:
        raise ValueError(f"{PROJECT_FILE} repeats contract field(s) {twice}")
    return contract + project


@lru_cache(maxsize=1)
def asset_fields() -> dict[str, FieldSpec]:
    """Canonical fields by name: the contract's in contract order, then the project's own."""
    definitions = {str(f["name"]): f for f in read_yaml("target_schema.yaml")["fields"]}
    return {f["name"]: field_spec(f, definitions.get(f["name"])) for f in field_entries()}


def field_names() -> tuple[str, ...]:
    return tuple(asset_fields())
