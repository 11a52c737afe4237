"""Find the header row and turn header cells into unique, non-empty column names.

Hand-made spreadsheets put titles, export dates and blank rows above the real header; exports
repeat or omit header texts. The heuristic looks at the first rows only, so it stays streaming.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from core.errors import UserInputError
from core.ingest.model import SourceColumn

HEADER_SCAN_ROWS = 30
"""Non-empty rows looked at when searching for the header."""
FOLLOWER_ROWS = 20
"""Rows after a candidate used to learn the table's width."""
_MAX_WINDOW_ROWS = 5000
"""Bound on raw rows read while searching (blank rows count here, not above)."""

_NUMBER = re.compile(r"^[-+(]?[$€£¥]?\s?\d[\d\s.,'’]*(?:[eE][-+]?\d+)?\s?%?\)?$")
_DATE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?Z?$")
_TIME = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?$")
_SPACES = re.compile(r"\s+")


def _span(cells: list[str]) -> int:
    """Position after the last non-empty cell (0 for an empty row)."""
    for i in range(len(cells) - 1, -1, -1):
        if cells[i].strip():
            return i + 1
    return 0


def _values(cells: list[str]) -> list[str]:
    return [c.strip() for c in cells if c.strip()]


def _is_value_like(text: str) -> bool:
    return bool(_NUMBER.match(text) or _DATE.match(text) or _TIME.match(text))


def _mode(values: list[int]) -> int:
    """Most common value; ties go to the smaller (one long ragged row must not widen the table)."""
    tally = Counter(values)
    top = max(tally.values())
    return min(v for v, c in tally.items() if c == top)


def _looks_like_header(
    cells: list[str], table_width: int, *, distinct_share: float, all_text: bool = False
) -> bool:
    """Wide enough for the table below it, mostly text, (mostly) distinct.

    Width counts the row's span, so a header with a blank cell inside it (`Hostname,,IP`) is
    still as wide as its table; titles are narrow because they fill only the first cells.
    """
    values = _values(cells)
    n = len(values)
    if n == 0 or _span(cells) < math.ceil(0.7 * table_width) or n < math.ceil(0.5 * table_width):
        return False
    if table_width >= 2 and n < 2:
        return False
    textual = sum(1 for v in values if not _is_value_like(v))
    if all_text and textual < n:
        return False
    distinct = len({v.casefold() for v in values})
    return textual >= 0.75 * n and distinct >= distinct_share * n


def find_header(rows: list[list[str]]) -> int | None:
    """Index (into `rows`) of the header row.

    A row qualifies when its span is close to the modal width of the rows following it (titles
    are narrow) and its cells are mostly distinct non-numeric text. Rows of text only are tried
    first (a header with a repeated name must not lose to the data row below it); then rows with
    some value-like cells; then duplicates are tolerated (exports that repeat header texts);
    failing all, the widest row wins.
    """
    filled = [i for i, cells in enumerate(rows) if _span(cells)]
    if not filled:
        return None
    widths: dict[int, int] = {}
    for k, i in enumerate(filled):
        followers = [_span(rows[j]) for j in filled[k + 1 : k + 1 + FOLLOWER_ROWS]]
        widths[i] = _mode(followers) if followers else _span(rows[i])
    for distinct_share, all_text in ((0.5, True), (0.8, False), (0.0, False)):
        for i in filled:
            if _looks_like_header(rows[i], widths[i], distinct_share=distinct_share, all_text=all_text):
                return i
    return max(filled, key=lambda i: (len(_values(rows[i])), -i))


def header_width(header: list[str], followers: list[list[str]], *, grid: bool) -> int:
    """Number of columns: the header's filled span, widened by what the data below needs.

    Trailing empty header cells (an Excel artefact: `a,b,c,,`) are kept only when data rows
    use those positions. In a CSV the header's field count is a hard limit (more fields is a
    ragged row); in a spreadsheet grid a data column without header text gets a generated name.
    """
    data_span = max((_span(r) for r in followers), default=0)
    width = max(_span(header), data_span if grid else min(len(header), data_span))
    return max(width, 1)


def clean_header_text(text: str) -> str:
    """Header text as a name: BOM and surrounding spaces removed, line breaks collapsed."""
    return _SPACES.sub(" ", text.replace("\ufeff", "")).strip()


def unique_columns(header: list[str], width: int) -> tuple[list[SourceColumn], list[tuple[str, str]]]:
    """Make unique (case-insensitively), non-empty names: `Name`, `Name_2`, `column_7`.

    Names that appear in the file are reserved first, so a generated `Name_2` never collides
    with a real `Name_2` header further right. Empty headers become `column_<1-based position>`.
    """
    originals = [*header[:width], *([""] * (width - len(header)))]
    cleaned = [clean_header_text(o) for o in originals]
    taken: set[str] = set()
    names: list[str | None] = [None] * width
    for i, base in enumerate(cleaned):
        if base and base.casefold() not in taken:
            taken.add(base.casefold())
            names[i] = base
    for i, base in enumerate(cleaned):
        if names[i] is not None:
            continue
        stem, k = (base, 2) if base else (f"column_{i + 1}", 1)
        candidate = stem if k == 1 else f"{stem}_{k}"
        while candidate.casefold() in taken:
            k += 1
            candidate = f"{stem}_{k}"
        taken.add(candidate.casefold())
        names[i] = candidate
    columns = [
        SourceColumn(name=str(n), original=o, position=i)
        for i, (n, o) in enumerate(zip(names, originals, strict=True))
    ]
    renamed = [(c.original, c.name) for c in columns if c.name != c.original]
    return columns, renamed


