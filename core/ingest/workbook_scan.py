"""What a workbook sheet will cost to read, found before python-calamine reads it.

calamine holds a whole sheet in memory as one dense grid from its first to its last used cell
(about 32 bytes per grid cell) plus a copy of every text value — a shared string used by a
million cells is copied a million times. A stray cell at XFD1048576 or a long string repeated
down a column would therefore take gigabytes before the first row reaches us. These scans look
at the sheet's bytes (XML by byte search, BIFF and BIFF12 record headers) and say, per sheet,
how large that grid and that text can get, how many rows it has and how many cells hold an error
value (#N/A, #DIV/0! …), which calamine turns into empty cells without saying so.

Bounds are upper bounds: they may overstate a sheet, never understate it.
"""

from __future__ import annotations

import itertools
import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from core.errors import UserInputError

MAX_SHEET_CELLS = 5_000_000
"""Grid cells (rows x columns between the first and last used cell) one sheet may span: ~160 MB
for calamine's grid plus its working copy; an RVTools vInfo of 50,000 VMs x 93 columns fits."""
MAX_SHEET_TEXT_BYTES = 256 * 1024**2
"""Text one sheet's cells may expand to (shared strings count once per cell that uses them)."""
BYTES_PER_STRING = 16
"""Allocator overhead of one text copy, counted with its length."""

CSV_HINT = (
    "save the sheet as CSV (File > Save As > CSV UTF-8) and import the CSV, which streams with no such "
    "limit; or split the sheet"
)
_CHUNK = 1024**2
_TAIL = 64
_PREFIX = rb"(?:[A-Za-z_][\w.-]*:)?"


@dataclass
class SheetCost:
    """What one sheet will take to read, from a scan of its bytes."""

    rows: int = 0
    """Rows with cells (or a row element); what the wizard shows."""
    grid_cells: int = 0
    """Upper bound of rows x columns from the first to the last used cell."""
    last_cell: tuple[int, int] = (0, 0)
    """(row, column), 1-based, of the bound's far corner: named when the grid is refused."""
    text_bytes: int = 0
    """Upper bound of the text calamine copies for this sheet."""
    errors: int = 0
    """Cells holding an error value."""
    complete: bool = True
    """False when the sheet's data ends without its closing element (truncated part)."""


def column_number(letters: bytes | str) -> int:
    """1-based column for spreadsheet letters (A → 1, AA → 27)."""
    n = 0
    for ch in (letters.encode() if isinstance(letters, str) else letters).upper():
        n = n * 26 + (ch - 64)
    return n


def check_cost(cost: SheetCost, display: str, sheet: str) -> None:
    """Refuse a sheet whose grid or text would take more memory than an import may use."""
    from core.ingest.table import column_letter

    if cost.grid_cells > MAX_SHEET_CELLS:
        row, col = cost.last_cell
        corner = f"{column_letter(col - 1)}{row}" if row and col else "its last cell"
        raise UserInputError(
            f"the sheet's cells span {cost.grid_cells:,} grid cells (up to {corner}), more than the "
            f"{MAX_SHEET_CELLS:,} read from one sheet; refused before reading",
            file=display,
            sheet=sheet,
            hint="if the data is smaller, delete stray cells far below or right of it (Ctrl+End in Excel "
            "jumps to the last used cell) and save again; otherwise " + CSV_HINT,
            details={"grid_cells": cost.grid_cells, "limit": MAX_SHEET_CELLS, "last_cell": corner},
        )
    if cost.text_bytes > MAX_SHEET_TEXT_BYTES:
        raise UserInputError(
            f"the sheet's cells expand to {cost.text_bytes / 1024**2:,.0f} MB of text, more than the "
            f"{MAX_SHEET_TEXT_BYTES // 1024**2} MB read from one sheet (long texts repeated in many cells); "
            "refused before reading",
            file=display,
            sheet=sheet,
            hint=CSV_HINT,
            details={"text_bytes": cost.text_bytes, "limit": MAX_SHEET_TEXT_BYTES},
        )


def _chunks(fh: object, size: int = _CHUNK) -> Iterator[tuple[bytes, bytes]]:
    """(previous tail, chunk) pairs: patterns are searched in tail + chunk and counted once."""
    tail = b""
    read = fh.read  # type: ignore[attr-defined]
    while chunk := read(size):
        yield tail, chunk
        tail = chunk[-_TAIL:]


# -- xlsx / xlsm: XML worksheets ---------------------------------------------------------------------

