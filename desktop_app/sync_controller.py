"""Sync in the app: the status bar's sync state, "Sync now" in the background, auto-retry.

Why a controller and not a screen: sync belongs to the engagement selected in the sidebar,
whatever screen is shown. It reads the state with `core.queries.sync_status` after every write
(`operation_did_execute`) and after each sync, runs `core.actions.sync.sync_all` for the selected
engagement as a cancellable task of the task manager, and — while auto-sync is on and a profile is
set — syncs the selected engagement every interval by itself and retries a sync that could not
reach the server with backoff (QTimers), without waiting for a new local write (the upload queues
that only retried on the next write are what issue 15 avoids). A cancel pauses auto-sync until the
consultant syncs or changes something again.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from core.changes import OpChanges
from core.errors import MigrationDiscoveryError, UserInputError
from core.progress import Progress
from core.tenancy import EngagementRef
from desktop_app import sync_profile
from desktop_app.error_dialog import show_error
from desktop_app.screens.registry import Selection
from desktop_app.settings_store import SettingsStore
from desktop_app.status_bar import AppStatusBar, duration
from desktop_app.task_manager import CollectionOp, QueryOp, TaskContext, TaskHandle, TaskManager
from desktop_app.tenancy import tenant_of

if TYPE_CHECKING:
    from core.actions.outcome import Outcome
    from core.bootstrap import Core
    from core.queries.sync_status import SyncStatus

log = logging.getLogger(__name__)

MAX_BACKOFF_FACTOR = 8
"""Retry waits double after each failure, up to this many times the auto-sync interval."""


@dataclass
class EngagementSync:
    """What this session knows about one engagement's syncs (the database keeps the rest)."""

    error: str | None = None
    hint: str = ""
    connect_failed: bool = False
    failures: int = 0
    retry_at: float | None = None
    summary: str = ""
    refused: list[dict[str, Any]] = field(default_factory=list)


def ref_of(selection: Selection) -> EngagementRef:
    assert selection.client_account_id is not None and selection.engagement_id is not None
    return EngagementRef(
        selection.client_account_id, selection.client_name, selection.engagement_id, selection.engagement_name
    )


def summarise(value: dict[str, Any]) -> str:
    """One paragraph of what a sync did: counts, conflicts, refusals with reason and hint."""

    def counts(side: dict[str, int]) -> str:
        total = sum(side.values())
        if not total:
            return "nothing"
        return f"{total:,} row(s) (" + ", ".join(f"{t} {n:,}" for t, n in side.items()) + ")"

    lines = [f"Pushed {counts(value.get('pushed', {}))}; pulled {counts(value.get('pulled', {}))}."]
    if value.get("conflicts"):
        n = len(value["conflicts"])
        lines.append(f"{n} conflict(s): the server's values stand, ours are kept for review.")
    for r in value.get("rejected", []):
        lines.append(f"Refused: {r.get('reason', '')}" + (f" — {r['hint']}" if r.get("hint") else ""))
    return "\n".join(lines)


def short_summary(value: dict[str, Any]) -> str:
    """The status bar's one line: `Synced: pushed 1,200 rows · pulled 8 rows · 1 conflict`."""
    parts = [
        f"pushed {sum(value.get('pushed', {}).values()):,} rows",
        f"pulled {sum(value.get('pulled', {}).values()):,} rows",
    ]
    if value.get("conflicts"):
        n = len(value["conflicts"])
        parts.append(f"{n} conflict{'s' if n != 1 else ''}")
    if value.get("rejected"):
        parts.append(f"{len(value['rejected'])} refused")
    return "Synced: " + " · ".join(parts)


class ProgressMeter:
    """The engine's `Progress` (stage, done, total changes) as task progress with a rate per stage."""

    def __init__(self, ctx: TaskContext) -> None:
        self.ctx = ctx
        self.stage = ""
        self.started = self.first = time.monotonic()

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if p.stage != self.stage:
            self.stage, self.started = p.stage, now
        elapsed = now - self.started
        rate = p.done / elapsed if elapsed > 0 and p.done else None
        of = f" / {p.total:,}" if p.total else ""
        moved = ""
        if p.bytes_done:
            whole = now - self.first
            speed = f", {p.bytes_done / whole / 1e6:.1f} MB/s" if whole > 0.5 else ""
            moved = f" · {p.bytes_done / 1e6:,.1f} MB{speed}"
        self.ctx.progress(p.done, p.total, f"{p.stage} {p.done:,}{of} {p.unit}{moved}", rate)


