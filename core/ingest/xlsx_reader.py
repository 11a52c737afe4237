"""Workbooks (.xlsx/.xlsm/.xlsb/.xls/.ods) through python-calamine (Rust), one row at a time.

Before calamine sees a byte, the file is vetted: ZIP packages for zip bombs (sizes and ratio per
part, from the directory), XML parts for DTDs and entities, workbook parts for the memory they
would take (`safety.check_workbook_parts`), and the chosen sheet, in one pass, for the grid and
text calamine would hold and what surrounds its cells (`workbook_scan`). Encrypted workbooks are
refused by name. Every calamine failure becomes one `UserInputError` naming file and sheet.
Cells come back as text: numbers as Excel shows them (15 significant digits, whole numbers
without ".0"), dates as ISO 8601, booleans as TRUE/FALSE, error values (#N/A, #DIV/0! …) as
empty, counted in `TableInfo.warnings`.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator, Set
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from core.errors import UserInputError
from core.ingest import safety, workbook_scan
from core.ingest.detect import ENCRYPTED_HINT, display_name, workbook_kind, workbook_type
from core.ingest.headers import scan_header, unique_columns
from core.ingest.model import TableInfo
from core.ingest.safety import check_archive, check_workbook_parts, check_xml_prologs
from core.ingest.table import Table
from core.ingest.workbook_scan import SheetCost

RVTOOLS_MAIN_SHEET = "vinfo"
MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    "xlsb": "application/vnd.ms-excel.sheet.binary.macroEnabled.12",
    "xls": "application/vnd.ms-excel",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
MIME_XLSX = MIME["xlsx"]
MIME_XLSM = MIME["xlsm"]
_READER = {"xlsx": "xlsx", "xlsm": "xlsx", "xlsb": "xlsb", "xls": "xls", "ods": "ods"}
_CALAMINE_READER = {
    ".xls": "xls", ".xla": "xls", ".xlsx": "xlsx", ".xlsm": "xlsx", ".xlam": "xlsx", ".xlsb": "xlsb",
    ".ods": "ods",
}  # fmt: skip
"""The reader calamine's `from_path` takes for a file name's (case-sensitive) suffix; for others
it tries each reader on the content."""
_EXCEL_HINT = "open it in Excel and save it again, or export the sheet as CSV"
_INT_EXACT = 2**53


def number_text(value: float) -> str:
    """A float as Excel shows it: at most 15 significant digits, whole numbers without ".0".

    Excel keeps 15 significant digits, so digits beyond are noise from binary floating point
    (0.1 + 0.2 is stored as 0.30000000000000004 and shown as 0.3).
    """
    if value.is_integer() and abs(value) < _INT_EXACT:
        return str(int(value))
    if value != value or value in (float("inf"), float("-inf")):
        return ""
    return format(value, ".15g")


def cell_text(value: Any) -> str:
    """Text for a python-calamine cell value (calamine gives "" for empty and error cells)."""
    kind = type(value)
    if kind is str:
        return value
    if kind is float:
        return number_text(value)
    if kind is int:
        return str(value)
    if kind is bool:
        return "TRUE" if value else "FALSE"
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is None and value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        total = (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
        sign = "-" if total < 0 else ""
        whole, micro = divmod(abs(total), 1_000_000)
        hours, rest = divmod(whole, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}" + (f".{micro:06d}" if micro else "")
    return str(value)


_MEMO_NUMBERS = 100_000


def _cell_converter() -> Callable[[Any], str]:
    """`cell_text` remembering the text of numbers: exports repeat the same few (CPU counts, sizes,
    flags) in every row, and formatting one costs several times a dictionary look-up."""
    numbers: dict[float, str] = {}
    memo = numbers.get

    def convert(value: Any) -> str:
        if type(value) is float:
            text = memo(value)
            if text is None:
                text = number_text(value)
                if len(numbers) < _MEMO_NUMBERS:
                    numbers[value] = text
            return text
        return cell_text(value)

    return convert


@dataclass
class _Vetted:
    """What the pre-read checks learnt: sheet costs (when known up front) and how to cost a sheet."""

    kind: str
    costs: dict[str, SheetCost] = field(default_factory=dict)
    parts: dict[str, str] = field(default_factory=dict)  # xlsx/xlsb: sheet title -> part name
    longest_string: int = 0
    string_lengths: list[int] = field(default_factory=list)
    shared_part: str | None = None


def _refuse_encrypted(display: str) -> UserInputError:
    return UserInputError("is a password-protected (encrypted) workbook", file=display, hint=ENCRYPTED_HINT)


_UNREADABLE = {
    "xlsx": "is not a readable Excel workbook (damaged, incomplete or not really .xlsx)",
    "xlsm": "is not a readable Excel workbook (damaged, incomplete or not really .xlsm)",
    "xlsb": "is not a readable binary Excel workbook (.xlsb): damaged or incomplete",
    "xls": "is not a readable Excel 97-2003 workbook (.xls): damaged or incomplete",
    "ods": "is not a readable OpenDocument spreadsheet (.ods): damaged or incomplete",
}


def _unreadable(kind: str, display: str, error: BaseException | None = None) -> UserInputError:
    details = {"error": f"{type(error).__name__}: {str(error)[:300]}"} if error is not None else {}
    return UserInputError(
        _UNREADABLE.get(kind, _UNREADABLE["xlsx"]), file=display, hint=_EXCEL_HINT, details=details
    )


def _vet_zip(path: Path, kind: str, display: str) -> _Vetted:
    vetted = _Vetted(kind)
    try:
        with zipfile.ZipFile(path) as zf:
            check_archive(zf, display)
            if kind == "ods":
                _vet_ods(zf, display, vetted)
                return vetted
            if workbook_kind(zf) is None:
                raise UserInputError(
                    "is not a readable Excel workbook (no workbook part inside)",
                    file=display,
                    hint=_EXCEL_HINT,
                )
            if kind == "xlsb":
                _vet_xlsb(zf, display, vetted)
                return vetted
            check_xml_prologs(zf, display)
            checked = check_workbook_parts(zf, display)
            parts = checked.parts
            vetted.parts = {title: name for name, title in parts.worksheets.items() if title}
            if parts.shared_strings:
                sst = parts.shared_strings[0]
                vetted.shared_part = sst.filename
                vetted.longest_string = checked.longest_string[sst.filename]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise _unreadable(kind, display, exc) from None
    return vetted


def _vet_ods(zf: zipfile.ZipFile, display: str, vetted: _Vetted) -> None:
    names = {i.filename: i for i in zf.infolist()}
    manifest = names.get("META-INF/manifest.xml")
    small = manifest is not None and manifest.file_size < safety.MAX_STRUCTURE_PART_BYTES
    if manifest is not None and small and b"encryption-data" in zf.read(manifest):
        raise _refuse_encrypted(display)
    check_xml_prologs(zf, display)
    content = names.get("content.xml")
    if content is None:
        raise _unreadable("ods", display)
    for info in zf.infolist():
        if info.filename != "content.xml" and info.file_size > safety.MAX_STRUCTURE_PART_BYTES:
            raise UserInputError(
                f"the part {info.filename!r} would expand to {info.file_size / 1024**2:,.1f} MB, too large; "
                "refused before reading",
                file=display,
                hint=_EXCEL_HINT,
                details={"part": info.filename, "size": info.file_size},
            )
    if content.file_size > safety.MAX_WORKSHEET_BYTES:
        raise UserInputError(
            f"the spreadsheet content would expand to {content.file_size / 1024**2:,.0f} MB, too large: at "
            f"most {safety.MAX_WORKSHEET_BYTES // 1024**2:,} MB; refused before reading",
            file=display,
            hint=workbook_scan.CSV_HINT,
            details={"part": "content.xml", "size": content.file_size},
        )
    vetted.costs = workbook_scan.scan_ods(zf, content)
    for title, cost in vetted.costs.items():  # calamine reads every table when it opens the file
        workbook_scan.check_cost(cost, display, title)


def _vet_xlsb(zf: zipfile.ZipFile, display: str, vetted: _Vetted) -> None:
    check_xml_prologs(zf, display)
    infos = {i.filename.lower(): i for i in zf.infolist()}
    for info in zf.infolist():
        limit = safety.MAX_WORKSHEET_BYTES if info.filename.lower().startswith("xl/worksheets/") else None
        limit = limit or safety.MAX_SHARED_STRINGS_BYTES
        if info.file_size > limit:
            raise UserInputError(
                f"the workbook part {info.filename!r} would expand to {info.file_size / 1024**2:,.1f} MB, "
                "too large; refused before reading",
                file=display,
                hint=workbook_scan.CSV_HINT,
                details={"part": info.filename, "size": info.file_size, "limit": limit},
            )
    sst = infos.get("xl/sharedstrings.bin")
    if sst is not None:
        vetted.string_lengths = workbook_scan.xlsb_string_lengths(zf.read(sst))
    vetted.parts = _xlsb_sheet_parts(zf)


def _xlsb_sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title -> part name, from workbook.bin's BrtBundleSh records and the relationships."""
    import struct

    from core.ingest.safety import _xml_attrs

    names = {i.filename.lower(): i.filename for i in zf.infolist()}
    rels = {
        r.get("Id", ""): r.get("Target", "")
        for r in _xml_attrs(zf.read(names["xl/_rels/workbook.bin.rels"]), "Relationship")
    } if "xl/_rels/workbook.bin.rels" in names else {}  # fmt: skip
    data = zf.read(names["xl/workbook.bin"]) if "xl/workbook.bin" in names else b""
    out: dict[str, str] = {}
    for rtype, pos, length in workbook_scan._xlsb_records(data):
        if rtype != 156 or length < 12:  # BrtBundleSh: hsState, iTabID, strRelID, strName
            continue
        at = pos + 8
        n = struct.unpack_from("<I", data, at)[0]
        rid = data[at + 4 : at + 4 + 2 * n].decode("utf-16-le", "replace") if n != 0xFFFFFFFF else ""
        at += 4 + (2 * n if n != 0xFFFFFFFF else 0)
        n = struct.unpack_from("<I", data, at)[0]
        title = data[at + 4 : at + 4 + 2 * n].decode("utf-16-le", "replace")
        target = rels.get(rid, "")
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        if part.lower() in names:
            out[title] = names[part.lower()]
    return out


