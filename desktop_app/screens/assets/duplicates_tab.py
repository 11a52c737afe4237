"""Duplicate review: assets that share a key but were kept apart, side by side — merge, or not a duplicate.

Why paged: an engagement of tens of thousands of machines has well over a thousand candidate groups;
the list shows `PAGE_SIZE` at a time with the total, and the pager walks the rest (the core pages
in SQL, in one stable order). "Not a duplicate" records that the assets are different machines
(`core.actions.assets.mark_not_duplicate`): the group is not proposed again. A merge
(`core.actions.assets.merge_assets`) is recorded with what it joined, so the Merges list can undo
it (`split_merge`): the merged assets come back with their own records and lineage. Every write
runs as a write op; the kept asset's lineage is recomputed by source precedence.
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
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.actions.outcome import Outcome
from core.bootstrap import Core
from desktop_app.screens.assets import service
from desktop_app.screens.assets.columns import columns as all_columns
from desktop_app.screens.assets.columns import format_field, header
from desktop_app.screens.assets.kept_apart_list import KeptApartList
from desktop_app.screens.assets.service import DuplicateGroup, DuplicatePage, MergeEntry
from desktop_app.screens.registry import Selection
from desktop_app.task_manager import CollectionOp, QueryOp, TaskManager
from desktop_app.theme import colors

PAGE_SIZE = 200
MERGE_NOTE = (
    "A merge can be undone from the Merges list: the merged assets come back with their own records "
    "and lineage."
)
LIST_CANDIDATES, LIST_MERGES, LIST_KEPT_APART = 0, 1, 2


class DuplicatesTab(QWidget):
    """Candidate groups, paged, and the merges made (left); the selected group compared (right)."""

    #: a merge or its undoing finished: the kept asset's detail (the screen follows and refreshes)
    merged = Signal(object)
    #: the candidate list was (re)loaded: number of open groups in all pages
    candidates_loaded = Signal(int)
    status_message = Signal(str)

    def __init__(self, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("duplicatesTab")
        self.tasks = tasks
        self.selection = Selection()
        self.groups: list[DuplicateGroup] = []
        self.group: DuplicateGroup | None = None
        self.merges: list[MergeEntry] = []
        self.offset = 0
        self.total = 0
        self.loaded = False
        self._confirm: QMessageBox | None = None
        self._writing = False

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
        self.previous_page = QPushButton("◀ Previous")
        self.previous_page.setObjectName("duplicatePrevious")
        self.previous_page.clicked.connect(lambda: self.show_page(self.offset - PAGE_SIZE))
        self.next_page = QPushButton("Next ▶")
        self.next_page.setObjectName("duplicateNext")
        self.next_page.clicked.connect(lambda: self.show_page(self.offset + PAGE_SIZE))
        self.page_label = QLabel("")
        self.page_label.setObjectName("duplicatePage")
        self.page_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.merge_list = QTableWidget(0, 3)
        self.merge_list.setObjectName("mergeList")
        self.merge_list.setHorizontalHeaderLabels(["Merged", "Kept asset", "Assets joined"])
        self.merge_list.verticalHeader().hide()
        self.merge_list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.merge_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.merge_list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.merge_list.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.merge_list.setColumnWidth(0, 120)
        self.merge_list.setColumnWidth(1, 150)
        self.merge_list.itemSelectionChanged.connect(self._merge_selected)
        self.undo_button = QPushButton("Undo merge…")
        self.undo_button.setObjectName("undoMerge")
        self.undo_button.setEnabled(False)
        self.undo_button.clicked.connect(self.ask_split)
        self.merge_hint = QLabel("Select a merge to undo it.")
        self.merge_hint.setObjectName("screenSubtitle")
        self.merge_hint.setWordWrap(True)

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
        self.distinct_button = QPushButton("Not a duplicate")
        self.distinct_button.setObjectName("notDuplicate")
        self.distinct_button.setToolTip("These are different machines: do not propose this group again")
        self.distinct_button.setEnabled(False)
        self.distinct_button.clicked.connect(self.mark_distinct)
        note = QLabel(MERGE_NOTE)
        note.setObjectName("screenSubtitle")
        note.setWordWrap(True)

        self.lists = QTabWidget()
        self.lists.setObjectName("duplicateLists")
        self.lists.setDocumentMode(True)
        self.lists.addTab(self._candidates_page(), "Candidates")
        self.lists.addTab(self._merges_page(), "Merges")
        self.kept_apart = KeptApartList(tasks)
        self.kept_apart.loaded.connect(
            lambda n: self.lists.setTabText(LIST_KEPT_APART, f"Kept apart ({n})" if n else "Kept apart")
        )
        self.kept_apart.proposed_again.connect(self._proposed_again)
        self.kept_apart.failed.connect(lambda exc: self._failed(exc, "The group was not proposed again"))
        self.lists.addTab(self.kept_apart, "Kept apart")
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.heading)
        rl.addWidget(self.compare, 1)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Keep"))
        bar.addWidget(self.keep, 1)
        bar.addWidget(self.merge_button)
        bar.addWidget(self.distinct_button)
        rl.addLayout(bar)
        rl.addWidget(note)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.lists)
        split.addWidget(right)
        split.setStretchFactor(1, 3)
        split.setSizes([380, 880])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(split)

    def _candidates_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.candidates, 1)
        layout.addWidget(self.empty)
        pager = QHBoxLayout()
        pager.addWidget(self.previous_page)
        pager.addWidget(self.page_label, 1)
        pager.addWidget(self.next_page)
        layout.addLayout(pager)
        return page

    def _merges_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.merge_list, 1)
        layout.addWidget(self.merge_hint)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.undo_button)
        layout.addLayout(row)
        return page

    @property
    def busy(self) -> bool:
        """A merge, an undo or a "not a duplicate" is running (it reloads the lists itself when done)."""
        return self._writing

    # -- loading ---------------------------------------------------------------------------------

    def load(self, selection: Selection) -> None:
        """(Re)load the current page of candidate groups and the list of merges."""
        if selection.engagement_id != self.selection.engagement_id:
            self.offset = 0
        self.selection = selection
        if not selection.has_engagement:
            return
        self.show_page(self.offset)
        QueryOp(self, lambda core: service.load_merges(core, selection), label="Loading merges").success(
            lambda merges: self._merges_loaded(selection, merges)
        ).run_in_background(self.tasks)
        self.kept_apart.load(selection)

    def show_page(self, offset: int) -> None:
        """Load the page of candidate groups that starts at `offset` (clamped at the start)."""
        selection = self.selection
        if not selection.has_engagement:
            return
        start = max(offset, 0)
        QueryOp(
            self,
            lambda core: service.load_duplicate_page(core, selection, start, PAGE_SIZE),
            label="Finding duplicates",
        ).success(lambda page: self._loaded(selection, page)).run_in_background(self.tasks)

    def _loaded(self, selection: Selection, page: DuplicatePage) -> None:
        if selection.engagement_id != self.selection.engagement_id:
            return
        if not page.groups and page.offset > 0 and page.total:
            # the page emptied (its last groups were decided): show the last page there is
            self.show_page((page.total - 1) // PAGE_SIZE * PAGE_SIZE)
            return
        current = self.group.asset_ids if self.group else None
        groups = page.groups
        self.groups = groups
        self.offset, self.total = page.offset, page.total
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
            else "No duplicate candidates: no two assets share a serial number, host name, IP or name"
            " (or every pair that does was reviewed)."
        )
        self.empty.setVisible(not groups)
        self._show_pager()
        again = next((i for i, g in enumerate(groups) if g.asset_ids == current), 0 if groups else -1)
        if again >= 0:
            self.candidates.blockSignals(True)
            self.candidates.selectRow(again)
            self.candidates.blockSignals(False)
            self._open_group(again)
        else:
            self._show_group(None)
        self.lists.setTabText(LIST_CANDIDATES, f"Candidates ({page.total:,})" if page.total else "Candidates")
        self.candidates_loaded.emit(page.total)

    def _show_pager(self) -> None:
        shown = len(self.groups)
        if self.total:
            self.page_label.setText(f"Groups {self.offset + 1:,}–{self.offset + shown:,} of {self.total:,}")
        else:
            self.page_label.setText("")
        self.previous_page.setEnabled(self.offset > 0)
        self.next_page.setEnabled(self.offset + shown < self.total)
        paged = self.total > PAGE_SIZE
        self.previous_page.setVisible(paged)
        self.next_page.setVisible(paged)

    def _open_group(self, row: int) -> None:
        if not 0 <= row < len(self.groups):
            return
        group = self.groups[row]
        selection = self.selection
        QueryOp(
            self, lambda core: service.load_group(core, selection, group), label="Loading the candidates"
        ).success(self._show_group).run_in_background(self.tasks)

    def _merges_loaded(self, selection: Selection, merges: list[MergeEntry]) -> None:
        if selection.engagement_id != self.selection.engagement_id:
            return
        current = self.current_merge()
        self.merges = merges
        self.merge_list.blockSignals(True)
        self.merge_list.setRowCount(len(merges))
        for r, m in enumerate(merges):
            when = m.created_at.astimezone().strftime("%Y-%m-%d %H:%M") if m.created_at else ""
            joined = ", ".join(m.asset_names)
            texts = (when, m.kept_name or str(m.kept_asset_id or ""), joined)
            for c, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setToolTip(
                    f"{joined} — {m.records} source record(s)"
                    + (f", by {m.decided_by}" if m.decided_by else "")
                    + (f"\n{m.note}" if m.note else "")
                )
                self.merge_list.setItem(r, c, item)
        again = next((i for i, m in enumerate(merges) if current and m.merge_id == current.merge_id), -1)
        if again >= 0:
            self.merge_list.selectRow(again)
        self.merge_list.blockSignals(False)
        self.lists.setTabText(LIST_MERGES, f"Merges ({len(merges)})" if merges else "Merges")
        self._merge_selected()

    def current_merge(self) -> MergeEntry | None:
        """The merge selected in the Merges list (None when none is)."""
        rows = {item.row() for item in self.merge_list.selectedItems()}
        row = min(rows) if rows else -1
        return self.merges[row] if 0 <= row < len(self.merges) else None

    def _merge_selected(self) -> None:
        merge = self.current_merge()
        if not self.merges:
            self.merge_hint.setText("No merges yet: merges made in this review are listed here.")
        elif merge is None:
            self.merge_hint.setText("Select a merge to undo it.")
        elif merge.can_split:
            back = ", ".join(merge.asset_names[1:]) or "the merged assets"
            self.merge_hint.setText(f"Undoing gives back {back} with their own records and lineage.")
        else:
            self.merge_hint.setText(f"This merge cannot be undone: {merge.why_not}.")
        self.undo_button.setEnabled(merge is not None and merge.can_split and not self._writing)

    # -- comparison ------------------------------------------------------------------------------

    def _show_group(self, group: DuplicateGroup | None) -> None:
        self.group = group
        self.keep.clear()
        if group is None or not group.details:
            self.heading.setText("Select a candidate group on the left.")
            self.compare.setRowCount(0)
            self.compare.setColumnCount(0)
            self.merge_button.setEnabled(False)
            self.distinct_button.setEnabled(False)
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
        self.merge_button.setEnabled(not self._writing)
        self.distinct_button.setEnabled(not self._writing)

    def _set_writing(self, writing: bool) -> None:
        self._writing = writing
        has_group = self.group is not None and bool(self.group.details)
        self.merge_button.setEnabled(has_group and not writing)
        self.distinct_button.setEnabled(has_group and not writing)
        self._merge_selected()

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

        def work(core: Core) -> Outcome[dict[str, Any]]:
            return service.merge(core, selection, keep, others, note)

        self._set_writing(True)
        # no declared changes: the task manager broadcasts the core's `outcome.changes` (the assets merged)
        CollectionOp(self, work, label="Merging assets").success(self._merged).failure(
            lambda exc: self._failed(exc, "The assets were not merged")
        ).run_in_background(self.tasks)

    def _merged(self, outcome: Outcome[dict[str, Any]]) -> None:
        kept = outcome.value
        self.group = None
        self._set_writing(False)
        self.load(self.selection)
        self.status_message.emit(
            f"Merged into {kept.get('asset_name') or kept.get('id')}: "
            f"{len(kept.get('sources') or [])} source record(s) now behind it. Undo it from the Merges list."
        )
        self.merged.emit(kept)

    def _failed(self, exc: BaseException, title: str) -> None:
        from desktop_app.error_dialog import show_error

        self._set_writing(False)
        show_error(exc, self, title=title)

    # -- not a duplicate -------------------------------------------------------------------------

    def mark_distinct(self) -> None:
        """Record that the group's assets are different machines; the group leaves the list."""
        group = self.group
        if group is None or self._writing:
            return
        selection = self.selection
        note = f"not a duplicate: {group.reason} {group.key}"

        def work(core: Core) -> Outcome[int]:
            return service.mark_not_duplicate(core, selection, list(group.asset_ids), note)

        self._set_writing(True)
        CollectionOp(self, work, label="Recording “not a duplicate”").success(
            lambda _outcome: self._distinct(group)
        ).failure(lambda exc: self._failed(exc, "The decision was not recorded")).run_in_background(
            self.tasks
        )

    def _distinct(self, group: DuplicateGroup) -> None:
        self.group = None
        self._set_writing(False)
        self.show_page(self.offset)
        self.kept_apart.load(self.selection)
        self.status_message.emit(
            f"{len(group.asset_ids)} assets sharing {group.reason} “{group.key}” are kept apart;"
            " the group is not proposed again (take it back from the Kept apart list)."
        )

    def _proposed_again(self, message: str) -> None:
        self.show_page(self.offset)
        self.status_message.emit(message)

    # -- undoing a merge -------------------------------------------------------------------------

    def ask_split(self) -> None:
        """Confirm (non-blocking dialog), then undo the selected merge."""
        merge = self.current_merge()
        if merge is None or not merge.can_split:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Undo merge",
            f"Undo the merge into “{merge.kept_name or merge.kept_asset_id}”?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("splitConfirm")
        box.setInformativeText(
            f"Back as separate assets: {', '.join(merge.asset_names[1:])}, each with its own source "
            "records and lineage. The dependencies the merge moved move back, and later inventory runs "
            "no longer keep them together."
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda result: self._split_answered(result, merge))
        self._confirm = box
        box.open()

    def _split_answered(self, result: int, merge: MergeEntry) -> None:
        self._confirm = None
        if result == QMessageBox.StandardButton.Yes:
            self.split(merge)

    def split(self, merge: MergeEntry) -> None:
        selection = self.selection

        def work(core: Core) -> Outcome[dict[str, Any]]:
            return service.split_merge(core, selection, merge.merge_id)

        self._set_writing(True)
        CollectionOp(self, work, label="Undoing the merge").success(self._split).failure(
            lambda exc: self._failed(exc, "The merge was not undone")
        ).run_in_background(self.tasks)

    def _split(self, outcome: Outcome[dict[str, Any]]) -> None:
        done = outcome.value
        kept = done["kept"]
        self._set_writing(False)
        self.load(self.selection)
        self.status_message.emit(
            f"Merge undone: {len(done['restored'])} asset(s) back beside "
            f"{kept.get('asset_name') or kept.get('id')}, each with its own records and lineage."
        )
        self.merged.emit(kept)


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
