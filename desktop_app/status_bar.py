"""Status bar: connection (embedded / shared server / offline), sync state, running tasks.

Why: the consultant must always see where their data goes and that work is still happening —
with a way to cancel it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QStatusBar, QToolButton, QWidget

from desktop_app.task_manager import TaskHandle, TaskManager


class TaskIndicator(QWidget):
    """The newest running task: label, progress bar, cancel button; "+N more" when several run."""

    def __init__(self, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("taskIndicator")
        self.tasks = tasks
        self.label = QLabel()
        self.label.setObjectName("taskLabel")
        self.bar = QProgressBar()
        self.bar.setObjectName("taskProgress")
        self.bar.setFixedWidth(160)
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setObjectName("taskCancel")
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Cancel the running task")
        self.cancel_button.clicked.connect(self._cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self._shown: TaskHandle | None = None
        tasks.task_started.connect(self.refresh)
        tasks.task_finished.connect(self.refresh)
        tasks.task_progress.connect(self._progress)
        self.refresh()

    def _visible_tasks(self) -> list[TaskHandle]:
        # Quick reads flash by; show tasks that report progress or can be cancelled.
        return [t for t in self.tasks.running() if t.cancellable or t.kind == "write"]

    def refresh(self, *_args: object) -> None:
        visible = self._visible_tasks()
        if not visible:
            self._shown = None
            self.hide()
            return
        self._shown = visible[-1]
        more = f"  (+{len(visible) - 1} more)" if len(visible) > 1 else ""
        self.label.setText(self._shown.label + more)
        self.cancel_button.setVisible(self._shown.cancellable)
        self._progress(self._shown)
        self.show()

    def _progress(self, handle: TaskHandle) -> None:
        if handle is not self._shown:
            if self._shown is None and (handle.cancellable or handle.kind == "write"):
                self.refresh()
            return
        p = handle.progress
        if p is None or p.fraction is None:
            self.bar.setRange(0, 0)  # busy indicator
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(p.fraction * 1000))
        if p is not None:
            detail = f"{p.done:,}" + (f" / {p.total:,}" if p.total else "")
            rate = f" · {p.rate:,.0f}/s" if p.rate else ""
            self.bar.setToolTip(f"{handle.label}: {detail}{rate} {p.text}".strip())

    def _cancel(self) -> None:
        if self._shown is not None:
            self._shown.cancel()
            self.label.setText(self._shown.label + " — cancelling…")


class AppStatusBar(QStatusBar):
    """Permanent widgets: tasks, connection, sync, identity."""

    def __init__(self, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks_widget = TaskIndicator(tasks)
        self.connection = QLabel("Starting database…")
        self.connection.setObjectName("connectionLabel")
        self.sync = QLabel("Sync: not configured")
        self.sync.setObjectName("syncLabel")
        self.sync.setToolTip("Synchronisation with a shared server arrives in a later version.")
        self.identity = QLabel("")
        self.identity.setObjectName("identityLabel")
        self.addPermanentWidget(self.tasks_widget)
        for label in (self.connection, self.sync, self.identity):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.addPermanentWidget(label)

    def set_connection(self, text: str, tooltip: str = "") -> None:
        self.connection.setText(text)
        self.connection.setToolTip(tooltip)
