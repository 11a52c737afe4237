"""The core's one progress/cancel protocol: snapshots, the token, the throttled reporter (no database)."""

from __future__ import annotations

import pytest

from core.errors import OperationCancelled
from core.progress import CancelToken, Progress, ProgressReporter


def test_progress_fraction_and_rate() -> None:
    p = Progress("reading", done=500, total=1000, elapsed=2.0)
    assert p.fraction == 0.5 and p.rate == 250
    by_bytes = Progress("reading", 0, None, elapsed=1.0, bytes_done=30, bytes_total=120)
    assert by_bytes.fraction == 0.25
    assert Progress("opening", 0, None).fraction is None


def test_cancel_runs_callbacks_once_and_raises_at_the_next_report() -> None:
    token = CancelToken()
    calls: list[str] = []
    seen: list[Progress] = []
    reporter = ProgressReporter(seen.append, token, interval=0)
    with token.on_cancel(lambda: calls.append("interrupt")):
        reporter.report("reading", 1, 10)
        token.cancel()
        token.cancel()
        with pytest.raises(OperationCancelled):
            reporter.report("reading", 2, 10)
    assert calls == ["interrupt"] and [p.done for p in seen] == [1]
    with token.on_cancel(lambda: calls.append("late")):  # registered after the cancel: runs at once
        pass
    assert calls == ["interrupt", "late"]


def test_reports_are_throttled_but_phase_timings_kept() -> None:
    seen: list[Progress] = []
    reporter = ProgressReporter(seen.append, None, interval=3600)
    reporter.report("opening", 0, None, force=True)
    for i in range(100):
        reporter.report("reading", i, 100)
    reporter.report("storing", 0, 100, force=True)
    reporter.mark(None)
    assert [p.stage for p in seen] == ["opening", "storing"]
    assert set(reporter.timings) == {"opening", "reading", "storing"}
