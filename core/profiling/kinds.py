"""What each distinct value of a column is: its kind (integer, IPv4, UUID, date, …) and its shape.

Why on distinct values, in whole arrays: a column of 100,000 records rarely holds 100,000
different values, so each distinct value is classified once and weighted by its count. Kinds come
from one combined regular expression (one pass per value, no per-kind loop); shapes (`AAA-999`:
letters → A, digits → 9) from a code-point lookup table applied to the values as one numpy array;
plain numbers are read with `float`, ISO dates with `pandas.to_datetime`, and the rest — grouped
or decimal-comma numbers, other date spellings — by the value pipeline (`core.values`), so what
the profile calls a number or a date is one cleansing reads the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING

from core.profiling.model import KINDS
from core.values.dates import read_date
from core.values.numbers import decimal_mark_of, read_digits

if TYPE_CHECKING:
    import numpy as np

#: yes/no words a boolean column holds (digits excepted: a 0/1 column stays an integer column)
BOOLEAN_WORDS = (
    "true", "false", "yes", "no", "y", "n", "t", "f", "on", "off", "ja", "nein", "oui", "non",
    "vrai", "faux", "wahr", "falsch", "enabled", "disabled",
)  # fmt: skip
TRUE_WORDS = frozenset({"true", "yes", "y", "t", "on", "ja", "oui", "vrai", "wahr", "enabled"})

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_HEX = "[0-9A-Fa-f]"
_CLOCK = (
    r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s?(?:[AaPp][Mm]))?(?:\s?(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?"
)
_ISO_DAY = r"\d{4}-\d{2}-\d{2}"
_WORD_DAY = r"\d{1,2}[- ][A-Za-z]{3,9}\.?[- ,]+\d{4}|[A-Za-z]{3,9}\.?[ ]\d{1,2},?[ ]\d{4}"  # [ ]: verbose


def _day(tag: str) -> str:
    """ISO, numeric (one separator throughout, a 2- or 4-digit year) or worded day; `tag` keeps
    the separator groups' names unique."""
    numeric = (
        rf"\d{{4}}(?P<y{tag}>[./-])\d{{1,2}}(?P=y{tag})\d{{1,2}}"
        rf"|\d{{1,2}}(?P<d{tag}>[./-])\d{{1,2}}(?P=d{tag})(?:\d{{4}}|\d{{2}})"
    )
    return rf"(?:{_ISO_DAY}|{numeric}|{_WORD_DAY})"


_H4 = f"{_HEX}{{1,4}}"
_IPV4 = rf"(?:{_OCTET}\.){{3}}{_OCTET}"
_IPV6 = (  # RFC 4291 text forms, with an optional zone ("%eth0")
    rf"(?:(?:{_H4}:){{7}}{_H4}|(?:{_H4}:){{1,7}}:|(?:{_H4}:){{1,6}}:{_H4}"
    rf"|(?:{_H4}:){{1,5}}(?::{_H4}){{1,2}}|(?:{_H4}:){{1,4}}(?::{_H4}){{1,3}}"
    rf"|(?:{_H4}:){{1,3}}(?::{_H4}){{1,4}}|(?:{_H4}:){{1,2}}(?::{_H4}){{1,5}}"
    rf"|{_H4}:(?::{_H4}){{1,6}}|:(?:(?::{_H4}){{1,7}}|:)"
    rf"|(?:{_H4}:){{6}}{_IPV4}|::(?:[fF]{{4}}(?::0{{1,4}})?:)?{_IPV4}|(?:{_H4}:){{1,4}}:{_IPV4})"
    r"(?:%[\w.]+)?"
)
#: per kind, in order: the first whose pattern matches the whole value names its kind ("number":
#: grouped or decimal-comma digits, integer or float once read)
_PATTERNS: dict[str, str] = {
    "boolean": rf"(?i:{'|'.join(BOOLEAN_WORDS)})",
    "integer": r"[+-]?\d+",
    "float": r"[+-]?(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?\d+[eE][+-]?\d+",
    "ipv4": _IPV4,
    "number": r"[+-]?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?:\.\d{3})+(?:,\d+)?"
    r"|\d{1,3}(?:[ '\u00a0]\d{3})+(?:[.,]\d+)?|\d+,\d+|,\d+)",
    "uuid": rf"[{{(]?{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}[}})]?",
    "mac": rf"(?:{_HEX}{{2}}[:-]){{5}}{_HEX}{{2}}|(?:{_HEX}{{4}}\.){{2}}{_HEX}{{4}}",
    "ipv6": _IPV6,
    "email": r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
    "datetime": rf"{_day('t')}{_CLOCK}",
    "date": _day("d"),
    "fqdn": r"(?=.{4,253}$)(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\.?",
}
_ORDER = tuple(_PATTERNS)
NUMBER = len(KINDS)
"""Code of the interim "number" kind (`classify`); `read_numbers` makes it integer or float."""
CODE = {**{k: i for i, k in enumerate(KINDS)}, "number": NUMBER}
STRING = CODE["string"]
ROUTE_WIDTH = 64
"""Values up to this long are routed by their characters; longer ones try every pattern."""
_DAY_MONTH = re.compile(r"(\d{1,2})[/-](\d{1,2})[/-]\d{2,4}")

