"""Issue 12.6: a column whose values prove a decimal comma gets the rule, so '2.048' reads 2048."""

from __future__ import annotations

from core.values.rules import apply_rules

from .helpers import suggest


def test_a_decimal_comma_column_carries_the_rule_and_reads_its_ambiguous_values() -> None:
    s = suggest([("Host", ["a", "b", "c"]), ("Storage (GB)", ["1.024,5", "2.048", "512,25"])])["Storage (GB)"]
    assert s.target_field and (s.transformation_rules or {}).get("decimal_mark") == ","
    assert apply_rules("2.048", s.transformation_rules, "float") == (2048, None)
    assert apply_rules("1.024,5", s.transformation_rules, "float") == (1024.5, None)


def test_a_decimal_point_column_gets_no_rule() -> None:
    s = suggest([("Host", ["a", "b"]), ("Storage (GB)", ["1,024.5", "2.5", "512"])])["Storage (GB)"]
    assert "decimal_mark" not in (s.transformation_rules or {})
