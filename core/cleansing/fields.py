"""The canonical asset fields (name, type, unit) as the cleansing and inventory phases need them.

Read from the contract copy `resources/asset_fields.yaml`, the same file the `assets` table
mirrors, so a field added there is typed here without a second list to keep in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

#: Physical dimension of each contract unit; a value's own unit must share it to be converted.
UNIT_DIMENSION: dict[str, str] = {
    "GB": "data_size",
    "MHz": "frequency",
    "percent": "percent",
    "KB/s": "data_rate",
    "ops/s": "ops_rate",
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One canonical field: its stored type and the unit its value is in."""

    name: str
    type: str
    unit: str | None

    @property
    def dimension(self) -> str | None:
        return UNIT_DIMENSION.get(self.unit) if self.unit else None

    @property
    def header(self) -> str:
        """Column header with the unit, e.g. `memory_gb (GB)` (exports)."""
        return f"{self.name} ({self.unit})" if self.unit else self.name


@lru_cache(maxsize=1)
def asset_fields() -> dict[str, FieldSpec]:
    """Canonical fields by name, in contract order."""
    text = resources.files("resources").joinpath("asset_fields.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)["fields"]
    return {f["name"]: FieldSpec(f["name"], f["type"], f.get("unit")) for f in raw}


def field_names() -> tuple[str, ...]:
    return tuple(asset_fields())
