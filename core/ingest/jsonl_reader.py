"""JSON Lines (`.jsonl`, `.ndjson`): one JSON object per line, read like a JSON array of objects.

APIs and log shippers export records this way. Streaming in two passes, like the JSON reader: the
first parses every line to learn the union of keys (columns in first-seen order), count the objects
and find the first bad line; the second yields one object at a time. Memory is bounded by the
longest line (at most `MAX_LINE_BYTES`), never the file. Values are rendered exactly as the JSON
reader renders them (numbers as written, nested objects and arrays as compact JSON). The record
index is the 1-based line number, so a bad line is named as an editor shows it; blank lines are
ignored, and `\\r\\n` line ends are read like `\\n`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from core.errors import UserInputError
from core.ingest.encoding import utf8_damage
from core.ingest.headers import unique_columns
from core.ingest.json_reader import MAX_JSON_COLUMNS, JsonSource, cell_text
from core.ingest.model import BadRow, TableInfo
from core.ingest.safety import MAX_ROW_CHARS, check_column_count
from core.ingest.table import Table

MAX_LINE_BYTES = MAX_ROW_CHARS
"""Longest line read: one record, so the bound of one spreadsheet row's text applies."""
_CHUNK = 1024 * 1024
_LINE_HINT = (
    'every line must hold one JSON object like {"name": "srv01", ...}; correct that line, or import '
    "with 'skip bad rows' (command line: --skip-bad-rows) to leave such lines out and list them"
)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=_reject_constant)
"""Numbers exactly as written (like ijson's Decimals in the JSON reader); NaN and Infinity refused."""
_JSON_SPACE = " \t\r\n"


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "null"
    return "a number"


def _lines(stream: BinaryIO, display: str) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, line) from a byte stream, holding at most one line plus one chunk."""
    number = 0
    pending: list[bytes] = []
    pending_size = 0
    while chunk := stream.read(_CHUNK):
        parts = chunk.split(b"\n")
        if len(parts) == 1:
            pending.append(chunk)
            pending_size += len(chunk)
            if pending_size > MAX_LINE_BYTES:
                raise _too_long(display, number + 1)
            continue
        first = parts[0]
        if pending:
            first = b"".join([*pending, first])
        if len(first) > MAX_LINE_BYTES:
            raise _too_long(display, number + 1)
        number += 1
        yield number, first
        for line in parts[1:-1]:
            number += 1
            yield number, line
        last = parts[-1]
        pending, pending_size = ([last], len(last)) if last else ([], 0)
    if pending:
        yield number + 1, b"".join(pending)


def _too_long(display: str, number: int) -> UserInputError:
    return UserInputError(
        f"line {number} is longer than {MAX_LINE_BYTES // 1024**2} MB: this is not one record per line",
        file=display,
        row=number,
        hint="JSON Lines holds one JSON object per line; if the file is one JSON document, rename it "
        "to .json",
        details={"limit_bytes": MAX_LINE_BYTES},
    )


def _parse(line: bytes, number: int, source: JsonSource, raw_utf8: bool) -> dict[str, Any] | BadRow | None:
    """The line's object, a `BadRow` saying what is wrong with it, or None for a blank line."""
    if not line.strip():
        return None
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not raw_utf8:
            raise
        # the whole file's encoding is wrong, not one record: refused, like the JSON reader does
        raise UserInputError(
            f"line {number} is not valid {source.encoding} (byte {line[exc.start]:02X} at position "
            f"{exc.start + 1} of the line)",
            file=source.display,
            row=number,
            hint="JSON Lines must be Unicode: save it as UTF-8, or import with the encoding utf-8-replace "
            "(command line: --encoding utf-8-replace) to replace invalid bytes with U+FFFD",
        ) from None
    text = text.rstrip(_JSON_SPACE)
    start = len(text) - len(text.lstrip(_JSON_SPACE))  # columns count from the start of the line
    try:
        value, end = _DECODER.raw_decode(text, start)
        if end != len(text):
            raise json.JSONDecodeError("Extra data after the object", text, end)
    except json.JSONDecodeError as exc:
        return BadRow(row=number, reason=f"line {number} is not valid JSON ({exc.msg} at column {exc.colno})")
    except RecursionError:
        return BadRow(row=number, reason=f"line {number} is nested too deeply to be a record")
    except ValueError as exc:  # NaN/Infinity, an integer of more than 4,300 digits
        return BadRow(row=number, reason=f"line {number} is not valid JSON ({str(exc).splitlines()[0]})")
    if not isinstance(value, dict):
        return BadRow(row=number, reason=f"line {number} is {_kind(value)}, not an object")
    return value


