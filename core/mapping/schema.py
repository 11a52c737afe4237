"""The target schema: canonical asset fields plus what it takes to recognise them.

Loaded once from `resources/target_schema.yaml` and checked against the contract copy
`resources/asset_fields.yaml`, so a drifting name, type or unit fails loudly at load time
rather than producing suggestions nobody can store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from core.values.fields import field_entries

DATA_TYPES: tuple[str, ...] = ("string", "integer", "float", "boolean", "datetime", "json")

_SYNONYM_LANGUAGES = ("en", "de", "fr", "tools")


@dataclass(frozen=True)
class ValueSpec:
    """Which kinds of sample values a field holds and how much they say."""

    kinds: tuple[str, ...] = ()
    strict: bool = False
    signal: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class TargetField:
    """One canonical field with its recognition vocabulary."""

    name: str
    type: str
    unit: str | None
    description: str
    synonyms: tuple[str, ...] = ()
    weak_synonyms: tuple[str, ...] = ()
    inverse_synonyms: tuple[str, ...] = ()
    abbreviations: tuple[str, ...] = ()
    subject: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    dimension: str | None = None
    statistic: str | None = None
    quantity: str | None = None
    magnitude: str | None = None
    list_like: bool = False
    values: ValueSpec = field(default_factory=ValueSpec)

    @property
    def label(self) -> str:
        """Field name with its unit, as shown to consultants."""
        return f"{self.name} ({self.unit})" if self.unit else self.name


@dataclass(frozen=True, eq=False)
class TargetSchema:
    """All target fields, in contract order."""

    fields: tuple[TargetField, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {f.name: f for f in self.fields})

    def get(self, name: str) -> TargetField | None:
        return self._by_name.get(name)  # type: ignore[attr-defined]

    def __getitem__(self, name: str) -> TargetField:
        return self._by_name[name]  # type: ignore[attr-defined]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name  # type: ignore[attr-defined]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


def _read_yaml(name: str) -> Any:
    text = resources.files("resources").joinpath(name).read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _parse_field(raw: dict[str, Any]) -> TargetField:
    synonyms_raw = raw.get("synonyms") or {}
    if isinstance(synonyms_raw, dict):
        unknown = set(synonyms_raw) - set(_SYNONYM_LANGUAGES)
        if unknown:
            raise ValueError(f"target {raw['name']}: unknown synonym group(s) {sorted(unknown)}")
        synonyms = tuple(s for lang in _SYNONYM_LANGUAGES for s in _strings(synonyms_raw.get(lang)))
    else:
        synonyms = _strings(synonyms_raw)
    values_raw = raw.get("values") or {}
    values = ValueSpec(
        kinds=_strings(values_raw.get("kinds")),
        strict=bool(values_raw.get("strict", False)),
        signal={str(k): float(v) for k, v in (values_raw.get("signal") or {}).items()},
    )
    return TargetField(
        name=str(raw["name"]),
        type=str(raw["type"]),
        unit=raw.get("unit"),
        description=str(raw.get("description", "")),
        synonyms=synonyms,
        weak_synonyms=_strings(raw.get("weak_synonyms")),
        inverse_synonyms=_strings(raw.get("inverse_synonyms")),
        abbreviations=_strings(raw.get("abbreviations")),
        subject=_strings(raw.get("subject")),
        examples=_strings(raw.get("examples")),
        dimension=raw.get("dimension"),
        statistic=raw.get("statistic"),
        quantity=raw.get("quantity"),
        magnitude=raw.get("magnitude"),
        list_like=bool(raw.get("list_like", False)),
        values=values,
    )


def _check_against_contract(schema: TargetSchema) -> None:
    """Every asset field (the contract's and the project's own) is a target of the same type and unit."""
    for entry in field_entries():
        target = schema.get(entry["name"])
        if target is None:
            raise ValueError(f"target_schema.yaml lacks asset field {entry['name']!r}")
        if target.type != entry["type"] or target.unit != entry.get("unit"):
            raise ValueError(
                f"target_schema.yaml field {target.name!r} is {target.type}/{target.unit}, "
                f"contract says {entry['type']}/{entry.get('unit')}"
            )


@lru_cache(maxsize=1)
def load_target_schema() -> TargetSchema:
    """The target schema (cached); raises ValueError when it disagrees with the contract."""
    raw = _read_yaml("target_schema.yaml")
    fields = tuple(_parse_field(f) for f in raw["fields"])
    for f in fields:
        if f.type not in DATA_TYPES:
            raise ValueError(f"target {f.name!r} has unknown type {f.type!r}")
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise ValueError("target_schema.yaml names a field twice")
    schema = TargetSchema(fields)
    _check_against_contract(schema)
    return schema


#: the kinds of import and the schema file each maps onto
KIND_SCHEMAS: dict[str, str] = {"assets": "target_schema.yaml", "connections": "connection_schema.yaml"}


@lru_cache(maxsize=1)
def load_connection_schema() -> TargetSchema:
    """The schema of connection exports (`resources/connection_schema.yaml`, not asset fields; cached)."""
    raw = _read_yaml(KIND_SCHEMAS["connections"])
    fields = tuple(_parse_field(f) for f in raw["fields"])
    for f in fields:
        if f.type not in DATA_TYPES:
            raise ValueError(f"connection target {f.name!r} has unknown type {f.type!r}")
    if len({f.name for f in fields}) != len(fields):
        raise ValueError("connection_schema.yaml names a field twice")
    clash = sorted({f.name for f in fields} & set(load_target_schema().names))
    if clash:
        raise ValueError(f"connection_schema.yaml reuses asset target name(s) {clash}")
    return TargetSchema(fields)


def schema_for_kind(kind: str | None) -> TargetSchema:
    """The schema an import of this kind maps onto (`assets` when unknown)."""
    return load_connection_schema() if kind == "connections" else load_target_schema()


@lru_cache(maxsize=1)
def load_any_schema() -> TargetSchema:
    """Every target of every kind: what a stored mapping row may name."""
    return TargetSchema(load_target_schema().fields + load_connection_schema().fields)
