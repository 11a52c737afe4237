"""The fast path's byte scanner: accepts what PostgreSQL and Python parse alike, refuses the rest.

No database here: these run in milliseconds, splitting every sample at every byte position to
prove the verdict does not depend on where a 1 MiB chunk happens to end.
"""

from __future__ import annotations

import csv
import io

import pytest

from core.imports.csv_fastpath import CsvScanner, FastPathRejected

from . import builders


def verdict(data: bytes, cut: int | None = None, delimiter: str = ",", quote: str = '"') -> tuple[bool, bool]:
    """(accepted, has line breaks in quoted values), feeding `data` in two pieces at `cut`."""
    scanner = CsvScanner(delimiter, quote)
    pieces = [data] if cut is None else [data[:cut], data[cut:]]
    try:
        for piece in pieces:
            scanner.feed(piece)
        scanner.finish()
    except FastPathRejected:
        return False, scanner.has_breaks
    return True, scanner.has_breaks


def every_cut(data: bytes, **kwargs: str) -> set[tuple[bool, bool]]:
    return {verdict(data, cut, **kwargs) for cut in range(len(data) + 1)}


def written(rows: list[list[str]], quoting: int = csv.QUOTE_MINIMAL, delimiter: str = ",") -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf, quoting=quoting, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode()


@pytest.mark.parametrize("quoting", [csv.QUOTE_MINIMAL, csv.QUOTE_ALL])
def test_anything_csv_writer_produces_is_accepted(quoting: int) -> None:
    rows = builders.tricky_rows(40, 5, seed=3)
    data = written(rows, quoting)
    breaks = any("\n" in v or "\r" in v for row in rows for v in row)
    assert every_cut(data) == {(True, breaks)}


def test_semicolon_and_tab_delimiters() -> None:
    rows = [["a;b", 'x "y"', "z"], ["", "1", "tab\tin"]]
    assert every_cut(written(rows, delimiter=";"), delimiter=";") == {(True, False)}
    assert every_cut(written(rows, delimiter="\t"), delimiter="\t") == {(True, False)}


@pytest.mark.parametrize(
    "text",
    [
        'monitor,24" wide\r\n',  # quote inside an unquoted value
        'say "hi" there,x\r\n',  # two of them: PostgreSQL would silently drop both
        'ab""cd,x\r\n',  # a doubled quote outside quotes
        '"ab"cd,x\r\n',  # text after the closing quote
        'a, "b"\r\n',  # a space before the opening quote
        '"abc\r\n',  # never closed
        "a\r\n\\.\r\nb\r\n",  # PostgreSQL's end-of-data marker
        "\\.\r\nb\r\n",
    ],
)
def test_constructs_the_parsers_read_differently_are_refused(text: str) -> None:
    assert {accepted for accepted, _ in every_cut(text.encode())} == {False}


def test_multiline_quoted_values_are_flagged() -> None:
    data = b'a,"line one\nline two"\r\nb,"x"\r\n'
    assert every_cut(data) == {(True, True)}
    assert every_cut(b'a,"one line"\r\n') == {(True, False)}
