"""The duplicate review's "Kept apart" list: each "not a duplicate" decision, and taking one back.

Why: "not a duplicate" hides a group from the review for good, so a mistaken click must be
reversible. The list shows who decided what and when; "Propose again" removes the decision
(`core.actions.assets.undo_not_duplicate`) and the group comes back among the candidates.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.actions.outcome import Outcome
from core.bootstrap import Core
from desktop_app.screens.assets import service
from desktop_app.screens.assets.service import KeptApart
from desktop_app.screens.registry import Selection
from desktop_app.task_manager import CollectionOp, QueryOp, TaskManager


class KeptApartList(QWidget):
    """The "not a duplicate" decisions of the engagement, newest first, with "Propose again"."""

    #: the list was (re)loaded: how many decisions it shows
    loaded = Signal(int)
    #: a decision was taken back (the candidates must reload): a message for the status bar
    proposed_again = Signal(str)
    failed = Signal(object)

    def __init__(self, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("keptApartList")
        self.tasks = tasks
        self.selection = Selection()
        self.decisions: list[KeptApart] = []
        self._writing = False
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("keptApartTable")
        self.table.setHorizontalHeaderLabels(["Decided", "By", "Different machines"])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 120)
        self.table.setColumnWidth(1, 110)
        self.table.itemSelectionChanged.connect(self._selected)
        self.hint = QLabel("")
        self.hint.setObjectName("screenSubtitle")
        self.hint.setWordWrap(True)
        self.again_button = QPushButton("Propose again")
        self.again_button.setObjectName("proposeAgain")
        self.again_button.setToolTip(
            "Take back “not a duplicate”: the group is listed among the candidates again"
        )
        self.again_button.setEnabled(False)
        self.again_button.clicked.connect(self.propose_again)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.hint)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.again_button)
        layout.addLayout(row)

    def load(self, selection: Selection) -> None:
        self.selection = selection
        if not selection.has_engagement:
            return
        QueryOp(
            self, lambda core: service.load_kept_apart(core, selection), label="Loading kept-apart assets"
        ).success(lambda found: self._loaded(selection, found)).run_in_background(self.tasks)

    def _loaded(self, selection: Selection, found: list[KeptApart]) -> None:
        if selection.engagement_id != self.selection.engagement_id:
            return
        current = self.current()
        self.decisions = found
        self.table.blockSignals(True)
        self.table.setRowCount(len(found))
        for r, k in enumerate(found):
            when = k.created_at.astimezone().strftime("%Y-%m-%d %H:%M") if k.created_at else ""
            names = ", ".join(k.asset_names)
            for c, text in enumerate((when, k.decided_by or "", names)):
                item = QTableWidgetItem(text)
                item.setToolTip(names + (f"\n{k.note}" if k.note else ""))
                self.table.setItem(r, c, item)
        again = next(
            (i for i, k in enumerate(found) if current and k.decision_ids == current.decision_ids), -1
        )
        if again >= 0:
            self.table.selectRow(again)
        self.table.blockSignals(False)
        self._selected()
        self.loaded.emit(len(found))

    def current(self) -> KeptApart | None:
        rows = {item.row() for item in self.table.selectedItems()}
        row = min(rows) if rows else -1
        return self.decisions[row] if 0 <= row < len(self.decisions) else None

    def _selected(self) -> None:
        chosen = self.current()
        if not self.decisions:
            self.hint.setText("Nothing kept apart: groups you mark “Not a duplicate” are listed here.")
        elif chosen is None:
            self.hint.setText("Select a decision to propose its group again.")
        else:
            self.hint.setText(f"{', '.join(chosen.asset_names)} are kept apart as different machines.")
        self.again_button.setEnabled(chosen is not None and not self._writing)

    def propose_again(self) -> None:
        """Remove the selected decision; the group reappears among the candidates."""
        chosen = self.current()
        if chosen is None or self._writing:
            return
        selection = self.selection

        def work(core: Core) -> Outcome[int]:
            return service.undo_not_duplicate(core, selection, chosen)

        self._writing = True
        self._selected()
        CollectionOp(self, work, label="Proposing the group again").success(
            lambda _outcome: self._done(chosen)
        ).failure(self._failed).run_in_background(self.tasks)

    def _done(self, chosen: KeptApart) -> None:
        self._writing = False
        self.load(self.selection)
        self.proposed_again.emit(
            f"{', '.join(chosen.asset_names)} are proposed as duplicate candidates again."
        )

    def _failed(self, exc: BaseException) -> None:
        self._writing = False
        self._selected()
        self.failed.emit(exc)
