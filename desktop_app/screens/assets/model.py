"""The lazy asset table model: row count from SQL, pages of rows fetched in the background.

Why this shape (100,000 assets must scroll smoothly):
- `rowCount()` is the SQL count, so the scroll bar is right at once; nothing is fetched up front.
- `data()` for a row whose page is cached indexes a tuple of pre-formatted texts; for any other row
  it returns a placeholder and *asks* for the page. Requests are coalesced by a zero-delay timer
  (one flush per paint, only the pages that paint touched), run as `QueryOp`s in the read pool,
  and a request whose page scrolled far out of view by the time a worker picks it up is skipped
  without a query — so dragging the scroll bar never queues dozens of stale queries.
- Pages near the visible ones are prefetched; an LRU keeps a bounded number of pages.
- Sorting (header click) and filtering are a new SQL query: a *generation* number drops pages of the
  old query that arrive late. After such a change the model asks SQL where the asset the user was
  on went (`located`), so the view can stay on it instead of jumping to an arbitrary row.
- A refresh after a write (inventory run, merge) keeps the row count change minimal and the view's
  scroll position: rows are inserted/removed at the end and all cached pages are invalidated.
"""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPainter, QPixmap, QPolygon

from desktop_app.screens.assets import service
from desktop_app.screens.assets.columns import DEFAULT_COLUMNS, Column, column, header, valid_columns
from desktop_app.screens.assets.rows import AssetRow, TableQuery
from desktop_app.screens.registry import Selection
from desktop_app.task_manager import QueryOp, TaskManager
from desktop_app.theme import colors

log = logging.getLogger(__name__)

ASSET_ID_ROLE = Qt.ItemDataRole.UserRole + 1
VALUE_ROLE = Qt.ItemDataRole.UserRole + 2
FIELD_ROLE = Qt.ItemDataRole.UserRole + 3
LOADED_ROLE = Qt.ItemDataRole.UserRole + 4
CONFLICT_ROLE = Qt.ItemDataRole.UserRole + 5

PAGE_SIZE = 200
MAX_PAGES = 48
#: pages this far from the last painted ones are not worth a query any more
RELEVANT_DISTANCE = 2
PLACEHOLDER = "Loading…"

Index = QModelIndex | QPersistentModelIndex

_ALIGN_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_ALIGN_CENTER = Qt.AlignmentFlag.AlignCenter
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_icon: QIcon | None = None


def conflict_icon() -> QIcon:
    """A small amber warning triangle (painted once), marking cells whose sources disagree."""
    global _icon
    if _icon is None:
        pix = QPixmap(14, 14)
        pix.fill(Qt.GlobalColor.transparent)
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#d97706"))
        p.drawPolygon(QPolygon([QPoint(0, 13), QPoint(14, 13), QPoint(7, 0)]))
        p.setPen(QColor("#ffffff"))
        font = QFont()
        font.setBold(True)
        font.setPixelSize(10)
        p.setFont(font)
        p.drawText(pix.rect().adjusted(0, 3, 0, 0), int(Qt.AlignmentFlag.AlignCenter), "!")
        p.end()
        _icon = QIcon(pix)
    return _icon