_DIMENSION = re.compile(
    rb"<" + _PREFIX + rb"dimension\s[^>]*?ref=[\"'](?:[A-Z]+[0-9]+:)?([A-Z]{1,3})([0-9]{1,7})"
)
_STRING_CELL = re.compile(rb"\st\s*=\s*[\"']s[\"']")
_DATA_START = re.compile(rb"<" + _PREFIX + rb"sheetData(?:\s[^>]*?)?(/?)>")
_DATA_END = re.compile(rb"</" + _PREFIX + rb"sheetData\s*>|<" + _PREFIX + rb"sheetData\s*/>")
_TOKEN = re.compile(rb"<" + _PREFIX + rb"(row|c)((?:\s[^>]*?)?)(/?)>(?:<" + _PREFIX + rb"v>([0-9]{1,10})<)?")
_ATTR_R = re.compile(rb"\sr\s*=\s*[\"']([A-Za-z]*)([0-9]*)[\"']")

_UPPER = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PREFIXED = (b":c ", b":c>", b":c/", b":c\t", b":c\n", b":c\r", b":row")
"""Namespace-prefixed cell or row tags (`<x:c r=…`), which calamine reads by their local name."""


def _count(buf: bytes, tail: bytes, needles: tuple[bytes, ...]) -> int:
    return sum(buf.count(n) - tail.count(n) for n in needles)


_ROWS = (b"<row ",)
_ERRORS = (b't="e"', b"t='e'")
_STRINGS = (b't="s"', b"t='s'")


class _Unusual(Exception):
    """The sheet is written in a way the fast scan does not vouch for: positions are followed."""


@dataclass
class _Totals:
    """Running figures of the fast scan of one sheet."""

    rows: int = 0
    max_row: int = 0
    cells: int = 0
    errors: int = 0
    strings: int = 0
    longest_row: int = 0
    longest_row_at: int = 0
    outside: int = 0


@dataclass
class _Columns:
    """How the fast scan bounds columns from the `<dimension>`'s last column (letters `end`).

    Letters are translated to two classes — up to `end`'s first letter ('A') and after it ('Z') —
    and every cell reference must be one of `refs`: fewer letters than `end` of either class, or
    as many starting with an 'A'. The bound is then `end` for one letter, else `end`'s first
    letter followed by Zs ("CO" -> "CZ"): a little loose, never low. Any other reference sends
    the sheet to the exact path.
    """

    bound: int
    refs: tuple[bytes, ...]
    classes: bytes

    @classmethod
    def of(cls, end: bytes) -> _Columns:
        letters = len(end)
        shapes = [bytes(p) for n in range(1, letters) for p in itertools.product(b"AZ", repeat=n)]
        shapes += [b"A" + bytes(p) for p in itertools.product(b"AZ", repeat=letters - 1)]
        return cls(
            bound=column_number(end if letters == 1 else end[:1] + b"Z" * (letters - 1)),
            refs=tuple(b'<c r="' + shape for shape in shapes),
            classes=bytes.maketrans(_UPPER, bytes(90 if ch > end[0] else 65 for ch in _UPPER)),
        )


def _prefixed(region: bytes) -> bool:
    """True when a namespace-prefixed cell or row tag (`<x:c`, which calamine reads by its local
    name) may be in `region`: each colon is looked at (rows written by Excel hold two)."""
    at = region.find(b":")
    seen = 0
    while at >= 0:
        seen += 1
        if seen > 100_000:
            return any(n in region for n in _PREFIXED)
        following = region[at + 1 : at + 4]
        if (following[:1] == b"c" and following[1:2] in b" >/\t\n\r") or following == b"row":
            return True
        at = region.find(b":", at + 1)
    return False


def _fast_region(
    region: bytes, base: int, lead: bool, columns: _Columns, totals: _Totals, strings: bool
) -> None:
    """Count one stretch of cell data that starts at a row element (`lead`: at the data's start);
    shared-string cells only when `strings` (there is a string table).

    Raises `_Unusual` unless every row element is `<row r="N"` and every `<c` in the stretch is
    `<c r="{letters}N"` with its row's N and letters `columns` allows — then the rows with cells
    bound the grid exactly. Cell text cannot hold '<', so no text can pass for a tag (a tag
    spread over other whitespace is no `<c r="` and so unusual too).
    """
    if _prefixed(region):
        raise _Unusual("namespace-prefixed cells or rows")
    pieces = region.translate(columns.classes).split(b"<row")
    if b"<c" in pieces[0]:
        raise _Unusual("cells outside a row")
    at = base + len(pieces[0])
    matched = 0
    refs = columns.refs
    for piece in itertools.islice(pieces, 1, None):
        size = len(piece) + 4
        if size > totals.longest_row:
            totals.longest_row, totals.longest_row_at = size, at
        at += size
        end = piece.find(b'"', 4)
        number = piece[4:end] if end > 4 else b""
        if not piece.startswith(b' r="') or not number.isdigit() or len(number) > 7 or number[:1] == b"0":
            raise _Unusual("a row without its position")
        tail = number + b'"'
        found = 0
        for ref in refs:
            found += piece.count(ref + tail)
        if found:
            matched += found
            row = int(number)
            if row > totals.max_row:
                totals.max_row = row
    totals.rows += len(pieces) - 1
    if region.count(b"<c") != matched:
        raise _Unusual("a cell without its position, or beyond the dimension's columns")
    totals.cells += matched
    totals.errors += region.count(b't="e"')
    quoted = b"'" in region
    if quoted:
        totals.errors += region.count(b"t='e'")
    if strings:
        totals.strings += region.count(b'"s"') + (region.count(b"'s'") if quoted else 0)


