"""JSON: an array of objects, or an object holding arrays of objects (the largest is taken).

Streaming with `ijson` (C backend) in two passes: the first learns the structure, the row count
and the union of keys (columns in first-seen order) without building any object; the second
yields one object at a time. Memory is bounded by the largest single object, never the file —
unlike `json.load`, which needs the whole document (several times its size) in memory.
"""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import ijson

from core.errors import UserInputError
from core.ingest.encoding import bom_of, is_utf8_replace, normalize_encoding, utf8_damage
from core.ingest.headers import unique_columns
from core.ingest.model import TableInfo
from core.ingest.safety import MAX_COLUMNS, check_column_count
from core.ingest.table import Table

MAX_JSON_COLUMNS = MAX_COLUMNS
"""Distinct keys collected while surveying; more is refused like any table over the column limit."""
MAX_ARRAY_DEPTH = 3
"""How deep (in object keys) an array of records may sit: {"result": {"records": [...]}}."""


class _Utf8Reader:
    """Byte stream re-encoding decoded text as UTF-8, because yajl only reads UTF-8."""

    def __init__(self, text: io.TextIOWrapper) -> None:
        self._text = text
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            out = self._buffer + self._text.read().encode("utf-8")
            self._buffer = b""
            return out
        while len(self._buffer) < size:
            chunk = self._text.read(64 * 1024)
            if not chunk:
                break
            self._buffer += chunk.encode("utf-8")
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    def close(self) -> None:
        self._text.close()

    def __enter__(self) -> _Utf8Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class _Candidate:
    """An array found in pass 1: where, how many objects, which keys."""

    path: str
    items_prefix: str
    objects: int = 0
    others: int = 0
    first_other: tuple[int, str] | None = None
    keys: dict[str, None] = field(default_factory=dict)
    too_many_keys: bool = False


def _kind(event: str) -> str:
    return {
        "start_array": "an array",
        "string": "a string",
        "number": "a number",
        "boolean": "true/false",
        "null": "null",
    }.get(event, event)


def cell_text(value: Any) -> str:
    """A JSON value as lossless text; nested values as compact JSON."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return str(value).replace("E", "e")  # exact value; exponent spelled like Python floats
    if isinstance(value, float):
        return repr(value)
    return _compact(value)


def _compact(value: Any) -> str:
    if isinstance(value, dict):
        pairs = (f"{json.dumps(k, ensure_ascii=False)}:{_compact(v)}" for k, v in value.items())
        return "{" + ",".join(pairs) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_compact(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return cell_text(value)


class JsonSource:
    """Opens the file as a UTF-8 byte stream whatever its Unicode encoding (JSON and JSON Lines)."""

    def __init__(self, path: Path, display: str, encoding: str | None) -> None:
        self.path = path
        self.display = display
        with path.open("rb") as fh:
            head = fh.read(4096)
        bom = bom_of(head)
        self.has_bom = bom is not None
        self.errors = "strict"
        if is_utf8_replace(encoding):
            self.encoding, self.errors = "utf-8-sig", "replace"  # the BOM, if any, is dropped
        elif encoding:
            self.encoding = normalize_encoding(encoding, display)
            if bom and bom[0].split("-")[:2] == self.encoding.split("-")[:2]:
                self.encoding = bom[0]
        elif bom:
            self.encoding = bom[0]
        else:
            even, odd = head[0::2], head[1::2]
            if odd and odd.count(0) > len(odd) // 2 and even.count(0) == 0:
                self.encoding = "utf-16-le"
            elif even and even.count(0) > len(even) // 2 and odd.count(0) == 0:
                self.encoding = "utf-16-be"
            else:
                self.encoding = "utf-8"
        self.skip = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0

    @property
    def is_raw_utf8(self) -> bool:
        """True when `open()` hands out the file's own bytes (strict UTF-8), not re-encoded text."""
        return codecs.lookup(self.encoding).name in ("utf-8", "utf-8-sig") and self.errors == "strict"

    def open(self) -> BinaryIO:
        """UTF-8 bytes from the start of the JSON text (BOM skipped)."""
        if self.is_raw_utf8:
            fh = self.path.open("rb")
            fh.read(self.skip)
            return fh
        text = io.TextIOWrapper(self.path.open("rb"), encoding=self.encoding, errors=self.errors)
        return _Utf8Reader(text)  # type: ignore[return-value]

    def error(self, exc: Exception) -> UserInputError:
        if isinstance(exc, UnicodeDecodeError) or "UTF8" in str(exc):
            return UserInputError(
                f"the JSON text is not valid {self.encoding}",
                file=self.display,
                hint="JSON must be Unicode: save it as UTF-8, or import with the encoding utf-8-replace "
                "(command line: --encoding utf-8-replace) to replace invalid bytes with U+FFFD",
            )
        if isinstance(exc, RecursionError):
            return UserInputError("the JSON is nested too deeply to be a table", file=self.display)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = "check the file with a JSON validator, or export it again"
        if "trailing garbage" in first:  # a second value after the first: one object per line?
            hint = (
                "if the file holds one JSON object per line (JSON Lines), rename it to .jsonl; "
                "otherwise " + hint
            )
        return UserInputError(f"is not valid JSON ({first})", file=self.display, hint=hint)


