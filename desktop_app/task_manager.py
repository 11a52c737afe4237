"""The one place background work runs: database reads and writes, imports, phase runs.

Why: the window must never freeze and a decision must never be lost. Every database or long
operation is submitted here through one of two builders (Anki's `QueryOp` / `CollectionOp`):

    QueryOp(parent=self, op=lambda core: navigation.navigation(core.uows)) \
        .success(self.model.load).run_in_background()

    CollectionOp(parent=self, op=lambda core: approve(core, ...)) \
        .changes(OpChanges(mappings=True)).success(...).run_in_background()

The function runs in a worker thread, gets the `Core` (and with `.with_progress()` a
`TaskContext` to report progress and poll for cancellation) and returns plain data; it never
touches widgets. Results, progress and errors are delivered on the GUI thread by the qasync event
loop. Writes go to a single-worker executor ("one writer at a time"); reads to a small pool.
A successful write broadcasts `operation_did_execute(changes, initiator)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import sys
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from core.changes import NOTHING, OpChanges
from core.errors import MigrationDiscoveryError, OperationCancelled
from core.progress import CancelToken, Progress
from desktop_app.error_dialog import show_error

if TYPE_CHECKING:  # the core is imported by whoever opens it; keeps start-up imports light
    from core.bootstrap import Core

log = logging.getLogger(__name__)

T = TypeVar("T")
Kind = Literal["read", "write"]
TaskState = Literal["queued", "running", "done", "failed", "cancelled"]

#: Progress reaches the GUI thread at most this often (coalesced); keeps the GUI thread idle.
PROGRESS_INTERVAL_S = 0.05
READ_WORKERS = 3


@dataclass(frozen=True)
class TaskProgress:
    """Where a task is: `done` of `total` units (None = unknown), a text and a rate."""

    done: int = 0
    total: int | None = None
    text: str = ""
    rate: float | None = None

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return max(0.0, min(1.0, self.done / self.total))


class TaskHandle:
    """A submitted task as the GUI sees it: label, state, latest progress and a cancel switch."""

    _ids = itertools.count(1)

    def __init__(self, label: str, kind: Kind, cancellable: bool) -> None:
        self.id = next(self._ids)
        self.label = label
        self.kind = kind
        self.cancellable = cancellable
        self.token = CancelToken()
        self.state: TaskState = "queued"
        self.progress: TaskProgress | None = None
        self.started_at = time.monotonic()
        self.finished_at: float | None = None
        self.error: BaseException | None = None
        self.task: asyncio.Future[Any] | None = None
        self._progress_pending = False
        self._last_progress = 0.0

    def cancel(self) -> None:
        self.token.cancel()

    @property
    def done(self) -> bool:
        return self.state in ("done", "failed", "cancelled")

    def __repr__(self) -> str:
        return f"<Task {self.id} {self.label!r} {self.state}>"


class TaskContext:
    """What a background function gets besides the core: progress reporting and cancellation."""

    def __init__(self, core: Core, handle: TaskHandle, manager: TaskManager) -> None:
        self.core = core
        self._handle = handle
        self._manager = manager

    @property
    def cancel(self) -> CancelToken:
        return self._handle.token

    @property
    def cancelled(self) -> bool:
        return self._handle.token.cancelled

    def check_cancelled(self) -> None:
        self._handle.token.raise_if_cancelled()

    def progress(
        self, done: int, total: int | None = None, text: str = "", rate: float | None = None
    ) -> None:
        """Report progress (thread-safe, cheap: coalesced to a few updates per second)."""
        self._manager._report(self._handle, TaskProgress(done, total, text, rate))

    def report(self, snapshot: Progress) -> None:
        """The core's progress protocol (`core.progress.ProgressFn`), adapted once for the GUI."""
        text = snapshot.text or snapshot.stage.replace("_", " ")
        self.progress(snapshot.done, snapshot.total, text, snapshot.rate or None)


