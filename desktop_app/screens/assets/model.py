"""The lazy asset table model: row count from SQL, pages of rows fetched in the background.

Why this shape (100,000 assets must scroll smoothly):
- `rowCount()` is the SQL count, so the scroll bar is right at once; nothing is fetched up front.
- `data()` for a row whose page is cached indexes a tuple of pre-formatted texts; for any other row
  it returns a placeholder and *asks* `PageFetcher` for the page (coalesced, prefetched, skipped
  when stale); `PageCache` holds a bounded LRU of pages; `cells` says how a cell looks.
- Sorting (header click) and filtering are a new SQL query; after such a change the model asks SQL
  where the asset the user was on went (`located`), so the view can stay on it instead of jumping
  to an arbitrary row.
- A refresh after a write (inventory run, merge) keeps the row count change minimal and the view's
  scroll position: rows are inserted/removed at the end and all cached pages are invalidated.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from desktop_app.screens.assets import service
from desktop_app.screens.assets.cells import (
    ASSET_ID_ROLE,
    CONFLICT_ROLE,
    FIELD_ROLE,
    LOADED_ROLE,
    VALUE_ROLE,
    Brushes,
    alignment,
    conflict_icon,
    placeholder,
    tooltip,
)
from desktop_app.screens.assets.cells import PLACEHOLDER as PLACEHOLDER
from desktop_app.screens.assets.columns import DEFAULT_COLUMNS, Column, column, header, valid_columns
from desktop_app.screens.assets.fetcher import PageFetcher, Scope
from desktop_app.screens.assets.pages import RELEVANT_DISTANCE as RELEVANT_DISTANCE
from desktop_app.screens.assets.pages import PageCache
from desktop_app.screens.assets.rows import AssetRow, TableQuery
from desktop_app.screens.registry import Selection
from desktop_app.task_manager import TaskManager

log = logging.getLogger(__name__)

PAGE_SIZE = 200
MAX_PAGES = 48

Index = QModelIndex | QPersistentModelIndex

_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


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
        self.page_size = page_size
        self._cache = PageCache(page_size, max_pages)
        self.max_pages = self._cache.max_pages
        self._fetcher = PageFetcher(tasks, self._cache, self._scope, self)
        self._fetcher.window_loaded.connect(self._window_loaded)
        self._fetcher.window_failed.connect(self._load_failed)
        self._fetcher.page_loaded.connect(self._page_loaded)
        self._fetcher.page_failed.connect(self._page_failed)
        self._selection = Selection()
        self._query = TableQuery()
        self._columns: tuple[str, ...] = ()
        self._meta: list[Column] = []
        self._align: list[Qt.AlignmentFlag | None] = []
        self._set_columns(columns)
        self._has_loaded = False
        #: the asset the user is on; after a sort or filter change the view follows it
        self.follow_asset: uuid.UUID | None = None
        self._brushes = Brushes()

    # -- configuration ---------------------------------------------------------------------------

    @property
    def widget(self) -> Any:
        """Error dialogs of background reads are parented here (the screen)."""
        return self._fetcher.widget

    @widget.setter
    def widget(self, widget: Any) -> None:
        self._fetcher.widget = widget

    @property
    def pages_requested(self) -> int:
        """Page queries started (statistics: benchmark, tests)."""
        return self._fetcher.pages_requested

    @property
    def pages_skipped(self) -> int:
        """Page requests a worker dropped because the page had scrolled away."""
        return self._fetcher.pages_skipped

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
        return self._cache.total

    @property
    def is_loaded(self) -> bool:
        """A load for the current scope and query has been delivered and none is pending."""
        return self._has_loaded and not self._fetcher.reloading

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
        self._fetcher.invalidate()
        self._has_loaded = False
        self.beginResetModel()
        self._cache.total = 0
        self._cache.clear()
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
        self._fetcher.invalidate()
        self.beginResetModel()
        self._set_columns(names)
        self._cache.clear()
        self.endResetModel()

    def _set_columns(self, names: Sequence[str]) -> None:
        self._columns = tuple(valid_columns(names) or DEFAULT_COLUMNS)
        self._meta = [column(c) for c in self._columns]
        self._align = [alignment(m) for m in self._meta]

    def column_of(self, name: str) -> int:
        try:
            return self._columns.index(name)
        except ValueError:
            return -1

    # -- loading ----------------------------------------------------------------------------------

    def reload(self, *, follow: uuid.UUID | None = None) -> None:
        """New query (or first load): count, locate `follow`, first page; resets the view."""
        self._fetcher.load(follow, 0, reset=True)

    def refresh(self, anchor_row: int = 0) -> None:
        """Same query, data changed (a write): re-count and re-fetch, keeping the scroll position."""
        if not self._has_loaded:
            self.reload()
            return
        self._fetcher.load(None, anchor_row, reset=False)

    def _scope(self) -> Scope:
        return Scope(self._selection, self._query, self._columns, self.page_size)

    def _window_loaded(self, window: service.Window, reset: bool) -> None:
        if reset or not self._has_loaded:
            self.beginResetModel()
            self._cache.total = window.total
            self._cache.reset_to(window.page, window.rows)
            self.endResetModel()
        else:
            self._resize(window.total)
            self._cache.reset_to(window.page, window.rows)
            if self._cache.total:
                self.dataChanged.emit(
                    self.index(0, 0), self.index(self._cache.total - 1, len(self._columns) - 1)
                )
        self._has_loaded = True
        self._cache.focus_on(window.page)
        self.loaded.emit()
        if reset:
            self.located.emit(window.located if window.located is not None else -1)

    def _resize(self, total: int) -> None:
        if total > self._cache.total:
            self.beginInsertRows(QModelIndex(), self._cache.total, total - 1)
            self._cache.total = total
            self.endInsertRows()
        elif total < self._cache.total:
            self.beginRemoveRows(QModelIndex(), total, self._cache.total - 1)
            self._cache.total = total
            self.endRemoveRows()

    def _load_failed(self, exc: BaseException) -> None:
        self._has_loaded = True  # nothing to wait for any more
        self.failed.emit(exc)

    # -- pages --------------------------------------------------------------------------------------

    def page_count(self) -> int:
        return self._cache.page_count()

    def is_row_loaded(self, row: int) -> bool:
        return self._cache.has(self._cache.page_of(row))

    def cached_pages(self) -> list[int]:
        return self._cache.cached()

    def asset_at(self, row: int) -> AssetRow | None:
        """The row's asset when its page is cached (None: not loaded yet)."""
        return self._cache.asset_at(row)

    def row_of(self, asset_id: uuid.UUID) -> int:
        """Row of a cached asset, -1 when not in a cached page."""
        return self._cache.row_of(asset_id)

    def ensure_rows(self, first: int, last: int) -> None:
        """Request the pages covering these rows (the view calls `data()` anyway; tests use this)."""
        for page in range(max(first, 0) // self.page_size, max(last, 0) // self.page_size + 1):
            self._fetcher.want(page)

    def _page_loaded(self, page: int) -> None:
        first = page * self.page_size
        last = min(first + self.page_size, self._cache.total) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(self._columns) - 1))
        self.page_arrived.emit(page)

    def _page_failed(self, page: int, exc: BaseException) -> None:
        log.warning("asset page %s failed: %s", page, exc)
        self.failed.emit(exc)

    def set_visible_rows(self, first: int, last: int) -> None:
        """The view scrolled: note the direction and prefetch the page it is heading into."""
        if first < 0 or not self._has_loaded:
            return
        self._fetcher.prefetch(self._cache.scrolled(first, last))

    # -- Qt model API ---------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._cache.total

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
        rows = self._cache.get(page)
        if rows is None:
            if row < self._cache.total:
                self._fetcher.want(page)
            return placeholder(index.column(), role, self._brushes)
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
            return self._brushes.current().tint if col in asset.conflicts else None
        if role == Qt.ItemDataRole.DecorationRole:
            return conflict_icon() if col in asset.conflicts else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if self._meta[col].kind == "boolean" and asset.values[col] is False:
                return self._brushes.current().muted
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(self._meta[col], asset, col)
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