class AssetTableModel(QAbstractTableModel):
    """Rows of the engagement's assets for one `TableQuery`, fetched page by page."""

    #: a (re)load finished: the row count is known
    loaded = Signal()
    #: after a sort/filter change: the row the followed asset moved to (-1: filtered out / none)
    located = Signal(int)
    #: a page of rows arrived (page number)
    page_arrived = Signal(int)
    #: a background read failed
    failed = Signal(object)

    def __init__(
        self,
        tasks: TaskManager,
        parent: QObject | None = None,
        *,
        page_size: int = PAGE_SIZE,
        max_pages: int = MAX_PAGES,
        columns: Sequence[str] = DEFAULT_COLUMNS,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self.page_size = page_size
        self.max_pages = max(4, max_pages)
        self._selection = Selection()
        self._query = TableQuery()
        self._columns: tuple[str, ...] = ()
        self._meta: list[Column] = []
        self._align: list[Qt.AlignmentFlag | None] = []
        self._set_columns(columns)
        self._total = 0
        self._generation = 0
        self._pages: OrderedDict[int, list[AssetRow]] = OrderedDict()
        self._inflight: set[int] = set()
        self._wanted: set[int] = set()
        self._focus = (0, 0)
        self._direction = 1  # +1 scrolling down, -1 up: which neighbour to prefetch
        self._visible_top = -1
        self._last_page = -1
        self._reloading = False
        self._reload_again: tuple[uuid.UUID | None, int, bool] | None = None
        self._has_loaded = False
        #: the asset the user is on; after a sort or filter change the view follows it
        self.follow_asset: uuid.UUID | None = None
        #: error dialogs of background reads are parented here (the screen)
        self.widget: Any = None
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(0)
        self._flush_timer.timeout.connect(self._flush)
        self._theme = colors()
        self._muted = QBrush(self._theme.muted)
        self._tint = QBrush(self._theme.conflict_tint)
        self.pages_requested = 0  # statistics (benchmark, tests)
        self.pages_skipped = 0

    # -- configuration ---------------------------------------------------------------------------

    @property
    def selection(self) -> Selection:
        return self._selection

    @property
    def query(self) -> TableQuery:
        return self._query

    @property
    def columns(self) -> tuple[str, ...]:
        return self._columns

    @property
    def total(self) -> int:
        return self._total

    @property
    def is_loaded(self) -> bool:
        """A load for the current scope and query has been delivered and none is pending."""
        return self._has_loaded and not self._reloading

    def set_scope(self, selection: Selection) -> None:
        """Show the assets of the selection's engagement (clears everything when it changes)."""
        same = (selection.client_account_id, selection.engagement_id) == (
            self._selection.client_account_id,
            self._selection.engagement_id,
        )
        self._selection = selection
        if same and self._has_loaded:
            return
        self.follow_asset = None
        self._generation += 1
        self._has_loaded = False
        self.beginResetModel()
        self._total = 0
        self._pages.clear()
        self._inflight.clear()
        self.endResetModel()
        if selection.has_engagement:
            self.reload()

    def set_query(self, query: TableQuery, *, follow: uuid.UUID | None = None) -> None:
        """Sort/filter in SQL; keeps the followed asset in view when it is still in the result."""
        if query == self._query and self._has_loaded:
            return
        self._query = query
        self.reload(follow=follow if follow is not None else self.follow_asset)

    def set_columns(self, names: Sequence[str]) -> None:
        """Show these fields (pages are fetched again with them; the row count stays)."""
        names = valid_columns(names) or list(DEFAULT_COLUMNS)
        if tuple(names) == self._columns:
            return
        self._generation += 1
        self.beginResetModel()
        self._set_columns(names)
        self._pages.clear()
        self._inflight.clear()
        self.endResetModel()

    def _set_columns(self, names: Sequence[str]) -> None:
        self._columns = tuple(valid_columns(names) or DEFAULT_COLUMNS)
        self._meta = [column(c) for c in self._columns]
        self._align = [
            _ALIGN_RIGHT if m.numeric else (_ALIGN_CENTER if m.kind == "boolean" else None)
            for m in self._meta
        ]

    def column_of(self, name: str) -> int:
        try:
            return self._columns.index(name)
        except ValueError:
            return -1

    # -- loading ----------------------------------------------------------------------------------

    def reload(self, *, follow: uuid.UUID | None = None) -> None:
        """New query (or first load): count, locate `follow`, first page; resets the view."""
        self._load(follow, 0, reset=True)

    def refresh(self, anchor_row: int = 0) -> None:
        """Same query, data changed (a write): re-count and re-fetch, keeping the scroll position."""
        if not self._has_loaded:
            self.reload()
            return
        self._load(None, anchor_row, reset=False)

    def _load(self, follow: uuid.UUID | None, anchor_row: int, *, reset: bool) -> None:
        if not self._selection.has_engagement:
            return
        if self._reloading:  # one at a time; the last request wins
            prev = self._reload_again
            self._reload_again = (follow, anchor_row, reset or bool(prev and prev[2]))
            return
        self._reloading = True
        self._generation += 1
        gen = self._generation
        selection, query, columns, size = self._selection, self._query, self._columns, self.page_size
        QueryOp(
            self.widget,
            lambda core: service.load_window(
                core, selection, query, columns, size, follow=follow, anchor_row=anchor_row
            ),
            label="Loading assets",
        ).success(lambda window: self._window_loaded(gen, window, reset)).failure(
            lambda exc: self._load_failed(gen, exc)
        ).run_in_background(self._tasks)

    def _window_loaded(self, gen: int, window: service.Window, reset: bool) -> None:
        self._reloading = False
        if gen == self._generation:
            if reset or not self._has_loaded:
                self.beginResetModel()
                self._total = window.total
                self._pages.clear()
                self._inflight.clear()
                self._pages[window.page] = window.rows
                self.endResetModel()
            else:
                self._resize(window.total)
                self._pages.clear()
                self._inflight.clear()
                self._pages[window.page] = window.rows
                if self._total:
                    self.dataChanged.emit(
                        self.index(0, 0), self.index(self._total - 1, len(self._columns) - 1)
                    )
            self._has_loaded = True
            self._focus = (window.page, window.page)
            self.loaded.emit()
            if reset:
                self.located.emit(window.located if window.located is not None else -1)
        self._next_reload()

    def _resize(self, total: int) -> None:
        if total > self._total:
            self.beginInsertRows(QModelIndex(), self._total, total - 1)
            self._total = total
            self.endInsertRows()
        elif total < self._total:
            self.beginRemoveRows(QModelIndex(), total, self._total - 1)
            self._total = total
            self.endRemoveRows()

    def _load_failed(self, gen: int, exc: BaseException) -> None:
        self._reloading = False
        if gen == self._generation:
            self._has_loaded = True  # nothing to wait for any more
            self.failed.emit(exc)
        self._next_reload()

    def _next_reload(self) -> None:
        again, self._reload_again = self._reload_again, None
        if again is not None:
            self._load(again[0], again[1], reset=again[2])

    # -- pages --------------------------------------------------------------------------------------

    def page_count(self) -> int:
        return (self._total + self.page_size - 1) // self.page_size

    def is_row_loaded(self, row: int) -> bool:
        return row // self.page_size in self._pages

    def cached_pages(self) -> list[int]:
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

    def ensure_rows(self, first: int, last: int) -> None:
        """Request the pages covering these rows (the view calls `data()` anyway; tests use this)."""
        for page in range(max(first, 0) // self.page_size, max(last, 0) // self.page_size + 1):
            self._want(page)

    def _want(self, page: int) -> None:
        if self._reloading or page in self._inflight or page in self._pages:
            return
        self._wanted.add(page)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _flush(self) -> None:
        """After a paint: fetch the pages it needed (neighbours are prefetched once they arrive)."""
        wanted, self._wanted = self._wanted, set()
        if not wanted or self._reloading:
            return
        lo, hi = min(wanted), max(wanted)
        if lo > self._focus[1]:
            self._direction = 1
        elif hi < self._focus[0]:
            self._direction = -1
        self._focus = (lo, hi)
        for page in sorted(wanted, key=lambda p: p * -self._direction):  # the edge we move towards first
            if 0 <= page < self.page_count() and page not in self._pages and page not in self._inflight:
                self._request(page)

    def _prefetch(self, page: int) -> None:
        """Fetch a neighbour before it scrolls into view — only when no other page is on its way."""
        if (
            not self._inflight
            and not self._reloading
            and 0 <= page < self.page_count()
            and page not in self._pages
        ):
            self._request(page)

    def _relevant(self, gen: int, page: int) -> bool:
        """Worker thread, just before querying: is this page still worth fetching?"""
        lo, hi = self._focus
        return gen == self._generation and lo - RELEVANT_DISTANCE <= page <= hi + RELEVANT_DISTANCE

    def _request(self, page: int) -> None:
        self._inflight.add(page)
        self.pages_requested += 1
        gen = self._generation
        selection, query, columns, size = self._selection, self._query, self._columns, self.page_size

        def work(core: Any) -> list[AssetRow] | None:
            if not self._relevant(gen, page):
                return None
            return service.load_page(core, selection, query, columns, page, size)

        QueryOp(self.widget, work, label="Loading assets").success(
            lambda rows: self._page_loaded(gen, page, rows)
        ).failure(lambda exc: self._page_failed(gen, page, exc)).run_in_background(self._tasks)

    def _page_loaded(self, gen: int, page: int, rows: list[AssetRow] | None) -> None:
        if gen != self._generation:
            return
        self._inflight.discard(page)
        if rows is None:  # skipped: scrolled away meanwhile; data() asks again if it comes back
            self.pages_skipped += 1
            return
        self._pages[page] = rows
        self._pages.move_to_end(page)
        self._evict()
        if self._focus[0] <= page <= self._focus[1]:
            self._prefetch(page + self._direction)
        first = page * self.page_size
        last = min(first + self.page_size, self._total) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(self._columns) - 1))
        self.page_arrived.emit(page)

    def _page_failed(self, gen: int, page: int, exc: BaseException) -> None:
        if gen != self._generation:
            return
        self._inflight.discard(page)
        log.warning("asset page %s failed: %s", page, exc)
        self.failed.emit(exc)

    def _evict(self) -> None:
        lo, hi = self._focus
        while len(self._pages) > self.max_pages:
            victim = next(
                (p for p in self._pages if not lo - RELEVANT_DISTANCE <= p <= hi + RELEVANT_DISTANCE), None
            )
            if victim is None:
                return
            del self._pages[victim]

    def _touch(self, page: int) -> None:
        """First `data()` call on a cached page in a while: keep it in the LRU."""
        self._last_page = page
        self._pages.move_to_end(page)

    def set_visible_rows(self, first: int, last: int) -> None:
        """The view scrolled: note the direction and prefetch the page it is heading into."""
        if first < 0 or not self._has_loaded:
            return
        last = max(first, last)
        if self._visible_top >= 0 and first != self._visible_top:
            self._direction = 1 if first > self._visible_top else -1
        self._visible_top = first
        self._focus = (first // self.page_size, last // self.page_size)
        edge = last if self._direction > 0 else first
        self._prefetch(edge // self.page_size + self._direction)

    # -- Qt model API ---------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._total

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        name = self._columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return header(name)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{header(name)} — field {name}\nClick to sort; right-click to choose columns."
        if role == FIELD_ROLE:
            return name
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Header click: a new SQL order (the followed asset stays in view)."""
        if not 0 <= column < len(self._columns):
            return
        query = replace(
            self._query, sort=self._columns[column], descending=order == Qt.SortOrder.DescendingOrder
        )
        if query != self._query:
            self.set_query(query)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = index.row()
        page = row // self.page_size
        rows = self._pages.get(page)
        if rows is None:
            if row < self._total:
                self._want(page)
            return self._placeholder(index.column(), role)
        if page != self._last_page:
            self._touch(page)
        i = row - page * self.page_size
        if i >= len(rows):  # the page came back shorter (rows deleted meanwhile)
            return None
        asset = rows[i]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return asset.texts[col]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self._align[col]
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._brushes()[1] if col in asset.conflicts else None
        if role == Qt.ItemDataRole.DecorationRole:
            return conflict_icon() if col in asset.conflicts else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if self._meta[col].kind == "boolean" and asset.values[col] is False:
                return self._brushes()[0]
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(asset, col)
        if role == ASSET_ID_ROLE:
            return asset.asset_id
        if role == VALUE_ROLE:
            return asset.values[col]
        if role == FIELD_ROLE:
            return self._columns[col]
        if role == LOADED_ROLE:
            return True
        if role == CONFLICT_ROLE:
            return col in asset.conflicts
        return None

    def _brushes(self) -> tuple[QBrush, QBrush]:
        """(muted text, conflict tint) of the theme in use (rebuilt when the theme changes)."""
        theme = colors()
        if theme is not self._theme:
            self._theme = theme
            self._muted = QBrush(theme.muted)
            self._tint = QBrush(theme.conflict_tint)
        return self._muted, self._tint

    def _placeholder(self, col: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return PLACEHOLDER if col == 0 else ""
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._brushes()[0]
        if role == LOADED_ROLE:
            return False
        return None

    def _tooltip(self, asset: AssetRow, col: int) -> str | None:
        label = self._meta[col].header
        if col in asset.conflicts:
            return (
                f"{label}: sources disagree. The value shown won by source precedence; "
                "the lineage panel lists the other values and where they came from."
            )
        text = asset.texts[col]
        return f"{label}: {text}" if len(text) > 24 else None
