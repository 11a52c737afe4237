"""Duplicate-merge review: assets that share a key but were kept apart, side by side, and a merge.

Why a confirmation and no undo: `core.inventory.merge_assets` stores the decision (later
inventory runs keep the records together) and deletes the merged assets; the core offers no
reverse, so the consultant confirms in a dialog that says so. The merge runs as a write op; the
kept asset's lineage is recomputed by source precedence (nothing is lost: every record and its
cells stay behind the kept asset).
"""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.bootstrap import Core
from desktop_app.changes import OpChanges
from desktop_app.screens.assets import service
from desktop_app.screens.assets.columns import columns as all_columns
from desktop_app.screens.assets.columns import format_field, header
from desktop_app.screens.assets.service import DuplicateGroup
from desktop_app.screens.registry import Selection
from desktop_app.task_manager import CollectionOp, QueryOp, TaskManager
from desktop_app.theme import colors

MERGE_NOTE = "Merges cannot be undone: the merged assets are deleted and their records move to the kept one."


class DuplicatesTab(QWidget):
    """Candidate groups (left); the selected group's assets compared field by field (right)."""

    #: a merge finished: the kept asset's detail
    merged = Signal(object)
    #: the candidate list was (re)loaded: number of groups
    candidates_loaded = Signal(int)
    status_message = Signal(str)

    def __init__(self, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("duplicatesTab")
        self.tasks = tasks
        self.selection = Selection()
        self.groups: list[DuplicateGroup] = []
        self.group: DuplicateGroup | None = None
        self.loaded = False
        self._confirm: QMessageBox | None = None
        self._merging = False

        self.candidates = QTableWidget(0, 3)
        self.candidates.setObjectName("duplicateCandidates")
        self.candidates.setHorizontalHeaderLabels(["Shared key", "Value", "Assets"])
        self.candidates.verticalHeader().hide()
        self.candidates.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.candidates.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.candidates.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.candidates.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.candidates.setColumnWidth(0, 170)
        self.candidates.setColumnWidth(2, 60)
        self.candidates.currentCellChanged.connect(lambda row, *_: self._open_group(row))
        self.empty = QLabel("")
        self.empty.setObjectName("emptyHint")
        self.empty.setWordWrap(True)

        self.heading = QLabel("Select a candidate group on the left.")
        self.heading.setObjectName("duplicateHeading")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.compare = QTableWidget(0, 0)
        self.compare.setObjectName("duplicateCompare")
        self.compare.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.compare.setAlternatingRowColors(True)
        self.compare.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.keep = QComboBox()
        self.keep.setObjectName("duplicateKeep")
        self.merge_button = QPushButton("Merge into the kept asset…")
        self.merge_button.setObjectName("duplicateMerge")
        self.merge_button.setEnabled(False)
        self.merge_button.clicked.connect(self.ask_merge)
        note = QLabel(MERGE_NOTE)
        note.setObjectName("screenSubtitle")
        note.setWordWrap(True)

        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.candidates, 1)
        ll.addWidget(self.empty)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.heading)
        rl.addWidget(self.compare, 1)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Keep"))
        bar.addWidget(self.keep, 1)
        bar.addWidget(self.merge_button)
        rl.addLayout(bar)
        rl.addWidget(note)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 3)
        split.setSizes([360, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(split)

    @property
    def busy(self) -> bool:
        """A merge is running (it reloads the candidates itself when done)."""
        return self._merging

    # -- loading ---------------------------------------------------------------------------------

    def load(self, selection: Selection) -> None:
        """(Re)load the candidate groups of the engagement."""
        self.selection = selection
        if not selection.has_engagement:
            return
        QueryOp(
            self, lambda core: service.load_duplicates(core, selection), label="Finding duplicates"
        ).success(lambda groups: self._loaded(selection, groups)).run_in_background(self.tasks)

    def _loaded(self, selection: Selection, groups: list[DuplicateGroup]) -> None:
        if selection.engagement_id != self.selection.engagement_id:
            return
        current = self.group.asset_ids if self.group else None
        self.groups = groups
        self.loaded = True
        self.candidates.blockSignals(True)
        self.candidates.setRowCount(len(groups))
        for r, g in enumerate(groups):
            for c, text in enumerate((g.reason, g.key, str(len(g.asset_ids)))):
                item = QTableWidgetItem(text)
                item.setToolTip(", ".join(n for n in g.names if n))
                if c == 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.candidates.setItem(r, c, item)
        self.candidates.blockSignals(False)
        self.empty.setText(
            ""
            if groups
            else "No duplicate candidates: no two assets share a serial number, host name, IP or name."
        )
        self.empty.setVisible(not groups)
        again = next((i for i, g in enumerate(groups) if g.asset_ids == current), 0 if groups else -1)
        if again >= 0:
            self.candidates.blockSignals(True)
            self.candidates.selectRow(again)
            self.candidates.blockSignals(False)
            self._open_group(again)
        else:
            self._show_group(None)
        self.candidates_loaded.emit(len(groups))

    def _open_group(self, row: int) -> None:
        if not 0 <= row < len(self.groups):
            return
        group = self.groups[row]
        selection = self.selection
        QueryOp(
            self, lambda core: service.load_group(core, selection, group), label="Loading the candidates"
        ).success(self._show_group).run_in_background(self.tasks)

    # -- comparison ------------------------------------------------------------------------------

    def _show_group(self, group: DuplicateGroup | None) -> None:
        self.group = group
        self.keep.clear()
        if group is None or not group.details:
            self.heading.setText("Select a candidate group on the left.")
            self.compare.setRowCount(0)
            self.compare.setColumnCount(0)
            self.merge_button.setEnabled(False)
            return
        details = group.details
        self.heading.setText(
            f"<b>{len(details)} assets</b> share <b>{_html(group.reason)}</b> “{_html(group.key)}”. "
            "Fields that differ are tinted; choose the asset to keep."
        )
        present = [f for f in all_columns() if any(f in (d.get("fields") or {}) for d in details)]
        rows = [*present, "_sources", "_files"]
        self.compare.setColumnCount(len(details))
        self.compare.setRowCount(len(rows))
        self.compare.setHorizontalHeaderLabels([_title(d) for d in details])
        self.compare.setVerticalHeaderLabels(
            [
                header(f) if f in present else {"_sources": "Source records", "_files": "Files"}[f]
                for f in rows
            ]
        )
        tint = QBrush(colors().conflict_tint)
        for r, name in enumerate(rows):
            texts = [_cell(d, name) for d in details]
            differ = len({t for t in texts if t}) > 1
            for c, text in enumerate(texts):
                item = QTableWidgetItem(text)
                if differ:
                    item.setBackground(tint)
                lineage = (details[c].get("fields") or {}).get(name) or {}
                if lineage.get("file"):
                    item.setToolTip(
                        f"{lineage.get('file')}, row {lineage.get('row')},"
                        f" column {lineage.get('source_column')}:"
                        f" {lineage.get('raw_value')!r}"
                    )
                self.compare.setItem(r, c, item)
        for d in details:
            sources = len(d.get("sources") or [])
            self.keep.addItem(f"{_title(d)} — {sources} source record(s)", str(d["id"]))
        best = max(range(len(details)), key=lambda i: (len(details[i].get("sources") or []), -i))
        self.keep.setCurrentIndex(best)
        self.merge_button.setEnabled(not self._merging)

    # -- merging ---------------------------------------------------------------------------------

    def ask_merge(self) -> None:
        """Confirm (non-blocking dialog), then merge the group into the chosen asset."""
        group = self.group
        data = self.keep.currentData()
        if group is None or not isinstance(data, str):
            return
        keep = uuid.UUID(data)
        others = [i for i in group.asset_ids if i != keep]
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Merge assets",
            f"Merge {len(others)} asset(s) into “{self.keep.currentText()}”?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("mergeConfirm")
        box.setInformativeText(
            "Their source records, lineage and dependencies move to the kept asset, and the decision is "
            "remembered by later inventory runs.\n\n" + MERGE_NOTE
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda result: self._answered(result, group, keep, others))
        self._confirm = box
        box.open()  # never exec() inside the event loop's callbacks (qasync #59)

    def _answered(self, result: int, group: DuplicateGroup, keep: uuid.UUID, others: list[uuid.UUID]) -> None:
        self._confirm = None
        if result != QMessageBox.StandardButton.Yes:
            return
        self.merge(group, keep, others)

    def merge(self, group: DuplicateGroup, keep: uuid.UUID, others: list[uuid.UUID]) -> None:
        selection = self.selection
        note = f"merged in the review: {group.reason} {group.key}"

        def work(core: Core) -> dict[str, Any]:
            return service.merge(core, selection, keep, others, note)

        self._merging = True
        self.merge_button.setEnabled(False)
        CollectionOp(self, work, label="Merging assets").changes(
            OpChanges(assets=True, count=len(others))
        ).success(self._merged).failure(self._merge_failed).run_in_background(self.tasks)

    def _merged(self, kept: dict[str, Any]) -> None:
        self.group = None
        self.load(self.selection)
        self._merging = False
        self.status_message.emit(
            f"Merged into {kept.get('asset_name') or kept.get('id')}: "
            f"{len(kept.get('sources') or [])} source record(s) now behind it."
        )
        self.merged.emit(kept)

    def _merge_failed(self, exc: BaseException) -> None:
        from desktop_app.error_dialog import show_error

        self._merging = False
        self.merge_button.setEnabled(self.group is not None)
        show_error(exc, self, title="The assets were not merged")


def _title(detail: dict[str, Any]) -> str:
    """Name plus what tells same-named assets apart (FQDN, else IP, else serial)."""
    fields = detail.get("fields") or {}
    name = str(detail.get("asset_name") or detail.get("id"))
    for key in ("fqdn", "ip_address", "serial_number"):
        value = (fields.get(key) or {}).get("value")
        if value and str(value) != name:
            return f"{name} · {value}"
    return name


def _cell(detail: dict[str, Any], name: str) -> str:
    if name == "_sources":
        return str(len(detail.get("sources") or []))
    if name == "_files":
        return ", ".join(sorted({str(s.get("file") or "?") for s in detail.get("sources") or []}))
    info = (detail.get("fields") or {}).get(name)
    return format_field(name, info.get("value")) if info else ""


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
