"""Enumerated fields read the labels the field writes: ServiceNow choices, hypervisor power states.

The values and aliases are data (`resources/value_enums.yaml`); these tests go through the field
coercer, as cleansing and the mapping preview do (no database).
"""

from __future__ import annotations

from typing import Any

import pytest

from core.mapping.vocabulary import load_vocabulary
from core.values import FieldCoercer, asset_fields
from core.values.enums import _enum_set, enum_sets
from core.values.resources import read_yaml


def coerce(field: str, raw: str, rules: dict[str, Any] | None = None) -> tuple[Any, str | None]:
    value, problem = FieldCoercer(asset_fields()[field], rules)(raw)
    return value, (problem.rule if problem else None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # ServiceNow business_criticality (cmdb_ci_service, cmdb_ci_business_app)
        ("1 - most critical", "critical"),
        ("2 - somewhat critical", "high"),
        ("3 - less critical", "medium"),
        ("4 - not critical", "low"),
        ("5 - not critical", "low"),
        # ServiceNow priority
        ("1 - Critical", "critical"),
        ("2 - High", "high"),
        ("3 - Moderate", "medium"),
        ("4 - Low", "low"),
        ("5 - Planning", "low"),
        # ServiceNow impact / urgency
        ("1 - High", "high"),
        ("2 - Medium", "medium"),
        ("3 - Low", "low"),
        # a numbered label not listed is read by its label
        ("3: Medium", "medium"),
        # service tiers and the French words the vocabulary knows
        ("Gold", "high"),
        ("Élevé", "high"),
        ("critique", "critical"),
    ],
)
def test_servicenow_criticality_and_priority_labels(raw: str, expected: str) -> None:
    assert coerce("business_criticality", raw) == (expected, None)
    assert coerce("business_criticality", raw, {"case": "lower", "trim": True}) == (expected, None)


@pytest.mark.parametrize("raw", ["6 - apocalyptic", "2 - whatever", "rather important"])
def test_an_unknown_criticality_is_still_reported(raw: str) -> None:
    assert coerce("business_criticality", raw) == (None, "enum")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("poweredOn", "on"), ("poweredOff", "off"), ("suspended", "suspended"),  # VMware
        ("POWEREDON", "on"), ("Powered Off", "off"),
        ("Running", "on"), ("Off", "off"), ("Saved", "suspended"), ("Paused", "suspended"),  # Hyper-V
        ("VM running", "on"), ("VM deallocated", "off"), ("VM stopped", "off"),  # Azure
        ("PowerState/running", "on"), ("PowerState/deallocated", "off"),
        ("eingeschaltet", "on"), ("ausgeschaltet", "off"), ("Éteint", "off"),
    ],
)  # fmt: skip
def test_power_states_of_the_hypervisors(raw: str, expected: str) -> None:
    assert coerce("power_state", raw) == (expected, None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # ServiceNow operational_status
        ("Operational", "operational"),
        ("Non-Operational", "non-operational"),
        ("Repair in Progress", "in maintenance"),
        ("Retired", "retired"),
        ("Pipeline", "planned"),
        ("Catastrophic Error", "non-operational"),
        ("DR Standby", "dr standby"),  # open set: kept
        # ServiceNow install_status
        ("Installed", "operational"),
        ("On Order", "planned"),
        ("In Maintenance", "in maintenance"),
        ("Pending Install", "planned"),
        ("Pending Repair", "in maintenance"),
        ("In Stock", "non-operational"),
        ("Absent", "absent"),
    ],
)
def test_servicenow_operational_and_install_status_labels(raw: str, expected: str) -> None:
    assert coerce("operational_status", raw) == (expected, None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("cmdb_ci_win_server", "server"), ("cmdb_ci_vmware_instance", "virtual_machine"),
     ("VMware Virtual Machine Instance", "virtual_machine"), ("cmdb_ci_esx_server", "server"),
     ("cmdb_ci_db_mssql_instance", "database"), ("Workstation", "other")],
)  # fmt: skip
def test_servicenow_class_names_are_asset_types(raw: str, expected: str) -> None:
    assert coerce("asset_type", raw) == (expected, None)


def test_open_sets_read_numbered_labels_and_keep_the_unknown() -> None:
    assert coerce("environment", "1 - Production") == ("production", None)
    assert coerce("environment", "Recette") == ("uat", None)
    assert coerce("environment", "Perf") == ("perf", None)
    assert coerce("os_architecture", "x64-based PC") == ("x86_64", None)
    assert coerce("virtualization_platform", "Foo Cloud") == ("Foo Cloud", None)


def _vocabulary_enum(field: str) -> str | None:
    """The vocabulary enumeration the target schema says a field's values are (`enum:<name>`)."""
    schema = {f["name"]: f for f in read_yaml("target_schema.yaml")["fields"]}
    kinds = (schema[field].get("values") or {}).get("kinds", [])
    return next((k.removeprefix("enum:") for k in kinds if k.startswith("enum:")), None)


@pytest.mark.parametrize("field", sorted(f for f, e in enum_sets().items() if e.closed))
def test_cleansing_knows_every_value_the_suggester_maps_a_closed_field_by(field: str) -> None:
    """The suggester recognises a column by these values; cleansing must not then refuse them all."""
    name = _vocabulary_enum(field)
    assert name is not None, f"{field} names no enum kind in target_schema.yaml"
    spellings = load_vocabulary().enumerations[name]
    unknown = [v for v in spellings if coerce(field, v)[1] is not None]
    assert not unknown, f"{field}: cleansing refuses {unknown}"


def test_every_enumerated_field_is_a_string_field_of_the_contract() -> None:
    fields = asset_fields()
    assert all(fields[name].type == "string" for name in enum_sets())


def test_an_alias_may_mean_one_value_only() -> None:
    with pytest.raises(ValueError, match="means both"):
        _enum_set("f", {"values": {"high": ["hi"], "low": ["HI"]}})


def test_yaml_booleans_must_be_quoted() -> None:
    with pytest.raises(ValueError, match="quote"):
        _enum_set("f", {"values": {"on": [True]}})