def _vet_xls(path: Path, display: str) -> _Vetted:
    vetted = _Vetted("xls")
    try:
        stream = workbook_scan.read_xls_stream(path)
    except Exception as exc:  # olefile: damaged compound file
        raise _unreadable("xls", display, exc) from None
    if stream is None:
        raise _unreadable("xls", display)
    if len(stream) > safety.MAX_WORKSHEET_BYTES:
        raise UserInputError(
            f"the workbook stream is {len(stream) / 1024**2:,.0f} MB, too large; refused before reading",
            file=display,
            hint=workbook_scan.CSV_HINT,
        )
    encrypted, vetted.costs = workbook_scan.scan_xls(stream)
    if encrypted:
        raise _refuse_encrypted(display)
    grid = sum(c.grid_cells for c in vetted.costs.values())
    text = sum(c.text_bytes for c in vetted.costs.values())
    # calamine parses every sheet at open and keeps them: the whole workbook counts as one sheet
    total = SheetCost(grid_cells=grid, text_bytes=text)
    if vetted.costs:
        biggest = max(vetted.costs, key=lambda t: vetted.costs[t].grid_cells)
        total.last_cell = vetted.costs[biggest].last_cell
        for title, cost in vetted.costs.items():
            workbook_scan.check_cost(cost, display, title)
        workbook_scan.check_cost(total, display, biggest)
    return vetted