def _prefetched(fh: object, size: int) -> Iterator[bytes]:
    """`fh.read(size)` chunks, the next one read and inflated on a helper thread while the caller
    scans this one: zlib releases the GIL, so on two cores inflating costs no wall time."""
    from concurrent.futures import ThreadPoolExecutor

    read = fh.read  # type: ignore[attr-defined]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="md-inflate") as pool:
        ahead = pool.submit(read, size)
        while chunk := ahead.result():
            ahead = pool.submit(read, size)
            yield chunk


def _fast_scan(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    columns: _Columns,
    *,
    strings: bool,
    display: str,
    sheet: str | None,
) -> tuple[_Totals, bool]:
    """One streaming pass over the sheet: (totals, whether its cell data closes)."""
    from core.ingest import safety

    limit = safety.MAX_ROW_XML_BYTES
    totals = _Totals()
    state = "before"
    lead = True
    pending = b""
    pos = 0  # part offset of `pending`
    with zf.open(info) as fh:
        chunks = _prefetched(fh, max(64, min(_CHUNK, limit // 2)))
        try:
            for chunk in chunks:
                buf = pending + chunk if pending else chunk
                base = pos
                if state == "before":
                    start = _DATA_START.search(buf) if b"sheetData" in buf else None
                    if start is None:
                        keep = min(len(buf), _TAIL)
                        totals.outside += buf.count(b"<", 0, len(buf) - keep)
                        pending, pos = buf[len(buf) - keep :], base + len(buf) - keep
                        continue
                    totals.outside += buf.count(b"<", 0, start.start())
                    if start.group(1):  # <sheetData/>: no cells
                        totals.outside += buf.count(b"<", start.end())
                        state, pending, pos = "after", b"", base + len(buf)
                        continue
                    state, buf, base = "inside", buf[start.end() :], base + start.end()
                if state == "inside":
                    end = _DATA_END.search(buf) if b"sheetData" in buf else None
                    if end is not None:
                        _fast_region(buf[: end.start()], base, lead, columns, totals, strings)
                        totals.outside += buf.count(b"<", end.end())
                        state, pending, pos = "after", b"", base + len(buf)
                    else:
                        cut = buf.rfind(b"<row")
                        if cut <= 0:
                            if len(buf) > limit and buf.startswith(b"<row"):
                                raise safety.refuse_long_row(info.filename, len(buf), base, display, sheet)
                            if len(buf) > limit:
                                raise _Unusual("cell data without rows")
                            pending, pos = buf, base
                            continue
                        _fast_region(buf[:cut], base, lead, columns, totals, strings)
                        pending, pos = buf[cut:], base + cut
                    lead = False
                    if totals.longest_row > limit:
                        raise safety.refuse_long_row(
                            info.filename, totals.longest_row, totals.longest_row_at, display, sheet
                        )
                    continue
                totals.outside += buf.count(b"<")
                pending, pos = b"", base + len(buf)
        finally:
            chunks.close()
    return totals, state == "after"


def scan_xlsx_sheet(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    *,
    longest_string: int,
    display: str = "",
    sheet: str | None = None,
) -> SheetCost:
    """Rows, grid bound, text bound and error cells of one XML worksheet — and its layout checks
    (no row of more than `safety.MAX_ROW_XML_BYTES`, at most `safety.MAX_SHEET_EXTRA_ELEMENTS`
    elements outside the cell data), refused with `UserInputError`.

    One streaming pass of byte counts and translations, inflating on a second thread: it vouches
    for sheets whose rows and cells all carry their position first (`<row r="7"`, `<c r="B7"`, as
    Excel, LibreOffice and the usual libraries write them), checked row by row, so the rows with
    cells bound the grid exactly and the `<dimension>` only guides the column check. Any other
    sheet is read again tag by tag, following cell positions the way calamine does.
    """
    from core.ingest import safety

    with zf.open(info) as fh:
        hint = _DIMENSION.search(fh.read(64 * 1024))
    cost = SheetCost()
    try:
        if hint is None:
            raise _Unusual("no dimension")
        columns = _Columns.of(hint.group(1))
        totals, cost.complete = _fast_scan(
            zf, info, columns, strings=longest_string > 0, display=display, sheet=sheet
        )
    except _Unusual:
        return _exact_scan(zf, info, longest_string=longest_string, display=display, sheet=sheet)
    if totals.outside > safety.MAX_SHEET_EXTRA_ELEMENTS:
        raise safety.refuse_outside_elements(info.filename, totals.outside, display, sheet)
    cost.rows = totals.rows
    cost.errors = totals.errors
    rows, cols = (totals.max_row, columns.bound) if totals.cells else (0, 0)
    if rows * cols > MAX_SHEET_CELLS and cols > column_number(hint.group(1)):  # the loose bound is over
        rows, cols, _ = _follow_positions(zf, info, None)
    cost.grid_cells = rows * cols
    cost.last_cell = (rows, cols)
    # inline text is at most the part's own bytes; each shared-string cell copies one string (with
    # no string table, any cell that claims to be one costs a string's overhead at most)
    strings = totals.strings if longest_string else totals.cells
    cost.text_bytes = info.file_size + strings * (longest_string + BYTES_PER_STRING)
    return cost


def _exact_scan(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, *, longest_string: int, display: str, sheet: str | None
) -> SheetCost:
    """The slow path of `scan_xlsx_sheet`: literal counts with a tolerant pattern for string cells,
    the layout checks tag by tag, and the grid from cell positions followed as calamine does."""
    from core.ingest import safety

    safety.check_sheet_layout(zf, info, sheet, display)
    cost = SheetCost(complete=False)
    strings = 0
    with zf.open(info) as fh:
        for tail, chunk in _chunks(fh):
            buf = tail + chunk
            cost.rows += _count(buf, tail, _ROWS)
            cost.errors += _count(buf, tail, _ERRORS)
            strings += len(_STRING_CELL.findall(buf)) - len(_STRING_CELL.findall(tail))
            if not cost.complete and b"sheetData" in buf and _DATA_END.search(buf):
                cost.complete = True
    rows, cols, _ = _follow_positions(zf, info, None)
    cost.rows = max(cost.rows, rows)
    cost.grid_cells = rows * cols
    cost.last_cell = (rows, cols)
    cost.text_bytes = info.file_size + strings * (longest_string + BYTES_PER_STRING)
    return cost


def _follow_positions(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, spans: list[int] | None
) -> tuple[int, int, int]:
    """(last row, last column, shared-string text) following cell positions as calamine does."""
    row = col = 0
    last_row = last_col = 0
    text = 0
    pending = b""
    with zf.open(info) as fh:
        while chunk := fh.read(_CHUNK):
            buf = pending + chunk
            cut = buf.rfind(b"<")
            pending, buf = buf[cut:], buf[:cut]
            for m in _TOKEN.finditer(buf):
                kind, attrs, _closed, value = m.groups()
                ref = _ATTR_R.search(attrs) if attrs else None
                if kind == b"row":
                    if ref is not None and ref.group(2):
                        row = int(ref.group(2))
                    else:
                        row += 1
                    col = 0
                    continue
                if ref is not None and ref.group(1):
                    col = column_number(ref.group(1))
                    if ref.group(2):
                        row = int(ref.group(2))
                else:
                    col += 1
                last_row = max(last_row, row or 1)
                last_col = max(last_col, col)
                if spans is not None and _STRING_CELL.search(attrs or b""):
                    index = int(value) if value is not None else -1
                    text += spans[index] if 0 <= index < len(spans) else max(spans, default=0)
                    text += BYTES_PER_STRING
    return last_row, last_col, text


def exact_xlsx_text(zf: zipfile.ZipFile, info: zipfile.ZipInfo, spans: list[int]) -> int:
    """Text a sheet's shared-string cells really expand to (when the cheap bound is too high)."""
    return info.file_size + _follow_positions(zf, info, spans)[2]


_SI = re.compile(rb"<" + _PREFIX + rb"si[\s>/]")


def shared_string_spans(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> list[int]:
    """Bytes of XML of each shared string (an upper bound of its text in UTF-8)."""
    starts: list[int] = []
    pos = 0
    with zf.open(info) as fh:
        for tail, chunk in _chunks(fh):
            base = pos - len(tail)
            buf = tail + chunk
            for m in _SI.finditer(buf):
                at = base + m.start()
                if not starts or at > starts[-1]:
                    starts.append(at)
            pos += len(chunk)
    starts.append(pos)
    return [b - a for a, b in itertools.pairwise(starts)]


def xlsx_row_count(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Rows of a sheet: its `<dimension>` when present (cheap), else its row elements counted."""
    with zf.open(info) as fh:
        head = fh.read(64 * 1024)
        m = _DIMENSION.search(head)
        if m is not None:
            return int(m.group(2))
        rows = _count(head, b"", _ROWS)
        tail = head[-_TAIL:]
        for _, chunk in _chunks(fh):
            rows += _count(tail + chunk, tail, _ROWS)
            tail = chunk[-_TAIL:]
    return rows


# -- ods: content.xml holds every table ---------------------------------------------------------------

_ODS_TOKEN = re.compile(
    rb"<(table:table|table:table-row|table:table-cell|table:covered-table-cell)(?=[\s/>])()([^>]*?)(/?)>"
    rb"|</(table:table|table:table-row)>"
)
_ODS_NAME = re.compile(rb"table:name=\"([^\"]*)\"")
_ODS_ROWS_REP = re.compile(rb"number-rows-repeated\s*=\s*[\"']([0-9]+)[\"']")
_ODS_COLS_REP = re.compile(rb"number-columns-repeated\s*=\s*[\"']([0-9]+)[\"']")
_ODS_ERROR = re.compile(rb"calcext:value-type=\"error\"")
_ODS_NO_TEXT = re.compile(rb"office:value-type=\"(?:float|percentage|currency|boolean)\"")
_ODS_CELL_END = b"</table:table-cell>"
_ODS_PARAGRAPH = len(b"<text:p></text:p>")


class _OdsCounter:
    """Rows, grid, text and error cells of the tables of `content.xml`, tag by tag (`tokens`) or,
    for rows without repeats, from counts (`plain_row`)."""

    def __init__(self) -> None:
        self.costs: dict[str, SheetCost] = {}
        self.cost: SheetCost | None = None
        self.row = 0  # rows so far in this table
        self.row_rep = 1
        self.col = 0
        self.row_has = False
        self.last_row = self.last_col = 0
        self.row_text = 0

    def start_table(self, attrs: bytes) -> None:
        from html import unescape

        name = _ODS_NAME.search(attrs)
        self.cost = SheetCost()
        title = unescape(name.group(1).decode("utf-8", "replace")) if name else f"Sheet{len(self.costs) + 1}"
        self.costs[title] = self.cost
        self.row = self.last_row = self.last_col = 0

    def end_table(self, complete: bool = True) -> None:
        if self.cost is not None:
            self.cost.grid_cells = self.last_row * self.last_col
            self.cost.last_cell = (self.last_row, self.last_col)
            self.cost.complete = complete
        self.cost = None

    def plain_row(self, piece: bytes, cells: int, errors: bool) -> None:
        """A row with no repeats (`piece`: what follows `<table:table-row` up to the next row, with
        `cells` cell tags): its cells' positions are at most `cells`, its text at most its bytes."""
        cost = self.cost
        if cost is None:
            return
        if b"</table:table-cell>" in piece or b"office:value-type" in piece:
            self.last_row = self.row + 1
            cost.rows = self.last_row
            if cells > self.last_col:
                self.last_col = cells
            cost.text_bytes += len(piece) + BYTES_PER_STRING * cells
            if errors:
                cost.errors += piece.count(b'calcext:value-type="error"')
        self.row += 1

    def tokens(self, buf: bytes) -> None:
        """Every table, row and cell tag of `buf` (which ends at a tag boundary)."""
        for m in _ODS_TOKEN.finditer(buf):
            tag, _sep, attrs, closed, end = m.groups()
            cost = self.cost
            if end == b"table:table-row" and cost is not None:
                if self.row_has:
                    self.last_row = self.row + self.row_rep
                    cost.rows = self.last_row
                    cost.text_bytes += self.row_text * self.row_rep
                self.row += self.row_rep
                continue
            if end == b"table:table":
                self.end_table()
                continue
            if tag == b"table:table":
                self.start_table(attrs)
                continue
            if cost is None:
                continue
            if tag == b"table:table-row":
                rep = _ODS_ROWS_REP.search(attrs)
                self.row_rep = int(rep.group(1)) if rep else 1
                self.col = 0
                self.row_has = False
                self.row_text = 0
                if closed:
                    self.row += self.row_rep
                continue
            rep = _ODS_COLS_REP.search(attrs)
            col_rep = int(rep.group(1)) if rep else 1
            filled = not closed and tag == b"table:table-cell"
            if filled or b"office:value-type" in attrs:
                self.row_has = True
                self.col += col_rep
                self.last_col = max(self.last_col, self.col)
                errors = len(_ODS_ERROR.findall(attrs))
                cost.errors += errors * col_rep * self.row_rep
                if filled and not _ODS_NO_TEXT.search(attrs):
                    end_at = buf.find(_ODS_CELL_END, m.end())
                    span = (end_at if end_at >= 0 else len(buf)) - m.end() - _ODS_PARAGRAPH
                    self.row_text += (max(span, 0) + BYTES_PER_STRING) * col_rep
            else:
                self.col += col_rep


_ODS_TABLE_START = re.compile(rb"<table:table(?=[\s/>])([^>]*?)(/?)>")
_ODS_ROW = b"<table:table-row"
_ODS_ROW_FOLLOWS = frozenset(b" \t\n\r>/")
_ODS_PENDING_MAX = 64 * 1024**2


def scan_ods(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> dict[str, SheetCost]:
    """Per table of `content.xml`: rows, grid bound (repeats expanded), text bound, error cells.

    Empty cells and rows may repeat freely (LibreOffice writes a million trailing ones); a repeated
    cell with content is counted as often as it repeats, which is what calamine stores. One
    streaming pass (inflating on a helper thread): rows without repeats are bounded by counts —
    positions by their number of cells, text by their bytes — rows with repeats tag by tag; a
    table that nests anything unexpected among its rows is read again tag by tag throughout.
    """
    try:
        costs = _ods_fast(zf, info)
    except _Unusual:
        return _ods_exact(zf, info)
    if any(c.text_bytes > MAX_SHEET_TEXT_BYTES for c in costs.values()):
        return _ods_exact(zf, info)  # the byte bound of the text is over: measure the text itself
    return costs


def _ods_exact(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> dict[str, SheetCost]:
    counter = _OdsCounter()
    pending = b""
    with zf.open(info) as fh:
        while chunk := fh.read(_CHUNK):
            buf = pending + chunk
            cut = buf.rfind(b"<")
            pending, buf = buf[cut:], buf[:cut]
            counter.tokens(buf)
    counter.end_table(complete=False)
    return counter.costs


def _ods_rows(counter: _OdsCounter, region: bytes, lead: bool) -> None:
    """The rows of one stretch of a table that starts at a row (`lead`: at the table's start)."""
    pieces = region.split(_ODS_ROW)
    if len(pieces) == 1 and not lead:
        return
    tags = region.count(b"<table:table")
    covered = b"<table:covered-table-cell" in region
    errors = b'value-type="error"' in region
    pre = pieces[0]
    if b"<table:table-cell" in pre or b"<table:covered-table-cell" in pre or _ODS_TABLE_START.search(pre):
        raise _Unusual("cells outside a row, or a table in a table")
    known = pre.count(b"<table:table")  # column definitions before the first row
    follows = _ODS_ROW_FOLLOWS
    for piece in itertools.islice(pieces, 1, None):
        if not piece or piece[0] not in follows:
            raise _Unusual("row groups or header rows")
        cells = piece.count(b"<table:table-cell")
        known += 1 + cells
        if b"repeated" in piece:
            counter.tokens(_ODS_ROW + piece)
        else:
            if covered:
                cells += piece.count(b"<table:covered-table-cell")
            counter.plain_row(piece, cells, errors)
    if tags != known:  # a sub-table, a row group or anything else among the rows
        raise _Unusual("something other than rows and cells inside a table")


def _ods_fast(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> dict[str, SheetCost]:
    counter = _OdsCounter()
    inside = False
    lead = False
    pending = b""
    with zf.open(info) as fh:
        chunks = _prefetched(fh, _CHUNK)
        try:
            for chunk in chunks:
                buf = pending + chunk if pending else chunk
                while True:
                    if not inside:
                        start = _ODS_TABLE_START.search(buf) if b"<table:table" in buf else None
                        if start is None:
                            pending = buf[-_TAIL:]
                            break
                        counter.start_table(start.group(1))
                        if start.group(2):  # <table:table …/>: no rows
                            counter.end_table()
                        else:
                            inside, lead = True, True
                        buf = buf[start.end() :]
                        continue
                    end = buf.find(b"</table:table>")
                    if end >= 0:
                        _ods_rows(counter, buf[:end], lead)
                        counter.end_table()
                        inside = False
                        buf = buf[end + len(b"</table:table>") :]
                        continue
                    cut = buf.rfind(_ODS_ROW)
                    if cut <= 0:
                        if len(buf) > _ODS_PENDING_MAX:
                            raise _Unusual("a row too long to hold")
                        pending = buf
                        break
                    _ods_rows(counter, buf[:cut], lead)
                    lead = False
                    pending = buf[cut:]
                    break
        finally:
            chunks.close()
    counter.end_table(complete=False)
    return counter.costs


# -- xls: BIFF8 records in the OLE Workbook stream -----------------------------------------------------

_BIFF_CELLS_RK = {0x027E, 0x0203, 0x0204, 0x00D6}  # RK, NUMBER, LABEL, RSTRING
_BIFF_BOF = 0x0809
_BIFF_EOF = 0x000A
_BIFF_BOUNDSHEET = 0x0085
_BIFF_SST = 0x00FC
_BIFF_CONTINUE = 0x003C
_BIFF_LABELSST = 0x00FD
_BIFF_MULRK = 0x00BD
_BIFF_BOOLERR = 0x0205
_BIFF_FORMULA = 0x0006
_BIFF_STRING = 0x0207
_BIFF_FILEPASS = 0x002F


def read_xls_stream(path: object) -> bytes | None:
    """The Workbook (BIFF8) or Book (BIFF5) stream of an OLE file, or None when there is none."""
    import olefile

    with olefile.OleFileIO(path) as ole:
        for name in ("Workbook", "Book"):
            if ole.exists(name):
                return ole.openstream(name).read()
    return None


def _sst_lengths(records: list[bytes]) -> list[int]:
    """Character count of each SST string (SST record plus CONTINUEs), as UTF-8 upper bounds."""
    lengths: list[int] = []
    if not records:
        return lengths
    first = records[0]
    total = struct.unpack_from("<I", first, 4)[0]
    blocks = [first[8:], *records[1:]]
    bi, pos = 0, 0

    def need(n: int) -> bytes:
        nonlocal bi, pos
        out = b""
        while len(out) < n and bi < len(blocks):
            take = blocks[bi][pos : pos + n - len(out)]
            out += take
            pos += len(take)
            if pos >= len(blocks[bi]):
                bi, pos = bi + 1, 0
        return out

    for _ in range(total):
        head = need(3)
        if len(head) < 3:
            break
        cch, flags = struct.unpack("<HB", head)
        runs = struct.unpack("<H", need(2))[0] if flags & 0x08 else 0
        ext = struct.unpack("<I", need(4))[0] if flags & 0x04 else 0
        left = cch
        wide = flags & 0x01
        while left > 0 and bi < len(blocks):
            room = len(blocks[bi]) - pos
            width = 2 if wide else 1
            take = min(left, room // width)
            pos += take * width
            left -= take
            if pos >= len(blocks[bi]):
                bi, pos = bi + 1, 0
                if left > 0 and bi < len(blocks):
                    wide = blocks[bi][0] & 0x01  # a CONTINUE restarts with its own flag byte
                    pos = 1
        need(4 * runs + ext)
        lengths.append(cch * 3)
    return lengths


_HEAD = struct.Struct("<HHHHHI")  # type, length; a cell's row, column, format; LABELSST's string
_U16 = struct.Struct("<H")
_BIFF_POSITIONED = frozenset({0x027E, 0x0203, 0x0204, 0x00D6, _BIFF_BOOLERR, _BIFF_FORMULA})
"""Cell records other than LABELSST and MULRK, the two most writers use for most cells."""


def _scan_xls_sheet(stream: bytes, size: int, offset: int, lengths: list[int]) -> SheetCost:
    """Rows, grid bound, text bound and error cells of the sheet whose BOF is at `offset`.

    One loop over the records with one unpack each (type, length and a cell's row, column and
    string at once), the common records first: a record costs under a microsecond. `stream` is
    the Workbook stream of `size` bytes followed by 14 zero bytes, so every unpack fits.
    """
    cost = SheetCost()
    if offset + 4 > size or _U16.unpack_from(stream, offset)[0] != _BIFF_BOF:
        cost.complete = False
        return cost
    head, u16 = _HEAD.unpack_from, _U16.unpack_from
    seen = bytearray(65536)
    last_row = last_col = text = errors = 0
    costs = [n + BYTES_PER_STRING for n in lengths]  # what a LABELSST cell of each string copies
    unknown = max(lengths, default=0) + BYTES_PER_STRING
    positioned = _BIFF_POSITIONED
    pos = offset + 4 + u16(stream, offset + 2)[0]
    complete = False
    while pos + 4 <= size:
        rtype, length, r, c, _xf, i = head(stream, pos)
        if rtype == _BIFF_LABELSST:
            if length >= 4:
                seen[r] = 1
                if r >= last_row:
                    last_row = r + 1
                if c >= last_col:
                    last_col = c + 1
                if length >= 10:
                    try:
                        text += costs[i]
                    except IndexError:  # no such string: count the longest
                        text += unknown
        elif rtype == _BIFF_MULRK:
            if length >= 6:
                seen[r] = 1
                if r >= last_row:
                    last_row = r + 1
                c = max(c, u16(stream, pos + 2 + length)[0])
                if c >= last_col:
                    last_col = c + 1
        elif rtype in positioned:
            if length >= 4:
                seen[r] = 1
                if r >= last_row:
                    last_row = r + 1
                if c >= last_col:
                    last_col = c + 1
                if rtype == 0x0204 or rtype == 0x00D6:
                    text += length + BYTES_PER_STRING
                elif rtype == _BIFF_BOOLERR:
                    if length >= 8 and stream[pos + 11] == 1:
                        errors += 1
                elif rtype == _BIFF_FORMULA and length >= 14:
                    if stream[pos + 16 : pos + 18] == b"\xff\xff" and stream[pos + 10] == 2:
                        errors += 1
                    text += length + BYTES_PER_STRING  # calamine also keeps the formula text
        elif rtype == _BIFF_EOF:
            complete = True
            break
        elif rtype == _BIFF_STRING:
            text += length + BYTES_PER_STRING
        pos += 4 + length
    cost.complete = complete
    cost.rows = len(seen) - seen.count(0)
    cost.grid_cells = last_row * last_col
    cost.last_cell = (last_row, last_col)
    cost.text_bytes = text
    cost.errors = errors
    return cost


def scan_xls(stream: bytes) -> tuple[bool, dict[str, SheetCost]]:
    """(encrypted, per-sheet costs) of a BIFF8 Workbook stream.

    calamine parses every sheet of an .xls when it opens it, so all sheets count. Rows and
    columns come from each cell record's own position, as calamine takes them.
    """
    unpack = struct.unpack_from
    size = len(stream)
    pos = 0
    names: list[str] = []
    sst: list[bytes] = []
    in_sst = False
    offsets: dict[int, int] = {}
    encrypted = False
    while pos + 4 <= size:
        rtype, length = unpack("<HH", stream, pos)
        data = stream[pos + 4 : pos + 4 + length]
        if rtype == _BIFF_FILEPASS:
            encrypted = True
            break
        if rtype == _BIFF_BOUNDSHEET and length >= 8:
            offsets[unpack("<I", data, 0)[0]] = len(names)
            cch, flags = data[6], data[7]
            raw = data[8 : 8 + cch * (2 if flags & 1 else 1)]
            names.append(raw.decode("utf-16-le" if flags & 1 else "latin-1", "replace"))
        elif rtype == _BIFF_SST:
            sst = [data]
            in_sst = True
        elif rtype == _BIFF_CONTINUE and in_sst:
            sst.append(data)
        else:
            in_sst = False
        if rtype == _BIFF_EOF:
            break
        pos += 4 + length
    if encrypted:
        return True, {}
    lengths = _sst_lengths(sst)
    costs: dict[str, SheetCost] = {}
    padded = stream + bytes(_HEAD.size)
    for offset, index in sorted(offsets.items()):
        costs[names[index]] = _scan_xls_sheet(padded, size, offset, lengths)
    return False, costs


# -- xlsb: BIFF12 records in binary parts --------------------------------------------------------------

_XLSB_ROW_HDR = 0
_XLSB_CELLS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}  # blank … formula cells (type 1 is blank)
_XLSB_ERRORS = {3, 11}  # BrtCellError, BrtFmlaError
_XLSB_SST_ITEM = 19
_XLSB_END_SHEET_DATA = 146


def _xlsb_records(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(record type, data offset, data length) of every BIFF12 record."""
    pos, size = 0, len(data)
    while pos < size:
        rtype = data[pos]
        pos += 1
        if rtype & 0x80:
            if pos >= size:
                return
            rtype = (rtype & 0x7F) | ((data[pos] & 0x7F) << 7)
            pos += 1
        length = shift = 0
        for _ in range(4):
            if pos >= size:
                return
            b = data[pos]
            pos += 1
            length |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        yield rtype, pos, length
        pos += length


def xlsb_string_lengths(data: bytes) -> list[int]:
    """UTF-8 upper bound of each string of a `sharedStrings.bin` (BrtSSTItem records)."""
    out: list[int] = []
    for rtype, pos, length in _xlsb_records(data):
        if rtype == _XLSB_SST_ITEM and length >= 5:
            out.append(struct.unpack_from("<I", data, pos + 1)[0] * 3)
    return out


def scan_xlsb_sheet(data: bytes, lengths: list[int]) -> SheetCost:
    """Rows, grid bound, text bound and error cells of one binary worksheet part.

    The part is complete when its records reach BrtEndSheetData, where calamine stops too; a
    truncated or garbled part ends before it, or with a record running past its end.
    """
    cost = SheetCost(complete=False)
    row = 0
    last_row = last_col = 0
    rows: set[int] = set()
    longest = max(lengths, default=0)
    unpack = struct.unpack_from
    size = len(data)
    for rtype, pos, length in _xlsb_records(data):
        if pos + length > size:
            break
        if rtype == _XLSB_END_SHEET_DATA:
            cost.complete = True
            break
        if rtype == _XLSB_ROW_HDR and length >= 4:
            row = unpack("<I", data, pos)[0]
        elif rtype in _XLSB_CELLS and length >= 8:
            if rtype == 1:
                continue
            col = unpack("<I", data, pos)[0]
            rows.add(row)
            last_row = max(last_row, row + 1)
            last_col = max(last_col, col + 1)
            if rtype in _XLSB_ERRORS:
                cost.errors += 1
            elif rtype == 7 and length >= 12:  # BrtCellIsst
                i = unpack("<I", data, pos + 8)[0]
                cost.text_bytes += (lengths[i] if i < len(lengths) else longest) + BYTES_PER_STRING
            elif rtype in (6, 8):  # BrtCellSt, BrtFmlaString
                cost.text_bytes += length * 2 + BYTES_PER_STRING
    cost.rows = len(rows)
    cost.grid_cells = last_row * last_col
    cost.last_cell = (last_row, last_col)
    return cost
