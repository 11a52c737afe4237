"""Excel workbooks (.xlsx/.xlsm) through openpyxl in read-only mode, one row at a time.

The archive is vetted first (zip-bomb limits, no DTDs in XML parts); openpyxl then parses with
defusedxml, and every parser failure becomes one `UserInputError`. Cells come back as text:
numbers in their shortest exact form, dates as ISO 8601, booleans as TRUE/FALSE.
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import openpyxl
from defusedxml import DefusedXmlException
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from core.errors import MigrationDiscoveryError, UserInputError
from core.ingest.detect import workbook_kind
from core.ingest.headers import scan_header, unique_columns
from core.ingest.model import TableInfo
from core.ingest.safety import check_archive, check_xml_prologs
from core.ingest.table import Table

RVTOOLS_MAIN_SHEET = "vinfo"
MAX_SHEETS_SCORED = 10
SIZE_PROBE_ROWS = 500
MIME_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIME_XLSM = "application/vnd.ms-excel.sheet.macroEnabled.12"
_EXCEL_HINT = "open it in Excel and save it again as .xlsx, or export the sheet as CSV"


_DIMENSION_TAG = f"{{{SHEET_MAIN_NS}}}dimension"
_DATA_TAG = f"{{{SHEET_MAIN_NS}}}sheetData"


def _bounded_get_size(self: ReadOnlyWorksheet) -> None:
    """Read a sheet's `<dimension>` from its start only, stopping where `<sheetData>` begins.

    openpyxl's own version waits for the *end* of `<sheetData>` when a writer put no dimension
    first, i.e. parses every sheet completely inside `load_workbook` — with defusedxml's pure
    Python parser that is seconds per 10k rows, for every sheet. Same result, bounded work.
    """
    with self._get_source() as src:
        for _event, element in iterparse(src, events=("start",)):
            if element.tag == _DIMENSION_TAG:
                try:
                    bounds = range_boundaries(element.get("ref") or "")
                except (ValueError, TypeError):
                    return
                if None not in bounds:
                    self._min_column, self._min_row, self._max_column, self._max_row = bounds
                return
            if element.tag == _DATA_TAG:
                return


ReadOnlyWorksheet._get_size = _bounded_get_size  # type: ignore[method-assign]


def cell_text(value: Any) -> str:
    """Lossless text for an openpyxl cell value."""
    if value is None:
        return ""
    kind = type(value)
    if kind is str:
        return value
    if kind is bool:
        return "TRUE" if value else "FALSE"
    if kind is int:
        return str(value)
    if kind is float:
        if value.is_integer() and abs(value) < 2**53:  # beyond that digits would be invented
            return str(int(value))
        return repr(value)
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


def _root_cause(exc: BaseException) -> BaseException:
    """openpyxl re-raises parser errors as a generic ValueError; the cause tells what happened."""
    seen = exc
    for _ in range(20):
        nxt = seen.__cause__ or seen.__context__
        if nxt is None:
            break
        seen = nxt
    return seen


def _entity_attack(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(20):
        if seen is None:
            break
        if isinstance(seen, DefusedXmlException):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _workbook_error(
    exc: BaseException, display: str, sheet: str | None = None, row: int | None = None
) -> UserInputError:
    """Turn any openpyxl/zipfile/XML failure into the one message for that kind of damage."""
    cause = _root_cause(exc)
    error = f"{type(cause).__name__}: {str(cause)[:300]}"
    if _entity_attack(exc):
        return UserInputError(
            "the workbook's XML declares entities (possible XML entity attack); refused",
            file=display,
            sheet=sheet,
            row=row,
            hint=_EXCEL_HINT,
            details={"error": error},
        )
    if isinstance(exc, NotImplementedError):
        message = "the workbook uses a compression method that cannot be read"
    elif sheet:
        message = (
            f"the sheet is damaged and cannot be read (at about row {row})"
            if row
            else "the sheet is damaged and cannot be read"
        )
    else:
        message = "is not a readable Excel workbook (damaged, incomplete or not really .xlsx)"
    return UserInputError(
        message, file=display, sheet=sheet, row=row, hint=_EXCEL_HINT, details={"error": error}
    )


def _probe_size(ws: Any) -> tuple[int, int]:
    """(filled rows, columns) of a sheet: from its dimension tag, else a bounded scan."""
    if ws.max_row and ws.max_column and (ws.max_row > 1 or ws.max_column > 1):
        return ws.max_row - (ws.min_row or 1) + 1, ws.max_column - (ws.min_column or 1) + 1
    ws.reset_dimensions()
    rows = cols = 0
    for i, row in enumerate(ws.iter_rows(values_only=True)):
        if i >= SIZE_PROBE_ROWS:
            break
        span = max((j + 1 for j, v in enumerate(row) if v is not None and v != ""), default=0)
        if span:
            rows += 1
            cols = max(cols, span)
    return rows, cols


def _choose_sheet(worksheets: list[Any], requested: str | None, display: str) -> tuple[Any, str]:
    names = [ws.title for ws in worksheets]
    if requested is not None:
        for ws in worksheets:
            if ws.title == requested:
                return ws, f"sheet {ws.title!r} (given)"
        for ws in worksheets:
            if ws.title.casefold() == requested.strip().casefold():
                return ws, f"sheet {ws.title!r} (given)"
        raise UserInputError(
            f"the workbook has no sheet {requested!r}",
            file=display,
            hint="choose one of: " + ", ".join(repr(n) for n in names),
        )
    for ws in worksheets:
        if ws.title.strip().casefold() == RVTOOLS_MAIN_SHEET:
            return ws, f"sheet {ws.title!r} (RVTools main sheet)"
    visible = [ws for ws in worksheets if ws.sheet_state == "visible"] or worksheets
    best: tuple[int, Any] | None = None
    for ws in visible[:MAX_SHEETS_SCORED]:
        rows, cols = _probe_size(ws)
        if rows < 2 or cols < 2:
            continue  # cover, notes or empty sheet
        if best is None or rows * cols > best[0]:
            best = (rows * cols, ws)
    if best is None:
        return visible[0], f"sheet {visible[0].title!r} (first sheet)"
    return best[1], f"sheet {best[1].title!r} (largest of {len(visible[:MAX_SHEETS_SCORED])} sheets)"


def _vet_archive(path: Path, display: str) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            check_archive(zf, display)
            kind = workbook_kind(zf)
            if kind == "xlsb":
                raise UserInputError(
                    "is a binary Excel workbook (.xlsb), which cannot be read",
                    file=display,
                    hint="save it as .xlsx or CSV in Excel",
                )
            if kind is None:
                raise UserInputError(
                    "is not a readable Excel workbook (no workbook part inside)",
                    file=display,
                    hint=_EXCEL_HINT,
                )
            check_xml_prologs(zf, display)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise _workbook_error(exc, display) from None


def open_xlsx(
    path: Path,
    *,
    display: str,
    sheet: str | None = None,
    header_row: int | None = None,
    skip_bad_rows: bool = False,
) -> Table:
    """Open a sheet of a workbook (default: RVTools `vInfo`, else the largest data sheet)."""
    if not openpyxl.DEFUSEDXML:
        raise MigrationDiscoveryError("defusedxml is not active in openpyxl; refusing to parse workbooks")
    _vet_archive(path, display)

    handle: BinaryIO = path.open("rb")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(handle, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:
        handle.close()
        raise _workbook_error(exc, display) from None

    def close() -> None:
        wb.close()
        handle.close()

    try:
        worksheets = list(wb.worksheets)
        if not worksheets:
            raise UserInputError("the workbook has no worksheets", file=display, hint=_EXCEL_HINT)
        titles = [ws.title for ws in worksheets]
        declared = {ws.title: ws.max_row for ws in worksheets}  # before any reset_dimensions()
        try:
            ws, note = _choose_sheet(worksheets, sheet, display)
            declared_rows = declared[ws.title] if (declared[ws.title] or 0) > 1 else None
        except UserInputError:
            raise
        except Exception as exc:
            raise _workbook_error(exc, display) from None
        title = ws.title

        def rows() -> Iterator[tuple[int, list[str]]]:
            ws.reset_dimensions()  # wrong <dimension> tags must not cut rows off
            idx = 0
            try:
                for idx, row in enumerate(ws.iter_rows(values_only=True), start=1):
                    yield idx, [cell_text(v) for v in row]
            except UserInputError:
                raise
            except Exception as exc:
                raise _workbook_error(exc, display, sheet=title, row=idx + 1) from None

        top = rows()
        try:
            scan = scan_header(top, header_row=header_row, grid=True, display=display, sheet=title)
        finally:
            top.close()
        columns, renamed = unique_columns(scan.header_cells, scan.width)
        if scan.reached_end:
            estimate: int | None = scan.data_rows_in_window
        elif declared_rows:
            estimate = max(declared_rows - scan.header_index, scan.data_rows_in_window)
        else:
            estimate = None
        info = TableInfo(
            path=path,
            format="xlsx",
            sheet=title,
            sheets=titles,
            encoding=None,
            delimiter=None,
            quotechar=None,
            header_row=scan.header_index,
            columns=columns,
            renamed_headers=renamed,
            file_size=path.stat().st_size,
            mime_type=MIME_XLSM if path.suffix.lower() == ".xlsm" else MIME_XLSX,
            total_rows_estimate=estimate,
            data_start_offset=None,
            notes=[note, scan.note],
        )
    except BaseException:
        close()
        raise
    return Table(
        info,
        rows,
        header_index=scan.header_index,
        grid=True,
        skip_bad_rows=skip_bad_rows,
        display=display,
        on_close=[close],
    )
