"""The `Table` every reader returns: streaming data rows aligned with the detected header.

Format readers only supply a re-openable stream of raw rows (record index, text cells) from
the top of the file or sheet; alignment, empty-row dropping and ragged-row policy live here
once, so CSV, XLSX, JSON and ZIP behave identically.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable, Generator, Iterator
from types import TracebackType

from core.errors import UserInputError
from core.ingest.model import BadRow, TableInfo

RawRows = Callable[[], Iterator[tuple[int, list[str] | BadRow]]]
"""(record index, cells), or (record index, BadRow) for a record the reader could not read at all."""


def column_letter(position: int) -> str:
    """Spreadsheet column letter for a 0-based position (0 → A, 26 → AA)."""
    letters = ""
    n = position + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


class Table:
    """An opened source table. Use as a context manager; iterate with `iter_rows()`.

    Record indexes are what a person sees in an editor or Excel: for CSV the 1-based line on
    which the record starts (header on line 3 ⇒ first data row 4; a quoted multi-line record
    counts all its lines), for XLSX the sheet's row number, for JSON the 1-based position of
    the object in its array, for JSON Lines the 1-based line number.
    """

    def __init__(
        self,
        info: TableInfo,
        raw_rows: RawRows,
        *,
        header_index: int,
        grid: bool,
        skip_bad_rows: bool,
        display: str,
        on_close: list[Callable[[], None]] | None = None,
    ) -> None:
        self.info = info
        self._raw_rows = raw_rows
        self._header_index = header_index
        self._grid = grid
        self._skip_bad_rows = skip_bad_rows
        self._display = display
        self._on_close = on_close or []
        self._bad_rows: list[BadRow] = []
        self._empty_rows = 0
        self._live: weakref.WeakSet[Generator[tuple[int, list[str]], None, None]] = weakref.WeakSet()
        self._closed = False

    # -- public API ---------------------------------------------------------------------------

    @property
    def bad_rows(self) -> list[BadRow]:
        """Rows skipped by the latest `iter_rows()` pass (only with `skip_bad_rows=True`)."""
        return list(self._bad_rows)

    @property
    def bad_row_count(self) -> int:
        """len(bad_rows) without copying the list."""
        return len(self._bad_rows)

    @property
    def empty_rows_dropped(self) -> int:
        """Fully empty rows skipped so far by the latest `iter_rows()` pass."""
        return self._empty_rows

    def sample(self, n: int = 200) -> list[list[str]]:
        """First `n` data rows for previews; does not touch the `bad_rows`/empty counters."""
        gen = self._rows(record=False)
        try:
            return [cells for _, cells in itertools.islice(gen, max(n, 0))]
        finally:
            gen.close()

    def iter_rows(self) -> Iterator[tuple[int, list[str]]]:
        """Stream all data rows as (record_index, cells); each call starts again from the top.

        Raises `UserInputError` at the first ragged row unless `skip_bad_rows` was given.
        """
        self._bad_rows = []
        self._empty_rows = 0
        gen = self._rows(record=True)
        self._live.add(gen)
        return gen

    def close(self) -> None:
        """Release file handles (open row iterators stop)."""
        if self._closed:
            return
        self._closed = True
        for gen in list(self._live):
            gen.close()
        for closer in self._on_close:
            closer()

    def __enter__(self) -> Table:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Table {self._display!r} {self.info.format} {len(self.info.columns)} columns>"

    # -- internals ----------------------------------------------------------------------------

    def _rows(self, *, record: bool) -> Generator[tuple[int, list[str]], None, None]:
        if self._closed:
            raise ValueError("the table is closed")
        width = len(self.info.columns)
        header_index = self._header_index
        raw = self._raw_rows()
        try:
            for idx, cells in raw:
                if idx <= header_index:
                    continue
                if isinstance(cells, BadRow):
                    self._unreadable(cells, record=record)
                    continue
                if not "".join(cells).strip():
                    if record:
                        self._empty_rows += 1
                    continue
                if len(cells) != width:
                    fitted = self._fit(idx, cells, width, record=record)
                    if fitted is None:
                        continue
                    cells = fitted
                yield idx, cells
        finally:
            close = getattr(raw, "close", None)
            if close is not None:
                close()

    def _unreadable(self, bad: BadRow, *, record: bool) -> None:
        """A record the reader could not turn into cells (a JSON line that does not parse)."""
        if not self._skip_bad_rows:
            raise UserInputError(
                bad.reason,
                file=self._display,
                row=bad.row,
                hint="correct that record in the file, or import with 'skip bad rows' to leave such "
                "records out and list them",
            )
        if record:
            self._bad_rows.append(bad)

    def _fit(self, idx: int, cells: list[str], width: int, *, record: bool) -> list[str] | None:
        """Trim empty overflow, pad short grid rows; anything else is a bad (ragged) row."""
        n = len(cells)
        if n > width and not "".join(cells[width:]).strip():
            return cells[:width]
        if n < width and self._grid:
            return cells + [""] * (width - n)
        bad = self._describe_bad(idx, cells, width)
        if not self._skip_bad_rows:
            raise UserInputError(
                bad.reason,
                file=self._display,
                sheet=self.info.sheet if self.info.format in ("xlsx", "zip") else None,
                row=idx,
                hint=(
                    ""
                    if self._grid
                    else "a stray quote or an unquoted delimiter inside a value usually causes this; "
                )
                + "correct that row in the file, or import with 'skip bad rows' to leave such rows "
                "out and list them",
                details={"field_count": bad.field_count, "expected": bad.expected},
            )
        if record:
            self._bad_rows.append(bad)
        return None

    def _describe_bad(self, idx: int, cells: list[str], width: int) -> BadRow:
        n = len(cells)
        header = self.info.header_row
        if self._grid:
            extra = next(i for i in range(n - 1, width - 1, -1) if cells[i].strip())
            reason = (
                f"row {idx} has a value in column {column_letter(extra)}, right of the header's "
                f"last column {column_letter(width - 1)}"
            )
            return BadRow(row=idx, reason=reason, field_count=extra + 1, expected=width)
        where = f" (row {header})" if header is not None else ""
        reason = f"row {idx} has {n} fields, the header{where} has {width}"
        if any("\n" in c or "\r" in c for c in cells):
            reason += " (the record spans several lines: probably a quote that is never closed)"
        return BadRow(row=idx, reason=reason, field_count=n, expected=width)
