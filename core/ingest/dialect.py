"""Delimiter, quote and line-ending detection for delimited text.

csv.Sniffer guesses from character frequencies and is easily fooled (German decimal commas,
title rows); here each candidate delimiter parses the sample for real and the one giving the most
consistent field count (with more than one field) wins.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections import Counter
from dataclasses import dataclass

from core.errors import UserInputError

CANDIDATES: tuple[str, ...] = (",", ";", "\t", "|")
_SCAN_RECORDS = 60
_SEP_LINE = re.compile(r"\A\ufeff?sep=(.)[ \t]*(\r\n|\n|\r)", re.IGNORECASE)
_NAMED = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


@dataclass(frozen=True)
class Dialect:
    """How records are written: delimiter, quote character, line terminator (None if one line)."""

    delimiter: str
    quotechar: str
    line_terminator: str | None
    note: str


def normalize_delimiter(value: str, display: str) -> str:
    """Accept one character or a common name ("tab", "\\t", "semicolon")."""
    named = _NAMED.get(value.strip().lower()) if len(value) != 1 else None
    if len(value) == 1:
        return value
    if named:
        return named
    raise UserInputError(
        f"the delimiter must be a single character, not {value!r}",
        file=display,
        hint="use , ; | or tab",
    )


def _line_terminator(sample: str) -> str | None:
    match = re.search(r"\r\n|\n|\r", sample)
    return match.group(0) if match else None


def _quotechar(sample: str) -> str:
    """Double quotes unless the sample only ever quotes fields with single quotes."""
    if '"' in sample:
        return '"'
    single = re.findall(r"(?:^|[,;\t|])'[^'\r\n]*'(?=[,;\t|]|$)", sample, flags=re.MULTILINE)
    return "'" if len(single) >= 3 else '"'


def _field_counts(sample: str, delimiter: str, quotechar: str, truncated: bool) -> list[int]:
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, quotechar=quotechar)
    try:
        rows = list(itertools.islice(reader, _SCAN_RECORDS + 1))
    except csv.Error:
        return []
    if truncated and len(rows) > _SCAN_RECORDS:
        rows = rows[:_SCAN_RECORDS]
    elif truncated and rows:
        rows = rows[:-1]  # the last record may be cut in the middle
    return [len(r) for r in rows if any(cell.strip() for cell in r)]


def _score(counts: list[int]) -> tuple[float, int]:
    """(share of records with the modal field count, modal field count); mode 1 scores zero."""
    if not counts:
        return 0.0, 0
    tally = Counter(counts)
    top = max(tally.values())
    mode = max(n for n, c in tally.items() if c == top)
    if mode < 2:
        return 0.0, mode
    return top / len(counts), mode


def detect_dialect(sample: str, *, truncated: bool, delimiter: str | None = None) -> Dialect:
    """Detect the dialect from decoded leading text (`truncated`: the file goes on after it)."""
    terminator = _line_terminator(sample)
    quotechar = _quotechar(sample)
    if delimiter is not None:
        return Dialect(delimiter, quotechar, terminator, f"delimiter {delimiter!r} (given)")
    sep = _SEP_LINE.match(sample)
    if sep:
        return Dialect(sep.group(1), quotechar, terminator, f"delimiter {sep.group(1)!r} (Excel sep= line)")
    best: tuple[float, int, int] = (0.0, 0, 0)
    chosen = ","
    shares: dict[str, float] = {}
    for order, candidate in enumerate(CANDIDATES):
        consistency, mode = _score(_field_counts(sample, candidate, quotechar, truncated))
        # near-equal consistency (a title row, one odd record): more fields is the better split
        key = (round(consistency, 1), mode, -order)
        shares[candidate] = consistency
        if consistency > 0 and key > best:
            best, chosen = key, candidate
    if best[0] == 0:
        return Dialect(",", quotechar, terminator, "single column (no delimiter found)")
    return Dialect(
        chosen,
        quotechar,
        terminator,
        f"delimiter {chosen!r} ({shares[chosen]:.0%} of the first records have {best[1]} fields)",
    )
