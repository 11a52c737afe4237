"""Delimited text (CSV, TSV, semicolon, pipe) from a file or a ZIP member, streamed.

Decoding goes through `io.TextIOWrapper` and parsing through the C `csv` module, so memory stays
flat however large the file. Only the header phase pays extra to count bytes per line, which
gives `data_start_offset` for a PostgreSQL COPY fast path.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from core.errors import UserInputError
from core.ingest import encoding as encodings
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
from core.ingest.safety import check_column_count
from core.ingest.table import Table

MAX_FIELD_CHARS = 16 * 1024**2
"""Largest value (characters) one CSV field may hold: Python's csv field size limit, set here.
Larger values are refused with their row and column (an unclosed quote is told apart)."""
csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD_CHARS))
PREVIEW_VALUES = 3
"""Values quoted in a low-confidence encoding warning."""


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
    columns: list[str] | None = None,
) -> Iterator[tuple[int, list[str]]]:
    """Raw records from the top of the file as (1-based start line, fields).

    Undecodable bytes and malformed quoting become `UserInputError`s naming the line (and the
    column, when `columns` — the header's names — is given).
    """
    line = 0
    with io.TextIOWrapper(opener(), encoding=choice.encoding, errors=choice.errors, newline="") as text:
        lines: Iterator[str] = text
        if line_ends is not None and choice.byte_codec is not None:
            lines = _counted_lines(text, choice.byte_codec, line_ends)
        reader = csv.reader(lines, delimiter=dialect.delimiter, quotechar=dialect.quotechar, doublequote=True)
        try:
            for fields in reader:
                yield line + 1, fields
                line = reader.line_num
        except UnicodeDecodeError:
            where = locate_decode_error(opener, choice)
            row, index = (
                locate_field(opener, choice, dialect, where.line) if where is not None else (None, None)
            )
            raise decode_error(
                display,
                choice,
                where,
                sheet=member,
                row=row,
                column=_column_name(columns, index),
                field=index,
            ) from None
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise UserInputError(
                f"the archive member is damaged and cannot be read to the end ({exc})",
                file=display,
                sheet=member,
                row=line + 1,
                hint="download or export the archive again",
            ) from None
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise oversized_field_error(
                    opener, choice, dialect, display, member, line + 1, columns
                ) from None
            raise UserInputError(
                f"malformed CSV: {exc}",
                file=display,
                sheet=member,
                row=line + 1,
                hint="check the quoting of that record",
            ) from None


def locate_field(
    opener: Opener, choice: EncodingChoice, dialect: Dialect, line: int
) -> tuple[int | None, int | None]:
    """(start line of the record holding physical `line`, index of its first field with U+FFFD).

    Re-reads the file with invalid bytes replaced; only used to word an error or a warning.
    """
    start = 1
    with io.TextIOWrapper(opener(), encoding=choice.encoding, errors="replace", newline="") as text:
        reader = csv.reader(text, delimiter=dialect.delimiter, quotechar=dialect.quotechar, doublequote=True)
        try:
            for fields in reader:
                if reader.line_num >= line:
                    index = next((i for i, f in enumerate(fields) if "\ufffd" in f), None)
                    return start, index
                start = reader.line_num + 1
        except csv.Error:
            pass
    return None, None


def _column_name(columns: list[str] | None, index: int | None) -> str | None:
    """The column's name; None while the header is not known yet (the caller names it later)."""
    if index is None or columns is None:
        return None
    return columns[index] if index < len(columns) else f"field {index + 1}"


def oversized_field_error(
    opener: Opener,
    choice: EncodingChoice,
    dialect: Dialect,
    display: str,
    member: str | None,
    row: int,
    columns: list[str] | None,
) -> UserInputError:
    """Say which value of record `row` is too large, and whether an unclosed quote caused it."""
    field, size, quoted, closed = _measure_fields(opener, choice, dialect, row)
    limit = f"{MAX_FIELD_CHARS // 1024**2} MiB"
    where = {"file": display, "sheet": member, "row": row, "column": _column_name(columns, field)}
    details = {"limit_chars": MAX_FIELD_CHARS, "field": None if field is None else field + 1, "chars": size}
    if quoted and not closed:
        return UserInputError(
            f"malformed CSV: a quote ({dialect.quotechar}) opened in this value is never closed, so the "
            f"rest of the file ({size / 1024**2:,.1f} MiB) would be one value",
            **where,
            hint="close or remove that quote in the file and import again",
            details=details,
        )
    what = "quoted value" if quoted else "value"
    return UserInputError(
        f"a {what} larger than the {limit} allowed for one value ({size / 1024**2:,.1f} MiB; the CSV field "
        "size limit)",
        **where,
        hint=f"shorten or remove that value (usually an embedded document, log or dump) so that every value "
        f"stays under {limit}, and import again",
        details=details,
    )


def _measure_fields(
    opener: Opener, choice: EncodingChoice, dialect: Dialect, row: int
) -> tuple[int | None, int, bool, bool]:
    """Walk record `row` field by field: (index of the first field over the limit, its length in
    characters, whether it is quoted, whether its quote closes). Streams; reads no line whole."""
    quote, delim = dialect.quotechar, dialect.delimiter
    with io.TextIOWrapper(opener(), encoding=choice.encoding, errors="replace", newline="") as text:
        for _ in range(row - 1):
            text.readline()
        buf, pos, field = "", 0, 0

        def more() -> bool:
            nonlocal buf, pos
            chunk = text.read(1024**2)
            if not chunk:
                return False
            buf, pos = buf[pos:] + chunk, 0
            return True

        while pos < len(buf) or more():
            quoted = buf[pos] == quote
            size = 0
            if quoted:
                pos += 1
                while True:  # until a quote that is not doubled
                    found = buf.find(quote, pos)
                    if found < 0:
                        size += len(buf) - pos
                        pos = len(buf)
                        if not more():
                            return field, size, True, False
                        continue
                    if found + 1 >= len(buf):  # doubled or closing: the next chunk tells
                        size += found - pos
                        pos = found
                        if not more():
                            pos = found + 1
                            break
                        continue
                    size += found - pos
                    if buf[found + 1] == quote:
                        size += 1
                        pos = found + 2
                        continue
                    pos = found + 1
                    break
            else:
                while True:
                    ends = [
                        i for i in (buf.find(delim, pos), buf.find("\n", pos), buf.find("\r", pos)) if i >= 0
                    ]
                    if ends:
                        size += min(ends) - pos
                        pos = min(ends)
                        break
                    size += len(buf) - pos
                    pos = len(buf)
                    if not more():
                        break
            if size > MAX_FIELD_CHARS:
                return field, size, quoted, True
            while pos >= len(buf) and more():
                pass
            if pos >= len(buf) or buf[pos] != delim:
                break  # end of the record (or of the file)
            pos += 1
            field += 1
    return None, 0, False, False


def _decode_head(
    head: bytes, choice: EncodingChoice, opener: Opener, display: str, member: str | None
) -> str:
    codec = choice.byte_codec or choice.encoding
    try:
        return codecs.getincrementaldecoder(codec)(choice.errors).decode(
            head[choice.bom_length :], final=False
        )
    except UnicodeDecodeError:
        raise decode_error(display, choice, locate_decode_error(opener, choice), sheet=member) from None


def _with_column_name(
    exc: UserInputError,
    opener: Opener,
    choice: EncodingChoice,
    dialect: Dialect,
    display: str,
    member: str | None,
    header_row: int | None,
) -> UserInputError:
    """Name the column of an error raised while the header was still being looked for.

    The header is searched again in the records above the failing one; failing that, the given
    header row or the first non-empty record is taken as the header.
    """
    field = exc.details.get("field")
    if exc.column or not field or exc.row is None:
        return exc
    records: list[tuple[int, list[str]]] = []
    source = iter_records(opener, choice, dialect, display, member)
    try:
        for idx, cells in source:
            if idx >= exc.row:
                break
            records.append((idx, cells))
    except UserInputError:
        pass  # the failing record itself
    finally:
        source.close()
    header: list[str] | None = None
    try:
        scan = scan_header(iter(records), header_row=header_row, grid=False, display=display, sheet=member)
        header = [c.name for c in unique_columns(scan.header_cells, scan.width)[0]]
    except UserInputError:
        for idx, cells in records:
            if (header_row is None or idx == header_row) and any(c.strip() for c in cells):
                header = [c.name for c in unique_columns(cells, len(cells))[0]]
                break
    name = _column_name(header, field - 1)
    return dataclasses.replace(exc, column=name) if name else exc


def _nul_error(
    opener: Opener,
    choice: EncodingChoice,
    dialect: Dialect,
    display: str,
    member: str | None,
    columns: list[str],
) -> UserInputError:
    """A text file with a stray NUL byte near the top: name its row and column."""
    row: int | None = None
    column: str | None = None
    records = iter_records(opener, choice, dialect, display, member)
    try:
        for idx, fields in records:
            index = next((i for i, f in enumerate(fields) if "\x00" in f), None)
            if index is not None:
                row, column = idx, _column_name(columns, index)
                break
    finally:
        records.close()
    return UserInputError(
        "contains a NUL character (byte 0), which cannot be stored as text",
        file=display,
        sheet=member,
        row=row,
        column=column,
        hint="remove it from the file (it is usually left by a broken export) and import again",
    )


def _stray_nuls(sample: str) -> bool:
    """A few NULs in otherwise plain text: a damaged export, not a binary file."""
    nuls = sample.count("\x00")
    return 0 < nuls <= max(2, len(sample) // 1000) and not looks_binary(sample.replace("\x00", ""))


def _guess_warning(
    opener: Opener,
    choice: EncodingChoice,
    dialect: Dialect,
    display: str,
    member: str | None,
    columns: list[str],
) -> tuple[str, list[dict[str, object]]]:
    """The warning for a low-confidence code page, quoting the first values it decoded oddly."""
    assert choice.guess is not None
    preview: list[dict[str, object]] = []
    records = iter_records(opener, choice, dialect, display, member)
    try:
        for seen, (idx, fields) in enumerate(records):
            for i, value in enumerate(fields):
                if not value.isascii() and len(preview) < PREVIEW_VALUES:
                    preview.append({"row": idx, "column": _column_name(columns, i), "value": value[:80]})
            if len(preview) >= PREVIEW_VALUES or seen > 5000:
                break
    except UserInputError:
        pass
    finally:
        records.close()
    guess = choice.guess
    why = "no language recognised" if not guess.languages else f"coherence {guess.coherence:.0%}"
    shown = "; ".join(f"row {p['row']}, column {p['column']!r}: {p['value']!r}" for p in preview)
    warning = (
        f"encoding guessed as {guess.encoding} with low confidence ({why} in the decoded text): check "
        f"{shown or 'the text'} — if these look wrong, re-import with the file's real encoding "
        "(--encoding NAME)"
    )
    return warning, preview


def _replacement_report(
    opener: Opener, choice: EncodingChoice, dialect: Dialect, columns: list[str], data_size: int
) -> tuple[str | None, dict[str, object]]:
    """Count the sequences `utf-8-replace` replaces and name the first (whole file, one pass)."""
    damage = encodings.utf8_damage(opener, data_size + 1, skip=choice.bom_length)
    details: dict[str, object] = {"errors": "replace", "invalid_sequences_replaced": damage.invalid_sequences}
    if not damage.invalid_sequences:
        details["first_invalid"] = None
        return None, details
    strict = EncodingChoice(choice.encoding, choice.bom_length, choice.byte_codec, choice.note)
    where = locate_decode_error(opener, strict)
    row, column = (None, None)
    if where is not None:
        row, index = locate_field(opener, choice, dialect, where.line)
        column = _column_name(columns, index)
    details["first_invalid"] = {"row": row, "column": column, "offset": where.offset if where else None}
    n = damage.invalid_sequences
    warning = f"{n:,} invalid UTF-8 byte sequence{'s' if n != 1 else ''} replaced by U+FFFD" + (
        f" (the first at row {row}" + (f", column {column!r})" if column else ")") if row else ""
    )
    return warning, details


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
    read_as = choice
    if choice.damaged_utf8 is not None:  # read the header with replacement, then refuse naming the cell
        read_as = EncodingChoice(
            choice.encoding, choice.bom_length, choice.byte_codec, choice.note, "replace"
        )
    sample = _decode_head(head, read_as, opener, display, member)
    stray_nuls = _stray_nuls(sample)
    if looks_binary(sample) and not stray_nuls:
        raise UserInputError(
            "is a binary file, not delimited text",
            **where,
            hint="import a CSV, Excel .xlsx, JSON or ZIP of CSV files",
        )
    given = normalize_delimiter(delimiter, display) if delimiter is not None else None
    truncated = data_size > len(head)
    dialect = detect_dialect(sample, truncated=truncated, delimiter=given)

    line_ends: list[int] = []
    top = iter_records(opener, read_as, dialect, display, member, line_ends)
    try:
        scan = scan_header(top, header_row=header_row, grid=False, display=display, sheet=member, unit="row")
    except UserInputError as exc:
        raise _with_column_name(exc, opener, read_as, dialect, display, member, header_row) from None
    finally:
        top.close()

    check_column_count(scan.width, display, member, scan.header_index)
    columns, renamed = unique_columns(scan.header_cells, scan.width)
    names = [c.name for c in columns]
    if stray_nuls:
        raise _nul_error(opener, choice, dialect, display, member, names)
    if choice.damaged_utf8 is not None:
        bad = locate_decode_error(opener, choice)
        assert bad is not None  # the validation found one
        row, index = locate_field(opener, choice, dialect, bad.line)
        column = _column_name(names, index)
        raise encodings.damaged_utf8_error(display, choice.damaged_utf8, bad, member, row, column)
    warnings: list[str] = []
    details: dict[str, object] = {}
    if choice.errors == "replace":
        warning, details = _replacement_report(opener, choice, dialect, names, data_size)
        warnings += [warning] if warning else []
    elif choice.guess is not None:
        details = choice.guess.to_dict()
        if not choice.guess.confident:
            warning, preview = _guess_warning(opener, choice, dialect, display, member, names)
            warnings.append(warning)
            details["preview"] = preview

    data_start: int | None = None
    estimate: int | None = scan.data_rows_in_window if scan.reached_end else None
    if choice.byte_codec is not None and line_ends:
        first = scan.first_data_index
        start = choice.bom_length + (line_ends[first - 2] if first >= 2 else 0)
        first_invalid = details.get("first_invalid") if choice.errors == "replace" else None
        shifted = isinstance(first_invalid, dict) and (first_invalid.get("offset") or 0) < start
        if member is None and not shifted:  # a U+FFFD above the data has another byte length
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
        encoding_errors=choice.errors,
        encoding_details=details,
        warnings=warnings,
    )
    return Table(
        info,
        lambda: iter_records(opener, choice, dialect, display, member, columns=names),
        header_index=scan.header_index,
        grid=False,
        skip_bad_rows=skip_bad_rows,
        display=display,
        on_close=on_close,
    )
