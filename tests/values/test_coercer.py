"""Each coercion and normalisation rule of the value pipeline's field coercer (cleansing and the mapping
preview), with its edge cases (no database)."""

from __future__ import annotations

from typing import Any

import pytest

from core.values import (
    FieldCoercer,
    apply_rules,
    asset_fields,
    derive_fields,
    field_spec,
    os_family_of,
    parse_date,
    parse_tags,
)


def coerce(
    field: str, raw: str | None, rules: dict[str, Any] | None = None, **kw: Any
) -> tuple[Any, str | None]:
    value, problem = FieldCoercer(asset_fields()[field], rules, **kw)(raw)
    return value, (problem.rule if problem else None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("4", 4), (" 8 ", 8), ("4.0", 4), ("1,024", 1024), ("4 cores", 4), ("", None), ("n/a", None)],
)
def test_integers(raw: str, expected: int | None) -> None:
    assert coerce("cpu_cores", raw) == (expected, None)


@pytest.mark.parametrize(
    ("raw", "rule"), [("2.5", "integer"), ("-2", "range"), ("four", "integer"), ("99999999999", "range")]
)
def test_bad_integers_are_reported(raw: str, rule: str) -> None:
    assert coerce("cpu_cores", raw) == (None, rule)


@pytest.mark.parametrize(
    ("raw", "rules", "expected"),
    [
        ("16384", {"scale": 1 / 1024}, 16.0),  # MB column
        ("16 GB", {"scale": 1 / 1024}, 16.0),  # the value's own unit beats the column's scale
        ("2,048 MB", None, 2.0),
        ("1.5 TB", None, 1536.0),
        ("12,5", None, 12.5),  # decimal comma
        ("1.234,5", None, 1234.5),
        ("1,234.5", None, 1234.5),
        ("512 MiB", None, 0.5),
    ],
)
def test_floats_with_units_and_scale(raw: str, rules: dict[str, Any] | None, expected: float) -> None:
    assert coerce("memory_gb", raw, rules) == (pytest.approx(expected), None)


def test_float_units_must_fit_the_field() -> None:
    assert coerce("memory_gb", "16 GHz") == (None, "unit")
    assert coerce("memory_gb", "16 parsecs") == (None, "unit")
    assert coerce("cpu_speed_mhz", "2.4 GHz") == (pytest.approx(2400.0), None)
    assert coerce("cpu_utilization_avg_pct", "45 %") == (45.0, None)
    assert coerce("disk_read_kbps_avg", "2 MB/s") == (2048.0, None)
    assert coerce("memory_gb", "-1") == (None, "range")


# --- the field's declared range (`min` / `max` in resources/target_schema.yaml) ---------------------


def test_a_field_that_allows_negatives_takes_them_within_its_range() -> None:
    temperature = field_spec(
        {"name": "inlet_temp_c", "type": "float", "unit": None}, {"min": -60, "max": 120}
    )
    delta = field_spec({"name": "vm_count_delta", "type": "integer"}, {"min": None})
    assert FieldCoercer(temperature)("-12.5") == (-12.5, None)
    assert FieldCoercer(temperature)("-0") == (0.0, None)
    assert FieldCoercer(delta)("-40") == (-40, None)  # no lower bound at all
    too_cold, problem = FieldCoercer(temperature)("-61")
    assert too_cold is None and problem is not None and problem.rule == "range"
    assert "-60" in problem.message and "inlet_temp_c" in problem.message
    too_hot, problem = FieldCoercer(temperature)("121")
    assert too_hot is None and problem is not None and problem.rule == "range" and "120" in problem.message


def test_a_field_without_a_declared_minimum_stays_non_negative() -> None:
    count = field_spec({"name": "widget_count", "type": "integer"}, {})
    assert FieldCoercer(count)("-1")[1] is not None and FieldCoercer(count)("0") == (0, None)
    assert coerce("disk_count", "-3") == (None, "range")


def test_the_schema_declares_every_numeric_field_non_negative() -> None:
    numeric = {name: spec for name, spec in asset_fields().items() if spec.type in ("integer", "float")}
    assert numeric and all(spec.minimum == 0 for spec in numeric.values()), numeric
    assert all(
        spec.minimum is None for spec in asset_fields().values() if spec.type not in ("integer", "float")
    )


