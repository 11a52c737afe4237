"""CSV fast path: PostgreSQL parses the file itself (`COPY … (FORMAT csv)`) into the stage.

The original bytes from `TableInfo.data_start_offset` go to the server unchanged (UTF-8 and
single-byte code pages, converted by COPY's ENCODING option) or transcoded to UTF-8 in chunks
(UTF-16/32 and multi-byte code pages). Python only scans the bytes it forwards, while the server
parses the previous chunk on the other core.

The result must be exactly what the reader would have produced, so the scan refuses (and the
caller falls back to the reader path) whenever the two parsers could disagree:
- a quote character anywhere but enclosing a whole field (Python keeps `12" monitor` literally,
  PostgreSQL would open a quoted section);
- a line starting with `\\.` (PostgreSQL's end-of-data marker: it would silently stop there);
- a value longer than the reader's field limit (PostgreSQL would store it; the reader refuses it
  with its row and column).
Ragged rows, blank lines between records, mixed line endings, NUL or undecodable bytes make
COPY itself fail, which falls back the same way; the reader path then reports them properly.

Record indexes: if no quoted value spans lines, record k starts on line `first_line + k - 1`;
otherwise the breaks inside earlier records are added (see `copy_writer.RecordIndexing`).
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from psycopg import sql

from core.imports.copy_writer import MAX_STAGE_COLUMNS, STAGE, create_stage, stage_columns
from core.ingest import TableInfo
from core.ingest.csv_reader import MAX_FIELD_CHARS
from core.progress import ProgressReporter

CHUNK = 1 << 20
MAX_UNRESOLVED = 8 << 20
"""A quoted value still open after this many bytes is left to the reader (which reports it)."""

SINGLE_BYTE_PG = {
    *(f"LATIN{i}" for i in range(1, 11)),
    *(f"WIN{i}" for i in (866, 874, 1250, 1251, 1252, 1253, 1254, 1255, 1256, 1257, 1258)),
    "KOI8R",
    "KOI8U",
    "ISO_8859_5",
    "ISO_8859_6",
    "ISO_8859_7",
    "ISO_8859_8",
}
"""Encodings whose bytes below 0x80 are always ASCII, so the byte scan below stays valid."""

_BOM_CODECS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
_BREAKS = re.compile(r"\r\n|\r|\n")

# PostgreSQL errors that mean "COPY's CSV parser does not accept these bytes": let the reader
# path read the file (it either succeeds or names the exact row and problem).
REJECTED_BY_SERVER = (
    psycopg.errors.BadCopyFileFormat,
    psycopg.errors.CharacterNotInRepertoire,
    psycopg.errors.UntranslatableCharacter,
    psycopg.errors.InvalidTextRepresentation,
    psycopg.errors.ProgramLimitExceeded,
)


class FastPathRejected(Exception):
    """The fast path cannot guarantee the reader's result for this file; use the reader path."""


@dataclass(frozen=True)
class StagedCsv:
    rows: int
    first_line: int
    has_breaks: bool
    blank_rows_skipped: int
    sha256: str


def count_breaks(text: str) -> int:
    return len(_BREAKS.findall(text))


def ineligible(info: TableInfo) -> str | None:
    """Why the fast path cannot be used for this table (None: it can be tried)."""
    if info.format != "csv" or info.data_start_offset is None:
        return "not a plain CSV file"
    if info.header_row is None:
        return "no header row"
    if len(info.columns) > MAX_STAGE_COLUMNS:
        return f"{len(info.columns)} columns: wider than a PostgreSQL table"
    for name, value in (("delimiter", info.delimiter), ("quote", info.quotechar)):
        if value is None or len(value) != 1 or not value.isascii() or value in "\r\n\\":
            return f"{name} {value!r} is not supported by COPY"
    if info.encoding is None:
        return "unknown encoding"
    try:
        codecs.lookup(info.encoding)
    except LookupError:
        return f"encoding {info.encoding!r} unknown"
    return None


