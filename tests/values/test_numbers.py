"""The one number parser: separators, units after the digits, and the strict form profiling uses."""

from __future__ import annotations

import pytest

from core.mapping.values import profile_values
from core.values import FieldCoercer, apply_rules, asset_fields, validate_rules
from core.values.numbers import decimal_mark_of, parse_number, parse_plain_number, read_digits, split_number


def test_numbers_with_decimal_commas_and_thousand_separators() -> None:
    # moved from tests/mapping/test_values.py: profiling's parser is this one
    assert parse_plain_number("1.024,5") == 1024.5
    assert parse_plain_number("2,6") == 2.6
    assert parse_plain_number("1,024") == 1024
    assert parse_plain_number("abc") is None


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("1,234.5", 1234.5),
        ("1.234,5", 1234.5),
        ("1,024", 1024.0),
        ("12,345,678", 12345678.0),
        ("2,5", 2.5),
        ("0,75", 0.75),
        ("0,500", 0.5),
        ("1.5", 1.5),
        ("1.234.567", 1234567.0),
        ("16 384", 16384.0),
        ("1'000", 1000.0),
        ("0.1", 0.1),
        ("-2,5", -2.5),
    ],
)
def test_separators_mean_the_same_everywhere(digits: str, expected: float) -> None:
    assert read_digits(digits) == expected
    assert parse_number(digits) == expected
    assert split_number(digits) == (expected, None)


def test_profiling_and_cleansing_read_a_number_alike() -> None:
    """A profile's magnitudes are those cleansing will store (no more '12.345' as 12345 there)."""
    values = ["12.345", "1.500", "0,500", "1.234,5", "2,048"]
    assert profile_values(values).numbers == [read_digits(v) for v in values]


def test_profiling_keeps_its_strict_shape() -> None:
    for text in ("10.186.230.91", "1.2.3", "1,2,3", "12 GB", "4 cores", "v1.2"):
        assert parse_plain_number(text) is None, text
    assert parse_plain_number("1\u00a0234") == 1234.0


def test_a_unit_after_the_digits() -> None:
    assert split_number("16 384,5 MB") == (16384.5, "MB")
    assert split_number("2.4GHz") == (2.4, "GHz")
    assert split_number("12abc") == (12.0, "abc")
    assert split_number("lots") is None
    assert parse_number("12 Go") == 12.0  # a unit of the one table
    assert parse_number("4 cores") == 4.0  # a count word
    assert parse_number("12abc") is None
    assert parse_number("12 Kerne") is None and parse_number("12 Kerne", any_unit=True) == 12.0


@pytest.mark.parametrize(
    ("text", "comma", "point"),
    [  # (value, read with decimal_mark ",", read with decimal_mark ".")
        ("2.048", 2048.0, 2.048),
        ("1.024", 1024.0, 1.024),
        ("1,024", 1.024, 1024.0),
        ("-1.024", -1024.0, -1.024),
        ("16.384 MB", 16384.0, 16.384),
        # unambiguous values read the same whatever the column says
        ("1.024,5", 1024.5, 1024.5),
        ("1,024.5", 1024.5, 1024.5),
        ("2,5", 2.5, 2.5),
        ("1.5", 1.5, 1.5),
        ("0,500", 0.5, 0.5),
        ("0.500", 0.5, 0.5),
        ("1.234.567", 1234567.0, 1234567.0),
        ("12,345,678", 12345678.0, 12345678.0),
        ("16 384", 16384.0, 16384.0),
    ],
)
def test_the_columns_decimal_mark_decides_an_ambiguous_number(text: str, comma: float, point: float) -> None:
    assert split_number(text, ",")[0] == comma  # type: ignore[index]
    assert split_number(text, ".")[0] == point  # type: ignore[index]
    assert parse_number(text, decimal_mark=",") == comma


def test_without_a_decimal_mark_a_number_reads_as_before() -> None:
    assert read_digits("2.048") == 2.048 and read_digits("1,024") == 1024.0


@pytest.mark.parametrize(
    ("values", "mark"),
    [
        (["1.024,5", "2.048", "512"], ","),
        (["2,5", "16.384"], ","),
        (["1.234.567", "1.024"], ","),
        (["1,024.5", "2,048"], "."),
        (["0.75 GB", "1,024"], "."),
        (["12,345,678"], "."),
        (["1.024", "2.048", "512"], None),  # nothing says
        (["1.024,5", "1,024.5"], None),  # the column says both
        (["lots", "", "n/a"], None),
    ],
)
def test_a_columns_decimal_mark_comes_from_the_values_proving_it(values: list[str], mark: str | None) -> None:
    assert decimal_mark_of(values) == mark


@pytest.mark.parametrize(
    ("text", "expected"), [("2.048", 2048.0), ("1.024,5", 1024.5), ("1,024", 1.024), ("16.384 MB", 16.0)]
)
def test_rules_and_the_coercer_apply_the_decimal_mark_alike(text: str, expected: float) -> None:
    rules = {"decimal_mark": ","}
    assert FieldCoercer(asset_fields()["storage_gb"], rules)(text) == (pytest.approx(expected), None)
    if not text.endswith("MB"):
        assert apply_rules(text, rules, "float") == (pytest.approx(expected), None)


def test_a_decimal_mark_rule_is_a_dot_or_a_comma() -> None:
    assert validate_rules({"decimal_mark": ","}) == [] and validate_rules({"decimal_mark": "."}) == []
    assert validate_rules({"decimal_mark": ";"}) == ['decimal_mark must be "." or ","']
    assert "decimal mark ','" in FieldCoercer(asset_fields()["storage_gb"], {"decimal_mark": ","}).label
