"""GUI test fixtures: the real qasync loop and task manager over the real test database.

Why no synchronous mode: the qasync loop is installed "already running" on the test QApplication,
so pytest-qt's waits (`qtbot.waitUntil`) drive the same asyncio loop, executors and result
delivery as the application does. Tests wait on conditions, never sleep.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from core.bootstrap import Core
from desktop_app.event_loop import install_event_loop
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager
from desktop_app.theme import apply_theme

OUTPUT = Path(__file__).resolve().parents[1] / "output"


@pytest.fixture(scope="session")
def loop(qapp: QApplication) -> asyncio.AbstractEventLoop:
    """The qasync loop, installed once for the test session (as the app does once per process)."""
    apply_theme(qapp, "light")
    return install_event_loop(qapp)


@pytest.fixture(autouse=True)
def isolated_qsettings(tmp_path: Path) -> Iterator[None]:
    """QSettings in a temporary INI location with an organisation name unique to the test."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    old = QCoreApplication.organizationName(), QCoreApplication.applicationName()
    QCoreApplication.setOrganizationName(f"md-test-{uuid.uuid4().hex[:8]}")
    QCoreApplication.setApplicationName("Migration Discovery Test")
    yield
    QCoreApplication.setOrganizationName(old[0])
    QCoreApplication.setApplicationName(old[1])


@pytest.fixture
def store() -> SettingsStore:
    return SettingsStore()


def wait_idle(qtbot: QtBot, manager: TaskManager, timeout_ms: int = 60_000) -> None:
    """Wait for the task manager's work to finish; a timeout names what is still running (a loaded
    machine may take long, but a task that never ends must say which it is)."""
    try:
        qtbot.waitUntil(manager.is_idle, timeout=timeout_ms)
    except Exception as exc:
        now = time.monotonic()
        running = [f"{t.label} ({t.state}, {now - t.started_at:.0f} s)" for t in manager.running()]
        workers = {t.ident: t.name for t in threading.enumerate() if t.name.startswith("md-")}
        stacks = "".join(
            f"\n--- {workers[ident]}\n" + "".join(traceback.format_stack(frame)[-6:])
            for ident, frame in sys._current_frames().items()
            if ident in workers
        )
        raise AssertionError(
            f"tasks still running after {timeout_ms / 1000:.0f} s: {running}; "
            f"loop: {_loop_state(manager)}; worker threads:{stacks}"
        ) from exc


def _loop_state(manager: TaskManager) -> str:
    """Whether each stuck task's asyncio side has ended (a task cancelled before its first step
    ends without running any of its body) and where it waits."""
    parts = []
    for t in manager.running():
        fut = t.task
        if fut is not None:
            where = [f"{f.f_code.co_name}:{f.f_lineno}" for f in fut.get_stack()]  # type: ignore[attr-defined]
            parts.append(f"{t.label}: done={fut.done()} cancelled={fut.cancelled()} at {where}")
    return ", ".join(parts) or "no asyncio task"


@pytest.fixture
def tasks(loop: asyncio.AbstractEventLoop, core: Core, qtbot: QtBot) -> Iterator[TaskManager]:
    """A task manager with the test core; waits for its work to finish before the next test."""
    manager = TaskManager(loop)
    manager.set_core(core)
    yield manager
    wait_idle(qtbot, manager, 60_000)
    manager.shutdown()
    manager.wait_for_workers(10)


@pytest.fixture
def output_dir() -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT
