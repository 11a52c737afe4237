"""Value types of the reading layer: what a table looks like, which rows were refused.

Kept free of I/O so the mapping and database layers can import them cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Format = Literal["csv", "xlsx", "json", "jsonl", "zip"]


@dataclass(frozen=True)
class SourceColumn:
    """One column of the source table.

    `name` is unique (case-insensitively) and non-empty, safe to use as a key; `original` is the
    header text exactly as in the file (possibly empty or duplicated); `position` is 0-based.
    """

    name: str
    original: str
    position: int


@dataclass(frozen=True)
class BadRow:
    """A data row that does not fit the header (ragged), skipped in `skip_bad_rows` mode."""

    row: int
    reason: str
    field_count: int | None = None
    expected: int | None = None


@dataclass(frozen=True)
class TableInfo:
    """Everything detected about a source table before its data rows are read.

    `format` "xlsx" means any workbook (.xlsx/.xlsm/.xlsb/.xls/.ods; `workbook_type` says which).
    `header_row` is the 1-based line (CSV) or sheet row (workbooks) of the header; None for JSON.
    `data_start_offset` (CSV only, not CSV inside a ZIP) is the byte offset in the original file
    where the first data record starts: with `encoding`/`pg_encoding`, `delimiter`, `quotechar`
    and `has_bom` a writer can hand the rest of the file to PostgreSQL `COPY ... (FORMAT csv)`.
    That fast path is only valid when the data rows are clean (no ragged or empty rows), which
    only a full pass can tell; `copy_fast_path_possible` checks the static preconditions.
    """

    path: Path
    format: Format
    sheet: str | None
    sheets: list[str]
    encoding: str | None
    delimiter: str | None
    quotechar: str | None
    header_row: int | None
    columns: list[SourceColumn]
    renamed_headers: list[tuple[str, str]]
    file_size: int
    mime_type: str
    total_rows_estimate: int | None
    data_start_offset: int | None
    has_bom: bool = False
    bom_length: int = 0
    pg_encoding: str | None = None
    line_terminator: str | None = None
    notes: list[str] = field(default_factory=list)
    encoding_errors: str = "strict"
    """"replace" when the user chose `utf-8-replace`: invalid bytes became U+FFFD."""
    encoding_details: dict[str, Any] = field(default_factory=dict)
    """JSON-ready facts about the encoding: replacements made, or how sure a guessed code page is."""
    warnings: list[str] = field(default_factory=list)
    """Things the user must check (a low-confidence encoding, replaced bytes, error cells of a
    workbook imported as empty): shown, and stored."""
    sheet_rows: dict[str, int] = field(default_factory=dict)
    """Workbooks: used rows (header included) of each sheet of `sheets`, for a sheet list; exact for
    .xls/.ods/.xlsb and the opened sheet, the writer's dimension (else row elements) for other
    .xlsx sheets. Empty for other formats. `core.ingest.workbook_sheets` gives the same without
    opening a table."""
    workbook_type: str | None = None
    """Workbooks (`format == "xlsx"`): "xlsx", "xlsm", "xlsb", "xls" or "ods"."""
    error_cells: int = 0
    """Workbooks: cells of the sheet holding an error value (#N/A …), imported as empty."""

    @property
    def column_names(self) -> list[str]:
        """Unique column names in file order."""
        return [c.name for c in self.columns]

    @property
    def copy_fast_path_possible(self) -> bool:
        """True when PostgreSQL COPY could read the file from `data_start_offset` as-is.

        PostgreSQL cannot read UTF-16 and COPY's CSV quoting is fixed to one character; the
        caller must still verify that no row was ragged or empty (see `Table.bad_rows`).
        """
        return (
            self.format == "csv"
            and self.data_start_offset is not None
            and self.pg_encoding is not None
            and self.delimiter is not None
            and self.quotechar == '"'
        )
