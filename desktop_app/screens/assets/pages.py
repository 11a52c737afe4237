"""The page cache behind the lazy asset table: which pages are held, wanted, on their way, in focus.

Why apart from the model (and free of Qt): the model speaks Qt's item API and runs the queries;
this is the bookkeeping that keeps 100,000 rows scrolling smoothly — a bounded LRU of pages, the
pages the last paint asked for, the scroll direction (which neighbour to prefetch) and the focus
window a worker checks before querying a page that may have scrolled away meanwhile.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict

from desktop_app.screens.assets.rows import AssetRow

#: pages this far from the last painted ones are not worth a query any more
RELEVANT_DISTANCE = 2


class PageCache:
    """Pages of `AssetRow`s by page number; no signals, no queries (the model does those)."""

    def __init__(self, page_size: int, max_pages: int) -> None:
        self.page_size = page_size
        self.max_pages = max(4, max_pages)
        #: rows in the current result (the SQL count)
        self.total = 0
        self._pages: OrderedDict[int, list[AssetRow]] = OrderedDict()
        self._inflight: set[int] = set()
        self._wanted: set[int] = set()
        self.focus = (0, 0)  # first and last page of the last paint / scroll
        self.direction = 1  # +1 scrolling down, -1 up: which neighbour to prefetch
        self._visible_top = -1
        self._last_page = -1

    # -- reading -----------------------------------------------------------------------------------

    def page_of(self, row: int) -> int:
        return row // self.page_size

    def page_count(self) -> int:
        return (self.total + self.page_size - 1) // self.page_size

    def get(self, page: int) -> list[AssetRow] | None:
        """A cached page; the first read of a page since another keeps it in the LRU."""
        rows = self._pages.get(page)
        if rows is not None and page != self._last_page:
            self._last_page = page
            self._pages.move_to_end(page)
        return rows

    def has(self, page: int) -> bool:
        return page in self._pages

    def cached(self) -> list[int]:
        return sorted(self._pages)

    def asset_at(self, row: int) -> AssetRow | None:
        """The row's asset when its page is cached (None: not loaded yet)."""
        rows = self._pages.get(row // self.page_size)
        i = row % self.page_size
        return rows[i] if rows is not None and i < len(rows) else None

    def row_of(self, asset_id: uuid.UUID) -> int:
        """Row of a cached asset, -1 when not in a cached page."""
        for page, rows in self._pages.items():
            for i, r in enumerate(rows):
                if r.asset_id == asset_id:
                    return page * self.page_size + i
        return -1

    def relevant(self, page: int) -> bool:
        """Is this page (still) near what the user looks at?"""
        lo, hi = self.focus
        return lo - RELEVANT_DISTANCE <= page <= hi + RELEVANT_DISTANCE

    def in_focus(self, page: int) -> bool:
        return self.focus[0] <= page <= self.focus[1]

    # -- changing ----------------------------------------------------------------------------------

    def clear(self) -> None:
        """Forget every page and every request on its way (a new query, scope or column set)."""
        self._pages.clear()
        self._inflight.clear()

    def reset_to(self, page: int, rows: list[AssetRow]) -> None:
        """A fresh window: only its page is cached."""
        self.clear()
        self._pages[page] = rows

    def focus_on(self, page: int) -> None:
        self.focus = (page, page)

    def want(self, page: int) -> bool:
        """A paint needs this page: True when it must be fetched (not cached, not on its way)."""
        if page in self._inflight or page in self._pages:
            return False
        self._wanted.add(page)
        return True

    def drop_wanted(self) -> None:
        self._wanted.clear()

    def take_wanted(self) -> list[int]:
        """The pages the last paints wanted, to fetch now: the edge we move towards first."""
        wanted, self._wanted = self._wanted, set()
        if not wanted:
            return []
        lo, hi = min(wanted), max(wanted)
        if lo > self.focus[1]:
            self.direction = 1
        elif hi < self.focus[0]:
            self.direction = -1
        self.focus = (lo, hi)
        count = self.page_count()
        return [
            page
            for page in sorted(wanted, key=lambda p: p * -self.direction)
            if 0 <= page < count and page not in self._pages and page not in self._inflight
        ]

    def worth_prefetching(self, page: int) -> bool:
        """A neighbour is fetched before it scrolls into view only when no other page is on its way."""
        return not self._inflight and 0 <= page < self.page_count() and page not in self._pages

    def requested(self, page: int) -> None:
        self._inflight.add(page)

    def arrived(self, page: int, rows: list[AssetRow] | None) -> None:
        """A page came back (None: skipped by the worker); held, and the LRU trimmed."""
        self._inflight.discard(page)
        if rows is None:
            return
        self._pages[page] = rows
        self._pages.move_to_end(page)
        self._evict()

    def failed(self, page: int) -> None:
        self._inflight.discard(page)

    def scrolled(self, first: int, last: int) -> int:
        """The view shows rows first..last: note the direction; the page to prefetch next."""
        last = max(first, last)
        if self._visible_top >= 0 and first != self._visible_top:
            self.direction = 1 if first > self._visible_top else -1
        self._visible_top = first
        self.focus = (first // self.page_size, last // self.page_size)
        edge = last if self.direction > 0 else first
        return edge // self.page_size + self.direction

    def _evict(self) -> None:
        while len(self._pages) > self.max_pages:
            victim = next((p for p in self._pages if not self.relevant(p)), None)
            if victim is None:
                return
            del self._pages[victim]
