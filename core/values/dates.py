"""The one date parser: python-dateutil behind the decisions the project makes itself.

`read_date` turns the many spellings of inventory exports into a `datetime`:

- a `date_format` (strptime) given by the mapping's rules is tried first;
- plain numbers: Excel serials (20000–110000 days, 1954–2201), Unix epochs in seconds or
  milliseconds, `20210312`; any other number is no date;
- ISO 8601 (`2021-03-12`, `2021-03-12T10:00:00Z`, `…+02:00`) by `datetime.fromisoformat`, and a
  bare numeric date with at most a time of day (`12.03.2021 10:15`, `3/12/2021 1:05 PM`) directly
  once its order is decided: fast paths for the commonest forms (benchmarks/values_dates.py);
- everything else by `dateutil.parser` (times, AM/PM, zones, month names in English and German,
  weekdays, ordinals), with two rules dateutil does not know: a slash/dash/dot date whose day and
  month are both <= 12 is *ambiguous* — the column's `date_order` (dmy/mdy) decides, dots are
  day-first, otherwise it is reported (rule `ambiguous_date`), never guessed; and a text date
  needs a day, a month name and a year (dateutil would fill a missing part from today).

Two-digit years are 1970–2069. Only UTC/GMT/Z and numeric offsets count as zones; another zone
name is reported rather than dropped. `parse_date` (cleansing) makes naive results UTC.
`guess_date_format` is what value profiling uses to name a column's strptime format for the
`date_format` rule the suggester writes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from dateutil import parser as _dateutil

from core.values.problems import Coerced, Problem

DATE_ORDERS = ("dmy", "mdy", "ymd")

_EPOCH_EXCEL = datetime(1899, 12, 30, tzinfo=UTC)
_EPOCH_UNIX = datetime(1970, 1, 1, tzinfo=UTC)
_PLAIN_NUMBER = re.compile(r"\d+(?:\.\d+)?")
#: a numeric day/month/year group anywhere in the text ("03/04/2021", "Tue 12.03.21 10:00")
_NUMERIC_DATE = re.compile(r"(?<![\w.:/-])(\d{1,4})([./-])(\d{1,2})\2(\d{1,4})(?=$|T|[^\w./:-])")
_CLOCK = re.compile(r"[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?: ?([AaPp][Mm]))?")
_NUMERIC_START = re.compile(r"^\s*\d+[./-]\d+[./-]\d")
_WORD = re.compile(r"[^\W\d_]+")
_ZONE_WITH_OFFSET = re.compile(r"(?:UTC|GMT|Z)\s*[+-]\d", re.IGNORECASE)
_UTC_NAMES = frozenset({"UTC", "GMT", "Z"})
#: dateutil fills a part the text does not give from `default`; two defaults tell which it filled
_DEFAULT = datetime(4, 1, 1)
_OTHER_DEFAULT = datetime(8, 2, 2)


class _Words(_dateutil.parserinfo):
    """dateutil's English words plus German month names; two-digit years as the project reads them."""

    MONTHS = [  # dateutil reads this class attribute
        ("Jan", "January", "Jän", "Januar"),
        ("Feb", "February", "Februar"),
        ("Mar", "March", "Mär", "März"),
        ("Apr", "April"),
        ("May", "Mai"),
        ("Jun", "June", "Juni"),
        ("Jul", "July", "Juli"),
        ("Aug", "August"),
        ("Sep", "Sept", "September"),
        ("Oct", "October", "Okt", "Oktober"),
        ("Nov", "November"),
        ("Dec", "December", "Dez", "Dezember"),
    ]

    def convertyear(self, year: int, century_specified: bool = False) -> int:
        if year < 100 and not century_specified:
            return 2000 + year if year < 70 else 1900 + year
        return year


_WORDS = _Words()
_PARSER = _dateutil.parser(_WORDS)


def _zone(name: str | None, offset: int | None) -> tzinfo | None:
    """dateutil's zone callback: UTC names and numeric offsets; any other name is refused."""
    if name is None:
        return None if offset is None else timezone(timedelta(seconds=offset))
    if name.upper() in _UTC_NAMES and not offset:
        return UTC
    raise ValueError(f"unknown time zone {name!r}")


def _problem(text: str) -> Problem:
    return Problem("date", f"{text!r} is not a date in a known form")


