"""A small writer of real .xlsb workbooks (BIFF12, [MS-XLSB]) for the ingest tests.

No Python library writes .xlsb and LibreOffice has no export filter for it, so the tests build
the package themselves: an OPC zip ([MS-XLSB] 2.1 Package) of binary parts made of records
(2.1.4 Record), the parts being Workbook (2.1.7.61), Worksheet (2.1.7.62), Styles (2.1.7.50)
and Shared Strings (2.1.7.45). Values are encoded the way Excel stores them: numbers that an
RkNumber holds exactly as BrtCellRk, other numbers as BrtCellReal, text as BrtCellIsst into the
shared string table, dates as serials (1900 date system) in cells whose BrtXF points at a date
BrtFmt. Record layouts and choices were compared with workbooks saved by Excel (calamine's test
files) and are checked against two independent readers, python-calamine and pyxlsb
(tests/ingest/test_ingest_xlsb.py): a file both read alike is a real .xlsb.
"""

from __future__ import annotations

import math
import struct
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

# -- [MS-XLSB] 2.3 Record Enumeration (the records this writer uses) --------------------------------
BRT_ROW_HDR, BRT_CELL_BLANK, BRT_CELL_RK, BRT_CELL_ERROR = 0, 1, 2, 3
BRT_CELL_BOOL, BRT_CELL_REAL, BRT_CELL_ISST = 4, 5, 7
BRT_SST_ITEM = 19
BRT_FONT, BRT_FMT, BRT_FILL, BRT_BORDER, BRT_XF, BRT_STYLE = 43, 44, 45, 46, 47, 48
BRT_BEGIN_SHEET, BRT_END_SHEET, BRT_BEGIN_BOOK, BRT_END_BOOK = 129, 130, 131, 132
BRT_BEGIN_BUNDLE_SHS, BRT_END_BUNDLE_SHS = 143, 144
BRT_BEGIN_SHEET_DATA, BRT_END_SHEET_DATA, BRT_WS_DIM = 145, 146, 148
BRT_WB_PROP, BRT_BUNDLE_SH = 153, 156
BRT_BEGIN_SST, BRT_END_SST = 159, 160
BRT_BEGIN_STYLE_SHEET, BRT_END_STYLE_SHEET = 278, 279
BRT_BEGIN_DXFS, BRT_END_DXFS, BRT_BEGIN_TABLE_STYLES, BRT_END_TABLE_STYLES = 505, 506, 508, 509
BRT_BEGIN_FILLS, BRT_END_FILLS, BRT_BEGIN_FONTS, BRT_END_FONTS = 603, 604, 611, 612
BRT_BEGIN_BORDERS, BRT_END_BORDERS, BRT_BEGIN_FMTS, BRT_END_FMTS = 613, 614, 615, 616
BRT_BEGIN_CELL_XFS, BRT_END_CELL_XFS, BRT_BEGIN_STYLES, BRT_END_STYLES = 617, 618, 619, 620
BRT_BEGIN_CELL_STYLE_XFS, BRT_END_CELL_STYLE_XFS = 626, 627

# -- [MS-XLSB] 2.5.97.2 BErr: error values of BrtCellError ------------------------------------------
ERROR_CODES = {
    "#NULL!": 0x00, "#DIV/0!": 0x07, "#VALUE!": 0x0F, "#REF!": 0x17,
    "#NAME?": 0x1D, "#NUM!": 0x24, "#N/A": 0x2A, "#GETTING_DATA": 0x2B,
}  # fmt: skip

# Cell XFs of the Styles part: 0 General, 1 a date, 2 a date and time (custom formats from 164 on)
XF_GENERAL, XF_DATE, XF_DATETIME = 0, 1, 2
NUMBER_FORMATS = {164: "yyyy-mm-dd", 165: "yyyy-mm-dd hh:mm:ss"}
_XF_FORMATS = (0, 164, 165)
_EPOCH = datetime(1899, 12, 30)  # serial 0 of the 1900 date system, past its 1900-02-29 (serial 60)


@dataclass(frozen=True)
class CellError:
    """An error value written as BrtCellError, e.g. `CellError("#N/A")`."""

    text: str


class _Blank:
    def __repr__(self) -> str:
        return "BLANK"


BLANK = _Blank()
"""A cell with formatting and no value (BrtCellBlank); `None` writes no cell at all."""


