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
            left = ""
            if p.rate and p.total and p.total > p.done:
                left = f" · {duration((p.total - p.done) / p.rate)} left"
            self.bar.setToolTip(f"{handle.label}: {detail}{rate}{left} {p.text}".strip())

    def _cancel(self) -> None:
        if self._shown is not None:
            self._shown.cancel()
            self.label.setText(self._shown.label + " — cancelling…")


def duration(seconds: float) -> str:
    """`42 s`, `3 min`, `1 h 05 min` — a time left, as rough as it is."""
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


class AppStatusBar(QStatusBar):
    """Permanent widgets: tasks, connection, sync (with its conflicts button), identity."""

    def __init__(self, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks_widget = TaskIndicator(tasks)
        self.connection = QLabel("Starting database…")
        self.connection.setObjectName("connectionLabel")
        self.sync = QLabel("Sync: not configured")
        self.sync.setObjectName("syncLabel")
        self.sync.setToolTip("Set a shared server in Engagement → Connection to shared server…")
        #: "2 conflicts · 1 refused": shown while something waits for the consultant; opens the list
        self.sync_issues = QToolButton()
        self.sync_issues.setObjectName("syncIssues")
        self.sync_issues.setAutoRaise(True)
        self.sync_issues.hide()
        self.identity = QLabel("")
        self.identity.setObjectName("identityLabel")
        self.addPermanentWidget(self.tasks_widget)
        for label in (self.connection, self.sync, self.identity):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.addPermanentWidget(label)
            if label is self.sync:
                self.addPermanentWidget(self.sync_issues)

    def set_connection(self, text: str, tooltip: str = "") -> None:
        self.connection.setText(text)
        self.connection.setToolTip(tooltip)

    def set_sync(self, text: str, tooltip: str = "", *, error: bool = False) -> None:
        """The sync label; an error is short here, whole in the tooltip, and styled as one."""
        self.sync.setText(text)
        self.sync.setToolTip(tooltip)
        self.sync.setProperty("state", "error" if error else "")
        self.sync.setStyleSheet("color: #b3261e;" if error else "")

    def set_sync_issues(self, conflicts: int, refused: int) -> None:
        """Show the conflicts/refusals button while any wait for the consultant."""
        parts = []
        if conflicts:
            parts.append(f"{conflicts} conflict{'s' if conflicts != 1 else ''}")
        if refused:
            parts.append(f"{refused} refused")
        self.sync_issues.setText("⚠ " + " · ".join(parts) if parts else "")
        self.sync_issues.setToolTip("Open Sync conflicts and refusals")
        self.sync_issues.setVisible(bool(parts))