#: pattern class names of the recognised kinds (dates keep their shape: "date 99/99/9999")
CLASS_NAMES = {"uuid": "UUID", "ipv4": "IPv4", "ipv6": "IPv6", "mac": "MAC", "email": "email", "fqdn": "FQDN"}
SHAPE_LIMIT = 40


@cache
def _regex(route: int) -> re.Pattern[str] | None:
    """One pattern of the kinds whose bit is set in `route`, in `_ORDER` (None: no kind possible)."""
    names = [k for i, k in enumerate(_ORDER) if route >> i & 1]
    if not names:
        return None
    return re.compile("|".join(f"(?P<{k}>{_PATTERNS[k]})" for k in names))


#: one class bit per character (so a value's classes are one OR over its characters)
_DIGIT, _HEXL, _EXP, _LETTER, _PLUS, _DASH, _DOT, _COMMA = 1, 2, 4, 8, 16, 32, 64, 128
_SPACE, _APOS, _COLON, _BRACE, _AT, _SLASH, _PERCENT = 256, 512, 1024, 2048, 4096, 8192, 16384
_PAD = 32768
_SIGN, _HEX_DIGIT = _PLUS | _DASH, _DIGIT | _HEXL | _EXP


@cache
def _char_classes() -> np.ndarray:
    """Code point → its class bit (ASCII and the no-break space; 0 for anything else)."""
    import numpy as np

    table = np.zeros(0x10000, dtype=np.uint16)
    table[0] = _PAD
    for chars, bit in (
        ("0123456789", _DIGIT),
        ("abcdfABCDF", _HEXL),
        ("eE", _EXP),
        ("ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ", _LETTER),
        ("+", _PLUS),
        ("-", _DASH),
        (".", _DOT),
        (",", _COMMA),
        (" \u00a0", _SPACE),
        ("'", _APOS),
        (":", _COLON),
        ("{}()", _BRACE),
        ("@", _AT),
        ("/", _SLASH),
        ("%", _PERCENT),
    ):
        for ch in chars:
            table[ord(ch)] = bit
    return table


@dataclass(frozen=True)
class Texts:
    """A column's distinct values, once as Python strings and once as a code-point matrix."""

    values: Sequence[str]
    sizes: np.ndarray  # length of each value
    points: np.ndarray  # uint32, values × width: the first `width` code points, NUL-padded


def texts(values: Sequence[str], sizes: np.ndarray | None = None) -> Texts:
    """The values as arrays (one conversion, shared by kinds and shapes); width ≥ 5 for class names.
    `sizes`: their lengths, when the caller has them."""
    import numpy as np

    n = len(values)
    if sizes is None:
        sizes = np.fromiter(map(len, values), dtype=np.int64, count=n)
    width = int(min(max(sizes.max(initial=0), 5), ROUTE_WIDTH))
    points = np.array(values, dtype=f"<U{width}").view(np.uint32).reshape(n, width)
    return Texts(values, sizes, points)