def _vet(path: Path, kind: str, display: str) -> _Vetted:
    if kind == "xls":
        return _vet_xls(path, display)
    return _vet_zip(path, kind, display)


def _sheet_cost(path: Path, vetted: _Vetted, title: str, display: str) -> SheetCost:
    """The chosen sheet's cost (xlsx/xlsb scan it now; xls/ods were scanned whole)."""
    if title in vetted.costs:
        return vetted.costs[title]
    part = vetted.parts.get(title)
    if part is None:
        return SheetCost()
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(part)
        if vetted.kind == "xlsb":
            cost = workbook_scan.scan_xlsb_sheet(zf.read(info), vetted.string_lengths)
        else:
            cost = workbook_scan.scan_xlsx_sheet(
                zf, info, longest_string=vetted.longest_string, display=display, sheet=title
            )
            if cost.text_bytes > workbook_scan.MAX_SHEET_TEXT_BYTES and vetted.shared_part:
                spans = workbook_scan.shared_string_spans(zf, zf.getinfo(vetted.shared_part))
                cost.text_bytes = workbook_scan.exact_xlsx_text(zf, info, spans)
    vetted.costs[title] = cost
    return cost


def _calamine_error(exc: BaseException, kind: str, display: str, sheet: str | None = None) -> UserInputError:
    import python_calamine

    if isinstance(exc, python_calamine.PasswordError):
        return _refuse_encrypted(display)
    if sheet is not None:
        return UserInputError(
            "the sheet is damaged and cannot be read",
            file=display,
            sheet=sheet,
            hint=_EXCEL_HINT,
            details={"error": f"{type(exc).__name__}: {str(exc)[:300]}"},
        )
    return _unreadable(kind, display, exc)