class CsvScanner:
    """Checks forwarded CSV bytes for constructs where PostgreSQL and Python's csv disagree.

    One regex match per chunk walks it: runs without quotes, or whole quoted fields that start
    after a delimiter or line break and end before one. It stops at the first quote that does
    not start such a field; that is either a field cut by the chunk end (carried over) or a
    quote PostgreSQL would read differently (rejected).
    """

    def __init__(self, delimiter: str, quote: str) -> None:
        q = re.escape(quote.encode())
        d = re.escape(delimiter.encode())
        self._boundary = {delimiter.encode()[0], 0x0A, 0x0D}

        def pattern(multiline: bool, final: bool) -> re.Pattern[bytes]:
            # Possessive quantifiers (no backtracking state): CSV quoting is deterministic anyway
            # (a run of quotes inside a field is pairs plus at most one closing quote), and they
            # make quote-heavy files (every field quoted) about three times faster to check.
            body = b"[^" + q + (b"" if multiline else b"\\r\\n") + b"]*+"
            field = q + body + b"(?:" + q + q + body + b")*+" + q
            end = b"(?=[" + d + b"\\r\\n]" + (b"|\\Z" if final else b"") + b")"
            return re.compile(b"(?:[^" + q + b"]++|(?<=[" + d + b"\\r\\n])" + field + end + b")*+")

        self._patterns = {(m, f): pattern(m, f) for m in (False, True) for f in (False, True)}
        self._quote = quote.encode()
        self._delimiter = delimiter.encode()
        self._carry = b"\n"  # the byte before the first unchecked one: data starts a line
        self._tail = b"\n"
        self._run = 0  # bytes since the last delimiter or line break
        self.has_breaks = False

    def _check_run(self, chunk: bytes) -> None:
        """Reject a value longer than the reader's field limit (bytes >= characters, so a run of
        bytes below the limit never hides a field over it; a longer one goes to the reader)."""
        firsts = [i for i in (chunk.find(self._delimiter), chunk.find(b"\n"), chunk.find(b"\r")) if i >= 0]
        if not firsts:
            self._run += len(chunk)
        else:
            if self._run + min(firsts) > MAX_FIELD_CHARS:
                self._run += min(firsts)
            else:
                last = max(chunk.rfind(self._delimiter), chunk.rfind(b"\n"), chunk.rfind(b"\r"))
                self._run = len(chunk) - last - 1
        if self._run > MAX_FIELD_CHARS:
            raise FastPathRejected("a value longer than the reader's field limit")

    def feed(self, chunk: bytes, *, final: bool = False) -> None:
        probe = self._tail + chunk[:2]
        # a backslash is rare in inventory data, and looking for one byte is a memchr: the search
        # for the whole marker (its last byte '.' is common) cost half a second per 300 MB
        if (b"\\" in probe or b"\\" in chunk) and (
            b"\n\\." in probe or b"\r\\." in probe or b"\n\\." in chunk or b"\r\\." in chunk
        ):
            raise FastPathRejected("a line starts with '\\.', PostgreSQL's end-of-data marker")
        if chunk:
            self._tail = (self._tail + chunk)[-2:]
            self._check_run(chunk)
        data = self._carry + chunk
        if self._quote not in data:
            self._carry = data[-1:]
            return
        end = self._patterns[(self.has_breaks, final)].match(data, 1).end()  # type: ignore[union-attr]
        if end < len(data) and not self.has_breaks:
            further = self._patterns[(True, final)].match(data, end).end()  # type: ignore[union-attr]
            if further > end:
                self.has_breaks = True
                end = further
        if end == len(data):
            self._carry = data[-1:]
            return
        if final or data[end - 1] not in self._boundary:
            raise FastPathRejected("a quote character inside an unquoted value")
        if len(data) - end > MAX_UNRESOLVED:
            raise FastPathRejected("a quoted value runs on for megabytes")
        self._carry = data[end - 1 :]

    def finish(self) -> None:
        self.feed(b"", final=True)