def _routes(text: Texts) -> np.ndarray:
    """Per value, a bit per kind (`_ORDER`) that its characters and length allow.

    Each test is necessary for its pattern (a UUID is 36 or 38 characters of hex, dashes and
    braces; an e-mail has an @ …), so skipping the other patterns changes no answer; it is what
    makes one regular expression per value cheap (a host name like "web000123" tries none).
    """
    import numpy as np

    sizes = text.sizes
    cls = _char_classes()[np.minimum(text.points, 0xFFFF)]
    other = (cls == 0).any(axis=1)  # a character of no class (é, _, …): only e-mail and zones allow it
    bits = np.bitwise_or.reduce(cls, axis=1) & ~np.uint16(_PAD)

    def only(allowed: int) -> np.ndarray:
        return ~other & ((bits & ~np.uint16(allowed)) == 0)

    def has(wanted: int) -> np.ndarray:
        return (bits & np.uint16(wanted)) != 0

    digit, colon, dot = has(_DIGIT), has(_COLON), has(_DOT)
    letters = has(_HEXL | _EXP | _LETTER)
    possible = {
        "boolean": (sizes <= 8) & only(_HEXL | _EXP | _LETTER),
        "integer": only(_DIGIT | _SIGN),
        "float": only(_DIGIT | _SIGN | _DOT | _EXP),
        "ipv4": (sizes >= 7) & (sizes <= 15) & only(_DIGIT | _DOT),
        "number": only(_DIGIT | _SIGN | _DOT | _COMMA | _SPACE | _APOS),
        "uuid": ((sizes == 36) | (sizes == 38)) & only(_HEX_DIGIT | _DASH | _BRACE),
        "mac": ((sizes == 14) | (sizes == 17)) & only(_HEX_DIGIT | _COLON | _DASH | _DOT),
        "ipv6": colon & (only(_HEX_DIGIT | _COLON | _DOT) | has(_PERCENT)),  # "%eth0": a zone
        "email": has(_AT),
        "datetime": colon & digit & (sizes >= 10),
        "date": digit  # numeric days have separators, worded ones ("5 Jan 2024") spaces or dashes
        & (sizes >= 6)
        & np.where(letters, has(_SPACE | _DASH), has(_DASH | _SLASH | _DOT)),
        "fqdn": dot & ~has(_SPACE) & (sizes >= 4),
    }
    route = np.zeros(len(sizes), dtype=np.int64)
    for bit, kind in enumerate(_ORDER):
        route |= possible[kind].astype(np.int64) << bit
    route[sizes > ROUTE_WIDTH] = (1 << len(_ORDER)) - 1  # cut values: every pattern
    return route


def classify(text: Texts) -> np.ndarray:
    """The kind code (index into `KINDS`, or `NUMBER`) of each stripped, non-empty value."""
    import numpy as np

    values = text.values
    codes = np.full(len(values), STRING, dtype=np.int64)
    if not len(values):
        return codes
    routes = _routes(text)
    kinds, at = np.unique(routes, return_inverse=True)
    for r, route in enumerate(kinds):
        rx = _regex(int(route))
        if rx is None:
            continue
        members = np.flatnonzero(at == r)
        match = rx.fullmatch
        codes[members] = [
            CODE[m.lastgroup] if (m := match(values[i])) is not None else STRING  # type: ignore[index]
            for i in members
        ]
    return codes


@cache
def _shape_table() -> np.ndarray:
    """Code point → shape code point for the Basic Multilingual Plane: letters A, digits 9."""
    import numpy as np

    table = np.arange(0x10000, dtype=np.uint32)
    for c in range(0x10000):
        ch = chr(c)
        if ch.isalpha():
            table[c] = 0x41
        elif ch.isdecimal():
            table[c] = 0x39
    return table


