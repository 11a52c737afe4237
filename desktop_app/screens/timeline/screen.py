"""Flow timeline screen: the discovery phases of the selected import's flow, live, with actions.

Why polling while visible: phase work writes from worker threads (or another consultant's
machine); a 1 s read while the flow runs keeps the timeline current without any push channel,
and every local write refreshes it at once through `operation_did_execute`.
"""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from core.actions import flows as flow_actions
from core.actions.phases import run_phase
from core.bootstrap import Core
from core.changes import OpChanges, changes_of_failure
from core.pipeline import flow_timeline
from desktop_app.screens.mapping_review.reopen import ask_reopen_reason, reopen_work
from desktop_app.screens.registry import Screen, ScreenContext, Selection, register_screen
from desktop_app.screens.timeline.painter import STATUS_TEXT, TimelineWidget
from desktop_app.screens.timeline.view_model import (
    TimelineView,
    format_counts,
    format_duration,
    timeline_from_core,
)
from desktop_app.task_manager import CollectionOp, QueryOp, TaskContext, TaskHandle
from desktop_app.tenancy import tenant_of

ACTION_RUN_NEXT = "timeline.run_next"
ACTION_RETRY = "timeline.retry"
ACTION_RECOVER = "timeline.recover"
ACTION_PAUSE = "timeline.pause"
ACTION_RESUME = "timeline.resume"
ACTION_CANCEL = "timeline.cancel"
ACTION_REOPEN_MAPPING = "timeline.reopen_mapping"
ACTION_OPEN_MAPPING = "timeline.open_mapping"
ACTION_OPEN_ASSETS = "timeline.open_assets"
ACTION_REFRESH = "timeline.refresh"

#: the timeline's buttons for the core's flow actions (`core.pipeline.FLOW_ACTIONS`)
_FLOW_ACTIONS = {
    ACTION_RUN_NEXT: "run_next",
    ACTION_RETRY: "retry",
    ACTION_RECOVER: "recover",
    ACTION_PAUSE: "pause",
    ACTION_RESUME: "resume",
    ACTION_CANCEL: "cancel",
    ACTION_REOPEN_MAPPING: "reopen_mapping",
}

#: where in the app each master-flow stage's work is done (screen id), and how the GUI names it
STAGE_SCREENS: dict[str, tuple[str, str]] = {
    "assessment": ("sixr", "Open 6R board"),
    "planning": ("waves", "Open wave planner"),
}
STAGE_MARKS = {"completed": "✔", "ready": "●", "stale": "⚠", "waiting": "○"}

POLL_MS = 1000
ACTIVE_STATUSES = frozenset({"running", "initializing"})


def load_timeline(core: Core, selection: Selection) -> TimelineView | None:
    """Background: the flow's timeline (None when the import has no flow yet)."""
    if selection.flow_id is None:
        return None
    return timeline_from_core(flow_timeline(core.uows, tenant_of(core, selection), selection.flow_id))


