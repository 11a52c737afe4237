"""Entry points: `open_table` for any supported file, `scan_bad_rows` for error reports."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from core.errors import UserInputError
from core.ingest.detect import detect_format, display_name
from core.ingest.model import BadRow
from core.ingest.table import Table


def open_table(
    path: str | os.PathLike[str],
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
    skip_bad_rows: bool = False,
    while_parsing: Callable[[], object] | None = None,
) -> Table:
    """Open an inventory export (CSV/TSV/TXT, XLSX/XLSM, JSON, JSON Lines, ZIP of CSVs) as a streaming table.

    Detection (format, encoding, delimiter, sheet, header) happens here, so every problem with
    the file is raised now as one `UserInputError`; problems further down the data (a ragged
    row, undecodable bytes) are raised while iterating.

    - `sheet`: the worksheet (.xlsx/.xlsm/.xlsb/.xls/.ods), the member CSV (ZIP) or the key path of
      the array (JSON).
      Default: RVTools `vInfo`, else the largest sheet / CSV / array. Not valid for plain CSV.
    - `encoding`, `delimiter`: override detection for text files (`encoding` also for JSON).
    - `header_row`: the 1-based line (CSV) or row (XLSX) of the header; default detected, which
      skips title and blank rows above it. Ignored for JSON, whose columns are the object keys.
    - `skip_bad_rows`: leave ragged rows (and JSON lines that do not parse) out and list them in
      `Table.bad_rows` instead of raising.
    - `while_parsing`: called once just before python-calamine parses a workbook's sheet (.xls
      and .ods: the whole workbook) in bulk, holding no GIL for those seconds, so the caller can
      start work on a thread there; readers that stream never call it.

    Record indexes from `Table.iter_rows()`: CSV — 1-based line on which the record starts (header
    on line 3 ⇒ first data row 4); workbooks — the sheet row number; JSON — the 1-based position of
    the object in its array; JSON Lines (.jsonl/.ndjson, or lines of JSON objects) — the 1-based
    line number. The table holds file handles: use `with open_table(...) as table:`.
    """
    # each reader is imported only for its format
    from core.ingest.csv_reader import open_csv

    p = Path(path)
    display = display_name(p)
    fmt = detect_format(p)
    if fmt == "xlsx":
        from core.ingest.xlsx_reader import open_xlsx

        return open_xlsx(
            p,
            display=display,
            sheet=sheet,
            header_row=header_row,
            skip_bad_rows=skip_bad_rows,
            while_parsing=while_parsing,
        )
    if fmt == "json":
        from core.ingest.json_reader import open_json

        return open_json(p, display=display, sheet=sheet, encoding=encoding, skip_bad_rows=skip_bad_rows)
    if fmt == "jsonl":
        from core.ingest.jsonl_reader import open_jsonl

        return open_jsonl(p, display=display, sheet=sheet, encoding=encoding, skip_bad_rows=skip_bad_rows)
    if fmt == "zip":
        from core.ingest.zip_reader import open_zip

        return open_zip(
            p,
            display=display,
            sheet=sheet,
            encoding=encoding,
            delimiter=delimiter,
            header_row=header_row,
            skip_bad_rows=skip_bad_rows,
        )
    if sheet is not None:
        raise UserInputError(
            f"is a single CSV/text table; it has no sheet {sheet!r}",
            file=display,
            hint="leave the sheet empty for CSV files",
        )

    def opener() -> BinaryIO:
        return p.open("rb")

    return open_csv(
        p,
        opener,
        display=display,
        data_size=p.stat().st_size,
        encoding=encoding,
        delimiter=delimiter,
        header_row=header_row,
        skip_bad_rows=skip_bad_rows,
    )


def workbook_sheets(path: str | os.PathLike[str]) -> list[tuple[str, int]]:
    """(sheet name, rows) of every worksheet of a workbook, for a sheet list (see `TableInfo.sheet_rows`).

    Raises `UserInputError` like `open_table` (also for a file that is not a workbook).
    """
    p = Path(path)
    if detect_format(p) != "xlsx":
        raise UserInputError(
            "is not a workbook, so it has no sheets",
            file=display_name(p),
            hint="choose an .xlsx, .xls or .ods",
        )
    from core.ingest.xlsx_reader import workbook_sheets as sheets_of

    return sheets_of(p)


def scan_bad_rows(
    path: str | os.PathLike[str],
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
    limit: int | None = None,
) -> list[BadRow]:
    """Read the whole table and list every ragged row (for the error report), up to `limit`.

    Streams like `iter_rows()`; raises `UserInputError` only for problems that are not about a
    single row (unreadable file, undecodable bytes).
    """
    with open_table(
        path, sheet=sheet, encoding=encoding, delimiter=delimiter, header_row=header_row, skip_bad_rows=True
    ) as table:
        for _ in table.iter_rows():
            if limit is not None and table.bad_row_count >= limit:
                break
        return table.bad_rows[:limit] if limit is not None else table.bad_rows