class TaskManager(QObject):
    """Owns the executors and the list of running tasks; hands results back to the GUI thread."""

    #: (OpChanges, initiator) after every successful write — every screen listens to this.
    operation_did_execute = Signal(object, object)
    task_started = Signal(object)
    task_progress = Signal(object)
    task_finished = Signal(object)
    #: The core was opened (Core) or closed (None).
    core_changed = Signal(object)
    #: Opening the core failed (the exception).
    core_failed = Signal(object)

    _instance: TaskManager | None = None

    def __init__(self, loop: asyncio.AbstractEventLoop, *, read_workers: int = READ_WORKERS) -> None:
        super().__init__()
        self._loop = loop
        self._write = ThreadPoolExecutor(max_workers=1, thread_name_prefix="md-write")
        self._read = ThreadPoolExecutor(max_workers=read_workers, thread_name_prefix="md-read")
        self._tasks: dict[int, TaskHandle] = {}
        self._core: Core | None = None
        self._core_error: BaseException | None = None
        self._core_waiters: list[asyncio.Future[Core]] = []
        self._closed = False
        TaskManager._instance = self

    # -- access --------------------------------------------------------------------------------

    @classmethod
    def instance(cls) -> TaskManager:
        if cls._instance is None:
            raise RuntimeError("no TaskManager has been created")
        return cls._instance

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    @property
    def core(self) -> Core | None:
        return self._core

    def set_core(self, core: Core | None, error: BaseException | None = None) -> None:
        """Make `core` available to tasks (tasks submitted earlier were waiting for it)."""
        self._core = core
        self._core_error = error
        waiters, self._core_waiters = self._core_waiters, []
        for fut in waiters:
            if fut.done():
                continue
            if core is not None:
                fut.set_result(core)
            else:
                fut.set_exception(
                    error
                    or MigrationDiscoveryError(
                        "the database is not open",
                    )
                )
        self.core_changed.emit(core)
        if core is None and error is not None:
            self.core_failed.emit(error)

    def open_core(self, opener: Callable[[], Core], label: str = "Starting database") -> TaskHandle:
        """Open the core in the background (writer thread); tasks submitted meanwhile wait for it."""
        return self.submit(
            lambda _core: opener(),
            kind="write",
            label=label,
            needs_core=False,
            success=self.set_core,
            failure=lambda exc: self.set_core(None, exc),
        )

    def running(self) -> list[TaskHandle]:
        """Tasks not finished yet, oldest first."""
        return [t for t in self._tasks.values() if not t.done]

    def is_idle(self) -> bool:
        return not self.running()

    # -- submitting ------------------------------------------------------------------------------

    def submit(
        self,
        fn: Callable[..., T],
        *,
        kind: Kind,
        label: str = "",
        with_context: bool = False,
        cancellable: bool = False,
        success: Callable[[T], None] | None = None,
        failure: Callable[[BaseException], None] | None = None,
        parent: QWidget | None = None,
        changes: OpChanges | Callable[[T], OpChanges] | None = None,
        initiator: object | None = None,
        needs_core: bool = True,
        timeout: float | None = None,
    ) -> TaskHandle:
        """Run `fn(core)` (or `fn(core, ctx)`) in the right executor; prefer the op builders."""
        handle = TaskHandle(label or getattr(fn, "__name__", "task"), kind, cancellable)
        if self._closed:  # a late timer after shutdown (window closing): nothing runs any more
            log.debug("task %r submitted after shutdown; ignored", handle.label)
            handle.state = "cancelled"
            return handle
        self._tasks[handle.id] = handle
        coro = self._run(
            handle, fn, with_context, success, failure, parent, changes, initiator, needs_core, timeout
        )
        handle.task = asyncio.ensure_future(coro, loop=self._loop)
        handle.task.add_done_callback(lambda fut: self._settle(handle, fut, failure, parent))
        self.task_started.emit(handle)
        return handle

    def run_on_main(self, fn: Callable[[], None]) -> None:
        """Call `fn` on the GUI thread soon (safe from any thread)."""
        self._loop.call_soon_threadsafe(fn)

    # -- cancelling and closing -------------------------------------------------------------------

    def cancel_all(self) -> None:
        for handle in self.running():
            handle.cancel()

    def shutdown(self) -> None:
        """Cancel everything and stop the executors without waiting for running work (qasync #115).

        Running workers see their cancel token and stop at their next check; queued work is dropped.
        """
        if self._closed:
            return
        self._closed = True
        self.cancel_all()
        for executor in (self._write, self._read):
            executor.shutdown(wait=False, cancel_futures=True)
        for handle in self.running():  # stop awaiting: results that arrive now have nowhere to go
            if handle.task is not None and not handle.task.done():
                handle.task.cancel()
            if handle.state == "queued":  # never started, never will: ended now, not at the next step
                self._finish(handle, asyncio.CancelledError())
        if TaskManager._instance is self:
            TaskManager._instance = None

    def wait_for_workers(self, timeout: float = 10.0) -> bool:
        """Block (briefly, at exit) until running workers have stopped; True when they did."""
        deadline = time.monotonic() + timeout
        for executor in (self._write, self._read):
            for thread in list(getattr(executor, "_threads", ())):
                thread.join(max(0.0, deadline - time.monotonic()))
                if thread.is_alive():
                    return False
        return True

    # -- internals ------------------------------------------------------------------------------------

    def _executor(self, kind: Kind) -> Executor:
        return self._write if kind == "write" else self._read

    async def _wait_core(self) -> Core:
        if self._core is not None:
            return self._core
        if self._core_error is not None:
            raise self._core_error
        fut: asyncio.Future[Core] = self._loop.create_future()
        self._core_waiters.append(fut)
        return await fut

    def _call(self, handle: TaskHandle, fn: Callable[..., T], core: Core | None, with_context: bool) -> T:
        """Runs in the worker thread."""
        handle.token.raise_if_cancelled()
        handle.state = "running"
        if with_context:
            assert core is not None
            return fn(core, TaskContext(core, handle, self))
        return fn(core)

    async def _run(
        self,
        handle: TaskHandle,
        fn: Callable[..., T],
        with_context: bool,
        success: Callable[[T], None] | None,
        failure: Callable[[BaseException], None] | None,
        parent: QWidget | None,
        changes: OpChanges | Callable[[T], OpChanges] | None,
        initiator: object | None,
        needs_core: bool,
        timeout: float | None,
    ) -> None:
        try:
            core = await self._wait_core() if needs_core else self._core
            future = self._loop.run_in_executor(
                self._executor(handle.kind), self._call, handle, fn, core, with_context
            )
            if timeout is not None:
                self._loop.call_later(timeout, handle.cancel)
            result: T = await future
        except GeneratorExit:  # the loop is being torn down at exit: nothing to deliver to
            raise
        except BaseException as exc:  # delivered below; never swallowed
            self._finish(handle, exc)
            if isinstance(exc, asyncio.CancelledError):
                return
            self._deliver_failure(exc, failure, parent)
            return
        self._finish(handle, None)
        if not _alive(parent):
            return  # the screen that asked was closed: nothing to show the result in
        try:
            if handle.kind == "write":
                self.operation_did_execute.emit(_changes_of(result, changes), initiator)
            if success is not None:
                success(result)
        except Exception:
            sys.excepthook(*sys.exc_info())

    def _settle(
        self,
        handle: TaskHandle,
        fut: asyncio.Future[Any],
        failure: Callable[[BaseException], None] | None,
        parent: QWidget | None,
    ) -> None:
        """The asyncio task ended: if `_run` never got to finish the handle (the task was cancelled
        before its first step, so none of its body ran), finish it here and tell the caller, so that
        no handle waits for ever and no caller waits for an answer that never comes."""
        if handle.finished_at is not None:
            return
        exc = asyncio.CancelledError() if fut.cancelled() else fut.exception()
        self._finish(handle, exc or asyncio.CancelledError())
        if not self._closed:
            self._deliver_failure(OperationCancelled(f"{handle.label} was cancelled"), failure, parent)

    def _finish(self, handle: TaskHandle, exc: BaseException | None) -> None:
        if handle.finished_at is not None:  # settled already (see `_settle`)
            return
        handle.finished_at = time.monotonic()
        if exc is None:
            handle.state = "done"
        elif isinstance(exc, OperationCancelled | asyncio.CancelledError):
            handle.state = "cancelled"
        else:
            handle.state = "failed"
            handle.error = exc
        self._tasks.pop(handle.id, None)
        if shiboken6.isValid(self):
            self.task_finished.emit(handle)

    def _deliver_failure(
        self, exc: BaseException, failure: Callable[[BaseException], None] | None, parent: QWidget | None
    ) -> None:
        if failure is not None:
            try:
                failure(exc)
            except Exception:
                sys.excepthook(*sys.exc_info())
            return
        if isinstance(exc, OperationCancelled):
            return  # the user asked for it; the status bar says "cancelled"
        if not isinstance(exc, MigrationDiscoveryError):
            log.error("background task failed", exc_info=exc)
        if self._closed:
            return
        show_error(exc, parent if _alive(parent) else None)

    def _report(self, handle: TaskHandle, progress: TaskProgress) -> None:
        """Worker thread: store the latest progress, wake the GUI thread at most every 50 ms."""
        handle.progress = progress
        now = time.monotonic()
        if handle._progress_pending or now - handle._last_progress < PROGRESS_INTERVAL_S:
            return
        handle._progress_pending = True
        handle._last_progress = now
        with contextlib.suppress(RuntimeError):  # loop closed at exit
            self._loop.call_soon_threadsafe(self._deliver_progress, handle)

    def _deliver_progress(self, handle: TaskHandle) -> None:
        handle._progress_pending = False
        if not handle.done:
            self.task_progress.emit(handle)