@dataclass
class _Survey:
    """Pass 1: keys in first-seen order, objects and bad lines counted."""

    keys: dict[str, None] = field(default_factory=dict)
    objects: int = 0
    lines: int = 0
    bad: int = 0
    too_many_keys: bool = False


def _survey(source: JsonSource, skip_bad_rows: bool) -> _Survey:
    survey = _Survey()
    raw_utf8 = source.is_raw_utf8
    with source.open() as fh:
        try:
            for number, line in _lines(fh, source.display):
                survey.lines = number
                item = _parse(line, number, source, raw_utf8)
                if item is None:
                    continue
                if isinstance(item, BadRow):
                    if not skip_bad_rows:
                        raise UserInputError(
                            item.reason,
                            file=source.display,
                            row=number,
                            hint=_LINE_HINT,
                            details={"line": number},
                        )
                    survey.bad += 1
                    continue
                survey.objects += 1
                keys = survey.keys
                for key in item:
                    if key not in keys:
                        if len(keys) >= MAX_JSON_COLUMNS:
                            survey.too_many_keys = True
                            break
                        keys[key] = None
        except UnicodeDecodeError as exc:
            raise source.error(exc) from None
    return survey


def _check(survey: _Survey, display: str) -> None:
    if survey.objects == 0:
        if survey.bad:
            raise UserInputError(
                f"none of its {survey.bad:,} non-blank lines is a JSON object: no data rows",
                file=display,
                hint="JSON Lines holds one JSON object per line; if the file is one JSON document, "
                "rename it to .json",
            )
        raise UserInputError("holds only blank lines: no data rows", file=display, hint="export it again")
    if survey.too_many_keys:
        raise UserInputError(
            f"the JSON objects have more than {MAX_JSON_COLUMNS:,} distinct keys (columns), more than an "
            "import accepts",
            file=display,
            hint="this does not look like an inventory table; if it is one, export fewer fields",
            details={"limit": MAX_JSON_COLUMNS},
        )
    if not survey.keys:
        raise UserInputError("the JSON objects have no keys: no columns", file=display)


def open_jsonl(
    path: Path,
    *,
    display: str,
    sheet: str | None = None,
    encoding: str | None = None,
    skip_bad_rows: bool = False,
) -> Table:
    """Open a JSON Lines file as a table; a bad line is refused, or left out and listed (`skip_bad_rows`)."""
    if sheet is not None:
        raise UserInputError(
            f"is a JSON Lines file (one table); it has no sheet {sheet!r}",
            file=display,
            hint="leave the sheet empty for JSON Lines files",
        )
    source = JsonSource(path, display, encoding)
    survey = _survey(source, skip_bad_rows)
    _check(survey, display)
    keys = list(survey.keys)
    check_column_count(len(keys), display, None, None)
    columns, renamed = unique_columns(keys, len(keys))
    notes = [
        f"encoding {source.encoding}",
        f"JSON Lines: {survey.objects:,} objects on {survey.lines:,} lines",
    ]
    warnings: list[str] = []
    details: dict[str, Any] = {}
    if source.errors == "replace":
        skip = 3 if source.has_bom else 0
        damage = utf8_damage(lambda: path.open("rb"), path.stat().st_size + 1, skip=skip)
        details = {"errors": "replace", "invalid_sequences_replaced": damage.invalid_sequences}
        if damage.invalid_sequences:
            n = damage.invalid_sequences
            warnings.append(f"{n:,} invalid UTF-8 byte sequence{'s' if n != 1 else ''} replaced by U+FFFD")

    def rows() -> Iterator[tuple[int, list[str] | BadRow]]:
        raw_utf8 = source.is_raw_utf8
        with source.open() as fh:
            try:
                for number, line in _lines(fh, display):
                    item = _parse(line, number, source, raw_utf8)
                    if item is None:
                        continue
                    if isinstance(item, BadRow):
                        yield number, item  # the table skips and lists it, or raises
                        continue
                    # strings (most cells) as they are; cell_text renders everything else
                    yield number, [v if type(v := item.get(k)) is str else cell_text(v) for k in keys]
            except UnicodeDecodeError as exc:
                raise source.error(exc) from None

    info = TableInfo(
        path=path,
        format="jsonl",
        sheet=None,
        sheets=[],
        encoding="utf-8" if source.errors == "replace" else source.encoding,
        delimiter=None,
        quotechar=None,
        header_row=None,
        columns=columns,
        renamed_headers=renamed,
        file_size=path.stat().st_size,
        mime_type="application/x-ndjson",
        total_rows_estimate=survey.objects,
        data_start_offset=None,
        has_bom=source.has_bom,
        notes=notes,
        encoding_errors=source.errors,
        encoding_details=details,
        warnings=warnings,
    )
    return Table(info, rows, header_index=0, grid=True, skip_bad_rows=skip_bad_rows, display=display)