@dataclass(frozen=True)
class HeaderScan:
    """Result of reading the top of a table: where the header is and what follows it."""

    header_index: int
    header_cells: list[str]
    width: int
    first_data_index: int
    data_rows_in_window: int
    reached_end: bool
    rows_above: int
    note: str


def scan_header(
    rows: Iterator[tuple[int, list[str]]],
    *,
    header_row: int | None,
    grid: bool,
    display: str,
    sheet: str | None = None,
    unit: str = "row",
) -> HeaderScan:
    """Consume the top of a raw row stream and locate header and first data row.

    `rows` yields (record index, cells) from the very top of the file or sheet, blank rows
    included. Raises `UserInputError` for no data at all, a header without data rows, or a
    `header_row` that does not exist.
    """
    if header_row is not None and header_row < 1:
        raise UserInputError(f"header {unit} must be 1 or more, not {header_row}", file=display, sheet=sheet)
    window: list[tuple[int, list[str]]] = []
    filled_after_target = 0
    filled = 0
    skipped_above = 0  # non-empty rows above a given header that were not kept in the window
    last_seen = 0
    reached_end = True
    for idx, cells in rows:
        last_seen = idx
        nonempty = bool(_span(cells))
        if header_row is not None and idx < header_row:
            skipped_above += nonempty
            filled += nonempty
            continue  # a given header may be far down: keep nothing above it
        window.append((idx, cells))
        filled += nonempty
        if header_row is not None and idx > header_row and nonempty:
            filled_after_target += 1
        done_auto = header_row is None and (filled >= HEADER_SCAN_ROWS or len(window) >= _MAX_WINDOW_ROWS)
        done_given = header_row is not None and (
            filled_after_target >= FOLLOWER_ROWS or len(window) >= _MAX_WINDOW_ROWS
        )
        if done_auto or done_given:
            reached_end = False
            break

    if not filled:
        if reached_end:
            raise UserInputError(
                "contains no data (it is empty or has only blank rows)",
                file=display,
                sheet=sheet,
                hint="check that you picked the right file" + (" and sheet" if sheet else ""),
            )
        raise UserInputError(
            f"the first {len(window):,} {unit}s are all empty",
            file=display,
            sheet=sheet,
            hint=f"delete the blank {unit}s at the top, or give the header {unit} explicitly",
        )

    if header_row is not None:
        if not window or window[0][0] != header_row:
            where = (
                f"the {'file' if sheet is None else 'sheet'} ends at {unit} {last_seen}"
                if not window
                else "it is inside a record that spans several lines"
            )
            raise UserInputError(
                f"{unit} {header_row} cannot be the header: {where}",
                file=display,
                sheet=sheet,
                row=header_row,
                hint=f"choose the {unit} number that holds the column names",
            )
        pos = 0
        if not _span(window[pos][1]):
            raise UserInputError(
                f"{unit} {header_row} is empty and cannot be the header",
                file=display,
                sheet=sheet,
                row=header_row,
                hint=f"choose the {unit} number that holds the column names",
            )
        note = f"header on {unit} {header_row} (given)"
    else:
        found = find_header([c for _, c in window])
        assert found is not None  # the window has a non-empty row
        pos = found
        note = f"header on {unit} {window[pos][0]} (detected)"

    header_index, header_cells = window[pos]
    rows_above = skipped_above + sum(1 for _, c in window[:pos] if _span(c))
    if rows_above:
        note += f"; {rows_above} title {unit}(s) above it skipped"
    after = [(idx, c) for idx, c in window[pos + 1 :] if _span(c)]
    first_data = after[0][0] if after else None
    if first_data is None and not reached_end:
        for idx, cells in rows:
            if _span(cells):
                first_data = idx
                after.append((idx, cells))
                reached_end = False
                break
        else:
            reached_end = True
    if first_data is None:
        raise UserInputError(
            "has a header but no data rows",
            file=display,
            sheet=sheet,
            row=header_index,
            hint="export the data again including its rows"
            + ("" if sheet is None else ", or pick another sheet"),
        )
    width = header_width(header_cells, [c for _, c in after], grid=grid)
    return HeaderScan(
        header_index=header_index,
        header_cells=header_cells,
        width=width,
        first_data_index=first_data,
        data_rows_in_window=len(after),
        reached_end=reached_end,
        rows_above=rows_above,
        note=note,
    )