class SyncController(QObject):
    """Owns the sync label, the Sync now task and the auto-retry timer of the main window."""

    #: A sync finished: (engagement id, the `sync` value) — tests and the window listen.
    synced = Signal(object, object)
    #: The status bar was updated from a fresh read (tests wait on it).
    status_shown = Signal()
    #: The consultant asked to see the conflicts and refusals.
    issues_requested = Signal()

    def __init__(
        self, tasks: TaskManager, store: SettingsStore, status: AppStatusBar, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.store = store
        self.status = status
        self.window = parent
        self.selection = Selection()
        self.state: dict[Any, EngagementSync] = {}
        self.running: TaskHandle | None = None
        self.running_for: Any = None
        self.last_status: SyncStatus | None = None
        self.retry_timer = QTimer(self)
        self.retry_timer.setSingleShot(True)
        self.retry_timer.timeout.connect(self._retry)
        self._retry_ref: EngagementRef | None = None
        #: auto-sync: every interval the selected engagement syncs (push what waits, pull what others
        #: changed) without the consultant asking; paused after a cancel until they sync or write again
        self.auto_timer = QTimer(self)
        self.auto_timer.timeout.connect(self._auto_tick)
        self._auto_paused = False
        self._reading = False
        self._read_again = False
        self.summary_box: QMessageBox | None = None
        status.sync_issues.clicked.connect(self.issues_requested.emit)
        tasks.operation_did_execute.connect(self._on_operation)
        tasks.task_progress.connect(self._on_progress)

    # -- what is selected ------------------------------------------------------------------------

    def set_selection(self, selection: Selection) -> None:
        if (selection.client_account_id, selection.engagement_id) != (
            self.selection.client_account_id,
            self.selection.engagement_id,
        ):
            self.last_status = None
        self.selection = selection
        self._arm_auto()
        self.refresh()

    def profile(self) -> sync_profile.SyncProfile | None:
        return sync_profile.load_profile(self.store, self.selection.engagement_id)

    def _connected_label(self) -> str | None:
        """The shared server the app itself runs on, when it does (then there is nothing to sync)."""
        core = self.tasks.core
        if core is not None and core.db.mode == "shared":
            return core.db.server_label
        return None

    # -- reading and showing ---------------------------------------------------------------------

    def _on_operation(self, changes: OpChanges, initiator: object) -> None:
        if changes:
            if initiator is not self:
                self._auto_paused = False  # a new local write: auto-sync takes it
            self.refresh()

    def refresh(self) -> None:
        """Read the selected engagement's sync state in the background, then show it."""
        if self.tasks.core is None:
            return
        if not self.selection.has_engagement:
            self.show()
            return
        if self._reading:  # one read at a time; the last request reads again
            self._read_again = True
            return
        from core.queries.sync_status import sync_status

        selection = self.selection
        self._reading = True

        def read(core: Core) -> SyncStatus:
            return sync_status(core.uows, tenant_of(core, selection))

        def done(result: SyncStatus) -> None:
            self._reading = False
            if selection.engagement_id == self.selection.engagement_id:
                self.last_status = result
            self._after_read()

        def failed(exc: BaseException) -> None:
            self._reading = False
            log.warning("reading the sync state failed: %s", exc)
            self.status.set_sync("Sync: state unknown", str(exc), error=True)
            self._after_read()

        QueryOp(None, read, label="Reading sync state").success(done).failure(failed).run_in_background(
            self.tasks
        )

    def _after_read(self) -> None:
        if self._read_again:
            self._read_again = False
            self.refresh()
            return
        self.show()
        self.status_shown.emit()

    def show(self) -> None:
        """Put what is known into the status bar (no database read)."""
        connected = self._connected_label()
        if not self.selection.has_engagement:
            if connected:
                self.status.set_sync(f"Connected: {connected}", "working directly on the shared server")
            else:
                self.status.set_sync("Sync: no engagement selected", "select an engagement in the sidebar")
            self.status.set_sync_issues(0, 0)
            return
        profile = self.profile()
        st = self.last_status
        mine = self.state.get(self.selection.engagement_id, EngagementSync())
        self.status.set_sync_issues(st.conflicts if st else 0, (st.rejections if st else 0))
        if profile is None and connected:
            self.status.set_sync(
                f"Connected: {connected}", "working directly on the shared server: every change is there"
            )
            return
        waiting = "…" if st is None else f"{st.pending:,} change{'s' if st.pending != 1 else ''} waiting"
        if profile is None:
            self.status.set_sync(
                f"Offline · {waiting}",
                "No shared server set for this engagement: Engagement → Connection to shared server…",
            )
            return
        server = f"Server: {profile.role}@{profile.label}"
        if self.running is not None and self.running_for == self.selection.engagement_id:
            self.status.set_sync(f"Syncing with {profile.host}…", server)
            return
        if mine.error:
            retry = ""
            if mine.retry_at is not None:
                at = dt.datetime.now() + dt.timedelta(seconds=max(0.0, mine.retry_at - time.monotonic()))
                retry = f" · retry {at:%H:%M:%S}"
            short = (
                "Sync refused"
                if mine.refused
                else ("Cannot reach server" if mine.connect_failed else "Sync failed")
            )
            self.status.set_sync(
                f"Offline · {waiting} · {short}{retry}",
                f"{server}\n{mine.error}" + (f"\n{mine.hint}" if mine.hint else ""),
                error=True,
            )
            return
        last = st.last_synced_at if st else None
        tip = server + (f"\n{mine.summary}" if mine.summary else "")
        if st is not None and st.pending == 0 and last is not None:
            self.status.set_sync(f"Synced {last.astimezone():%H:%M} · 0 waiting", tip)
        elif last is not None:
            self.status.set_sync(f"Offline · {waiting} · synced {last.astimezone():%H:%M}", tip)
        else:
            self.status.set_sync(f"Offline · {waiting}", tip + "\nnot synced yet: Engagement → Sync now")

    # -- syncing ---------------------------------------------------------------------------------

    def sync_now(self, ref: EngagementRef | None = None, *, automatic: bool = False) -> TaskHandle | None:
        """Sync the selected engagement (or `ref`) with its profile's server in the background."""
        if self.running is not None:
            return self.running
        if not automatic:
            self._auto_paused = False
        if ref is None:
            if not self.selection.has_engagement:
                self._notice("Select an engagement to sync.")
                return None
            ref = ref_of(self.selection)
        profile = sync_profile.load_profile(self.store, ref.engagement_id)
        if profile is None:
            self._notice("Set the shared server first: Engagement → Connection to shared server…")
            return None
        url = profile.url_with_password()
        self.retry_timer.stop()
        mine = self.state.setdefault(ref.engagement_id, EngagementSync())
        mine.retry_at = None

        def work(core: Core, ctx: TaskContext) -> Outcome[dict[str, Any]]:
            from core.actions.sync import sync_all

            return sync_all(
                core.db,
                core.uows,
                core.tenant_for,
                url,
                only=ref,
                progress=ProgressMeter(ctx),
                cancel=ctx.cancel,
            )

        label = f"Syncing {ref.engagement_name} with {profile.host}"
        handle = (
            CollectionOp(self.window, work, label=label, initiator=self)
            .with_progress(label)
            .success(lambda outcome: self._synced(ref, outcome.value, automatic))
            .failure(lambda exc: self._failed(ref, exc, automatic))
            .run_in_background(self.tasks)
        )
        self.running, self.running_for = handle, ref.engagement_id
        self.show()
        return handle

    def _on_progress(self, handle: TaskHandle) -> None:
        """The running sync's stage, count, rate and time left, in the sync label."""
        if handle is not self.running or self.running_for != self.selection.engagement_id:
            return
        p = handle.progress
        if p is None:
            return
        rate = f" · {p.rate:,.0f}/s" if p.rate else ""
        left = ""
        if p.rate and p.total and p.total > p.done:
            left = f" · {duration((p.total - p.done) / p.rate)} left"
        self.status.sync.setText(f"Syncing: {p.text}{rate}{left}")

    def cancel(self) -> None:
        if self.running is not None:
            self.running.cancel()

    def _synced(self, ref: EngagementRef, value: dict[str, Any], automatic: bool) -> None:
        self.running = self.running_for = None
        mine = self.state.setdefault(ref.engagement_id, EngagementSync())
        refused = [e for e in value.get("engagements", []) if e.get("status") == "refused"]
        mine.summary = summarise(value)
        mine.refused = [r for r in value.get("rejected", []) if r.get("hint")]
        if refused:
            reason = refused[0].get("reason", "refused")
            hint = next(
                (r.get("hint", "") for r in value.get("rejected", []) if r.get("reason") == reason), ""
            )
            mine.error, mine.hint, mine.connect_failed = reason, hint, False
        else:
            mine.error, mine.hint, mine.connect_failed, mine.failures = None, "", False, 0
            mine.refused = []
        self.refresh()
        self.status.showMessage(short_summary(value), 10_000)
        if not automatic and (value.get("conflicts") or value.get("rejected")):
            self._summary_box(ref, mine.summary, bool(refused))
        self.synced.emit(ref.engagement_id, value)

    def _summary_box(self, ref: EngagementRef, summary: str, refused: bool) -> None:
        """After Sync now: what needs the consultant, with the way to the list (never modal-exec)."""
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Sync refused" if refused else "Sync: something needs you",
            f"{ref.client_name} / {ref.engagement_name}\n\n{summary}",
            QMessageBox.StandardButton.Close,
            self.window,
        )
        box.setObjectName("syncSummary")
        if not refused:
            review = box.addButton("Review…", QMessageBox.ButtonRole.AcceptRole)
            review.clicked.connect(self.issues_requested.emit)
        self.summary_box = box
        box.open()

    def _failed(self, ref: EngagementRef, exc: BaseException, automatic: bool) -> None:
        handle = self.running
        self.running = self.running_for = None
        mine = self.state.setdefault(ref.engagement_id, EngagementSync())
        from core.actions.sync import SyncInterrupted

        cancelled = handle is not None and handle.token.cancelled
        if cancelled:
            self._auto_paused = True  # the consultant stopped it: nothing syncs by itself until they ask
            mine.error, mine.hint, mine.connect_failed = None, "", False
            self.status.showMessage("Sync cancelled: what was sent is kept; sync again to go on.", 10_000)
        else:
            message = exc.message if isinstance(exc, MigrationDiscoveryError) else str(exc)
            mine.error = message or type(exc).__name__
            mine.hint = getattr(exc, "hint", "") or ""
            mine.connect_failed = isinstance(exc, SyncInterrupted)
            mine.failures += 1
            if not isinstance(exc, UserInputError | MigrationDiscoveryError):
                log.error("sync failed", exc_info=exc)
                if not automatic:
                    show_error(exc, self.window)
            if mine.connect_failed:
                self._schedule_retry(ref, mine)
        self.refresh()
        self.synced.emit(ref.engagement_id, None)

    # -- auto-sync -------------------------------------------------------------------------------

    def _schedule_retry(self, ref: EngagementRef, mine: EngagementSync) -> None:
        if not sync_profile.auto_sync_enabled(self.store):
            mine.retry_at = None
            return
        factor = min(MAX_BACKOFF_FACTOR, 2 ** max(0, mine.failures - 1))
        delay_s = sync_profile.auto_interval_s(self.store) * factor
        mine.retry_at = time.monotonic() + delay_s
        self._retry_ref = ref
        self.retry_timer.start(int(delay_s * 1000))

    def _retry(self) -> None:
        ref, self._retry_ref = self._retry_ref, None
        if ref is None or not sync_profile.auto_sync_enabled(self.store):
            return
        if sync_profile.load_profile(self.store, ref.engagement_id) is None:
            return
        self.sync_now(ref, automatic=True)

    def _arm_auto(self) -> None:
        """(Re)start the auto-sync timer at the configured interval, or stop it when turned off."""
        if sync_profile.auto_sync_enabled(self.store):
            self.auto_timer.start(sync_profile.auto_interval_s(self.store) * 1000)
        else:
            self.auto_timer.stop()

    def _auto_tick(self) -> None:
        """Sync the selected engagement by itself, when it has a profile and nothing else is going
        on (a sync running, a retry pending after a failure, a refusal, or the consultant's cancel)."""
        if not sync_profile.auto_sync_enabled(self.store):
            self.auto_timer.stop()
            return
        if self._auto_paused or self.running is not None or self.retry_timer.isActive():
            return
        if not self.selection.has_engagement or self.tasks.core is None:
            return
        mine = self.state.get(self.selection.engagement_id)
        if mine is not None and (mine.error or mine.refused):
            return  # a failure or refusal waits for its retry or for the consultant
        if self.profile() is None:
            return
        self.sync_now(automatic=True)

    def auto_sync_changed(self) -> None:
        """The setting changed: stop a pending retry when it was turned off; re-arm the timer."""
        if not sync_profile.auto_sync_enabled(self.store):
            self.retry_timer.stop()
            for mine in self.state.values():
                mine.retry_at = None
        self._arm_auto()
        self.show()

    def profile_changed(self, engagement_id: Any) -> None:
        """A new profile: forget the old server's error, read the state again."""
        self.state.pop(engagement_id, None)
        if self._retry_ref is not None and self._retry_ref.engagement_id == engagement_id:
            self.retry_timer.stop()
            self._retry_ref = None
        self.refresh()

    def _notice(self, text: str) -> None:
        self.status.showMessage(text, 8000)
