"""Transformation rules that travel with a suggestion into the cleansing phase.

`scale` and `invert` are the contract keys (the value is multiplied by `scale`; a flipped
boolean is inverted); the others tell the cleanser how to normalise values: `trim`, `case`,
`value_map` (poweredOn -> on, UEFI -> efi), `first_of_list` + `split` for address lists, `date_format`.
"""

from __future__ import annotations

from typing import Any

from core.mapping.schema import TargetField
from core.mapping.text import fold
from core.mapping.units import UnitDecision
from core.mapping.values import EMPTY_VALUES, ValueProfile
from core.mapping.vocabulary import Vocabulary
from core.values.numbers import decimal_mark_of

LOWER_CASE_TARGETS = frozenset(
    {
        "environment",
        "power_state",
        "os_family",
        "business_criticality",
        "migration_complexity",
        "sixr_strategy",
        "os_architecture",
        "firmware_type",
    }
)
#: string targets whose vocabulary enumeration names each value's canonical form (poweredOn -> on)
CANONICAL_ENUM_TARGETS = frozenset({"power_state", "firmware_type"})
FIRST_OF_LIST_TARGETS = frozenset({"ip_address", "mac_address"})
ENVIRONMENT_NAMES = {
    "prod": "production",
    "prd": "production",
    "live": "production",
    "produktion": "production",
    "dev": "development",
    "develop": "development",
    "entwicklung": "development",
    "developpement": "development",
    "tst": "test",
    "testing": "test",
    "stg": "staging",
    "stage": "staging",
    "pre-prod": "preproduction",
    "pre-production": "preproduction",
    "disaster recovery": "dr",
    "abnahme": "uat",
    "acceptance": "uat",
    "recette": "uat",
    "sbx": "sandbox",
    "trn": "training",
}


def _seen(profile: ValueProfile, samples: list[str]) -> list[str]:
    return sorted({fold(s) for s in samples if fold(s) not in EMPTY_VALUES})


def build_rules(
    target: TargetField,
    unit: UnitDecision,
    invert: bool,
    profile: ValueProfile,
    samples: list[str],
    vocab: Vocabulary,
) -> dict[str, Any] | None:
    """The transformation rules for mapping a column onto `target` (None when nothing to do)."""
    rules: dict[str, Any] = {}
    if unit.scale is not None:
        rules["scale"] = unit.scale
        if unit.source_unit:
            rules["source_unit"] = unit.source_unit
            rules["target_unit"] = target.unit
    if target.type == "boolean":
        values = _seen(profile, samples)
        mapping: dict[str, bool] = {}
        for v in values:
            truth = vocab.booleans.get(v)
            if truth is None:
                truth = vocab.enumerations.get("virtual_physical", {}).get(v)
            if isinstance(truth, bool):
                mapping[v] = (not truth) if invert else truth
        if invert:
            rules["invert"] = True
        if mapping and any(k not in ("true", "false") for k in mapping):
            rules["value_map"] = mapping
    elif target.type == "string":
        rules["trim"] = True
        if target.name in LOWER_CASE_TARGETS:
            rules["case"] = "lower"
        if target.name in CANONICAL_ENUM_TARGETS:
            table = vocab.enumerations.get(target.name, {})
            vm = {v: table[v] for v in _seen(profile, samples) if v in table and table[v] != v}
            if vm:
                rules["value_map"] = vm
        elif target.name == "environment":
            vm = {v: ENVIRONMENT_NAMES[v] for v in _seen(profile, samples) if v in ENVIRONMENT_NAMES}
            if vm:
                rules["value_map"] = vm
        if target.name in FIRST_OF_LIST_TARGETS and (profile.frac("ip_list") or profile.frac("mac_list")):
            rules["first_of_list"] = True
            rules["split"] = profile.list_separator or ","
        elif target.name == "application_name" and profile.list_separator:
            rules["split"] = profile.list_separator
    elif target.type == "json":
        if profile.list_separator or profile.frac("tags"):
            rules["split"] = profile.list_separator or ","
            rules["key_value"] = ":" if any(":" in s for s in samples) else "="
    elif target.type == "datetime" and profile.date_format:
        rules["date_format"] = profile.date_format
    elif target.type in ("integer", "float") and profile.value_units and unit.basis == "value units":
        rules["strip_unit"] = True
    if target.type in ("integer", "float") and decimal_mark_of(samples) == ",":
        # values such as "1.024,5" prove a decimal comma: "2.048" in the same column is then 2048
        rules["decimal_mark"] = ","
    return rules or None