def test_a_range_in_the_schema_must_be_numbers_in_order() -> None:
    with pytest.raises(ValueError, match="min"):
        field_spec({"name": "f", "type": "float"}, {"min": "cold"})
    with pytest.raises(ValueError, match="max"):
        field_spec({"name": "f", "type": "float"}, {"min": 5, "max": 1})
    with pytest.raises(ValueError, match="number"):
        field_spec({"name": "f", "type": "string"}, {"min": 0})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("yes", True),
        ("No", False),
        ("TRUE", True),
        ("0", False),
        ("1", True),
        ("y", True),
        ("n", False),
        ("ja", True),
        ("Nein", False),
        ("Virtual", True),
        ("Physical", False),
    ],
)
def test_booleans(raw: str, expected: bool) -> None:
    assert coerce("is_virtual", raw) == (expected, None)
    assert coerce("is_virtual", raw, {"invert": True}) == (not expected, None)  # IsPhysical -> is_virtual


def test_bad_boolean_is_reported() -> None:
    assert coerce("is_virtual", "maybe") == (None, "boolean")


@pytest.mark.parametrize("word", ["Yes", "No", "Y", "N", "1", "0", "True", "False", "T", "F"])
@pytest.mark.parametrize("case", [str.lower, str.upper, str.title, lambda w: w[0].lower() + w[1:].upper()])
def test_yes_no_words_in_any_case(word: str, case: Any) -> None:
    """With or without the value map the suggester wrote from the samples it saw, and in the rules."""
    raw, expected = case(word), word in ("Yes", "Y", "1", "True", "T")
    sampled = {"value_map": {"yes": True, "no": False}}
    assert coerce("is_virtual", raw) == coerce("is_virtual", raw, sampled) == (expected, None)
    assert apply_rules(raw, sampled, "boolean") == apply_rules(raw, {}, "boolean") == (expected, None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021-03-12", "2021-03-12T00:00:00+00:00"),
        ("2021-03-12T10:00:00Z", "2021-03-12T10:00:00+00:00"),
        ("2021-03-12 10:00:00+02:00", "2021-03-12T10:00:00+02:00"),
        ("2021/03/12", "2021-03-12T00:00:00+00:00"),
        ("12.03.2021", "2021-03-12T00:00:00+00:00"),  # EU with dots is day-first
        ("13/04/2021", "2021-04-13T00:00:00+00:00"),  # unambiguous EU
        ("04/13/2021 1:05 PM", "2021-04-13T13:05:00+00:00"),  # unambiguous US
        ("05/05/21", "2021-05-05T00:00:00+00:00"),  # day == month
        ("44267", "2021-03-12T00:00:00+00:00"),  # Excel serial
        ("1615543200", "2021-03-12T10:00:00+00:00"),  # Unix epoch
        ("12 Mar 2021", "2021-03-12T00:00:00+00:00"),
        ("March 12, 2021", "2021-03-12T00:00:00+00:00"),
        ("Tue Mar 12 10:00:00 UTC 2021", "2021-03-12T10:00:00+00:00"),
        ("12. März 2021", "2021-03-12T00:00:00+00:00"),
    ],
)
def test_dates(raw: str, expected: str) -> None:
    assert coerce("install_date", raw) == (expected, None)


def test_ambiguous_dates_are_reported_unless_the_order_is_known() -> None:
    assert coerce("install_date", "03/04/2021") == (None, "ambiguous_date")
    assert coerce("install_date", "03/04/2021", {"date_order": "mdy"}) == ("2021-03-04T00:00:00+00:00", None)
    assert coerce("install_date", "03/04/2021", date_order="dmy") == ("2021-04-03T00:00:00+00:00", None)
    assert coerce("install_date", "31/02/2021") == (None, "date")
    assert coerce("install_date", "123") == (None, "date")
    assert coerce("install_date", "soon") == (None, "date")
    stamp, _ = parse_date("2021-03-12")
    assert stamp is not None and stamp.tzinfo is not None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("env:prod, owner:jdoe", {"env": "prod", "owner": "jdoe"}),
        ("env=prod; tier=1", {"env": "prod", "tier": "1"}),
        ('{"env": "prod", "n": 2}', {"env": "prod", "n": 2}),
        ("pci, gdpr", {"pci": None, "gdpr": None}),
        ('["a:1", "b:2"]', {"a": "1", "b": "2"}),
    ],
)
def test_json_tags(raw: str, expected: dict[str, Any]) -> None:
    assert coerce("tags", raw) == (expected, None)