def _transcoder(info: TableInfo, head: bytes) -> tuple[str, Callable[[bytes, bool], bytes] | None]:
    """COPY's ENCODING and, when the bytes must be converted first, the converter to UTF-8."""
    pg = info.pg_encoding
    replace = info.encoding_errors == "replace"  # utf-8-replace: the reader's U+FFFD, made here
    if pg in ("UTF8", "SQL_ASCII") and not replace:
        return "UTF8", None
    if pg in SINGLE_BYTE_PG and not replace:
        return pg, None
    codec = codecs.lookup(info.encoding or "utf-8").name
    if info.has_bom:
        codec = next((c for bom, c in _BOM_CODECS if head.startswith(bom)), codec)
    decoder = codecs.getincrementaldecoder(codec)(info.encoding_errors)

    def convert(chunk: bytes, final: bool) -> bytes:
        try:
            return decoder.decode(chunk, final).encode("utf-8")
        except UnicodeError as exc:
            raise FastPathRejected(f"undecodable bytes ({exc.reason})") from None

    return "UTF8", convert


def stage_csv(
    conn: psycopg.Connection,
    info: TableInfo,
    width: int,
    reporter: ProgressReporter,
) -> StagedCsv:
    """COPY the file's data rows into a fresh ordered stage; raise `FastPathRejected` if unsure.

    Must run inside a savepoint: on rejection the caller rolls back to it and uses the reader.
    """
    assert info.data_start_offset is not None and info.header_row is not None
    start = info.data_start_offset
    total = max(info.file_size - start, 1)
    estimate = info.total_rows_estimate
    reporter.report("reading", 0, estimate, bytes_done=0, bytes_total=total, force=True)
    digest = hashlib.sha256()
    cur = conn.cursor()
    create_stage(cur, width, ordered=True)
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in stage_columns(width))
    with open(info.path, "rb") as fh:
        prefix = fh.read(start)
        digest.update(prefix)
        encoding, convert = _transcoder(info, prefix)
        first_line = count_breaks(prefix.decode(info.encoding or "utf-8", errors="replace")) + 1
        header_breaks = sum(count_breaks(c.original) for c in info.columns)
        blank_between = max(0, first_line - info.header_row - 1 - header_breaks)
        scanner = CsvScanner(info.delimiter or ",", info.quotechar or '"')
        statement = sql.SQL(
            "COPY {} ({}) FROM STDIN (FORMAT csv, DELIMITER {}, QUOTE {}, ESCAPE {}, "
            "FORCE_NOT_NULL ({}), ENCODING {}, FREEZE)"
        ).format(
            sql.Identifier(STAGE),
            cols,
            sql.Literal(info.delimiter),
            sql.Literal(info.quotechar),
            sql.Literal(info.quotechar),
            cols,
            sql.Literal(encoding),
        )
        sent = 0
        held = b""  # line breaks at the end of what was read: blank lines if nothing follows
        trailing_blank = 0
        try:
            with cur.copy(statement) as copy:
                while True:
                    raw = fh.read(CHUNK)
                    final = not raw
                    digest.update(raw)
                    data = held + (convert(raw, final) if convert else raw)
                    body = len(data.rstrip(b"\r\n"))
                    data, held = data[:body], data[body:]
                    if final and held:  # COPY rejects blank lines: keep the last line end only
                        trailing_blank = count_breaks(held.decode("ascii")) - 1
                        data += held[:2] if held.startswith(b"\r\n") else held[:1]
                    scanner.feed(data, final=final)
                    if data:
                        copy.write(data)
                    if final:
                        break
                    sent += len(raw)
                    done = round(estimate * sent / total) if estimate else 0
                    reporter.report("reading", done, estimate, bytes_done=sent, bytes_total=total)
        except REJECTED_BY_SERVER as exc:
            first = str(exc).strip().splitlines()[0] if str(exc) else type(exc).__name__
            raise FastPathRejected(f"PostgreSQL's CSV parser refused it: {first}") from exc
        rows = max(cur.rowcount, 0)
    reporter.report("reading", rows, rows, bytes_done=total, bytes_total=total, force=True)
    return StagedCsv(
        rows=rows,
        first_line=first_line,
        has_breaks=scanner.has_breaks,
        blank_rows_skipped=blank_between + trailing_blank,
        sha256=digest.hexdigest(),
    )