def _survey(source: JsonSource) -> tuple[str | None, list[_Candidate], list[str]]:
    """Pass 1: top-level type, arrays of records with counts and keys, top-level keys."""
    candidates: dict[str, _Candidate] = {}
    top_type: str | None = None
    top_keys: list[str] = []
    with source.open() as fh:
        try:
            for prefix, event, value in ijson.parse(fh):
                cand = candidates.get(prefix)
                if cand is not None:
                    if event == "map_key":
                        if value not in cand.keys:
                            if len(cand.keys) >= MAX_JSON_COLUMNS:
                                cand.too_many_keys = True
                            else:
                                cand.keys[value] = None
                        continue
                    if event == "start_map":
                        cand.objects += 1
                        continue
                    if event in ("end_map", "end_array"):
                        continue
                    cand.others += 1
                    if cand.first_other is None:
                        cand.first_other = (cand.objects + cand.others, _kind(event))
                    continue
                if top_type is None:
                    top_type = event
                if event == "start_array":
                    parts = prefix.split(".") if prefix else []
                    if "item" not in parts and len(parts) <= MAX_ARRAY_DEPTH:
                        items = f"{prefix}.item" if prefix else "item"
                        candidates[items] = _Candidate(path=prefix, items_prefix=items)
                elif event == "map_key" and prefix == "" and len(top_keys) < 50:
                    top_keys.append(value)
        except (ijson.JSONError, UnicodeDecodeError, RecursionError) as exc:
            raise source.error(exc) from None
    return top_type, list(candidates.values()), top_keys