def _order(
    m: re.Match[str], text: str, date_order: str | None, fallback_order: str | None
) -> tuple[str, tuple[int, int, int]] | Problem:
    """Which of the numeric group's parts is the day, month and year: ("dmy"|"mdy"|"ymd", (d, m, y))."""
    a, sep, b, c = m.group(1), m.group(2), m.group(3), m.group(4)
    if len(a) == 4:  # 2021/03/12
        return "ymd", (int(c), int(b), int(a))
    if len(c) not in (2, 4):
        return _problem(text)
    x, y = int(a), int(b)
    year = _WORDS.convertyear(int(c), len(c) == 4)
    if x > 12 and y <= 12:
        order = "dmy"
    elif y > 12 and x <= 12:
        order = "mdy"
    elif x == y:
        order = "dmy"
    elif date_order in ("dmy", "mdy"):
        order = date_order
    elif sep == ".":  # 03.04.2021 is day-first wherever dots are used
        order = "dmy"
    elif fallback_order in ("dmy", "mdy"):
        order = fallback_order
    else:
        return Problem(
            "ambiguous_date",
            f"{text!r} could be day-first or month-first and the column does not say which;"
            " set date_order (dmy or mdy) in the mapping's rules",
        )
    return order, ((x, y, year) if order == "dmy" else (y, x, year))


def _number(s: str) -> datetime | Problem:
    """Excel serials, Unix epochs (s or ms) and 8-digit `YYYYMMDD`."""
    n = float(s)
    if 20000 <= n <= 110000:  # 1954..2201 as Excel serial days
        return _EPOCH_EXCEL + timedelta(days=n)
    if 1e8 <= n < 1e10:
        return _EPOCH_UNIX + timedelta(seconds=n)
    if 1e11 <= n < 1e13:
        return _EPOCH_UNIX + timedelta(milliseconds=n)
    if len(s) == 8 and s.isdigit():  # 20210312
        try:
            return datetime.strptime(s, "%Y%m%d")
        except ValueError:
            pass
    return Problem("date", f"{s!r} is a number but not a plausible Excel serial or epoch")


def _dateutil_parse(
    s: str, *, dayfirst: bool = False, yearfirst: bool = False, default: datetime = _DEFAULT
) -> datetime | None:
    try:
        return _PARSER.parse(s, default=default, dayfirst=dayfirst, yearfirst=yearfirst, tzinfos=_zone)
    except (ValueError, OverflowError, TypeError):
        return None


def _numeric_fast_path(s: str, m: re.Match[str], day: int, month: int, year: int) -> datetime | None:
    """`12.03.2021`, `03/12/2021 10:15[:30]`, `3/12/2021 1:05 PM` without dateutil (the commonest
    non-ISO forms). None hands the text to dateutil (zones, fractions, words, an impossible date).
    """
    if m.start() != 0:
        return None
    clock = _CLOCK.fullmatch(s, m.end())
    if m.end() != len(s) and clock is None:
        return None
    try:
        if clock is None:
            return datetime(year, month, day)
        hour, ampm = int(clock.group(1)), clock.group(4)
        if ampm:
            if not 1 <= hour <= 12:
                return None  # dateutil reports "13:05 PM"
            hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
        return datetime(year, month, day, hour, int(clock.group(2)), int(clock.group(3) or 0))
    except ValueError:
        return None


def read_date(
    text: str,
    date_order: str | None = None,
    *,
    date_format: str | None = None,
    fallback_order: str | None = None,
) -> datetime | Problem:
    """A datetime (naive when the text names no zone) or the Problem; see the module docstring.

    `date_order` is the column's evidence for ambiguous numeric dates; `fallback_order` a
    caller's last resort instead of reporting them (the rule preview's month-first).
    """
    s = text.strip()
    if date_format:
        try:
            return datetime.strptime(s, date_format)
        except ValueError:
            pass
    if _PLAIN_NUMBER.fullmatch(s):
        return _number(s)
    if len(s) >= 8 and s[:4].isdigit():
        try:
            return datetime.fromisoformat(s)
        except ValueError:
            pass
    if _ZONE_WITH_OFFSET.search(s):  # "GMT+3": dateutil reads it POSIX-style (the sign flipped)
        return _problem(s)
    m = _NUMERIC_DATE.search(s)
    if m is not None:
        decided = _order(m, s, date_order, fallback_order)
        if isinstance(decided, Problem):
            return decided
        order, (day, month, year) = decided
        fast = _numeric_fast_path(s, m, day, month, year)
        if fast is not None:
            return fast
        stamp = _dateutil_parse(s, dayfirst=order == "dmy", yearfirst=order == "ymd")
        if stamp is None or (stamp.day, stamp.month, stamp.year) != (day, month, year):
            return Problem("date", f"{s!r} is not a valid calendar date")
        return stamp
    if _NUMERIC_START.match(s) or not any(_WORDS.month(w) is not None for w in _WORD.findall(s)):
        return _problem(s)  # "1.2.3", "10.0.0.1", "12 03 2021", "10:00": no day-month-year
    stamp = _dateutil_parse(s)
    if stamp is None or stamp.year == _DEFAULT.year:
        return _problem(s)
    if stamp.month == _DEFAULT.month or stamp.day == _DEFAULT.day:  # given, or filled in?
        other = _dateutil_parse(s, default=_OTHER_DEFAULT)
        if other is None or (other.month, other.day) != (stamp.month, stamp.day):
            return _problem(s)
    return stamp


