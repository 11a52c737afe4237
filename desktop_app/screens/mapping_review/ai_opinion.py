"""The mapping review's "AI second opinion": the mapping crew on the selected flow's import (issue 16).

Why a component of its own: the action is optional (the `[ai]` extra, a configured model) and must
say why it is disabled when it cannot run; it runs for minutes, so it goes to the read pool (the
single writer thread stays free for the consultant's decisions) with progress per task and a
cancel button in the status bar, and on success broadcasts what it changed so the grid reloads and
shows the AI suggestions marked "✦ AI". The crew never approves anything and never touches a
decided row (`core.actions.agents.run_crew`).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from core.actions.outcome import Outcome
from core.agents.settings import LLMSettings, unavailable_reason
from core.bootstrap import Core
from core.changes import NOTHING, changes_of_failure
from core.errors import OperationCancelled
from desktop_app.error_dialog import show_error, show_message
from desktop_app.screens.registry import Selection
from desktop_app.task_manager import QueryOp, TaskContext, TaskManager
from desktop_app.tenancy import tenant_of

LABEL = "AI second opinion"
READY_TIP = (
    "Ask the configured AI model to review the columns the rules left unmapped or unsure: its proposals "
    "appear as suggestions marked ✦ AI for you to approve. Only bounded samples and profiles are sent."
)


class AiOpinion:
    """Owns the button; `refresh()` re-checks whether the crew can run (extra installed, model set)."""

    def __init__(self, widget: QWidget, tasks: TaskManager, selection: Any) -> None:
        self.widget = widget
        self.tasks = tasks
        self._selection = selection  # () -> Selection
        self.button = QPushButton(f"{LABEL}…")
        self.button.setObjectName("aiSecondOpinion")
        self.button.clicked.connect(self.run)
        self.running = False
        self.reason: str | None = None
        self.last_result: Any = None
        self.refresh()

    def settings(self) -> LLMSettings:
        from desktop_app import ai_settings

        core = self.tasks.core
        if core is None:
            return LLMSettings()
        return ai_settings.current(core.settings.data_dir)

    def refresh(self) -> None:
        """Enable the button, or disable it with the reason as its tooltip."""
        selection: Selection = self._selection()
        if self.tasks.core is None:
            self.reason = "the database is not open yet"
        elif selection.flow_id is None:
            self.reason = "select an import with its discovery flow"
        else:
            self.reason = unavailable_reason(self.settings())
        self.button.setEnabled(self.reason is None and not self.running)
        self.button.setToolTip(READY_TIP if self.reason is None else f"Not available: {self.reason}")
        self.button.setText(f"{LABEL} (running…)" if self.running else f"{LABEL}…")

    def run(self) -> None:
        self.refresh()
        if self.reason is not None or self.running:
            return
        selection: Selection = self._selection()
        settings = self.settings()
        flow_id = selection.flow_id

        def work(core: Core, ctx: TaskContext) -> Outcome[Any]:
            from core.actions.agents import run_crew

            return run_crew(
                core.uows, tenant_of(core, selection), flow_id, "mapping", settings,
                progress=ctx.report, cancel=ctx.cancel,
            )  # fmt: skip

        self.running = True
        self.refresh()
        QueryOp(self.widget, work, label=LABEL).with_progress(
            f"{LABEL}: mapping crew on {settings.model}", cancellable=True
        ).success(self._done).failure(self._failed).run_in_background(self.tasks)

    def _done(self, outcome: Outcome[Any]) -> None:
        self.running = False
        self.last_result = outcome.value
        self.refresh()
        self.tasks.operation_did_execute.emit(outcome.changes, None)  # the grid reloads with them
        r = outcome.value
        kept = f" Your decisions on {', '.join(r.skipped_decided)} were kept." if r.skipped_decided else ""
        show_message(
            f"The AI model suggested {r.suggestions} target(s) for {r.columns} column(s) under review.",
            self.widget,
            title=LABEL,
            hint="They are marked ✦ AI in the grid; nothing was approved." + kept,
            icon=QMessageBox.Icon.Information,
        )

    def _failed(self, exc: BaseException) -> None:
        self.running = False
        self.refresh()
        changes = changes_of_failure(exc)
        if changes != NOTHING:
            self.tasks.operation_did_execute.emit(changes, None)  # the failure is on the flow's log
        if isinstance(exc, OperationCancelled) or getattr(exc, "error_code", None) == "cancelled":
            return
        show_error(exc, self.widget, title=f"{LABEL} failed")