@register_screen
class TimelineScreen(Screen):
    screen_id = "timeline"
    title = "Flow timeline"
    icon = "SP_FileDialogInfoView"
    order = 20
    needs_import = True

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.view: TimelineView | None = None
        self._loading = False
        self._reload_again = False
        self._phase_task: TaskHandle | None = None
        self._running_phase: str | None = None

        self.heading = QLabel("Flow timeline")
        self.heading.setObjectName("screenTitle")
        self.subtitle = QLabel("Select an import on the left.")
        self.subtitle.setObjectName("screenSubtitle")
        self.subtitle.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setObjectName("flowProgress")
        self.progress.setRange(0, 100)
        self.progress.setFormat("%p % of discovery done")
        self.timeline = TimelineWidget()
        self.timeline.phase_selected.connect(lambda _p: self._show_details())
        self.master_stages = QLabel()
        self.master_stages.setObjectName("masterStages")
        self.master_stages.setWordWrap(True)
        self.master_stages.setTextFormat(Qt.TextFormat.RichText)
        stage_bar = QHBoxLayout()
        stage_bar.addWidget(self.master_stages, 1)
        self.stage_buttons: dict[str, QPushButton] = {}
        for stage, (screen_id, text) in STAGE_SCREENS.items():
            button = QPushButton(text)
            button.setObjectName(f"openStage_{stage}")
            button.clicked.connect(lambda _=False, sid=screen_id: self.ctx.navigate(sid, self.selection))
            self.stage_buttons[stage] = button
            stage_bar.addWidget(button)

        self.actions_by_id: dict[str, QAction] = {}
        bar = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for action_id, text, slot, shortcut in (
            (ACTION_RUN_NEXT, "Run next phase", self.run_next_phase, "Ctrl+R"),
            (ACTION_RETRY, "Retry failed phase", self.retry, None),
            (ACTION_RECOVER, "Recover from checkpoint", self.recover, None),
            (ACTION_PAUSE, "Pause", self.pause, None),
            (ACTION_RESUME, "Resume", self.resume, None),
            (ACTION_CANCEL, "Cancel flow", self.cancel_flow, None),
            (ACTION_REOPEN_MAPPING, "Reopen mapping…", self.reopen_mapping, None),
            (ACTION_OPEN_MAPPING, "Open mapping review", self.open_mapping, None),
            (ACTION_OPEN_ASSETS, "Open asset inventory", self.open_assets, None),
        ):
            action = QAction(text, self)
            action.setObjectName(action_id)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)
            self.actions_by_id[action_id] = action
            button = QPushButton(text)
            button.setObjectName(action_id)
            button.clicked.connect(action.trigger)
            self.buttons[action_id] = button
            bar.addWidget(button)
        bar.addStretch(1)
        self.why_not = QLabel()
        self.why_not.setObjectName("actionReason")
        self.why_not.setWordWrap(True)
        refresh = QAction("Refresh", self)
        refresh.setObjectName(ACTION_REFRESH)
        refresh.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        refresh.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        refresh.triggered.connect(self.reload)
        self.addAction(refresh)
        self.actions_by_id[ACTION_REFRESH] = refresh

        self.details = QLabel()
        self.details.setObjectName("phaseDetails")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        details_frame = QFrame()
        details_frame.setObjectName("previewPane")
        dl = QVBoxLayout(details_frame)
        dl.addWidget(self.details)
        dl.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(details_frame)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(self.heading)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.progress)
        layout.addWidget(self.timeline)
        layout.addLayout(stage_bar)
        layout.addLayout(bar)
        layout.addWidget(self.why_not)
        layout.addWidget(scroll, 1)

        self.poll = QTimer(self)
        self.poll.setInterval(POLL_MS)
        self.poll.timeout.connect(self._poll)
        self._update_actions()

    # -- loading ---------------------------------------------------------------------------------

    def set_selection(self, selection: Selection) -> None:
        changed = (
            selection.flow_id != self.selection.flow_id or selection.import_id != self.selection.import_id
        )
        super().set_selection(selection)
        if changed:
            self.view = None
            self._render()
            self.reload()

    def on_shown(self) -> None:
        self.reload()

    def reload(self) -> None:
        if self.selection.flow_id is None:
            self._render()
            return
        if self._loading:
            self._reload_again = True
            return
        self._loading = True
        selection = self.selection
        QueryOp(self, lambda core: load_timeline(core, selection), label="Loading flow timeline").success(
            lambda view: self._loaded(selection, view)
        ).failure(self._load_failed).run_in_background(self.ctx.tasks)

    def _loaded(self, selection: Selection, view: TimelineView | None) -> None:
        self._loading = False
        if selection.flow_id == self.selection.flow_id:
            self.view = view
            self._render()
        if self._reload_again:
            self._reload_again = False
            self.reload()

    def _load_failed(self, exc: BaseException) -> None:
        self._loading = False
        self.subtitle.setText(f"Could not load the flow: {exc}")

    def _poll(self) -> None:
        if self.isVisible() and not self._loading:
            self.reload()

    def menu_actions(self) -> list[QAction | None]:
        a = self.actions_by_id
        return [
            a[ACTION_RUN_NEXT],
            a[ACTION_RETRY],
            a[ACTION_RECOVER],
            None,
            a[ACTION_PAUSE],
            a[ACTION_RESUME],
            a[ACTION_CANCEL],
            None,
            a[ACTION_OPEN_MAPPING],
            a[ACTION_REOPEN_MAPPING],
            a[ACTION_OPEN_ASSETS],
            a[ACTION_REFRESH],
        ]

    def on_operation(self, changes: OpChanges, initiator: object) -> None:
        if (changes.flows and changes.touches_flow(self.selection.flow_id)) or (
            changes.mappings and changes.touches_import(self.selection.import_id)
        ):
            self.reload()

    # -- rendering -------------------------------------------------------------------------------

    def _render(self) -> None:
        view = self.view
        sel = self.selection
        if sel.import_id is None:
            self.heading.setText("Flow timeline")
            self.subtitle.setText("Select an import on the left to see its discovery flow.")
        elif sel.flow_id is None:
            self.heading.setText(sel.import_name or "Import")
            self.subtitle.setText("This import has no discovery flow yet.")
        elif view is not None:
            self.heading.setText(view.flow_name or sel.import_name)
            state = STATUS_TEXT.get(view.status, view.status.replace("_", " "))
            phase = view.current_phase.replace("_", " ")
            self.subtitle.setText(
                f"{sel.client_name} / {sel.engagement_name} · status: {state.lower()}"
                + (f" · current phase: {phase}" if view.current_phase != "completed" else "")
                + f" · version {view.version}"
            )
        self.progress.setValue(int(view.progress_percentage) if view else 0)
        self._render_stages(view)
        self.timeline.set_timeline(view, self._running_phase)
        self._show_details()
        self._update_actions()
        active = view is not None and (view.status in ACTIVE_STATUSES or self._phase_task is not None)
        if active and not self.poll.isActive():
            self.poll.start()
        elif not active and self.poll.isActive():
            self.poll.stop()

    def _render_stages(self, view: TimelineView | None) -> None:
        """The master flow's stages in one line: discovery → assessment → planning, each with why."""
        stages = view.master if view is not None else ()
        self.master_stages.setVisible(bool(stages))
        parts = []
        for st in stages:
            mark, name = STAGE_MARKS.get(st.status, ""), _html(st.stage.capitalize())
            text = f"{mark} <b>{name}</b> {_html(st.status)}"
            # the core's reason names the CLI command; here the button beside the line does it
            why = (st.reason or "").split(": run `")[0] if st.stage in STAGE_SCREENS else st.reason
            if st.status not in ("completed", "ready") and why:
                text += f" — {_html(why)}"
            parts.append(text)
        self.master_stages.setText("Master flow: " + " &nbsp;→&nbsp; ".join(parts) if parts else "")
        by_stage = {st.stage: st for st in stages}
        for stage, button in self.stage_buttons.items():
            st = by_stage.get(stage)
            button.setVisible(st is not None and st.status in ("ready", "stale", "completed"))

    def _show_details(self) -> None:
        view = self.view
        if view is None:
            self.details.setText("")
            return
        phase = self.timeline.selected_phase
        p = view.phase(phase) if phase else None
        parts: list[str] = []
        if p is not None:
            parts.append(f"<h3 style='margin:0'>{p.label}</h3>")
            rows = [("Status", STATUS_TEXT.get(p.status, p.status))]
            if p.started_at:
                rows.append(("Started", f"{p.started_at.astimezone():%Y-%m-%d %H:%M:%S}"))
            if p.ended_at:
                rows.append(("Ended", f"{p.ended_at.astimezone():%Y-%m-%d %H:%M:%S}"))
            if p.duration_seconds is not None:
                rows.append(("Duration", format_duration(p.duration_seconds)))
            if p.counts:
                rows.append(("Counts", format_counts(p.counts) or str(p.counts)))
            if p.attempts:
                rows.append(("Attempts", str(p.attempts)))
            parts.append(
                "<table cellpadding='2'>"
                + "".join(f"<tr><td><b>{k}</b></td><td>{_html(v)}</td></tr>" for k, v in rows)
                + "</table>"
            )
        errors = view.errors
        if view.error and view.status == "failed":
            err = view.error
            parts.append(
                "<p style='color:#b91c1c'><b>The flow failed in "
                f"{_html(str(err.get('phase') or '').replace('_', ' '))}:</b> "
                f"{_html(str(err.get('message') or ''))}</p>"
            )
            hint = (
                (err.get("details") or {}).get("recovery_hint")
                if isinstance(err.get("details"), dict)
                else None
            )
            if hint:
                parts.append(f"<p><b>What to do:</b> {_html(str(hint))}</p>")
        if errors:
            parts.append("<h4 style='margin-bottom:2px'>Errors</h4><ul>")
            for e in errors[-10:]:
                when = f"{e.at.astimezone():%Y-%m-%d %H:%M:%S} · " if e.at else ""
                hint = f"<br/><i>{_html(e.recovery_hint)}</i>" if e.recovery_hint else ""
                parts.append(
                    f"<li>{when}<b>{_html(e.phase.replace('_', ' '))}</b>: {_html(e.message)}{hint}</li>"
                )
            parts.append("</ul>")
        self.details.setText("".join(parts))

    def _update_actions(self) -> None:
        """Enable what the core allows (`actions` of the timeline) and say why the rest is not."""
        view = self.view
        busy = self._phase_task is not None
        status = view.status if view else ""
        nxt = view.next_phase if view else None
        allowed = {name: bool(view) and view.action(name).allowed for name in _FLOW_ACTIONS.values()}
        enabled = {
            ACTION_RUN_NEXT: allowed["run_next"] and not busy,
            ACTION_RETRY: allowed["retry"] and not busy,
            ACTION_RECOVER: allowed["recover"] and not busy,
            ACTION_PAUSE: allowed["pause"],
            ACTION_RESUME: allowed["resume"],
            ACTION_CANCEL: allowed["cancel"],
            ACTION_REOPEN_MAPPING: allowed["reopen_mapping"] and not busy,
            ACTION_OPEN_MAPPING: self.selection.import_id is not None,
            ACTION_OPEN_ASSETS: _phase_completed(view, "asset_inventory"),
        }
        for action_id, on in enabled.items():
            self.actions_by_id[action_id].setEnabled(on)
            self.buttons[action_id].setEnabled(on)
        for action_id, name in _FLOW_ACTIONS.items():
            reason = view.action(name).reason if view and not allowed[name] else None
            self.buttons[action_id].setToolTip(reason or "")
        run_button = self.buttons[ACTION_RUN_NEXT]
        if nxt and view:
            label = view.phase(nxt).label if view.phase(nxt) else nxt.replace("_", " ")
            run_button.setText(f"Run {label.lower()}")
            if allowed["run_next"]:
                run_button.setToolTip(f"Run {label.lower()} in the background.")
        else:
            run_button.setText("Run next phase")
        why = view.action("run_next").reason if view and not allowed["run_next"] and not busy else None
        self.why_not.setText(f"Why “{run_button.text()}” is not available: {why}" if why else "")
        self.why_not.setVisible(bool(why))
        self.buttons[ACTION_PAUSE].setVisible(status != "paused")
        self.buttons[ACTION_RESUME].setVisible(status == "paused")

    # -- actions ---------------------------------------------------------------------------------

    def run_next_phase(self) -> None:
        if self.view is None or self.view.next_phase is None:
            return
        self._run_phase(self.view.next_phase)

    def retry(self) -> None:
        if self.view is not None and self.view.error and self.view.error.get("phase"):
            self._run_phase(str(self.view.error["phase"]))

    def _run_phase(self, phase: str) -> None:
        if self.selection.flow_id is None:
            return
        selection = self.selection
        flow_id: uuid.UUID = selection.flow_id

        def work(core: Core, ctx: TaskContext) -> Any:
            return run_phase(
                core.uows, tenant_of(core, selection), flow_id, phase, progress=ctx.report, cancel=ctx.cancel
            )

        self._running_phase = phase
        self._phase_task = (
            CollectionOp(self, work, label=f"Running {phase.replace('_', ' ')}")
            .with_progress()
            .success(lambda _r: self._phase_done())
            .failure(self._phase_failed)
            .run_in_background(self.ctx.tasks)
        )
        self._render()
        self.poll.start()

    def _phase_done(self) -> None:
        self._phase_task = None
        self._running_phase = None
        self.status_message.emit("Phase finished")
        self.reload()

    def _phase_failed(self, exc: BaseException) -> None:
        self._phase_task = None
        self._running_phase = None
        # The failure is recorded on the flow (error wrapper): the timeline shows it with its hint.
        self.ctx.tasks.operation_did_execute.emit(changes_of_failure(exc), self)
        self.status_message.emit(f"Phase failed: {exc}")
        self.reload()

    def _lifecycle(self, label: str, fn: Any) -> None:
        """Run one `core.actions.flows` use case; screens refresh from the changes it returns."""
        selection = self.selection
        if selection.flow_id is None:
            return
        flow_id = selection.flow_id

        def work(core: Core) -> Any:
            return fn(core.uows, tenant_of(core, selection), flow_id)

        CollectionOp(self, work, label=label).success(lambda _r: self.reload()).run_in_background(
            self.ctx.tasks
        )

    def recover(self) -> None:
        self._lifecycle("Recovering the flow", flow_actions.recover_flow)

    def pause(self) -> None:
        if self._phase_task is not None:
            self._phase_task.cancel()
        self._lifecycle("Pausing the flow", flow_actions.pause_flow)

    def resume(self) -> None:
        self._lifecycle("Resuming the flow", flow_actions.resume_flow)

    def cancel_flow(self) -> None:
        if self._phase_task is not None:
            self._phase_task.cancel()
        self._lifecycle("Cancelling the flow", flow_actions.cancel_flow)

    def reopen_mapping(self) -> None:
        """Ask why, then take the flow back to field mapping; cleansing and later phases run again."""
        selection = self.selection
        if selection.flow_id is None:
            return

        def reopen(reason: str | None) -> None:
            CollectionOp(self, reopen_work(selection, reason), label="Reopening the mapping").success(
                lambda _r: self.reload()
            ).run_in_background(self.ctx.tasks)

        self.reopen_dialog = ask_reopen_reason(self, reopen)

    def open_mapping(self) -> None:
        self.ctx.navigate("mapping_review", self.selection)

    def open_assets(self) -> None:
        """ "Asset inventory completed" → the engagement's assets (data quality of this import too)."""
        self.ctx.navigate("assets", self.selection)


def _phase_completed(view: TimelineView | None, phase: str) -> bool:
    found = view.phase(phase) if view is not None else None
    return found is not None and found.status == "completed"


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
