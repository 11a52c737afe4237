"""The task manager: results on the GUI thread, one writer at a time, progress, cancel, errors."""

from __future__ import annotations

import threading
import time

import pytest
from pytestqt.qtbot import QtBot

from core.bootstrap import Core
from core.changes import OpChanges
from core.errors import MigrationDiscoveryError
from desktop_app import error_dialog
from desktop_app.task_manager import CollectionOp, QueryOp, TaskContext, TaskManager


def test_query_runs_in_a_worker_and_delivers_on_the_gui_thread(qtbot: QtBot, tasks: TaskManager) -> None:
    gui = threading.get_ident()
    seen: dict[str, object] = {}

    def work(core: Core) -> int:
        seen["worker"] = threading.get_ident()
        seen["core"] = core
        return 42

    QueryOp(None, work).success(
        lambda r: seen.update(result=r, thread=threading.get_ident())
    ).run_in_background(tasks)
    qtbot.waitUntil(lambda: "result" in seen)
    assert seen["result"] == 42 and seen["thread"] == gui and seen["worker"] != gui
    assert seen["core"] is tasks.core


def test_write_broadcasts_what_it_changed(qtbot: QtBot, tasks: TaskManager) -> None:
    got: list[tuple[OpChanges, object]] = []
    tasks.operation_did_execute.connect(lambda c, i: got.append((c, i)))
    initiator = object()
    CollectionOp(None, lambda core: "ok", initiator=initiator).changes(
        OpChanges(imports=True)
    ).run_in_background(tasks)
    qtbot.waitUntil(lambda: bool(got))
    assert got[0][0].imports and got[0][1] is initiator


def test_writes_run_one_at_a_time_reads_in_parallel(qtbot: QtBot, tasks: TaskManager) -> None:
    lock = threading.Lock()
    live = {"write": 0, "read": 0}
    peak = {"write": 0, "read": 0}
    done: list[str] = []

    def make(kind: str):
        def work(core: Core) -> None:
            with lock:
                live[kind] += 1
                peak[kind] = max(peak[kind], live[kind])
            time.sleep(0.05)
            with lock:
                live[kind] -= 1

        return work

    for _ in range(3):
        CollectionOp(None, make("write")).success(lambda _r: done.append("w")).run_in_background(tasks)
        QueryOp(None, make("read")).success(lambda _r: done.append("r")).run_in_background(tasks)
    qtbot.waitUntil(lambda: len(done) == 6, timeout=5000)
    assert peak["write"] == 1
    assert peak["read"] > 1


def test_progress_and_cancel(qtbot: QtBot, tasks: TaskManager) -> None:
    progress: list[int] = []
    failures: list[BaseException] = []
    tasks.task_progress.connect(lambda h: progress.append(h.progress.done))

    def work(core: Core, ctx: TaskContext) -> None:
        i = 0
        while True:
            ctx.check_cancelled()
            ctx.progress(i, None, "looping")
            i += 1
            time.sleep(0.005)

    handle = (
        CollectionOp(None, work, label="Looping")
        .with_progress()
        .failure(failures.append)
        .run_in_background(tasks)
    )
    qtbot.waitUntil(lambda: len(progress) >= 2)
    assert handle in tasks.running()
    handle.cancel()
    qtbot.waitUntil(lambda: bool(failures))
    assert handle.state == "cancelled"
    assert not tasks.running()


def test_failure_goes_to_the_callback_or_an_error_dialog(qtbot: QtBot, tasks: TaskManager) -> None:
    caught: list[BaseException] = []

    def boom(core: Core) -> None:
        raise MigrationDiscoveryError("the server went away")

    QueryOp(None, boom).failure(caught.append).run_in_background(tasks)
    qtbot.waitUntil(lambda: bool(caught))
    assert "went away" in str(caught[0])

    before = len(error_dialog.open_dialogs())
    QueryOp(None, boom).run_in_background(tasks)
    qtbot.waitUntil(lambda: len(error_dialog.open_dialogs()) > before)
    box = error_dialog.open_dialogs()[-1]
    assert "went away" in box.text() and "Traceback" in box.detailedText()
    box.close()


def test_tasks_submitted_before_the_database_opens_wait_for_it(
    qtbot: QtBot, loop: object, core: Core
) -> None:
    manager = TaskManager(loop)  # type: ignore[arg-type]
    got: list[object] = []
    QueryOp(None, lambda c: c).success(got.append).run_in_background(manager)
    other: list[object] = []
    manager.submit(lambda _c: "no core needed", kind="read", needs_core=False, success=other.append)
    qtbot.waitUntil(lambda: bool(other))  # the loop and the pool ran; the core-bound task still waits
    assert not got
    manager.set_core(core)
    qtbot.waitUntil(lambda: bool(got))
    assert got[0] is core
    manager.shutdown()


def test_work_queued_when_the_manager_shuts_down_ends_cancelled(
    qtbot: QtBot, loop: object, core: Core
) -> None:
    """Regression: closing the window right after a read was submitted (the sync state refresh)
    cancelled the asyncio task before its first step; the handle stayed "queued" for ever, so the
    task list never emptied and later waits timed out."""
    manager = TaskManager(loop)  # type: ignore[arg-type]
    manager.set_core(core)
    ran: list[object] = []
    failed: list[BaseException] = []
    handle = QueryOp(None, lambda c: ran.append(c)).failure(failed.append).run_in_background(manager)
    manager.shutdown()  # before the loop ever ran the task's first step
    assert handle.state == "cancelled" and manager.is_idle()
    qtbot.waitUntil(lambda: handle.task is not None and handle.task.done())
    assert not ran and not failed  # a closed manager delivers nothing
    assert manager.wait_for_workers(10)


def test_a_task_cancelled_before_it_starts_is_settled(qtbot: QtBot, tasks: TaskManager) -> None:
    """However its asyncio task ends, a handle ends too (its failure callback hears of it)."""
    failed: list[BaseException] = []
    handle = QueryOp(None, lambda c: c).failure(failed.append).run_in_background(tasks)
    assert handle.task is not None
    handle.task.cancel()
    qtbot.waitUntil(tasks.is_idle)
    assert handle.state == "cancelled" and len(failed) == 1


def test_excepthook_logs_and_shows(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    error_dialog.install_excepthook(lambda: None)
    before = len(error_dialog.open_dialogs())
    try:
        raise ValueError("slot exploded")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    qtbot.waitUntil(lambda: len(error_dialog.open_dialogs()) > before)
    box = error_dialog.open_dialogs()[-1]
    assert "slot exploded" in box.text()
    box.close()
