"""The one number parser: digits with any thousands grouping and either decimal mark.

`read_digits` decides what the separators mean, once for the whole project:

- both marks present: the later one is the decimal mark (`1,234.5`, `1.234,5`);
- only commas: `1,024` and `12,345,678` group thousands, `2,5` / `0,75` / `0,500` are decimals;
- only dots: one dot is a decimal point (`1.5`, `1.500`), several group thousands (`1.234.567`);
- spaces, apostrophes and no-break spaces group thousands (`16 384`, `1'000`).

A single mark followed by exactly three digits (`1.024`, `2,048`) could be either: on its own it
reads as above (a dot is a decimal point, a comma groups thousands). A column's `decimal_mark`
(the mapping rule, `","` for a column written with decimal commas) decides it instead: with
`","`, `2.048` is 2048 and `1,024` is 1.024. `decimal_mark_of` says which mark a column's
unambiguous values use (None when they use none or both), the evidence for that rule.

The text is converted with `float()` on the cleaned digits, never by arithmetic on parts, so
`0.1` stays `0.1`. `split_number` also returns the unit written after the digits ("16 384 MB");
`parse_number` accepts a known unit (or count word) after the number; `parse_plain_number` is the
strict form value profiling needs (no unit, no list, no IP address).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from core.values.units import COUNT_WORDS, read_unit

_NUM_UNIT = re.compile(
    r"^\s*([-+]?(?:\d[\d.,'\u00a0\u202f ]*)?\d(?:[eE][-+]?\d+)?|[-+]?[.,]\d+)\s*([^\d\s][^\d]*)?$"
)
_GROUPING = re.compile(r"[' \u00a0\u202f]")
_ANY_UNIT_WORD = re.compile(r"^[^\W\d_][\w/%.]*$")
#: a bare number as a profile counts it: groups of three with one separator, a decimal part only
#: with the other mark ("1.234,5", not "10.186.230.91")
PLAIN_NUMBER = re.compile(
    r"^[+-]?(?:\d+(?:[.,]\d+)?|\d{1,3}([,. '])\d{3}(?:\1\d{3})*(?:(?!\1)[.,]\d+)?|[.,]\d+)$"
)


DECIMAL_MARKS = (".", ",")
_NO_GROUP_HEADS = ("", "0", "-0", "+0")


def _single_mark(digits: str) -> str | None:
    """The mark of a value that has one separator, one time ("1.024", "2,5"); else None."""
    commas, dots = digits.count(","), digits.count(".")
    if commas + dots != 1:
        return None
    return "," if commas else "."


def _could_group(digits: str, mark: str) -> bool:
    """Whether the single `mark` in `digits` could group thousands: three digits after, a head before."""
    head, _, tail = digits.rpartition(mark)
    return len(tail) == 3 and head not in _NO_GROUP_HEADS


def _evidence(digits: str) -> str | None:
    """The decimal mark a value's separators prove (None: no separator, or either reading fits)."""
    if "," in digits and "." in digits:
        return "," if digits.rfind(",") > digits.rfind(".") else "."
    mark = _single_mark(digits)
    if mark is None:
        if digits.count(",") > 1:
            return "."  # 12,345,678: commas group
        return "," if digits.count(".") > 1 else None  # 1.234.567: dots group
    return None if _could_group(digits, mark) else mark


def read_digits(digits: str, decimal_mark: str | None = None) -> float | None:
    """The number a run of digits and separators stands for (see the module docstring).

    `decimal_mark` is the column's: it decides a value whose one mark could be either.
    """
    digits = _GROUPING.sub("", digits)
    mark = _single_mark(digits)
    if decimal_mark in DECIMAL_MARKS and mark is not None and _could_group(digits, mark):
        digits = digits.replace(mark, ".") if mark == decimal_mark else digits.replace(mark, "")
    elif "," in digits and "." in digits:
        if digits.rfind(",") > digits.rfind("."):
            digits = digits.replace(".", "").replace(",", ".")
        else:
            digits = digits.replace(",", "")
    elif "," in digits:
        head, _, tail = digits.rpartition(",")
        if digits.count(",") > 1 or (len(tail) == 3 and head not in _NO_GROUP_HEADS):
            digits = digits.replace(",", "")
        else:
            digits = f"{head}.{tail}"
    elif digits.count(".") > 1:
        digits = digits.replace(".", "")
    try:
        return float(digits)
    except ValueError:
        return None


def decimal_mark_of(values: Iterable[str]) -> str | None:
    """The decimal mark a column's values use: `","` or `"."` when those that say agree, else None.

    Only values whose separators prove the mark count ("1.024,5", "2,5", "1.234.567"); "1.024"
    says nothing. A column whose values prove both marks gets None: its ambiguous values keep
    their own reading rather than one chosen for them.
    """
    seen: set[str] = set()
    for text in values:
        m = _NUM_UNIT.match(text or "")
        if m is None:
            continue
        mark = _evidence(_GROUPING.sub("", m.group(1)))
        if mark is not None:
            seen.add(mark)
            if len(seen) > 1:
                return None
    return seen.pop() if seen else None


def split_number(text: str, decimal_mark: str | None = None) -> tuple[float, str | None] | None:
    """`"16 384,5 MB"` -> (16384.5, "MB"); None when the text is not a number (with a unit).

    The unit comes back as written (stripped), for `core.values.units.read_unit`; `decimal_mark`
    as for `read_digits`.
    """
    m = _NUM_UNIT.match(text)
    if not m:
        return None
    number = read_digits(m.group(1), decimal_mark)
    if number is None:
        return None
    unit = m.group(2)
    return number, (unit.strip() if unit else None)


def is_count_word(unit: str) -> bool:
    """Whether a word after a count carries no unit ("4 cores", "2 vCPUs")."""
    return unit.lower().replace(" ", "") in COUNT_WORDS


def parse_number(text: str, *, any_unit: bool = False, decimal_mark: str | None = None) -> float | None:
    """A number, optionally followed by a known unit or count word (any word if `any_unit`).

    The unit itself is ignored here (a rule's `scale` converts); the cleansing coercer, which
    converts by the value's own unit, uses `split_number`.
    """
    parsed = split_number(text, decimal_mark)
    if parsed is None:
        return None
    number, unit = parsed
    if unit is None or is_count_word(unit) or read_unit(unit) is not None:
        return number
    return number if any_unit and _ANY_UNIT_WORD.match(unit) else None


def parse_plain_number(text: str) -> float | None:
    """A bare number as value profiling counts it ("1.024,5", "2,6", "1 024"); None otherwise."""
    t = text.strip().replace("\u00a0", " ")
    if not PLAIN_NUMBER.match(t):
        return None
    value = read_digits(t)
    return value if value is not None and math.isfinite(value) else None
