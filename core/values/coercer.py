"""The value pipeline for one mapping: every cell of a source column into one canonical field.

The mapping preview and the cleansing phase both build a `FieldCoercer`, so what a consultant
approved in the preview is what cleansing stores. Steps, in order:

1. empty: blank cells and the placeholders of `core.values.empty.NULL_TOKENS` are missing;
2. the mapping's generic rules (trim, first_of_list, split, value_map, case) by
   `core.values.rules.apply_rules`; a value_map hit is final (typed, never scaled or inverted);
3. the type: numbers with their own unit ("16384 MB" into `memory_gb`) converted by the one unit
   table (`core.values.units`; the mapping's `scale` applies only to bare numbers, a value's
   explicit unit is more specific; the column's `decimal_mark` decides "2.048"), then the
   field's declared range; booleans
   (`core.values.booleans`) then `invert`; dates (`core.values.dates`, ambiguous day/month
   reported unless the column's `date_order` says; naive times are UTC); JSON tags
   (`core.values.tags`); and the normalisers of enumerations and network values
   (`core.values.normalise`).

Nothing raises for bad data: a value that does not fit returns `(None, Problem)` and the caller
keeps the raw value (cleansing: in the record's `validation_errors`; the preview: next to the
message).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from core.values.booleans import parse_bool
from core.values.dates import parse_date
from core.values.empty import NULL_TOKENS
from core.values.fields import FieldSpec
from core.values.normalise import ENUM_FIELDS, STRING_NORMALISERS
from core.values.numbers import DECIMAL_MARKS, is_count_word, split_number
from core.values.problems import Coerced, Problem
from core.values.rules import NOT_MAPPED, apply_rules, map_value
from core.values.tags import parse_tags
from core.values.units import unit_table

#: rules run by `core.values.rules.apply_rules` before the typed conversion here
_PRE_RULES = ("trim", "first_of_list", "split")
_INT32 = 2**31 - 1


def _unit_text(written: str) -> str:
    return written.lower().replace(" ", "")


def _fmt_scale(scale: float) -> str:
    return f"{scale:.10g}"


class FieldCoercer:
    """Turns every cell of one source column into values of one canonical field.

    Built once per mapping; results are cached by raw text (exports repeat values a lot), so a
    column of 100k cells costs one dictionary lookup per repeated value.
    """

    def __init__(
        self, spec: FieldSpec, rules: Mapping[str, Any] | None = None, *, date_order: str | None = None
    ) -> None:
        self.spec = spec
        self.rules: dict[str, Any] = dict(rules or {})
        self.date_order = self.rules.get("date_order") or date_order
        self._pre = {k: self.rules[k] for k in _PRE_RULES if k in self.rules}
        value_map = self.rules.get("value_map")
        self._value_map = value_map if isinstance(value_map, Mapping) and value_map else None
        self._case = self.rules.get("case") if spec.type in ("string", "json") else None
        self._json_rules = spec.type == "json" and bool(
            self.rules.get("split") or self.rules.get("key_value")
        )
        self._strip_unit = bool(self.rules.get("strip_unit"))
        fmt = self.rules.get("date_format")
        self._date_format = fmt if isinstance(fmt, str) and fmt else None
        scale = self.rules.get("scale")
        self.scale = float(scale) if isinstance(scale, int | float) and not isinstance(scale, bool) else None
        self.invert = bool(self.rules.get("invert"))
        mark = self.rules.get("decimal_mark")
        self.decimal_mark = mark if mark in DECIMAL_MARKS else None
        self._cache: dict[str, Coerced] = {}
        self.label = self._label()

    def _label(self) -> str:
        """How a value was obtained, for lineage: the type plus each rule that applied."""
        parts = [self.spec.type]
        if self.spec.name in ENUM_FIELDS:
            parts.append(f"normalised {self.spec.name}")
        elif self.spec.name in STRING_NORMALISERS:
            parts.append(f"normalised {self.spec.name.replace('_address', '')}")
        if self.scale not in (None, 1.0):
            parts.append(f"scale ×{_fmt_scale(self.scale)}")  # type: ignore[arg-type]
        if self.spec.unit:
            parts.append(f"unit {self.spec.unit}")
        if self.invert:
            parts.append("inverted")
        for key in ("first_of_list", "value_map", "case", "strip_unit", "date_format", "key_value"):
            if self.rules.get(key):
                parts.append(key if key != "case" else f"case {self.rules[key]}")
        if self.spec.type == "datetime" and self.date_order:
            parts.append(f"date order {self.date_order}")
        if self.spec.type in ("integer", "float") and self.decimal_mark:
            parts.append(f"decimal mark {self.decimal_mark!r}")
        return "; ".join(parts)

    def __call__(self, raw: str | None) -> Coerced:
        if raw is None:
            return None, None
        hit = self._cache.get(raw)
        if hit is None:
            hit = self._coerce(raw)
            if len(self._cache) < 500_000:
                self._cache[raw] = hit
        return hit

    def _coerce(self, raw: str) -> Coerced:
        """trim, first_of_list, value_map, case (the mapping's generic rules), then the type here."""
        if raw.strip().casefold() in NULL_TOKENS:
            return None, None
        if self._json_rules:  # split / key_value build lists or objects: the review's semantics
            value, error = apply_rules(raw, self.rules, "json")
            if error:
                return None, Problem("json", error)
            return (
                (value, None) if isinstance(value, dict | list) or value is None else parse_tags(str(value))
            )
        value, error = apply_rules(raw, self._pre, "string") if self._pre else (raw.strip(), None)
        if error:
            return None, Problem("rule", error)
        if value is None:
            return None, None
        value = str(value).strip()
        if self._value_map is not None:
            mapped = map_value(self._value_map, value)
            if mapped is None:
                return None, None
            if mapped is not NOT_MAPPED:  # a mapped value is final: typed, never scaled or inverted
                return self._mapped(raw, mapped)
        if self._case in ("lower", "upper", "title"):
            value = getattr(value, self._case)()
        if value.casefold() in NULL_TOKENS:
            return None, None
        return self._typed(value)

    def _mapped(self, raw: str, mapped: Any) -> Coerced:
        if self.spec.type == "string":
            text = str(mapped).strip()
            norm = STRING_NORMALISERS.get(self.spec.name)
            return norm(text) if norm and text else ((text or None), None)
        value, error = apply_rules(raw, {k: v for k, v in self.rules.items() if k not in ("scale", "invert")},
                                   self.spec.type)  # fmt: skip
        if error:
            return None, Problem("value_map", error)
        if self.spec.type == "datetime" and isinstance(value, str):
            stamp, problem = parse_date(value, "ymd")
            return (stamp.isoformat() if stamp else None), problem
        return value, None

    def _typed(self, value: str) -> Coerced:
        kind = self.spec.type
        if kind == "string":
            norm = STRING_NORMALISERS.get(self.spec.name)
            return norm(value) if norm else (value, None)
        if kind in ("integer", "float"):
            return self._number(value)
        if kind == "boolean":
            flag = parse_bool(value)
            if flag is None:
                return None, Problem("boolean", f"{value!r} is not a yes/no value")
            return (not flag if self.invert else flag), None
        if kind == "datetime":
            stamp, problem = parse_date(value, self.date_order, date_format=self._date_format)
            return (stamp.isoformat() if stamp is not None else None), problem
        if kind == "json":
            return parse_tags(value)
        return value, None

    def _number(self, text: str) -> Coerced:
        parsed = split_number(text, self.decimal_mark)
        if parsed is None:
            return None, Problem(
                "number" if self.spec.type == "float" else "integer", f"{text!r} is not a number"
            )
        number, written = parsed
        unit: str | None = written
        if written is not None and not is_count_word(written):
            known = unit_table().read(written)
            if known is not None and self._strip_unit and not unit_table().is_contract_dimension(known):
                known = None  # "103 days" with strip_unit: a word, as before time units were known
            if known is None and not self._strip_unit:
                return None, Problem("unit", f"{text!r} has an unknown unit {_unit_text(written)!r}")
            factor = unit_table().factor_to(known, self.spec.unit or "") if known is not None else None
            if known is not None and factor is None:
                return None, Problem(
                    "unit", f"{text!r}: unit {_unit_text(written)!r} does not fit {self.spec.header}"
                )
            if factor is not None:
                number = number * factor  # the value's own unit beats the column's scale
            elif self.scale is not None:  # strip_unit: an unknown word after the digits is ignored
                number = number * self.scale
                unit = None
        elif self.scale is not None:
            number = number * self.scale
        if not math.isfinite(number):
            return None, Problem("number", f"{text!r} is not a finite number")
        low, high = self.spec.minimum, self.spec.maximum  # the field's declared range
        if low is not None and number < low:
            return None, Problem(
                "range",
                f"{text!r} is negative; {self.spec.name} cannot be"
                if low == 0
                else f"{text!r} is below {low:g}, the lowest {self.spec.header} can be",
            )
        if high is not None and number > high:
            return None, Problem(
                "range", f"{text!r} is above {high:g}, the highest {self.spec.header} can be"
            )
        if self.spec.type == "integer":
            if abs(number - round(number)) > 1e-9:
                return None, Problem("integer", f"{text!r} is not a whole number")
            if abs(number) > _INT32:
                return None, Problem("range", f"{text!r} is too large")
            return round(number), None
        return (round(number, 6) if unit is not None or self.scale is not None else number), None