def patterns(text: Texts, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per value the index of its pattern, the patterns (as keys for `pattern_name`) and the first
    value of each: a class name (IPv4, UUID, …), else the shape, "date " in front for dates, cut
    to `SHAPE_LIMIT` characters and "…". One lookup over the code-point matrix, one sort."""
    import numpy as np

    n, width = text.points.shape
    width = min(width, SHAPE_LIMIT + 1)
    points = text.points[:, :width]
    key = np.empty((n, width + 1), dtype=np.uint32)  # column 0: " " shape, "D" date, "C" class
    key[:, 0] = ord(" ")
    key[:, 1:] = np.where(points < 0x10000, _shape_table()[np.minimum(points, 0xFFFF)], points)
    if width > SHAPE_LIMIT:
        key[text.sizes > SHAPE_LIMIT, 1 + SHAPE_LIMIT] = ord("…")
    key[np.isin(codes, (CODE["date"], CODE["datetime"])), 0] = ord("D")
    for kind, name in CLASS_NAMES.items():
        rows = codes == CODE[kind]
        key[rows, 0] = ord("C")
        key[rows, 1:] = 0
        key[rows, 1 : 1 + len(name)] = [ord(ch) for ch in name]
    keys = np.ascontiguousarray(key).view(f"<U{width + 1}").reshape(n)
    names, first, at = np.unique(keys, return_index=True, return_inverse=True)
    return at.reshape(n), names, first


def pattern_name(key: str) -> str:
    """The pattern a key of `patterns` stands for."""
    return ("date " if key[0] == "D" else "") + key[1:]


def read_numbers(values: Sequence[str], codes: np.ndarray) -> tuple[np.ndarray, str | None]:
    """The number each numeric value stands for (NaN for the others) and the column's decimal mark.

    Plain digits are read with `float`; grouped and decimal-comma ones ("1,024", "2,5") with the
    value pipeline's `read_digits` and the mark the column's values prove (`decimal_mark_of`), as
    cleansing reads them; a "number" code becomes integer or float here (in `codes`).
    """
    import numpy as np

    out = np.full(len(values), np.nan)
    integer, floating = CODE["integer"], CODE["float"]
    plain = np.flatnonzero((codes == integer) | (codes == floating))
    grouped = np.flatnonzero(codes == NUMBER)
    mark = None
    if len(grouped):
        mark = decimal_mark_of(
            values[i] for i in np.concatenate([grouped, np.flatnonzero(codes == floating)])
        )
    elif (codes == floating).any():
        mark = "."
    if mark == ",":  # "1.024" is a thousand here: every decimal goes through the pipeline
        grouped = np.concatenate([grouped, np.flatnonzero(codes == floating)])
        plain = np.flatnonzero(codes == integer)
    out[plain] = [float(values[i]) for i in plain]
    for i in grouped:
        number = read_digits(values[i], mark)
        if number is None:
            codes[i] = STRING
            continue
        out[i] = number
        codes[i] = integer if number.is_integer() and not _has_decimals(values[i], mark) else floating
    return out, mark


def _has_decimals(text: str, mark: str | None) -> bool:
    """Whether the digits carry a decimal part as the column reads them ("2,0" with mark ",")."""
    return mark is not None and text.count(mark) == 1 and len(text.rsplit(mark, 1)[1]) != 3


def date_order_of(values: Sequence[str]) -> str | None:
    """ "dmy" or "mdy" from the unambiguous slash/dash dates, as `column_date_order` decides for cleansing."""
    day_first = month_first = False
    for text in values:
        m = _DAY_MONTH.match(text)
        if m is None:
            continue
        a, b = int(m.group(1)), int(m.group(2))
        day_first |= a > 12 and b <= 12
        month_first |= b > 12 and a <= 12
    if day_first != month_first:
        return "dmy" if day_first else "mdy"
    return None


def read_dates(values: Sequence[str], codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Per value its instant (naive UTC `datetime64[us]`, NaT when not read), whether it is an
    ambiguous date, and the column's date order.

    ISO values are read in one `pandas.to_datetime` call; the others (and ISO values pandas
    refuses) by `core.values.dates.read_date` with the column's date order, as cleansing reads
    them. A date-shaped value that is no calendar date ("31/02/2024") becomes a string in `codes`;
    an ambiguous one (03/04/2021 where the column never says which comes first) stays a date.
    """
    import numpy as np
    import pandas as pd

    stamps = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[us]")
    ambiguous = np.zeros(len(values), dtype=bool)
    dated = np.flatnonzero((codes == CODE["date"]) | (codes == CODE["datetime"]))
    iso = np.array([values[i][4:5] == "-" and values[i][:4].isdigit() for i in dated], dtype=bool)
    others = list(dated[~iso]) if len(dated) else []
    order = date_order_of([values[i] for i in others])
    if iso.any():
        at = dated[iso]
        read = pd.to_datetime(
            pd.Series([values[i] for i in at], dtype=object), format="ISO8601", errors="coerce", utc=True
        )
        stamps[at] = read.dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
        others += list(at[np.isnat(stamps[at])])
    for i in others:
        stamp = read_date(values[i], order)
        if isinstance(stamp, datetime):
            if stamp.tzinfo is not None:
                stamp = stamp.astimezone(UTC).replace(tzinfo=None)
            stamps[i] = np.datetime64(stamp, "us")
        elif stamp.rule == "ambiguous_date":
            ambiguous[i] = True
        else:
            codes[i] = STRING
    return stamps, ambiguous, order
