"""Sidebar: client accounts → engagements → imports (with their flows), fed by a core query.

Why a model refresh that keeps state: the tree is rebuilt from `navigation.navigation` whenever a
write touches engagements, imports or flows, and must keep the user's expansion and selection.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPaintEvent, QPixmap, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QMenu, QTreeView, QWidget

from core.queries.navigation import ClientNode
from desktop_app.screens.registry import Selection
from desktop_app.theme import colors

KEY_ROLE = Qt.ItemDataRole.UserRole + 1
SELECTION_ROLE = Qt.ItemDataRole.UserRole + 2
KIND_ROLE = Qt.ItemDataRole.UserRole + 3


def _dot(colour: QColor) -> QIcon:
    pix = QPixmap(QSize(12, 12))
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(colour)
    p.setPen(Qt.PenStyle.NoPen)
    p.drawEllipse(2, 2, 8, 8)
    p.end()
    return QIcon(pix)


def status_colour(status: str | None) -> QColor:
    c = colors()
    return {
        "completed": c.approved,
        "running": c.running,
        "waiting_for_review": c.bar_mid,
        "failed": c.failed,
        "paused": c.pending,
        "cancelled": c.pending,
    }.get(status or "", c.muted)


class NavigationModel(QStandardItemModel):
    """Three-level tree; every item carries a key (stable across reloads) and a `Selection`."""

    def load(self, clients: list[ClientNode]) -> None:
        self.clear()
        for client in clients:
            client_item = self._item(
                client.name,
                f"c:{client.client_account_id}",
                "client",
                Selection(client.client_account_id, client.name),
            )
            self.appendRow(client_item)
            for eng in client.engagements:
                ref = eng.ref
                base = Selection(
                    ref.client_account_id, ref.client_name, ref.engagement_id, ref.engagement_name
                )
                eng_item = self._item(ref.engagement_name, f"e:{ref.engagement_id}", "engagement", base)
                eng_item.setToolTip(f"{ref.client_name} / {ref.engagement_name} — {len(eng.imports)} imports")
                client_item.appendRow(eng_item)
                for imp in eng.imports:
                    phase = (imp.current_phase or "").replace("_", " ")
                    sel = Selection(
                        ref.client_account_id,
                        ref.client_name,
                        ref.engagement_id,
                        ref.engagement_name,
                        imp.import_id,
                        imp.filename,
                        imp.flow_id,
                    )
                    item = self._item(imp.filename, f"i:{imp.import_id}", "import", sel)
                    item.setIcon(_dot(status_colour(imp.flow_status)))
                    item.setToolTip(
                        f"{imp.filename}\n{imp.total_records:,} rows · import {imp.status}\n"
                        f"flow: {imp.flow_status or '—'} · phase: {phase or '—'}"
                        + (
                            f" · {imp.progress_percentage:.0f} %"
                            if imp.progress_percentage is not None
                            else ""
                        )
                    )
                    eng_item.appendRow(item)

    @staticmethod
    def _item(text: str, key: str, kind: str, selection: Selection) -> QStandardItem:
        item = QStandardItem(text)
        item.setEditable(False)
        item.setData(key, KEY_ROLE)
        item.setData(kind, KIND_ROLE)
        item.setData(selection, SELECTION_ROLE)
        return item

    def find_key(self, key: str) -> QModelIndex:
        hits = self.match(
            self.index(0, 0), KEY_ROLE, key, 1, Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive
        )
        return hits[0] if hits else QModelIndex()


class Sidebar(QTreeView):
    """The tree view; emits `selection_changed(Selection)` when the user picks a node.

    Double-click (or Enter) on an engagement, or its context menu, emits
    `open_requested("assets", selection)`: the engagement's asset inventory.
    """

    selection_changed = Signal(object)
    open_requested = Signal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setHeaderHidden(True)
        self.setUniformRowHeights(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.model_ = NavigationModel(self)
        self.setModel(self.model_)
        self.selectionModel().currentChanged.connect(self._current_changed)
        self._loading = False
        self._collapsed: set[str] = set()
        self.collapsed.connect(lambda idx: self._loading or self._collapsed.add(idx.data(KEY_ROLE)))
        self.expanded.connect(lambda idx: self._collapsed.discard(idx.data(KEY_ROLE)))
        self.empty_text = "Loading engagements…"
        self.activated.connect(self._activated)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)

    def load(self, clients: list[ClientNode]) -> None:
        """Replace the tree, keeping expanded nodes and the current node when they still exist."""
        current = self.currentIndex().data(KEY_ROLE) if self.currentIndex().isValid() else None
        self._loading = True
        self.empty_text = "No engagements yet.\n\nStart with File → New import… (Ctrl+I)."
        try:
            self.model_.load(clients)
            # clients and engagements stay open unless the user collapsed them
            for key in self._keys(depth=2):
                if key not in self._collapsed:
                    self.expand(self.model_.find_key(key))
            if current:
                idx = self.model_.find_key(current)
                if idx.isValid():
                    self.setCurrentIndex(idx)
        finally:
            self._loading = False

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.model_.rowCount() == 0:  # empty state: say what to do instead of a blank pane
            painter = QPainter(self.viewport())
            painter.setPen(colors().muted)
            painter.drawText(
                self.viewport().rect().adjusted(16, 24, -16, -16),
                int(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap),
                self.empty_text,
            )
            painter.end()

    def select_key(self, key: str) -> bool:
        idx = self.model_.find_key(key)
        if not idx.isValid():
            return False
        parent = idx.parent()
        while parent.isValid():
            self.expand(parent)
            parent = parent.parent()
        self.setCurrentIndex(idx)
        return True

    def _keys(self, depth: int) -> list[str]:
        """Keys of the client (depth 1) and engagement (depth 2) nodes."""
        keys: list[str] = []
        for r in range(self.model_.rowCount()):
            client = self.model_.index(r, 0)
            keys.append(client.data(KEY_ROLE))
            if depth >= 2:
                count = self.model_.rowCount(client)
                keys.extend(self.model_.index(e, 0, client).data(KEY_ROLE) for e in range(count))
        return keys

    def current_selection(self) -> Selection:
        idx = self.currentIndex()
        sel = idx.data(SELECTION_ROLE) if idx.isValid() else None
        return sel if isinstance(sel, Selection) else Selection()

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._loading:
            return
        sel = current.data(SELECTION_ROLE) if current.isValid() else None
        self.selection_changed.emit(sel if isinstance(sel, Selection) else Selection())

    def _activated(self, index: QModelIndex) -> None:
        sel = index.data(SELECTION_ROLE) if index.isValid() else None
        if index.data(KIND_ROLE) == "engagement" and isinstance(sel, Selection):
            self.open_requested.emit("assets", sel)
            persistent = QPersistentModelIndex(index)  # the double-click toggles expansion after this
            QTimer.singleShot(0, lambda: persistent.isValid() and self.expand(QModelIndex(persistent)))

    def _context_menu(self, pos: QPoint) -> None:
        index = self.indexAt(pos)
        sel = index.data(SELECTION_ROLE) if index.isValid() else None
        if index.data(KIND_ROLE) != "engagement" or not isinstance(sel, Selection):
            return
        menu = QMenu(self)
        menu.addAction("Open asset inventory", lambda: self.open_requested.emit("assets", sel))
        menu.popup(self.viewport().mapToGlobal(pos))
        self._menu = menu