def test_bad_json_tags_are_reported() -> None:
    assert parse_tags("{not json")[1] is not None
    assert coerce("tags", "{not json") == (None, "json")
    assert coerce("tags", ":orphan") == (None, "json")


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        ("environment", "Production", "production"),
        ("environment", "PROD", "production"),
        ("environment", "prd", "production"),
        ("environment", "Dev", "development"),
        ("environment", "Pre-Prod", "staging"),
        ("environment", "Lab7", "lab7"),  # open set: unknown values kept, lower-cased
        ("power_state", "poweredOn", "on"),
        ("power_state", "poweredOff", "off"),
        ("power_state", "Suspended", "suspended"),
        ("business_criticality", "Tier 1", "critical"),
        ("business_criticality", "2", "high"),
        ("business_criticality", "Med", "medium"),
        ("asset_type", "VMware Virtual Machine", "virtual_machine"),
        ("asset_type", "Linux Server", "server"),
        ("asset_type", "DB", "database"),
        ("os_family", "Microsoft Windows Server 2019", "windows"),
        ("os_architecture", "AMD64", "x86_64"),
        ("sixr_strategy", "Lift and Shift", "rehost"),
        ("virtualization_platform", "esxi", "VMware vSphere"),
        ("ip_address", "10.0.0.1, 10.0.0.2", "10.0.0.1"),
        ("ip_address", "junk; 192.168.1.5/24", "192.168.1.5"),
        ("ip_address", "fe80::1%eth0", "fe80::1"),
        ("mac_address", "AA-BB-CC-DD-EE-FF", "aa:bb:cc:dd:ee:ff"),
        ("mac_address", "aabb.ccdd.eeff", "aa:bb:cc:dd:ee:ff"),
        ("mac_address", "AABBCCDDEEFF, 001122334455", "aa:bb:cc:dd:ee:ff"),
        ("hostname", " WEB01 ", "web01"),
        ("hostname", "CORP\\Web01", "web01"),
    ],
)
def test_normalisation(field: str, raw: str, expected: str) -> None:
    assert coerce(field, raw) == (expected, None)


@pytest.mark.parametrize(
    ("field", "raw", "rule"),
    [
        ("power_state", "exploded", "enum"),
        ("business_criticality", "whatever", "enum"),
        ("ip_address", "not-an-ip", "ip"),
        ("mac_address", "zz:zz", "mac"),
        ("hostname", "web 01", "hostname"),
        ("hostname", "10.1.2.3", "hostname"),
        ("sixr_strategy", "yolo", "enum"),
    ],
)
def test_invalid_enumerations_and_network_values(field: str, raw: str, rule: str) -> None:
    assert coerce(field, raw) == (None, rule)


def test_generic_rules_are_the_rule_application() -> None:
    assert coerce("environment", "P", {"value_map": {"P": "production"}}) == ("production", None)
    assert coerce("application_name", "crm, erp", {"first_of_list": True}) == ("crm", None)
    assert coerce("cost_center", "cc-12", {"case": "upper"}) == ("CC-12", None)
    assert coerce("is_virtual", "V", {"value_map": {"V": True, "P": False}}) == (True, None)


def test_derivations_fill_only_what_is_missing() -> None:
    values: dict[str, Any] = {"hostname": "web01.corp.example.com", "operating_system": "RHEL 8"}
    derived = derive_fields(values)
    assert values == {
        "hostname": "web01", "fqdn": "web01.corp.example.com", "dns_domain": "corp.example.com",
        "operating_system": "RHEL 8", "os_family": "linux",
    }  # fmt: skip
    assert derived == {"hostname": "hostname", "fqdn": "hostname", "dns_domain": "fqdn",
                       "os_family": "operating_system"}  # fmt: skip
    kept = {"fqdn": "db01.example.com", "hostname": "db-01", "os_family": "unix", "operating_system": "Linux"}
    derive_fields(kept)
    assert kept["hostname"] == "db-01" and kept["os_family"] == "unix"
    assert os_family_of("AIX 7.2") == "unix" and os_family_of("VMware ESXi 7") == "other"


def test_rules_of_the_mapping_review_keep_their_meaning() -> None:
    # a value_map result is final: the suggester's boolean maps already include the inversion
    mapped = {"invert": True, "value_map": {"Physical": False, "Virtual": True}}
    assert coerce("is_virtual", "physical", mapped) == (False, None)
    assert coerce("is_virtual", "no", {"invert": True}) == (True, None)  # unmapped values are inverted
    assert coerce("memory_gb", "4096", {"scale": 1 / 1024, "value_map": {"4096": 8}}) == (8, None)
    assert coerce("cpu_cores", "12 Kerne", {"strip_unit": True}) == (12, None)
    assert coerce("cpu_cores", "12 Kerne") == (None, "unit")
    assert coerce("install_date", "20210312 1015", {"date_format": "%Y%m%d %H%M"}) == (
        "2021-03-12T10:15:00+00:00",
        None,
    )
    assert coerce("install_date", "never", {"value_map": {"never": None}}) == (None, None)
    assert coerce("tags", "zone:dmz, backup:gold", {"key_value": ":", "split": ","}) == (
        {"zone": "dmz", "backup": "gold"},
        None,
    )
    assert coerce("ip_address", "10.0.0.7 | 10.0.0.8", {"first_of_list": True, "split": "|"}) == (
        "10.0.0.7",
        None,
    )