def _fixed_zone(stamp: datetime) -> datetime:
    """dateutil's zone objects as `datetime.timezone` (UTC for a zero offset)."""
    offset = stamp.utcoffset()
    if offset is None:
        return stamp.replace(tzinfo=UTC)
    if isinstance(stamp.tzinfo, timezone):
        return stamp
    return stamp.replace(tzinfo=UTC if not offset else timezone(offset))


def parse_date(text: str, date_order: str | None = None, *, date_format: str | None = None) -> Coerced:
    """An aware timestamp (UTC when the text names no zone), or (None, Problem)."""
    stamp = read_date(text, date_order, date_format=date_format)
    if isinstance(stamp, Problem):
        return None, stamp
    return _fixed_zone(stamp), None


# ----------------------------------------------------------------------------- profiling

#: strptime formats value profiling can name for a `date_format` rule (with: has a time of day)
DATE_FORMATS: tuple[tuple[str, bool], ...] = (
    ("%Y-%m-%d", False),
    ("%Y-%m-%d %H:%M:%S", True),
    ("%Y-%m-%d %H:%M", True),
    ("%Y-%m-%dT%H:%M:%S", True),
    ("%Y-%m-%dT%H:%M:%SZ", True),
    ("%Y-%m-%dT%H:%M:%S.%fZ", True),
    ("%Y-%m-%dT%H:%M:%S%z", True),
    ("%Y-%m-%dT%H:%M:%S.%f", True),
    ("%Y/%m/%d", False),
    ("%Y/%m/%d %H:%M:%S", True),  # RVTools, ServiceNow list exports
    ("%Y/%m/%d %H:%M", True),
    ("%Y-%m-%d %H:%M:%S.%f", True),
    ("%Y.%m.%d", False),
    ("%Y.%m.%d %H:%M:%S", True),
    ("%d.%m.%Y", False),
    ("%d.%m.%Y %H:%M", True),
    ("%d.%m.%Y %H:%M:%S", True),
    ("%d/%m/%Y", False),
    ("%m/%d/%Y", False),
    ("%d/%m/%Y %H:%M", True),
    ("%m/%d/%Y %H:%M", True),
    ("%m/%d/%Y %I:%M:%S %p", True),
    ("%m/%d/%Y %H:%M:%S", True),
    ("%d/%m/%Y %H:%M:%S", True),
    ("%d-%b-%Y", False),
    ("%d %b %Y", False),
    ("%b %d, %Y", False),
    ("%d-%m-%Y", False),
    ("%d-%m-%Y %H:%M:%S", True),
    ("%m/%d/%Y %I:%M %p", True),
    ("%d-%b-%Y %H:%M:%S", True),
)
_DATEISH = re.compile(
    r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}.*)?$"
    r"|^\d{1,2}[- ][a-z]{3}[- ,]+\d{4}$|^[a-z]{3} \d{1,2}, \d{4}$",
    re.IGNORECASE,
)


def guess_date_format(values: Sequence[str]) -> tuple[float, float, str | None]:
    """Share of dates, share with a time of day, and the strptime format that reads most of them.

    Profiling names a format (rather than parsing with `read_date`) because the suggester
    writes it into the mapping's `date_format` rule, which cleansing then tries first.
    """
    best: tuple[int, str | None, bool] = (0, None, False)
    dateish = [v for v in values[:60] if _DATEISH.match(v)]
    if len(dateish) < 0.3 * min(len(values), 60):
        return 0.0, 0.0, None  # cheap pre-check: strptime is slow, most columns hold no dates
    probe = values[:30]
    for fmt, has_time in DATE_FORMATS:
        ok = 0
        for v in probe:
            try:
                datetime.strptime(v, fmt)
            except ValueError:
                continue
            ok += 1
        if ok > best[0]:
            best = (ok, fmt, has_time)
            if ok == len(probe):
                break
    if not probe or best[0] == 0:
        return 0.0, 0.0, None
    share = best[0] / len(probe)
    return share, share if best[2] else 0.0, best[1]