def _row_counts(path: Path, vetted: _Vetted, names: list[str], workbook: Any) -> dict[str, int]:
    """Rows per sheet for the sheet list: scanned counts, else the xlsx dimension or row elements."""
    counts: dict[str, int] = {}
    if vetted.kind in ("xlsx", "xlsm") and vetted.parts:
        with zipfile.ZipFile(path) as zf:
            for title in names:
                if title in vetted.costs:
                    counts[title] = vetted.costs[title].rows
                elif title in vetted.parts:
                    counts[title] = workbook_scan.xlsx_row_count(zf, zf.getinfo(vetted.parts[title]))
        return counts
    if vetted.kind == "xlsb":
        for title in names:
            if title not in vetted.costs:
                try:
                    _sheet_cost(path, vetted, title, display_name(path))
                except (KeyError, zipfile.BadZipFile):
                    continue
    for title in names:
        if title in vetted.costs:
            counts[title] = vetted.costs[title].rows
    return counts


def _choose_sheet(
    names: list[str], visible: list[str], rows: dict[str, int], requested: str | None, display: str,
    widths: dict[str, int], damaged: Set[str] = frozenset(),
) -> tuple[str, str]:  # fmt: skip
    if requested is not None:
        for title in names:
            if title == requested:
                return title, f"sheet {title!r} (given)"
        for title in names:
            if title.casefold() == requested.strip().casefold():
                return title, f"sheet {title!r} (given)"
        raise UserInputError(
            f"the workbook has no sheet {requested!r}",
            file=display,
            hint="choose one of: " + ", ".join(repr(n) for n in names),
        )
    for title in names:
        if title.strip().casefold() == RVTOOLS_MAIN_SHEET:
            return title, f"sheet {title!r} (RVTools main sheet)"
    candidates = visible or names
    for title in candidates:  # it may be the sheet meant: its damage is reported, no other read instead
        if title in damaged:
            return title, f"sheet {title!r} (damaged)"
    best: tuple[int, str] | None = None
    for title in candidates:
        size = rows.get(title, 0) * max(widths.get(title, 1), 1)
        if rows.get(title, 0) < 2:
            continue
        if best is None or size > best[0]:
            best = (size, title)
    if best is None:
        return candidates[0], f"sheet {candidates[0]!r} (first sheet)"
    return best[1], f"sheet {best[1]!r} (largest of {len(candidates)} sheets)"