def record(rtype: int, data: bytes = b"") -> bytes:
    """One record ([MS-XLSB] 2.1.4): type in 1-2 bytes and size in 1-4 bytes, 7 bits per byte, the
    high bit saying another byte follows; then the record data."""
    if not 0 <= rtype < 16384 or len(data) >= 2**28:
        raise ValueError(f"record type {rtype} or size {len(data)} out of range")
    head = bytearray([rtype]) if rtype < 128 else bytearray([0x80 | (rtype & 0x7F), rtype >> 7])
    size = len(data)
    while True:
        byte, size = size & 0x7F, size >> 7
        head.append(byte | (0x80 if size else 0))
        if not size:
            return bytes(head) + data


def wide_string(text: str | None) -> bytes:
    """XLWideString / XLNullableWideString (2.5.166, 2.5.167): UTF-16 code units counted in 4 bytes
    (0xFFFFFFFF for null), then the UTF-16LE text."""
    if text is None:
        return struct.pack("<I", 0xFFFFFFFF)
    raw = text.encode("utf-16-le")
    return struct.pack("<I", len(raw) // 2) + raw


def _u32(*values: int) -> bytes:
    return struct.pack(f"<{len(values)}I", *values)


def excel_serial(value: date | datetime) -> float:
    """Days since 1899-12-30 with the time as a fraction (dates from 1900-03-01 on)."""
    moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    if moment < datetime(1900, 3, 1):
        raise ValueError("dates before 1900-03-01 need the 1900 leap-year quirk; not written here")
    delta = moment - _EPOCH
    return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400


def rk_number(value: float) -> int | None:
    """The RkNumber (2.5.122) holding `value` exactly, else None, tried in Excel's order.

    Bit 0 fX100 (divide by 100), bit 1 fInt (a 30-bit signed integer, else the 30 high bits of an
    IEEE double whose other 34 bits are zero). Like Excel, the double form comes before the
    integer form (Excel stores 1, 15 and the date 44197 as doubles), unscaled before x100.
    """
    if not math.isfinite(value):
        return None
    for x100, scaled in ((0, value), (1, value * 100)):
        bits = struct.unpack("<Q", struct.pack("<d", scaled))[0]
        if bits & 0x3_FFFF_FFFF == 0 and (scaled / 100 if x100 else scaled) == value:
            return (bits >> 32) | x100
        if scaled.is_integer() and -(2**29) <= scaled < 2**29:
            n = int(scaled)
            if (n / 100 if x100 else float(n)) == value:
                return ((n << 2) & 0xFFFFFFFF) | 0x2 | x100
    return None


class _Strings:
    """The shared string table (2.1.7.45): each distinct text once, cells refer by index."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.uses = 0

    def add(self, text: str) -> int:
        self.uses += 1
        return self.index.setdefault(text, len(self.index))

    def part(self) -> bytes:
        items = b"".join(record(BRT_SST_ITEM, b"\x00" + wide_string(t)) for t in self.index)  # RichStr
        return record(BRT_BEGIN_SST, _u32(self.uses, len(self.index))) + items + record(BRT_END_SST)


def _cell(col: int, value: Any, strings: _Strings) -> bytes:
    """One cell record: Cell (2.5.10: column, 24-bit iStyleRef, flags) plus its value."""

    def cell(rtype: int, xf: int, payload: bytes = b"") -> bytes:
        return record(rtype, _u32(col, xf & 0xFFFFFF) + payload)

    if value is BLANK:
        return cell(BRT_CELL_BLANK, XF_GENERAL)
    if isinstance(value, CellError):
        return cell(BRT_CELL_ERROR, XF_GENERAL, bytes([ERROR_CODES[value.text]]))
    if isinstance(value, bool):
        return cell(BRT_CELL_BOOL, XF_GENERAL, bytes([value]))
    if isinstance(value, str):
        return cell(BRT_CELL_ISST, XF_GENERAL, _u32(strings.add(value)))
    xf = XF_GENERAL
    if isinstance(value, date):
        xf = XF_DATETIME if isinstance(value, datetime) else XF_DATE
        value = excel_serial(value)
    if isinstance(value, int | float):
        rk = rk_number(float(value))
        if rk is not None:
            return cell(BRT_CELL_RK, xf, _u32(rk))
        return cell(BRT_CELL_REAL, xf, struct.pack("<d", float(value)))
    raise TypeError(f"cannot write a {type(value).__name__} cell")


def _row_header(row: int, cols: list[int]) -> bytes:
    """BrtRowHdr: row, XF, height (15 pt in twips), three flag bytes, BrtColSpans per 1024 columns."""
    spans: dict[int, list[int]] = {}
    for c in cols:
        spans.setdefault(c // 1024, []).append(c)
    body = b"".join(_u32(min(v), max(v)) for _, v in sorted(spans.items()))
    return record(BRT_ROW_HDR, _u32(row, 0) + struct.pack("<H3B", 300, 0, 0, 0) + _u32(len(spans)) + body)


def _sheet_part(rows: Sequence[Sequence[Any]], strings: _Strings) -> bytes:
    """Worksheet part: BrtBeginSheet, BrtWsDim (used range), the cell table, BrtEndSheet."""
    cells = [[(c, v) for c, v in enumerate(row) if v is not None] for row in rows]
    used = [r for r, row in enumerate(cells) if row]
    first_col = min((row[0][0] for row in cells if row), default=0)
    last_col = max((row[-1][0] for row in cells if row), default=0)
    dim = _u32(used[0] if used else 0, used[-1] if used else 0, first_col, last_col)  # RfX
    out = [record(BRT_BEGIN_SHEET), record(BRT_WS_DIM, dim), record(BRT_BEGIN_SHEET_DATA)]
    for r in used:
        out.append(_row_header(r, [c for c, _ in cells[r]]))
        out.extend(_cell(c, v, strings) for c, v in cells[r])
    out += [record(BRT_END_SHEET_DATA), record(BRT_END_SHEET)]
    return b"".join(out)


def _workbook_part(titles: Sequence[str], hidden: Sequence[str]) -> bytes:
    """Workbook part: BrtBeginBook, BrtWbProp (1900 dates), BrtBundleSh per sheet, BrtEndBook."""
    out = [
        record(BRT_BEGIN_BOOK),
        record(BRT_WB_PROP, _u32(0, 0) + wide_string("")),
        record(BRT_BEGIN_BUNDLE_SHS),
    ]
    for i, title in enumerate(titles, start=1):
        if not 0 < len(title) <= 31:
            raise ValueError(f"sheet name {title!r} must have 1 to 31 characters")
        state = 1 if title in hidden else 0  # hsState: visible, hidden
        out.append(record(BRT_BUNDLE_SH, _u32(state, i) + wide_string(f"rId{i}") + wide_string(title)))
    out += [record(BRT_END_BUNDLE_SHS), record(BRT_END_BOOK)]
    return b"".join(out)


def _xf(parent: int, fmt: int) -> bytes:
    """BrtXF: parent style XF, number format, font/fill/border 0, no rotation or indent, bottom
    aligned and locked (as Excel's Normal style); xfGrbitAtr marks a number format of the cell's own."""
    own = 0x0001 if fmt else 0  # ibitAtrNum
    return record(BRT_XF, struct.pack("<5H2B2H", parent, fmt, 0, 0, 0, 0, 0, 0x1010, own))


def _styles_part() -> bytes:
    """Styles part: number formats, one font, the two fills every workbook has, one border, the
    Normal cell style and its XF, the cell XFs (General, date, date-time), no DXFs or table styles."""

    # BrtColor: fValidRGB bit and xColorType (0 auto, 1 indexed, 3 theme), index, tint, RGBA
    def colour(kind: int, index: int, rgba: bytes = b"\x00\x00\x00\xff") -> bytes:
        return bytes([kind << 1 | 1, index, 0, 0]) + rgba

    font = struct.pack("<4H4B", 220, 0, 400, 0, 0, 2, 1, 0)  # 11 pt, regular, swiss family, charset 1
    font += colour(3, 1) + bytes([2]) + wide_string("Calibri")  # text colour of the theme, minor scheme
    blxf = bytes(2) + colour(0, 0, bytes(4))  # Blxf: no line, automatic colour

    def fill(pattern: int) -> bytes:  # BrtFill: pattern, system fore/background, no gradient
        return _u32(pattern) + colour(1, 64) + colour(1, 65, b"\xff" * 4) + bytes(4 + 8 * 5 + 4)

    parts = [
        record(BRT_BEGIN_STYLE_SHEET),
        record(BRT_BEGIN_FMTS, _u32(len(NUMBER_FORMATS))),
        *(record(BRT_FMT, struct.pack("<H", i) + wide_string(code)) for i, code in NUMBER_FORMATS.items()),
        record(BRT_END_FMTS),
        record(BRT_BEGIN_FONTS, _u32(1)), record(BRT_FONT, font), record(BRT_END_FONTS),
        # the fills none and gray125
        record(BRT_BEGIN_FILLS, _u32(2)), record(BRT_FILL, fill(0)), record(BRT_FILL, fill(17)),
        record(BRT_END_FILLS),
        record(BRT_BEGIN_BORDERS, _u32(1)), record(BRT_BORDER, b"\x00" + blxf * 5), record(BRT_END_BORDERS),
        record(BRT_BEGIN_CELL_STYLE_XFS, _u32(1)), _xf(0xFFFF, 0), record(BRT_END_CELL_STYLE_XFS),
        record(BRT_BEGIN_CELL_XFS, _u32(len(_XF_FORMATS))), *(_xf(0, f) for f in _XF_FORMATS),
        record(BRT_END_CELL_XFS),
        record(BRT_BEGIN_STYLES, _u32(1)),
        # the built-in Normal style: fBuiltIn, iStyBuiltIn 0, iLevel 0xFF (not an outline style)
        record(BRT_STYLE, _u32(0) + struct.pack("<H2B", 1, 0, 0xFF) + wide_string("Normal")),
        record(BRT_END_STYLES),
        record(BRT_BEGIN_DXFS, _u32(0)), record(BRT_END_DXFS),
        record(BRT_BEGIN_TABLE_STYLES, _u32(0) + wide_string(_TABLE_STYLE) + wide_string(_PIVOT_STYLE)),
        record(BRT_END_TABLE_STYLES),
        record(BRT_END_STYLE_SHEET),
    ]  # fmt: skip
    return b"".join(parts)


_TABLE_STYLE, _PIVOT_STYLE = "TableStyleMedium2", "PivotStyleLight16"  # defaults for new tables
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


def _content_types(n: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.bin" ContentType="application/vnd.ms-excel.worksheet"/>'
        for i in range(1, n + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f"{sheets}"
        '<Override PartName="/xl/styles.bin" ContentType="application/vnd.ms-excel.styles"/>'
        '<Override PartName="/xl/sharedStrings.bin" ContentType="application/vnd.ms-excel.sharedStrings"/>'
        "</Types>"
    )


def _rels(items: list[tuple[str, str, str]]) -> str:
    body = "".join(f'<Relationship Id="{i}" Type="{t}" Target="{target}"/>' for i, t, target in items)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{_PKG_REL}">{body}</Relationships>'
    )


def write_xlsb(path: Path, sheets: dict[str, Sequence[Sequence[Any]]], *, hidden: Sequence[str] = ()) -> Path:
    """Write `sheets` (title -> rows of cells) as an .xlsb workbook at `path`.

    Cells: None (no cell), BLANK, bool, int, float, str, date, datetime or CellError("#N/A").
    """
    strings = _Strings()
    titles = list(sheets)
    parts = {
        f"xl/worksheets/sheet{i}.bin": _sheet_part(rows, strings) for i, rows in enumerate(sheets.values(), 1)
    }
    n = len(titles)
    book_rels = [(f"rId{i}", f"{_REL}/worksheet", f"worksheets/sheet{i}.bin") for i in range(1, n + 1)]
    book_rels += [(f"rId{n + 1}", f"{_REL}/styles", "styles.bin")]
    book_rels += [(f"rId{n + 2}", f"{_REL}/sharedStrings", "sharedStrings.bin")]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _content_types(n))
        zf.writestr("_rels/.rels", _rels([("rId1", f"{_REL}/officeDocument", "xl/workbook.bin")]))
        zf.writestr("xl/workbook.bin", _workbook_part(titles, hidden))
        zf.writestr("xl/_rels/workbook.bin.rels", _rels(book_rels))
        for name, data in parts.items():
            zf.writestr(name, data)
        zf.writestr("xl/styles.bin", _styles_part())
        zf.writestr("xl/sharedStrings.bin", strings.part())
    return path
