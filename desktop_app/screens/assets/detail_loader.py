"""Keeps the lineage panel on the table's current asset: loads its detail in the background.

Why apart from the screen: moving through the table is fast (keys held down, pages arriving), so
the detail is loaded after a short pause, never twice at once, only when the asset changed (a
new field of the same asset just moves the panel's focus) and dropped when the user moved on.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QTimer
from PySide6.QtWidgets import QTableView, QWidget

from desktop_app.screens.assets import service
from desktop_app.screens.assets.lineage_panel import LineagePanel
from desktop_app.screens.assets.model import FIELD_ROLE, AssetTableModel
from desktop_app.screens.registry import Selection
from desktop_app.task_manager import QueryOp, TaskManager

DETAIL_DELAY_MS = 120


class DetailLoader(QObject):
    """Follows the view's current row and the model's pages; shows the detail in `panel`."""

    def __init__(
        self,
        view: QTableView,
        model: AssetTableModel,
        panel: LineagePanel,
        tasks: TaskManager,
        selection: Callable[[], Selection],
        widget: QWidget,
    ) -> None:
        super().__init__(widget)
        self._view = view
        self._model = model
        self._panel = panel
        self._tasks = tasks
        self._selection = selection
        self._widget = widget
        self._shown: uuid.UUID | None = None  # the asset the panel shows
        self._loading: uuid.UUID | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DETAIL_DELAY_MS)
        self._timer.timeout.connect(self._load)

    def forget(self) -> None:
        """The panel's asset may be stale (scope change, refresh)."""
        self._shown = None

    def refresh(self) -> None:
        """Load the current asset again (after a write)."""
        self._shown = None
        self._timer.start()

    def current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        asset = self._model.asset_at(current.row()) if current.isValid() else None
        if asset is not None:
            self._model.follow_asset = asset.asset_id
        if asset is not None and asset.asset_id == self._shown:
            field = current.data(FIELD_ROLE)
            if isinstance(field, str):
                self._panel.select_field(field)
            return
        self._timer.start()

    def page_arrived(self, page: int) -> None:
        """The current row's page came in: its asset is known now."""
        current = self._view.currentIndex()
        if current.isValid() and current.row() // self._model.page_size == page:
            asset = self._model.asset_at(current.row())
            if asset is not None and asset.asset_id != self._shown:
                self._model.follow_asset = asset.asset_id
                self._timer.start()

    def _load(self) -> None:
        current = self._view.currentIndex()
        asset = self._model.asset_at(current.row()) if current.isValid() else None
        if asset is None or asset.asset_id == self._loading:
            return
        asset_id = asset.asset_id
        field = current.data(FIELD_ROLE)
        selection = self._selection()
        self._loading = asset_id
        QueryOp(
            self._widget, lambda core: service.load_detail(core, selection, asset_id), label="Loading lineage"
        ).success(lambda detail: self._loaded(asset_id, detail, field)).failure(
            lambda exc: self._failed(asset_id, exc)
        ).run_in_background(self._tasks)

    def _loaded(self, asset_id: uuid.UUID, detail: dict[str, Any], field: object) -> None:
        self._loading = None
        current = self._view.currentIndex()
        asset = self._model.asset_at(current.row()) if current.isValid() else None
        if asset is None or asset.asset_id != asset_id:
            self._timer.start()  # the user moved on meanwhile
            return
        self._shown = asset_id
        now = current.data(FIELD_ROLE)
        self._panel.show_detail(
            detail, now if isinstance(now, str) else field if isinstance(field, str) else None
        )

    def _failed(self, asset_id: uuid.UUID, exc: BaseException) -> None:
        self._loading = None
        self._panel.clear(f"Could not load this asset ({exc}). It may have been merged; refresh (F5).")