def _widths(path: Path, vetted: _Vetted, names: list[str]) -> dict[str, int]:
    """Columns per sheet, known without reading it: the xlsx dimension, else the scanned grid."""
    out = {t: c.last_cell[1] for t, c in vetted.costs.items() if c.last_cell[1]}
    if vetted.kind in ("xlsx", "xlsm") and vetted.parts:
        with zipfile.ZipFile(path) as zf:
            for title in names:
                part = vetted.parts.get(title)
                if part is None or title in out:
                    continue
                with zf.open(part) as fh:
                    m = workbook_scan._DIMENSION.search(fh.read(64 * 1024))
                if m is not None:
                    out[title] = workbook_scan.column_number(m.group(1))
    return out


_PARSED_AT_OPEN = frozenset({"xls", "ods"})
"""Formats calamine parses whole when it opens them (.xlsx/.xlsb sheets wait for get_sheet)."""


def _open(
    path: Path, display: str, while_parsing: Callable[[], object] | None = None
) -> tuple[Any, _Vetted, list[str], list[str]]:
    """Vet, then open with calamine: (workbook, vetted facts, sheet names, visible sheet names).

    `while_parsing` is called just before calamine opens a workbook it parses whole at once.
    """
    import python_calamine

    kind = workbook_type(path)
    vetted = _vet(path, kind, display)
    if while_parsing is not None and kind in _PARSED_AT_OPEN:
        while_parsing()
    try:
        if _CALAMINE_READER.get(path.suffix, _READER[kind]) == _READER[kind]:
            workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        else:  # a disguised workbook: calamine would pick its reader by the name, so it reads the bytes
            with path.open("rb") as fh:
                workbook = python_calamine.CalamineWorkbook.from_filelike(fh)
        metadata = workbook.sheets_metadata
    except python_calamine.CalamineError as exc:
        raise _calamine_error(exc, kind, display) from None
    except Exception as exc:  # calamine's Rust errors arrive as CalamineError; anything else is damage too
        raise _unreadable(kind, display, exc) from None
    worksheets = [m for m in metadata if m.typ == python_calamine.SheetTypeEnum.WorkSheet] or list(metadata)
    names = [m.name for m in worksheets]
    visible = [m.name for m in worksheets if m.visible == python_calamine.SheetVisibleEnum.Visible]
    if not names:
        workbook.close()
        raise UserInputError("the workbook has no worksheets", file=display, hint=_EXCEL_HINT)
    return workbook, vetted, names, visible


def workbook_sheets(path: str | Path) -> list[tuple[str, int]]:
    """(sheet name, rows) of every worksheet, in workbook order, for a sheet list.

    Rows are the sheet's used rows (header included) as far as they are known without reading
    cells: exact for .xls/.ods/.xlsb, the writer's `<dimension>` (else the row elements) for
    .xlsx. Vets the file like `open_table` and raises the same `UserInputError`s.
    """
    p = Path(path)
    workbook, vetted, names, _visible = _open(p, display_name(p))
    try:
        counts = _row_counts(p, vetted, names, workbook)
    finally:
        workbook.close()
    return [(n, counts.get(n, 0)) for n in names]


