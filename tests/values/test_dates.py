"""The one date parser (python-dateutil behind our own decisions) reads every form the old parsers did.

Three parsers existed before: cleansing's (hand-written regexes), the rule preview's and value
profiling's (two strptime format lists). Each of their forms is checked here against the one
`read_date`, together with the decisions dateutil does not make for us.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.values.dates import DATE_FORMATS, guess_date_format, parse_date, read_date
from core.values.problems import Problem
from core.values.rules import apply_rules

STAMP = datetime(2021, 3, 13, 14, 5, 6)  # day 13: no day/month ambiguity

#: the strptime formats of the old rule preview (`core/mapping_review/rules.py` before core.values)
OLD_RULE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%Y%m%d",
)


def _naive(stamp: datetime | Problem) -> datetime:
    assert isinstance(stamp, datetime), stamp
    return stamp.astimezone(UTC).replace(tzinfo=None) if stamp.tzinfo else stamp


@pytest.mark.parametrize("fmt", sorted({f for f, _ in DATE_FORMATS} | set(OLD_RULE_FORMATS)))
def test_every_format_of_the_old_lists_is_read(fmt: str) -> None:
    text = (STAMP.replace(tzinfo=timezone(timedelta(hours=2))) if "%z" in fmt else STAMP).strftime(fmt)
    expected = datetime.strptime(text, fmt)  # what the format itself keeps of STAMP
    if fmt.endswith("Z"):
        expected = expected.replace(tzinfo=UTC)
    assert _naive(read_date(text)) == _naive(expected), text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [  # the forms tests/inventory/test_coerce.py accepted, as cleansing returns them
        ("2021-03-12", "2021-03-12T00:00:00+00:00"),
        ("2021-03-12T10:00:00Z", "2021-03-12T10:00:00+00:00"),
        ("2021-03-12 10:00:00+02:00", "2021-03-12T10:00:00+02:00"),
        ("2021/03/12", "2021-03-12T00:00:00+00:00"),
        ("12.03.2021", "2021-03-12T00:00:00+00:00"),
        ("13/04/2021", "2021-04-13T00:00:00+00:00"),
        ("04/13/2021 1:05 PM", "2021-04-13T13:05:00+00:00"),
        ("05/05/21", "2021-05-05T00:00:00+00:00"),
        ("44267", "2021-03-12T00:00:00+00:00"),
        ("1615543200", "2021-03-12T10:00:00+00:00"),
        ("1615543200000", "2021-03-12T10:00:00+00:00"),
        ("20210312", "2021-03-12T00:00:00+00:00"),
        ("12 Mar 2021", "2021-03-12T00:00:00+00:00"),
        ("March 12, 2021", "2021-03-12T00:00:00+00:00"),
        ("Tue Mar 12 10:00:00 UTC 2021", "2021-03-12T10:00:00+00:00"),
        ("12. März 2021", "2021-03-12T00:00:00+00:00"),
        ("12th March 2021", "2021-03-12T00:00:00+00:00"),
        ("12-Mar-21", "2021-03-12T00:00:00+00:00"),
        ("2021-03-12 10:00:00 +0200", "2021-03-12T10:00:00+02:00"),
        ("12.03.2021 10:00 +01:00", "2021-03-12T10:00:00+01:00"),
    ],
)
def test_cleansing_forms(raw: str, expected: str) -> None:
    stamp, problem = parse_date(raw)
    assert problem is None and stamp is not None
    assert stamp.isoformat() == expected
    assert isinstance(stamp.tzinfo, timezone)


def test_ambiguous_day_and_month_are_decided_as_before() -> None:
    assert read_date("03/04/2021") == Problem(
        "ambiguous_date",
        "'03/04/2021' could be day-first or month-first and the column does not say which;"
        " set date_order (dmy or mdy) in the mapping's rules",
    )
    assert read_date("03-04-2021").rule == "ambiguous_date"  # type: ignore[union-attr]
    assert read_date("Tue 03/04/2021 10:00").rule == "ambiguous_date"  # type: ignore[union-attr]
    assert read_date("03/04/2021", "dmy") == datetime(2021, 4, 3)
    assert read_date("03/04/2021", "mdy") == datetime(2021, 3, 4)
    assert read_date("03.04.2021") == datetime(2021, 4, 3)  # dots are day-first
    assert read_date("03.04.2021", "mdy") == datetime(2021, 3, 4)  # unless the column says otherwise
    assert read_date("04/13/2021", "dmy") == datetime(2021, 4, 13)  # the value's own evidence wins
    assert read_date("03/04/2021", fallback_order="mdy") == datetime(2021, 3, 4)  # the rule preview's


def test_the_rule_preview_keeps_its_month_first_and_naive_output() -> None:
    assert apply_rules("03/04/2021", {}, "datetime") == ("2021-03-04", None)
    assert apply_rules("03/04/2021", {"date_order": "dmy"}, "datetime") == ("2021-04-03", None)
    assert apply_rules("12.03.2021 10:15", {}, "datetime") == ("2021-03-12T10:15:00", None)
    assert apply_rules("2021-03-12T10:00:00Z", {}, "datetime") == ("2021-03-12T10:00:00+00:00", None)


@pytest.mark.parametrize(
    "raw",
    [
        "31/02/2021",  # no such day
        "123",  # a number, but no serial or epoch
        "soon",
        "Mar 2021",  # no day: dateutil would take today's
        "May 5",  # no year
        "10:00",
        "12 03 2021",  # no separator, no month name: which is the month?
        "1.2.3",  # a version
        "10.0.0.1",  # an address
        "35-32-40-66-e1-e9",  # a MAC address
        "13/03/2021 13:05 PM",
        "2021-03-12 10:00 CET",  # a zone we cannot resolve is not dropped silently
        "2021-03-12 10:00 GMT+3",  # POSIX sign trap
    ],
)
def test_what_is_no_date_is_reported(raw: str) -> None:
    stamp, problem = parse_date(raw)
    assert stamp is None and problem is not None and problem.rule == "date", (raw, stamp, problem)


def test_two_digit_years_and_numbers() -> None:
    assert read_date("01.02.69") == datetime(2069, 2, 1)
    assert read_date("01.02.70") == datetime(1970, 2, 1)
    assert read_date("44267.5") == datetime(2021, 3, 12, 12, tzinfo=UTC)
    assert read_date("20210312 1015", date_format="%Y%m%d %H%M") == datetime(2021, 3, 12, 10, 15)
    stamp, _ = parse_date("1 Jan 2021 10:00 +05:30")
    assert stamp is not None and stamp.utcoffset() == timedelta(hours=5, minutes=30)


@pytest.mark.parametrize(
    ("values", "fmt"),
    [
        (["2021/04/15 00:00:00", "2021/04/16 13:05:00", "2021/05/01 23:59:59"], "%Y/%m/%d %H:%M:%S"),
        (["2021/04/15 00:00", "2021/04/16 13:05"], "%Y/%m/%d %H:%M"),
        (["2021-04-15 10:22:33.123", "2021-04-16 13:05:00.5"], "%Y-%m-%d %H:%M:%S.%f"),
        (["2021.04.15", "2021.12.31"], "%Y.%m.%d"),
        (["15-04-2021 10:22:33", "31-12-2021 00:00:00"], "%d-%m-%Y %H:%M:%S"),
        (["04/15/2021 1:05 PM", "12/31/2021 11:59 AM"], "%m/%d/%Y %I:%M %p"),
    ],
)
def test_profiling_calls_timestamps_cleansing_reads_dates(values: list[str], fmt: str) -> None:
    """RVTools / ServiceNow timestamps were "not dates" to the suggester (its format list lacked
    them) while cleansing read them: the column was vetoed for every date field."""
    share, with_time, guessed = guess_date_format(values)
    assert (share, guessed) == (1.0, fmt)
    assert with_time == (1.0 if ":%M" in fmt else 0.0)
    for text in values:
        assert _naive(read_date(text, date_format=guessed)) == _naive(read_date(text))