def _alive(widget: QWidget | None) -> bool:
    return widget is None or shiboken6.isValid(widget)


def _changes_of(result: object, declared: OpChanges | Callable[[Any], OpChanges] | None) -> OpChanges:
    """The change value of a write: returned by the core, carried by the result, or declared."""
    if isinstance(result, OpChanges):
        return result
    carried = getattr(result, "changes", None)
    if isinstance(carried, OpChanges):
        return carried
    if callable(declared):
        return declared(result)
    return declared or NOTHING


class _Op(Generic[T]):
    """Shared builder: `.success()`, `.failure()`, `.with_progress()`, `.run_in_background()`."""

    kind: Kind = "read"

    def __init__(self, parent: QWidget | None, op: Callable[..., T], *, label: str = "") -> None:
        self._parent = parent
        self._op = op
        self._label = label
        self._success: Callable[[T], None] | None = None
        self._failure: Callable[[BaseException], None] | None = None
        self._with_context = False
        self._cancellable = False
        self._timeout: float | None = None

    def success(self, fn: Callable[[T], None]) -> _Op[T]:
        self._success = fn
        return self

    def failure(self, fn: Callable[[BaseException], None]) -> _Op[T]:
        self._failure = fn
        return self

    def with_progress(self, label: str | None = None, *, cancellable: bool = True) -> _Op[T]:
        """The function takes `(core, ctx: TaskContext)`; the status bar shows it with a cancel button."""
        self._with_context = True
        self._cancellable = cancellable
        if label:
            self._label = label
        return self

    def with_timeout(self, seconds: float) -> _Op[T]:
        """Cancel the task's token after `seconds` (the function must poll it)."""
        self._timeout = seconds
        return self

    def _extra(self) -> dict[str, Any]:
        return {}

    def run_in_background(self, manager: TaskManager | None = None) -> TaskHandle:
        manager = manager or TaskManager.instance()
        return manager.submit(
            self._op,
            kind=self.kind,
            label=self._label,
            with_context=self._with_context,
            cancellable=self._cancellable,
            success=self._success,
            failure=self._failure,
            parent=self._parent,
            timeout=self._timeout,
            **self._extra(),
        )


class QueryOp(_Op[T]):
    """A read: runs in the read pool (several may run at once), broadcasts nothing."""

    kind: Kind = "read"


class CollectionOp(_Op[T]):
    """A write: runs on the single writer thread; on success broadcasts what it changed."""

    kind: Kind = "write"

    def __init__(
        self,
        parent: QWidget | None,
        op: Callable[..., T],
        *,
        label: str = "",
        initiator: object | None = None,
    ) -> None:
        super().__init__(parent, op, label=label)
        self._changes: OpChanges | Callable[[T], OpChanges] | None = None
        self._initiator = initiator if initiator is not None else parent

    def changes(self, value: OpChanges | Callable[[T], OpChanges]) -> CollectionOp[T]:
        """What this write changes (or a function deriving it from the result)."""
        self._changes = value
        return self

    def _extra(self) -> dict[str, Any]:
        return {"changes": self._changes, "initiator": self._initiator}