def _choose(
    source: JsonSource,
    top_type: str | None,
    candidates: list[_Candidate],
    top_keys: list[str],
    sheet: str | None,
) -> _Candidate:
    display = source.display
    if top_type is None:
        raise UserInputError("is empty", file=display, hint="export the inventory again")
    if top_type == "start_array":
        chosen = next(c for c in candidates if c.path == "")
        if sheet:
            raise UserInputError(f"the JSON is a single array; there is no {sheet!r} to choose", file=display)
    elif top_type == "start_map":
        usable = [c for c in candidates if c.objects > 0]
        if not usable:
            found = ", ".join(repr(k) for k in top_keys[:10]) or "none"
            raise UserInputError(
                f"the JSON object holds no array of objects (top-level keys: {found})",
                file=display,
                hint="the JSON must be an array of objects, one per server, or an object holding one",
            )
        if sheet:
            matches = [c for c in usable if c.path == sheet]
            if not matches:
                raise UserInputError(
                    f"the JSON has no array of objects at {sheet!r}",
                    file=display,
                    hint="choose one of: " + ", ".join(repr(c.path) for c in usable),
                )
            chosen = matches[0]
        else:
            chosen = max(usable, key=lambda c: c.objects)
    else:
        raise UserInputError(
            f"the JSON is {_kind(top_type)}, not an array of objects",
            file=display,
            hint="the JSON must be an array of objects, one per server",
        )
    if chosen.first_other is not None:
        position, kind = chosen.first_other
        raise UserInputError(
            f"item {position} of the JSON array is {kind}, not an object",
            file=display,
            sheet=chosen.path or None,
            row=position,
            hint='every item must be an object like {"name": "srv01", ...}',
        )
    if chosen.objects == 0:
        raise UserInputError("the JSON array is empty: no data rows", file=display, sheet=chosen.path or None)
    if chosen.too_many_keys:
        raise UserInputError(
            f"the JSON objects have more than {MAX_JSON_COLUMNS:,} distinct keys (columns), more than an "
            "import accepts",
            file=display,
            sheet=chosen.path or None,
            hint="this does not look like an inventory table; if it is one, export fewer fields",
            details={"limit": MAX_JSON_COLUMNS},
        )
    if not chosen.keys:
        raise UserInputError("the JSON objects have no keys: no columns", file=display)
    return chosen


def open_json(
    path: Path,
    *,
    display: str,
    sheet: str | None = None,
    encoding: str | None = None,
    skip_bad_rows: bool = False,
) -> Table:
    """Open a JSON file as a table; `sheet` picks the array by its key path (e.g. "records")."""
    source = JsonSource(path, display, encoding)
    top_type, candidates, top_keys = _survey(source)
    chosen = _choose(source, top_type, candidates, top_keys, sheet)
    keys = list(chosen.keys)
    check_column_count(len(keys), display, chosen.path or None, None)
    columns, renamed = unique_columns(keys, len(keys))
    usable = [c.path for c in candidates if c.objects > 0 and c.path]
    notes = [f"encoding {source.encoding}"]
    warnings: list[str] = []
    details: dict[str, Any] = {}
    if source.errors == "replace":
        skip = 3 if source.has_bom else 0
        damage = utf8_damage(lambda: path.open("rb"), path.stat().st_size + 1, skip=skip)
        details = {"errors": "replace", "invalid_sequences_replaced": damage.invalid_sequences}
        if damage.invalid_sequences:
            n = damage.invalid_sequences
            warnings.append(f"{n:,} invalid UTF-8 byte sequence{'s' if n != 1 else ''} replaced by U+FFFD")
    if chosen.path:
        notes.append(f"using the array at key {chosen.path!r} ({chosen.objects:,} objects)")

    def rows() -> Iterator[tuple[int, list[str]]]:
        with source.open() as fh:
            try:
                for position, item in enumerate(ijson.items(fh, chosen.items_prefix), start=1):
                    yield position, [cell_text(item.get(k)) for k in keys]
            except (ijson.JSONError, UnicodeDecodeError, RecursionError) as exc:
                raise source.error(exc) from None

    info = TableInfo(
        path=path,
        format="json",
        sheet=chosen.path or None,
        sheets=usable,
        encoding="utf-8" if source.errors == "replace" else source.encoding,
        delimiter=None,
        quotechar=None,
        header_row=None,
        columns=columns,
        renamed_headers=renamed,
        file_size=path.stat().st_size,
        mime_type="application/json",
        total_rows_estimate=chosen.objects,
        data_start_offset=None,
        has_bom=source.has_bom,
        notes=notes,
        encoding_errors=source.errors,
        encoding_details=details,
        warnings=warnings,
    )
    return Table(info, rows, header_index=0, grid=True, skip_bad_rows=skip_bad_rows, display=display)