def open_xlsx(
    path: Path,
    *,
    display: str,
    sheet: str | None = None,
    header_row: int | None = None,
    skip_bad_rows: bool = False,
    while_parsing: Callable[[], object] | None = None,
) -> Table:
    """Open a sheet of any workbook (default: RVTools `vInfo`, else the largest data sheet).

    `while_parsing` is called right before calamine parses the chosen sheet, or the whole .xls or
    .ods workbook when it opens it (see `open_table`).
    """
    import python_calamine

    workbook, vetted, names, visible = _open(path, display, while_parsing)
    kind = vetted.kind
    try:
        rows_by_sheet = _row_counts(path, vetted, names, workbook)
        damaged = {t for t, c in vetted.costs.items() if not c.complete}
        title, note = _choose_sheet(
            names, visible, rows_by_sheet, sheet, display, _widths(path, vetted, names), damaged
        )
        cost = _sheet_cost(path, vetted, title, display)
        workbook_scan.check_cost(cost, display, title)
        if not cost.complete:
            raise UserInputError(
                "the sheet is damaged and cannot be read (its data ends without closing)",
                file=display,
                sheet=title,
                hint=_EXCEL_HINT,
            )
        if while_parsing is not None and kind not in _PARSED_AT_OPEN:
            while_parsing()
        try:
            calamine_sheet = workbook.get_sheet_by_name(title)
        except python_calamine.CalamineError as exc:
            raise _calamine_error(exc, kind, display, sheet=title) from None
        except Exception as exc:
            raise _calamine_error(exc, kind, display, sheet=title) from None
        start = calamine_sheet.start or (0, 0)
        end = calamine_sheet.end or (-1, -1)
    except BaseException:
        workbook.close()
        raise

    # python-calamine's row iterator starts at row 1 (empty rows above the data included) but at
    # the data's first column: pad the columns left of it so letters and positions stay the sheet's
    pad = [""] * start[1]

    def rows() -> Iterator[tuple[int, list[str]]]:
        convert = _cell_converter()
        limit = safety.MAX_ROW_CHARS
        idx = 0
        try:
            for idx, values in enumerate(calamine_sheet.iter_rows(), start=1):
                cells = [v if type(v) is str else convert(v) for v in values]
                if pad:
                    cells = pad + cells
                chars = sum(map(len, cells))
                if chars > limit:
                    safety.check_row_chars(chars, display, title, idx)
                yield idx, cells
        except UserInputError:
            raise
        except Exception as exc:
            raise _calamine_error(exc, kind, display, sheet=title) from None

    try:
        top = rows()
        try:
            scan = scan_header(top, header_row=header_row, grid=True, display=display, sheet=title)
        finally:
            top.close()
        safety.check_column_count(scan.width, display, title, scan.header_index)
        columns, renamed = unique_columns(scan.header_cells, scan.width)
        last_row = end[0] + 1
        estimate = scan.data_rows_in_window if scan.reached_end else max(last_row - scan.header_index, 0)
        warnings: list[str] = []
        if cost.errors:
            warnings.append(
                f"{cost.errors:,} cell{'s' if cost.errors != 1 else ''} of sheet {title!r} hold an error "
                "value (#N/A, #DIV/0!, #VALUE! …); imported as empty"
            )
        info = TableInfo(
            path=path,
            format="xlsx",
            sheet=title,
            sheets=names,
            encoding=None,
            delimiter=None,
            quotechar=None,
            header_row=scan.header_index,
            columns=columns,
            renamed_headers=renamed,
            file_size=path.stat().st_size,
            mime_type=MIME[kind],
            total_rows_estimate=estimate,
            data_start_offset=None,
            notes=[note, scan.note],
            warnings=warnings,
            sheet_rows=rows_by_sheet,
            workbook_type=kind,
            error_cells=cost.errors,
        )
    except BaseException:
        workbook.close()
        raise
    return Table(
        info,
        rows,
        header_index=scan.header_index,
        grid=True,
        skip_bad_rows=skip_bad_rows,
        display=display,
        on_close=[workbook.close],
    )


open_workbook = open_xlsx
