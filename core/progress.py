"""One progress and cancel protocol for every long operation: import, cleansing, inventory, export, phases.

Why one: the GUI task manager and the CLI progress bar adapt a single shape instead of guessing attribute
names per operation. Work reports `Progress` snapshots through a `ProgressFn` (throttled by a
`ProgressReporter`) and polls one `CancelToken`, which is safe to cancel from any thread and can interrupt a
long SQL statement in flight through `on_cancel` callbacks.
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
"""Seconds between progress reports (cancellation is checked at every report point)."""


@dataclass(frozen=True)
class Progress:
    """Where an operation is: `done` of `total` `unit`s in `stage` (total None: not known yet).

    `stage` names the step ("opening", "reading", "storing", "finishing" for an import; the phase name for a
    phase run); `elapsed` counts seconds since the operation started; bytes are for file-bound work.
    """

    stage: str
    done: int
    total: int | None = None
    unit: str = "rows"
    text: str = ""
    elapsed: float = 0.0
    bytes_done: int | None = None
    bytes_total: int | None = None

    @property
    def rate(self) -> float:
        """Units per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def fraction(self) -> float | None:
        """0..1 of the current stage when known (by units, else by bytes)."""
        if self.total:
            return max(0.0, min(1.0, self.done / self.total))
        if self.bytes_total:
            return max(0.0, min(1.0, (self.bytes_done or 0) / self.bytes_total))
        return None


ProgressFn = Callable[[Progress], None]


class CancelToken:
    """Thread-safe cancellation flag; callbacks registered with `on_cancel` run when it is cancelled."""

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

    def wait(self, timeout: float | None = None) -> bool:
        """Block until cancelled or `timeout` passes; True when cancelled (for waits between retries)."""
        return self._event.wait(timeout)

    def raise_if_cancelled(self, message: str = "the operation was cancelled") -> None:
        if self._event.is_set():
            raise OperationCancelled(message)

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
    """Throttles reports to a `ProgressFn`, checks the cancel token at every report, times each stage."""

    def __init__(
        self,
        callback: ProgressFn | None,
        cancel: CancelToken | None,
        *,
        unit: str = "rows",
        interval: float | None = None,
        cancelled_message: str = "the operation was cancelled",
    ) -> None:
        self._callback = callback
        self.cancel = cancel or CancelToken()
        self.unit = unit
        self._interval = REPORT_INTERVAL if interval is None else interval
        self._cancelled_message = cancelled_message
        self._started = time.monotonic()
        self._last = 0.0
        self._stage: str | None = None
        self._stage_started = self._started
        self.timings: dict[str, float] = {}
        """Seconds spent in each stage so far (for logs, benchmarks and phase durations)."""

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def check(self) -> None:
        """Raise `OperationCancelled` when the token was cancelled."""
        self.cancel.raise_if_cancelled(self._cancelled_message)

    def report(
        self,
        stage: str,
        done: int,
        total: int | None,
        *,
        text: str = "",
        bytes_done: int | None = None,
        bytes_total: int | None = None,
        force: bool = False,
    ) -> None:
        """Tell the caller (at most every `interval` seconds unless `force`); raise if cancelled."""
        self.check()
        now = time.monotonic()
        if stage != self._stage:
            self.mark(stage, now)
        if self._callback is None:
            return
        if not force and now - self._last < self._interval:
            return
        self._last = now
        self._callback(
            Progress(
                stage=stage,
                done=done,
                total=total,
                unit=self.unit,
                text=text,
                elapsed=now - self._started,
                bytes_done=bytes_done,
                bytes_total=bytes_total,
            )
        )
        self.check()

    def mark(self, stage: str | None, now: float | None = None) -> None:
        """Close the current stage's timing and start `stage` (None: just close)."""
        now = time.monotonic() if now is None else now
        if self._stage is not None:
            spent = self.timings.get(self._stage, 0.0) + now - self._stage_started
            self.timings[self._stage] = round(spent, 3)
        self._stage = stage
        self._stage_started = now
