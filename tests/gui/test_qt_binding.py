"""Guards against a Qt binding release that would crash a long session."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    fired = Signal(object)


def test_emitting_signals_does_not_leak_references() -> None:
    # PySide6 6.12.0 dropped a reference to True on every emit: a long session then dies with
    # "Fatal Python error: bool_dealloc". pyproject.toml excludes that release.
    emitter = _Emitter()
    before = sys.getrefcount(True)
    for _ in range(1000):
        emitter.fired.emit(1)
    # other threads may hold a True for a moment; the bug shows as about -1000
    assert abs(sys.getrefcount(True) - before) < 50
