"""Progress reports and cancellation for long imports, shared by the GUI and the CLI.

The import runs on a worker thread (GUI) or the main thread (CLI); both sides only ever see
`ImportProgress` snapshots and call `CancelToken.cancel()`, which is safe from any thread. A
cancel also interrupts a long SQL statement in flight (through the registered callbacks), so
the user never waits for a multi-second `INSERT … SELECT` to finish before the rollback.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from core.errors import OperationCancelled

log = logging.getLogger(__name__)

REPORT_INTERVAL = 0.2
"""Seconds between progress reports (cancellation is checked far more often)."""

Phase = str
"""`opening` (detecting the file), `reading` (streaming rows into staging), `storing` (writing
the raw records), `finishing` (flow state, commit)."""


@dataclass(frozen=True)
class ImportProgress:
    """One snapshot of an import's progress; `rows_total` is an estimate until the end."""

    phase: Phase
    rows_done: int
    rows_total: int | None
    elapsed: float
    bytes_done: int | None = None
    bytes_total: int | None = None

    @property
    def rate(self) -> float:
        """Rows per second so far."""
        return self.rows_done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def fraction(self) -> float | None:
        """0..1 of the current phase when known (by rows, else by bytes)."""
        if self.rows_total:
            return min(1.0, self.rows_done / self.rows_total)
        if self.bytes_total:
            return min(1.0, (self.bytes_done or 0) / self.bytes_total)
        return None


ProgressCallback = Callable[[ImportProgress], None]


class CancelToken:
    """Thread-safe cancellation flag; callbacks registered with `on_cancel` run on `cancel()`."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback()
            except Exception:  # a failed interrupt must not hide the cancellation itself
                log.warning("cancel callback failed", exc_info=True)

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise OperationCancelled("the import was cancelled; nothing was stored")

    @contextmanager
    def on_cancel(self, callback: Callable[[], None]) -> Iterator[None]:
        """Run `callback` if cancelled while inside the block (at once if already cancelled)."""
        with self._lock:
            self._callbacks.append(callback)
            already = self._event.is_set()
        try:
            if already:
                callback()
            yield
        finally:
            with self._lock:
                self._callbacks.remove(callback)


class ProgressReporter:
    """Throttles reports to the callback and checks the cancel token at every report point."""

    def __init__(
        self,
        callback: ProgressCallback | None,
        cancel: CancelToken | None,
        *,
        interval: float | None = None,
    ) -> None:
        self._callback = callback
        self.cancel = cancel or CancelToken()
        self._interval = REPORT_INTERVAL if interval is None else interval
        self._started = time.monotonic()
        self._last = 0.0
        self._phase: Phase | None = None
        self._phase_started = self._started
        self.timings: dict[Phase, float] = {}
        """Seconds spent in each phase so far (for logs and benchmarks)."""

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def report(
        self,
        phase: Phase,
        rows_done: int,
        rows_total: int | None,
        *,
        bytes_done: int | None = None,
        bytes_total: int | None = None,
        force: bool = False,
    ) -> None:
        """Tell the caller (at most every `interval` seconds unless `force`); raise if cancelled."""
        self.cancel.raise_if_cancelled()
        now = time.monotonic()
        if phase != self._phase:
            self.mark(phase, now)
        if self._callback is None:
            return
        if not force and now - self._last < self._interval:
            return
        self._last = now
        self._callback(
            ImportProgress(
                phase=phase,
                rows_done=rows_done,
                rows_total=rows_total,
                elapsed=now - self._started,
                bytes_done=bytes_done,
                bytes_total=bytes_total,
            )
        )
        self.cancel.raise_if_cancelled()

    def mark(self, phase: Phase | None, now: float | None = None) -> None:
        """Close the current phase's timing and start `phase` (None: just close)."""
        now = time.monotonic() if now is None else now
        if self._phase is not None:
            self.timings[self._phase] = round(
                self.timings.get(self._phase, 0.0) + now - self._phase_started, 3
            )
        self._phase = phase
        self._phase_started = now
