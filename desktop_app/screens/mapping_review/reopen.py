"""A finished mapping in the review: read-only with a visible "Reopen mapping", refused before any dialog.

Why its own module: once the field-mapping phase is finished the core locks the decisions, and a
consultant who presses E, A or R must learn that *before* a dialog opens, next to the button that
reopens the mapping (`core.actions.mapping.reopen_mapping`; cleansing, inventory and the later
phases then run again). Whether the mapping is finished, and whether reopening is allowed now and
why not, is the core's answer (`core.pipeline.flow_status`, its `reopen_mapping` action), read on
every load of the grid.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFrame, QHBoxLayout, QInputDialog, QLabel, QPushButton, QWidget

from core.actions.mapping import reopen_mapping
from core.actions.outcome import Outcome
from core.bootstrap import Core
from core.mapping_review.errors import MappingLockedError
from core.pipeline import flow_status
from desktop_app.error_dialog import show_error
from desktop_app.screens.registry import Selection
from desktop_app.task_manager import CollectionOp, QueryOp, TaskManager
from desktop_app.tenancy import tenant_of

REOPEN_TEXT = "Reopen mapping…"
REFUSED = "This mapping is finished, so its decisions are read-only: reopen it to change them."


@dataclass(frozen=True)
class MappingLock:
    """The mapping of the selected flow as the core sees it: finished, and may it be reopened now."""

    flow_id: uuid.UUID
    finished: bool
    can_reopen: bool
    why_not: str | None
    current_phase: str

    @classmethod
    def of(cls, flow_id: uuid.UUID, status: dict[str, Any]) -> MappingLock:
        action = (status.get("actions") or {}).get("reopen_mapping") or {}
        return cls(
            flow_id,
            bool((status.get("flags") or {}).get("field_mapping_completed")),
            bool(action.get("allowed")),
            action.get("reason"),
            str(status.get("current_phase") or ""),
        )

    def describe(self) -> str:
        phase = self.current_phase.replace("_", " ")
        text = f"Field mapping is finished (the flow is at {phase}); its decisions are read-only."
        if self.can_reopen:
            return (
                text + " Reopen it to change them: data cleansing, asset inventory and the later phases"
                " then run again."
            )
        return text + f" It cannot be reopened now: {self.why_not}."


def load_lock(core: Core, selection: Selection) -> MappingLock | None:
    """Background: the lock of the selection's flow (None without a flow)."""
    if selection.flow_id is None:
        return None
    status = flow_status(core.uows, tenant_of(core, selection), selection.flow_id)
    return MappingLock.of(selection.flow_id, status)


def ask_reopen_reason(parent: QWidget, on_reason: Callable[[str | None], None]) -> QInputDialog:
    """Ask (non-blocking) why the mapping is reopened; `on_reason` runs on OK (None: no reason given)."""
    dialog = QInputDialog(parent)
    dialog.setObjectName("reopenMappingDialog")
    dialog.setWindowTitle("Reopen mapping")
    dialog.setInputMode(QInputDialog.InputMode.TextInput)
    dialog.setLabelText(
        "Reopen the finished field mapping so its decisions can change.\n"
        "When you finish it again, data cleansing, asset inventory and the later phases run again.\n\n"
        "Why? (optional; kept in the flow's audit log)"
    )
    dialog.setOkButtonText("Reopen mapping")
    dialog.textValueSelected.connect(lambda text: on_reason(text.strip() or None))
    dialog.open()
    return dialog


def reopen_work(selection: Selection, reason: str | None) -> Callable[[Core], Outcome[Any]]:
    """The write of "Reopen mapping" for a task: one use case, its outcome says what changed."""
    flow_id = selection.flow_id
    assert flow_id is not None

    def work(core: Core) -> Outcome[Any]:
        return reopen_mapping(core.uows, tenant_of(core, selection), flow_id, reason=reason)

    return work


class _View(Protocol):
    selection: Selection

    def notify(self, text: str) -> None: ...


class ReopenBar(QFrame):
    """The strip above the grid while the mapping is finished: why it is read-only, and the button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mappingFinished")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.button = QPushButton(REOPEN_TEXT)
        self.button.setObjectName("reopenMapping")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.button)
        self.hide()

    def show_lock(self, lock: MappingLock | None) -> None:
        finished = lock is not None and lock.finished
        self.setVisible(finished)
        if lock is not None and finished:
            self.text.setText(lock.describe())
            self.button.setEnabled(lock.can_reopen)
            self.button.setToolTip("" if lock.can_reopen else lock.why_not or "")


class MappingReopener(QObject):
    """Knows whether the selected mapping is finished; refuses edits then, and reopens it on request."""

    def __init__(
        self, view: _View, widget: QWidget, tasks: TaskManager, *, on_reopened: Callable[[], None]
    ) -> None:
        super().__init__(widget)
        self.view, self.widget, self.tasks = view, widget, tasks
        self.on_reopened = on_reopened
        self.lock: MappingLock | None = None
        self.bar = ReopenBar(widget)
        self.bar.button.clicked.connect(self.ask)
        self.action: QAction | None = None
        self.dialog: QInputDialog | None = None

    def set_action(self, action: QAction) -> None:
        """The screen's menu action "Reopen mapping…" (enabled while reopening is allowed)."""
        self.action = action
        self._show()

    def reset(self) -> None:
        self.lock = None
        self._show()

    def load(self) -> None:
        selection = self.view.selection
        QueryOp(self.widget, lambda core: load_lock(core, selection), label="Reading the flow").success(
            lambda lock: self._loaded(selection, lock)
        ).failure(lambda exc: self._loaded(selection, None)).run_in_background(self.tasks)

    def _loaded(self, selection: Selection, lock: MappingLock | None) -> None:
        if selection.flow_id == self.view.selection.flow_id:
            self.lock = lock
            self._show()

    def _show(self) -> None:
        self.bar.show_lock(self.lock)
        if self.action is not None:
            self.action.setEnabled(bool(self.lock and self.lock.finished and self.lock.can_reopen))

    @property
    def finished(self) -> bool:
        return bool(self.lock and self.lock.finished and self.lock.flow_id == self.view.selection.flow_id)

    def refuses(self) -> bool:
        """True (and says so, pointing at the button) when the mapping is finished: edit nothing."""
        if not self.finished:
            return False
        self.view.notify(REFUSED)
        self._show()
        self.bar.button.setFocus()
        return True

    def locked_out(self, exc: BaseException) -> bool:
        """A write the core refused because the mapping was finished meanwhile: show the bar instead."""
        if not isinstance(exc, MappingLockedError):
            return False
        self.view.notify(REFUSED)
        self.load()
        return True

    def ask(self) -> None:
        if self.lock is None or not self.lock.can_reopen or self.view.selection.flow_id is None:
            return
        self.dialog = ask_reopen_reason(self.widget, self.reopen)

    def reopen(self, reason: str | None) -> None:
        selection = self.view.selection
        if selection.flow_id is None:
            return
        CollectionOp(self.widget, reopen_work(selection, reason), label="Reopening the mapping").success(
            lambda _done: self._reopened()
        ).failure(self._failed).run_in_background(self.tasks)

    def _failed(self, exc: BaseException) -> None:
        show_error(exc, self.widget, title="The mapping was not reopened")
        self.load()

    def _reopened(self) -> None:
        self.lock = None
        self._show()
        self.view.notify(
            "Mapping reopened: change the decisions, then finish it — cleansing and inventory run again."
        )
        self.on_reopened()
