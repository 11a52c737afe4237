"""The asset table's reads: windows (count, locate, first page) and pages, through the task manager.

Why apart from the model: the model stays a plain `QAbstractTableModel` over cached rows; this
object decides which reads run and runs them as `QueryOp`s in the read pool. Window loads go one
at a time (the last request wins); a *generation* number drops answers of a query, scope or column
set that changed meanwhile. Page requests from paints are coalesced by a zero-delay timer (one
flush per paint), neighbours are prefetched when nothing else is on its way, and a request whose
page scrolled far out of view by the time a worker picks it up is skipped without a query — so
dragging the scroll bar never queues dozens of stale queries.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.screens.assets import service
from desktop_app.screens.assets.pages import PageCache
from desktop_app.screens.assets.rows import AssetRow, TableQuery
from desktop_app.screens.registry import Selection
from desktop_app.task_manager import QueryOp, TaskManager


@dataclass(frozen=True)
class Scope:
    """What a read is about: the engagement, the query, the columns and the page size."""

    selection: Selection
    query: TableQuery
    columns: tuple[str, ...]
    page_size: int


class PageFetcher(QObject):
    """Loads for the model; answers arrive as signals, only for the current generation."""

    #: a window for the current generation (`service.Window`, reset the view?)
    window_loaded = Signal(object, bool)
    window_failed = Signal(object)
    #: a page of the current generation arrived and is cached (page number)
    page_loaded = Signal(int)
    page_failed = Signal(int, object)

    def __init__(
        self,
        tasks: TaskManager,
        cache: PageCache,
        scope: Callable[[], Scope],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._cache = cache
        self._scope = scope
        self.generation = 0
        self.reloading = False
        self._again: tuple[uuid.UUID | None, int, bool] | None = None
        #: error dialogs of background reads are parented here (the screen)
        self.widget: Any = None
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(0)
        self._flush_timer.timeout.connect(self._flush)
        self.pages_requested = 0  # statistics (benchmark, tests)
        self.pages_skipped = 0

    def invalidate(self) -> None:
        """Answers still on their way belong to what was shown before: drop them."""
        self.generation += 1

    def load(self, follow: uuid.UUID | None, anchor_row: int, *, reset: bool) -> None:
        """Count, locate `follow` and fetch the page around it (or around `anchor_row`)."""
        scope = self._scope()
        if not scope.selection.has_engagement:
            return
        if self.reloading:  # one at a time; the last request wins
            prev = self._again
            self._again = (follow, anchor_row, reset or bool(prev and prev[2]))
            return
        self.reloading = True
        self.generation += 1
        gen = self.generation
        QueryOp(
            self.widget,
            lambda core: service.load_window(
                core,
                scope.selection,
                scope.query,
                scope.columns,
                scope.page_size,
                follow=follow,
                anchor_row=anchor_row,
            ),
            label="Loading assets",
        ).success(lambda window: self._window_done(gen, window, reset)).failure(
            lambda exc: self._window_error(gen, exc)
        ).run_in_background(self._tasks)

    def _window_done(self, gen: int, window: service.Window, reset: bool) -> None:
        self.reloading = False
        if gen == self.generation:
            self.window_loaded.emit(window, reset)
        self._next()

    def _window_error(self, gen: int, exc: BaseException) -> None:
        self.reloading = False
        if gen == self.generation:
            self.window_failed.emit(exc)
        self._next()

    def _next(self) -> None:
        again, self._again = self._again, None
        if again is not None:
            self.load(again[0], again[1], reset=again[2])

    # -- pages --------------------------------------------------------------------------------------

    def want(self, page: int) -> None:
        """A paint needs this page: fetched at the next flush unless cached or on its way."""
        if self.reloading:
            return
        if self._cache.want(page) and not self._flush_timer.isActive():
            self._flush_timer.start()

    def _flush(self) -> None:
        """After a paint: fetch the pages it needed (neighbours are prefetched once they arrive)."""
        if self.reloading:
            self._cache.drop_wanted()
            return
        for page in self._cache.take_wanted():
            self._request(page)

    def prefetch(self, page: int) -> None:
        """Fetch a neighbour before it scrolls into view — only when no other page is on its way."""
        if not self.reloading and self._cache.worth_prefetching(page):
            self._request(page)

    def _request(self, page: int) -> None:
        self._cache.requested(page)
        self.pages_requested += 1
        scope = self._scope()
        gen = self.generation

        def work(core: Any) -> list[AssetRow] | None:
            if not self.relevant(gen, page):
                return None
            return service.load_page(core, scope.selection, scope.query, scope.columns, page, scope.page_size)

        QueryOp(self.widget, work, label="Loading assets").success(
            lambda rows: self._page_done(gen, page, rows)
        ).failure(lambda exc: self._page_error(gen, page, exc)).run_in_background(self._tasks)

    def relevant(self, gen: int, page: int) -> bool:
        """Worker thread, just before querying: is this page still worth fetching?"""
        return gen == self.generation and self._cache.relevant(page)

    def _page_done(self, gen: int, page: int, rows: list[AssetRow] | None) -> None:
        if gen != self.generation:
            return
        self._cache.arrived(page, rows)
        if rows is None:  # skipped: scrolled away meanwhile; data() asks again if it comes back
            self.pages_skipped += 1
            return
        if self._cache.in_focus(page):
            self.prefetch(page + self._cache.direction)
        self.page_loaded.emit(page)

    def _page_error(self, gen: int, page: int, exc: BaseException) -> None:
        if gen == self.generation:
            self._cache.failed(page)
            self.page_failed.emit(page, exc)
