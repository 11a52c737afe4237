"""Delimited text (CSV, TSV, semicolon, pipe) from a file or a ZIP member, streamed.

Decoding goes through `io.TextIOWrapper` and parsing through the C `csv` module, so memory stays
flat however large the file. Only the header phase pays extra to count bytes per line, which
gives `data_start_offset` for a PostgreSQL COPY fast path.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from core.errors import UserInputError
from core.ingest.dialect import Dialect, detect_dialect, normalize_delimiter
from core.ingest.encoding import (
    SAMPLE_BYTES,
    EncodingChoice,
    Opener,
    decode_error,
    detect_encoding,
    locate_decode_error,
    looks_binary,
    pg_encoding_name,
)
from core.ingest.headers import scan_header, unique_columns
from core.ingest.model import Format, TableInfo
from core.ingest.table import Table

MAX_FIELD_CHARS = 16 * 1024**2
"""A single field larger than this is almost always an unmatched quote swallowing the file."""
csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD_CHARS))


def _counted_lines(text: io.TextIOWrapper, codec: str, ends: list[int]) -> Iterator[str]:
    """Yield lines while recording the cumulative byte length at the end of each one."""
    total = 0
    for line in text:
        total += len(line.encode(codec))
        ends.append(total)
        yield line


def iter_records(
    opener: Opener,
    choice: EncodingChoice,
    dialect: Dialect,
    display: str,
    member: str | None,
    line_ends: list[int] | None = None,
) -> Iterator[tuple[int, list[str]]]:
    """Raw records from the top of the file as (1-based start line, fields).

    Undecodable bytes and malformed quoting become `UserInputError`s naming the line.
    """
    line = 0
    with io.TextIOWrapper(opener(), encoding=choice.encoding, errors="strict", newline="") as text:
        lines: Iterator[str] = text
        if line_ends is not None and choice.byte_codec is not None:
            lines = _counted_lines(text, choice.byte_codec, line_ends)
        reader = csv.reader(lines, delimiter=dialect.delimiter, quotechar=dialect.quotechar, doublequote=True)
        try:
            for fields in reader:
                yield line + 1, fields
                line = reader.line_num
        except UnicodeDecodeError:
            raise decode_error(display, choice, locate_decode_error(opener, choice), sheet=member) from None
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise UserInputError(
                f"the archive member is damaged and cannot be read to the end ({exc})",
                file=display,
                sheet=member,
                row=line + 1,
                hint="download or export the archive again",
            ) from None
        except csv.Error as exc:
            message = str(exc)
            hint = "check the quoting of that record"
            if "field larger than field limit" in message:
                message = f"a value is larger than {MAX_FIELD_CHARS // 1024**2} MiB"
                hint = 'a quote (") that is never closed makes the rest of the file one value; fix it'
            raise UserInputError(
                f"malformed CSV: {message}", file=display, sheet=member, row=line + 1, hint=hint
            ) from None


def _decode_head(
    head: bytes, choice: EncodingChoice, opener: Opener, display: str, member: str | None
) -> str:
    codec = choice.byte_codec or choice.encoding
    try:
        return codecs.getincrementaldecoder(codec)("strict").decode(head[choice.bom_length :], final=False)
    except UnicodeDecodeError:
        raise decode_error(display, choice, locate_decode_error(opener, choice), sheet=member) from None


def open_csv(
    path: Path,
    opener: Opener,
    *,
    display: str,
    data_size: int,
    fmt: Format = "csv",
    member: str | None = None,
    members: list[str] | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
    skip_bad_rows: bool = False,
    notes: list[str] | None = None,
    on_close: list[Callable[[], None]] | None = None,
) -> Table:
    """Detect encoding, dialect and header of a delimited text stream and return its `Table`.

    `data_size` is the file (or ZIP member) size in bytes; `member` names the ZIP member.
    """
    with opener() as fh:
        head = fh.read(SAMPLE_BYTES)
    where = {"file": display, "sheet": member}
    if not head:
        raise UserInputError("is empty (0 bytes)", **where, hint="export the inventory again")

    choice = detect_encoding(opener, head, display, encoding)
    sample = _decode_head(head, choice, opener, display, member)
    if looks_binary(sample):
        raise UserInputError(
            "is a binary file, not delimited text",
            **where,
            hint="import a CSV, Excel .xlsx, JSON or ZIP of CSV files",
        )
    given = normalize_delimiter(delimiter, display) if delimiter is not None else None
    truncated = data_size > len(head)
    dialect = detect_dialect(sample, truncated=truncated, delimiter=given)

    line_ends: list[int] = []
    top = iter_records(opener, choice, dialect, display, member, line_ends)
    try:
        scan = scan_header(top, header_row=header_row, grid=False, display=display, sheet=member, unit="row")
    finally:
        top.close()

    columns, renamed = unique_columns(scan.header_cells, scan.width)

    data_start: int | None = None
    estimate: int | None = scan.data_rows_in_window if scan.reached_end else None
    if choice.byte_codec is not None and line_ends:
        first = scan.first_data_index
        start = choice.bom_length + (line_ends[first - 2] if first >= 2 else 0)
        if member is None:
            data_start = start
        window_bytes = choice.bom_length + line_ends[-1] - start
        if estimate is None and window_bytes > 0:
            estimate = max(
                scan.data_rows_in_window, round(scan.data_rows_in_window * (data_size - start) / window_bytes)
            )

    mime = (
        "application/zip"
        if fmt == "zip"
        else ("text/tab-separated-values" if dialect.delimiter == "\t" else "text/csv")
    )
    info = TableInfo(
        path=path,
        format=fmt,
        sheet=member,
        sheets=list(members or []),
        encoding=choice.encoding,
        delimiter=dialect.delimiter,
        quotechar=dialect.quotechar,
        header_row=scan.header_index,
        columns=columns,
        renamed_headers=renamed,
        file_size=path.stat().st_size,
        mime_type=mime,
        total_rows_estimate=estimate,
        data_start_offset=data_start,
        has_bom=choice.bom_length > 0,
        bom_length=choice.bom_length,
        pg_encoding=pg_encoding_name(choice.encoding),
        line_terminator=dialect.line_terminator,
        notes=[*(notes or []), choice.note, dialect.note, scan.note],
    )
    return Table(
        info,
        lambda: iter_records(opener, choice, dialect, display, member),
        header_index=scan.header_index,
        grid=False,
        skip_bad_rows=skip_bad_rows,
        display=display,
        on_close=on_close,
    )
