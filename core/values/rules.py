"""Apply a mapping's transformation rules to one raw cell: pure; the field coercer builds on it.

`apply_rules(value, rules, target_type)` turns the text of one source cell into the value of the
canonical field. It never touches the database and never raises for bad data: a value that does
not fit comes back unchanged together with an error message, so a caller (the mapping preview,
the data-cleansing phase) reports it instead of silently dropping or zeroing it.

Rules (every key optional; unknown keys are ignored so newer suggesters stay compatible; the
suggester in `core.mapping.transforms` writes them):

    trim           bool, default true   strip surrounding whitespace
    first_of_list  bool | str           keep the first item of a list ("10.0.0.1; 10.0.0.2"):
                                        split on `split` if given, on the string itself if
                                        it is one, else on , ; | and line breaks
    split          str                  list separator (with first_of_list; for json targets
                                        the value becomes a list, or an object with key_value)
    key_value      str                  "zone:dmz, backup:gold" -> {"zone": "dmz", ...} (json)
    value_map      {raw: mapped}        replace whole values; keys match exactly, then folded
                                        (case, accents, spaces). The mapped value is final:
                                        converted to the target type, never scaled or inverted
                                        (the suggester's boolean maps already include `invert`);
                                        a null mapped value means "empty"
    case           lower|upper|title    change letter case (string and json targets)
    scale          number               multiply a numeric value (unit conversion, MB->GB 1/1024)
    invert         bool                 flip a parsed boolean (IsPhysical -> is_virtual)
    strip_unit     bool                 numbers may carry any unit word ("12 vCPU", "4 Kerne")
    date_format    strptime format      tried first for datetime targets
    date_order     dmy | mdy            how ambiguous numeric dates are read (else month-first
                                        here; the cleansing coercer reports them instead)
    decimal_mark   "." | ","            the column's decimal mark: decides a number whose one
                                        mark could group thousands ("2.048" is 2048 with ",")
    data_type      one of TARGET_TYPES  parse as this type instead of `target_type` (a
                                        consultant's override, set by `modify(data_type=...)`)

Order: trim, first_of_list, value_map, case, type conversion, scale, invert. Empty cells give
`(None, None)`: missing is not an error; for non-string targets the usual "no value" markers
(n/a, -, null, unknown, ...) count as empty too. Result types: string -> str, integer -> int,
float -> float, boolean -> bool, datetime -> ISO 8601 str, json -> parsed JSON, a list/object
built with `split`, or the text.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from core.values.booleans import parse_bool
from core.values.dates import read_date
from core.values.empty import EMPTY_MARKERS
from core.values.numbers import DECIMAL_MARKS, parse_number
from core.values.text import fold

TARGET_TYPES = ("string", "integer", "float", "boolean", "datetime", "json")
RULE_KEYS = (
    "trim",
    "first_of_list",
    "split",
    "key_value",
    "value_map",
    "case",
    "scale",
    "invert",
    "strip_unit",
    "date_format",
    "date_order",
    "decimal_mark",
    "data_type",
)
"""Every key `apply_rules` reads (the module docstring says what each does); one list for all."""
TEXT_RULE_KEYS = frozenset(
    {"split", "key_value", "date_format", "case", "date_order", "decimal_mark", "data_type"}
)
"""Keys whose values are text even when they look like numbers (`split=1`, `decimal_mark=,`)."""
CASES = ("lower", "upper", "title")
LIST_SEPARATORS = re.compile(r"[,;|\n\r]+")
NOT_MAPPED = object()  # `map_value`: the value map has no entry for this text

Result = tuple[Any, str | None]


def apply_rules(value: str | None, rules: Mapping[str, Any] | None, target_type: str) -> Result:
    """Transform one raw cell for a target of `target_type`; returns (value, error | None).

    On error the returned value is the input text as it was (after trimming), never None, so a
    caller can keep and show it next to the message.
    """
    rules = rules or {}
    if rules.get("data_type") in TARGET_TYPES:
        target_type = str(rules["data_type"])
    if value is None:
        return None, None
    text = str(value)
    if rules.get("trim", True):
        text = text.strip()
    if text == "" or (target_type != "string" and fold(text) in EMPTY_MARKERS):
        return None, None

    if rules.get("first_of_list"):
        items = _split(text, rules.get("split") or rules["first_of_list"])
        if not items:
            return None, None
        text = items[0]

    value_map = rules.get("value_map")
    if isinstance(value_map, Mapping) and value_map:
        mapped = map_value(value_map, text)
        if mapped is None:
            return None, None
        if mapped is not NOT_MAPPED:
            return _mapped_value(mapped, text, rules, target_type)

    case = rules.get("case")
    if case in CASES and target_type in ("string", "json"):
        text = getattr(text, case)()

    return _convert(text, rules, target_type)


def _split(text: str, sep: Any) -> list[str]:
    parts = LIST_SEPARATORS.split(text) if not isinstance(sep, str) or not sep else text.split(sep)
    return [p.strip() for p in parts if p.strip()]


def map_value(value_map: Mapping[str, Any], text: str) -> Any:
    """The mapped value for `text` (exact, then case/accent-insensitive), or NOT_MAPPED."""
    if text in value_map:
        return value_map[text]
    folded = fold(text)
    for key, mapped in value_map.items():
        if fold(str(key)) == folded:
            return mapped
    return NOT_MAPPED


def _mapped_value(mapped: Any, raw: str, rules: Mapping[str, Any], target_type: str) -> Result:
    """A value_map hit is the target value itself: only check (or convert) its type."""
    if target_type == "json":
        return mapped, None
    if target_type == "string":
        text = str(mapped)
        case = rules.get("case")
        return (getattr(text, case)() if case in CASES else text), None
    if target_type == "boolean" and isinstance(mapped, bool):
        return mapped, None
    if (
        target_type in ("integer", "float")
        and isinstance(mapped, int | float)
        and not isinstance(mapped, bool)
    ):
        number = float(mapped)
        if target_type == "integer":
            return (
                (round(number), None) if number == int(number) else (raw, f"not a whole number: {mapped!r}")
            )
        return number, None
    plain = {k: v for k, v in rules.items() if k not in ("scale", "invert", "value_map")}
    value, error = _convert(str(mapped).strip(), plain, target_type)
    if error:
        return raw, f"value_map gives {mapped!r} for {raw!r}: {error}"
    return value, None


def _convert(text: str, rules: Mapping[str, Any], target_type: str) -> Result:
    if target_type == "string":
        return text, None
    if target_type in ("integer", "float"):
        mark = rules.get("decimal_mark")
        number = parse_number(
            text, any_unit=bool(rules.get("strip_unit")), decimal_mark=mark if mark in DECIMAL_MARKS else None
        )
        if number is None:
            return text, f"not a number: {text!r}"
        return _scale_number(number, text, rules, target_type)
    if target_type == "boolean":
        flag = parse_bool(text)
        if flag is None:
            return text, f"not a yes/no value: {text!r}"
        return (not flag if rules.get("invert") else flag), None
    if target_type == "datetime":
        stamp = parse_datetime(text, rules.get("date_format"), rules.get("date_order"))
        if stamp is None:
            return text, f"not a date: {text!r}"
        return stamp, None
    if target_type == "json":
        return _json_value(text, rules)
    return text, f"unknown target type {target_type!r}"


def _json_value(text: str, rules: Mapping[str, Any]) -> Result:
    if text[:1] in "[{" or text in ("true", "false", "null"):
        try:
            return json.loads(text), None
        except ValueError:
            return text, f"not valid JSON: {text[:60]!r}"
    sep = rules.get("split")
    if not sep:
        return text, None
    items = _split(text, sep)
    kv = rules.get("key_value")
    if kv and items and all(kv in item for item in items):
        pairs = (item.split(str(kv), 1) for item in items)
        return {k.strip(): v.strip() for k, v in pairs}, None
    return items, None


def _scale_number(number: float, raw: str, rules: Mapping[str, Any], target_type: str) -> Result:
    scale = rules.get("scale")
    if scale not in (None, 1, 1.0):
        try:
            number = number * float(scale)
        except (TypeError, ValueError):
            return raw, f"scale {scale!r} is not a number"
    if not math.isfinite(number):
        return raw, f"not a finite number: {raw!r}"
    if target_type == "integer":
        if scale in (None, 1, 1.0) and number != int(number):
            return raw, f"not a whole number: {raw!r}"
        return round(number), None
    return round(number, 6) if scale not in (None, 1, 1.0) else number, None


def parse_datetime(text: str, date_format: str | None = None, date_order: str | None = None) -> str | None:
    """ISO 8601 text of a date or timestamp (`core.values.dates.read_date`); None if it is none.

    Ambiguous numeric dates are read month-first unless `date_order` says otherwise; a naive
    midnight comes back as a plain date.
    """
    fmt = date_format if isinstance(date_format, str) and date_format else None
    stamp = read_date(text, date_order, date_format=fmt, fallback_order="mdy")
    if not isinstance(stamp, datetime):
        return None
    if stamp.hour == stamp.minute == stamp.second == stamp.microsecond == 0 and stamp.tzinfo is None:
        return stamp.date().isoformat()
    return stamp.isoformat()


def validate_rules(rules: Mapping[str, Any] | None) -> list[str]:
    """Problems with the shape of a rules dict (empty list when fine); used before storing."""
    problems: list[str] = []
    if rules is None:
        return problems
    if not isinstance(rules, Mapping):
        return ["transformation rules must be an object"]
    if "scale" in rules:
        scale = rules["scale"]
        if isinstance(scale, bool) or not isinstance(scale, int | float) or not math.isfinite(scale):
            problems.append("scale must be a number")
        elif scale == 0:
            problems.append("scale must not be 0")
    for key in ("invert", "trim"):
        if key in rules and not isinstance(rules[key], bool):
            problems.append(f"{key} must be true or false")
    if "case" in rules and rules["case"] not in (None, *CASES):
        problems.append(f"case must be one of {', '.join(CASES)}")
    if "first_of_list" in rules and not isinstance(rules["first_of_list"], bool | str):
        problems.append("first_of_list must be true/false or a separator string")
    if "data_type" in rules and rules["data_type"] not in (None, *TARGET_TYPES):
        problems.append(f"data_type must be one of {', '.join(TARGET_TYPES)}")
    for key in ("split", "key_value", "date_format"):
        if key in rules and rules[key] is not None and not isinstance(rules[key], str):
            problems.append(f"{key} must be text")
    if "decimal_mark" in rules and rules["decimal_mark"] not in (None, *DECIMAL_MARKS):
        problems.append('decimal_mark must be "." or ","')
    if "value_map" in rules and not isinstance(rules["value_map"], Mapping):
        problems.append("value_map must be an object mapping source values to target values")
    return problems
