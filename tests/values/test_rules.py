"""`apply_rules`: the pure rule application the preview and the cleansing phase share."""

from __future__ import annotations

import pytest

from core.values.rules import apply_rules, validate_rules


@pytest.mark.parametrize(
    ("raw", "rules", "kind", "expected"),
    [
        ("4096", {"scale": 1 / 1024}, "float", 4.0),
        (" 16384 MB ", {"scale": 1 / 1024}, "float", 16.0),
        ("1.536,5", {}, "float", 1536.5),
        ("1,024", {}, "integer", 1024),
        ("8192", {"scale": 1 / 1024}, "integer", 8),
        ("4.0", {}, "integer", 4),
        ("12 Kerne", {"strip_unit": True}, "integer", 12),
        ("Yes", {"invert": True}, "boolean", False),
        ("no", {"invert": True}, "boolean", True),
        ("Physical", {"invert": True, "value_map": {"physical": False, "virtual": True}}, "boolean", False),
        ("PRD", {"value_map": {"prd": "production"}, "case": "lower"}, "string", "production"),
        ("Dev", {"value_map": {"prd": "production"}, "case": "lower"}, "string", "dev"),
        ("  Web01 ", {"case": "upper"}, "string", "WEB01"),
        (" keep  ", {"trim": False}, "string", " keep  "),
        ("10.0.0.1; 10.0.0.2", {"first_of_list": True, "split": ";"}, "string", "10.0.0.1"),
        ("10.0.0.1, 10.0.0.2", {"first_of_list": True}, "string", "10.0.0.1"),
        (
            "zone:dmz, backup:gold",
            {"split": ",", "key_value": ":"},
            "json",
            {"zone": "dmz", "backup": "gold"},
        ),
        ('{"a": 1}', None, "json", {"a": 1}),
        ("2021-03-04 10:15:00", {}, "datetime", "2021-03-04T10:15:00"),
        ("04/03/2021", {"date_format": "%d/%m/%Y"}, "datetime", "2021-03-04"),
        ("42", {"data_type": "string"}, "integer", "42"),
    ],
)
def test_rules_transform_values(raw: str, rules: dict | None, kind: str, expected: object) -> None:
    assert apply_rules(raw, rules, kind) == (expected, None)


@pytest.mark.parametrize(
    ("raw", "rules", "kind"),
    [
        ("lots", {"scale": 1 / 1024}, "float"),
        ("4.5", {}, "integer"),
        ("12abc", {}, "integer"),
        ("maybe", {"invert": True}, "boolean"),
        ("yesterday", {}, "datetime"),
        ("{broken", {}, "json"),
        ("big", {"value_map": {"big": "huge"}}, "integer"),
    ],
)
def test_bad_values_are_reported_not_dropped(raw: str, rules: dict, kind: str) -> None:
    value, error = apply_rules(raw, rules, kind)
    assert value == raw and error and repr(raw) in error


@pytest.mark.parametrize("raw", [None, "", "   ", "n/a", "NULL", "-"])
def test_empty_is_missing_not_an_error(raw: str | None) -> None:
    assert apply_rules(raw, {"scale": 2}, "float") == (None, None)


def test_empty_markers_stay_text_for_string_targets() -> None:
    assert apply_rules("unknown", {}, "string") == ("unknown", None)


def test_rule_shapes_are_checked() -> None:
    assert validate_rules({"scale": 0.5, "invert": True, "value_map": {"a": "b"}, "case": "lower"}) == []
    problems = validate_rules(
        {"scale": "x", "invert": "yes", "case": "shout", "value_map": [], "data_type": "dec"}
    )
    assert len(problems) == 5


def test_every_documented_rule_is_a_known_key() -> None:
    """`map set --rule` refuses keys outside RULE_KEYS: a rule the docstring documents must be in it."""
    import re

    import core.values.rules as rules_module

    documented = set(re.findall(r"^    ([a-z_]+) {2,}", rules_module.__doc__ or "", re.M))
    assert documented == set(rules_module.RULE_KEYS)


def test_decimal_mark_can_be_typed_as_a_rule() -> None:
    from core.mapping_review.rule_args import parse_rule_args

    assert parse_rule_args(["decimal_mark=,"]) == {"decimal_mark": ","}
    assert apply_rules("2.048", {"decimal_mark": ","}, "integer") == (2048, None)
