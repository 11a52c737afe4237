"""Sync in the desktop app: the status bar, Sync now, the conflicts and refusals dialog.

Real widgets (offscreen), the real task manager, the laptop's test database and a second real
PostgreSQL server (`shared_server`). The GUI fixtures come from tests/gui/conftest.py.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from gui.conftest import isolated_qsettings, loop, output_dir, store, tasks  # noqa: F401  (fixtures)
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select, text

from core.actions.sync import list_conflicts, pending_changes, sync_all
from core.bootstrap import Core
from core.changes import OpChanges
from core.db.models import DataImport, RawImportRecord
from core.imports import import_file
from core.sync.service import run
from core.tenancy import EngagementRef
from core.uow import Tenant, UnitOfWork
from desktop_app import sync_profile
from desktop_app.main_window import ACTION_SYNC_NOW, MainWindow
from desktop_app.settings_store import SettingsStore
from desktop_app.sync_dialogs import CHANGED, ConnectionDialog, SyncIssuesDialog
from desktop_app.task_manager import CollectionOp, TaskManager

from .conftest import ROLE, SharedServer

ROWS = 120


def _csv(path: Path, n: int = ROWS) -> Path:
    lines = ["Server Name,IP Address,Operating System"]
    lines += [f"srv{i:04d},10.1.{i // 250}.{i % 250 + 1},RHEL 8.6" for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _server_part(url: str) -> str:
    """The shared server's URL without login and driver, as a consultant would type it."""
    return "postgresql://" + url.partition("://")[2].rpartition("@")[2]


def _server_count(shared: SharedServer, tenant: Tenant, model: Any) -> int:
    theirs = Tenant(tenant.client_account_id, tenant.engagement_id, shared.user_id, "server")
    with UnitOfWork(shared.db.app_sessions(), theirs) as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def _server_value(shared: SharedServer, tenant: Tenant, import_id: Any) -> str:
    theirs = Tenant(tenant.client_account_id, tenant.engagement_id, shared.user_id, "server")
    with UnitOfWork(shared.db.app_sessions(), theirs) as uow:
        return uow.session.get(DataImport, import_id).source_system  # type: ignore[union-attr]


def _set_source(core: Core, tenant: Tenant, import_id: Any, value: str) -> None:
    """A local edit of the import row (the outbox trigger logs it as any write would)."""
    with core.uow(tenant) as uow:
        uow.session.execute(
            text("UPDATE data_imports SET source_system = :v WHERE id = :id"), {"v": value, "id": import_id}
        )
        uow.commit()


@pytest.fixture
def window(qtbot: QtBot, tasks: TaskManager, store: SettingsStore) -> MainWindow:  # noqa: F811
    win = MainWindow(tasks, store)
    qtbot.addWidget(win)
    win.resize(1360, 840)
    win.show()
    qtbot.waitUntil(lambda: win._ready_emitted, timeout=10_000)
    return win


def _select(qtbot: QtBot, window: MainWindow, ref: EngagementRef) -> None:
    window.refresh_navigation()
    key = f"e:{ref.engagement_id}"
    qtbot.waitUntil(lambda: window.sidebar.model_.find_key(key).isValid())
    window.sidebar.select_key(key)
    qtbot.waitUntil(lambda: window.sync.selection.engagement_id == ref.engagement_id)


def _set_profile(
    qtbot: QtBot, window: MainWindow, shared: SharedServer, password: str = "", shot: Path | None = None
) -> ConnectionDialog:
    """Engagement → Connection to shared server…, filled in and saved as a consultant does."""
    window.open_sync_connection()
    dialog = window._sync_connection_dialog
    qtbot.waitUntil(dialog.isVisible)
    dialog.server.setText(_server_part(shared.consultant_url))
    dialog.role.setText(ROLE)
    dialog.password.setText(password)
    if shot is not None:
        assert dialog.grab().save(str(shot))
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    return dialog


def _import_in_app(qtbot: QtBot, tasks: TaskManager, tenant: Tenant, path: Path) -> Any:  # noqa: F811
    done: list[Any] = []
    CollectionOp(None, lambda core: import_file(core.uows, tenant, path), label="Importing").changes(
        OpChanges(imports=True, flows=True)
    ).success(done.append).run_in_background(tasks)
    qtbot.waitUntil(lambda: bool(done), timeout=30_000)
    return done[0]


def _sync_in_app(qtbot: QtBot, window: MainWindow) -> Any:
    with qtbot.waitSignal(window.sync.synced, timeout=60_000) as blocker:
        window.actions_by_id[ACTION_SYNC_NOW].trigger()
    state = window.sync.state.get(window.sync.selection.engagement_id)
    assert blocker.args[1] is not None, state  # the sync failed: say why
    return blocker.args[1]


def test_offline_changes_wait_then_sync_now_pushes_them(
    qtbot: QtBot,
    window: MainWindow,
    tasks: TaskManager,  # noqa: F811
    core: Core,
    tenant: Tenant,
    engagement: EngagementRef,
    shared: SharedServer,
    tmp_path: Path,
    output_dir: Path,  # noqa: F811
) -> None:
    _select(qtbot, window, engagement)
    # the test laptop is a PostgreSQL server of its own: without a profile it works "connected"
    qtbot.waitUntil(lambda: window.status.sync.text().startswith("Connected: "))
    shot = output_dir / "sync-connection-dialog.png"
    dialog = _set_profile(qtbot, window, shared, password="not-written-anywhere", shot=shot)
    profile = sync_profile.load_profile(window.store, engagement.engagement_id)
    assert profile is not None and profile.role == ROLE
    kept = str(window.store.q.value(f"sync/profiles/{engagement.engagement_id}"))
    assert ROLE in kept and "not-written-anywhere" not in kept  # the password is not in QSettings
    assert dialog.stored_in in ("keyring", "session")
    qtbot.waitUntil(lambda: window.status.sync.text() == "Offline · 0 changes waiting")

    result = _import_in_app(qtbot, tasks, tenant, _csv(tmp_path / "offline.csv"))
    waiting = pending_changes(core.uows, tenant)
    assert waiting > 0
    qtbot.waitUntil(lambda: window.status.sync.text() == f"Offline · {waiting:,} changes waiting")
    assert profile.label in window.status.sync.toolTip()

    value = _sync_in_app(qtbot, window)
    assert value is not None and value["pushed"]["raw_import_records"] == ROWS
    assert value["engagements"][0]["status"] == "synced"
    assert _server_count(shared, tenant, RawImportRecord) == ROWS
    assert _server_count(shared, tenant, DataImport) == 1
    assert result.import_id is not None
    assert pending_changes(core.uows, tenant) == 0
    label = window.status.sync
    qtbot.waitUntil(lambda: label.text().startswith("Synced ") and label.text().endswith("· 0 waiting"))
    assert "raw_import_records 120" in window.status.sync.toolTip()


@pytest.fixture
def conflicted(
    qtbot: QtBot,
    window: MainWindow,
    tasks: TaskManager,  # noqa: F811
    core: Core,
    tenant: Tenant,
    engagement: EngagementRef,
    shared: SharedServer,
    laptop: Callable[[EngagementRef], tuple[Core, Tenant]],
    tmp_path: Path,
) -> Callable[[str, str], Any]:
    """`both_edit(theirs, ours)`: a colleague's laptop and this one change the same import row,
    the colleague syncs first; returns the import id. The window shows the engagement, with a profile."""
    result = _import_in_app(qtbot, tasks, tenant, _csv(tmp_path / "both.csv", 10))
    sync_all(core.db, core.uows, core.tenant_for, shared.consultant_url, only=engagement)
    other, other_tenant = laptop(engagement)
    _select(qtbot, window, engagement)
    _set_profile(qtbot, window, shared)

    def both_edit(theirs: str, ours: str) -> Any:
        run(other.db, other_tenant, shared.consultant_url)  # the colleague pulls
        _set_source(other, other_tenant, result.import_id, theirs)
        run(other.db, other_tenant, shared.consultant_url)  # theirs reaches the server first
        _set_source(core, tenant, result.import_id, ours)
        return result.import_id

    return both_edit


def _open_issues(qtbot: QtBot, window: MainWindow) -> SyncIssuesDialog:
    qtbot.waitUntil(lambda: window.status.sync_issues.isVisible())
    window.status.sync_issues.click()  # the status bar's button opens the list
    dialog: SyncIssuesDialog = window._sync_issues_dialog
    qtbot.waitUntil(lambda: dialog.loaded_count >= 1 and dialog.conflict_table.rowCount() == 1)
    return dialog


def test_a_conflict_shows_both_values_and_keep_servers_settles_it(
    qtbot: QtBot,
    window: MainWindow,
    core: Core,
    tenant: Tenant,
    shared: SharedServer,
    conflicted: Callable[[str, str], Any],
    output_dir: Path,  # noqa: F811
) -> None:
    import_id = conflicted("CMDB (colleague)", "RVTools (mine)")
    value = _sync_in_app(qtbot, window)
    assert len(value["conflicts"]) == 1
    qtbot.waitUntil(lambda: "1 conflict" in window.status.sync_issues.text())
    box = window.sync.summary_box  # Sync now says so, with the way to the list
    assert box is not None and "1 conflict" in box.text()
    box.close()

    dialog = _open_issues(qtbot, window)
    assert dialog.conflict_table.item(0, 0).text() == "data_imports"
    # who: the server row's consultant, by name (the server's user id is mapped to the person; here
    # the "colleague" is the same consultant logged in on the server)
    assert dialog.conflict_table.item(0, 2).text() == "Test Consultant"
    assert dialog.conflict_table.item(0, 3).text() != "—"  # when the server's value was written
    fields = {dialog.fields.item(i, 0).text(): i for i in range(dialog.fields.rowCount())}
    row = fields["source_system"]
    assert dialog.fields.item(row, 1).text() == "RVTools (mine)"
    assert dialog.fields.item(row, 2).text() == "CMDB (colleague)"
    assert dialog.fields.item(row, 0).background().color() == QColor(CHANGED)  # changed: highlighted
    assert row == 0  # what changed comes first
    for unchanged in ("filename", "updated_at"):  # the version stamp always differs: not highlighted
        assert dialog.fields.item(fields[unchanged], 0).background().color() != QColor(CHANGED)
    dialog.resize(1100, 560)
    assert dialog.grab().save(str(output_dir / "sync-conflicts-dialog.png"))
    assert window.grab().save(str(output_dir / "sync-status-bar.png"))

    dialog.keep.click()
    qtbot.waitUntil(lambda: "Kept the server" in dialog.notice.text() or "Not done" in dialog.notice.text())
    assert "Kept the server" in dialog.notice.text(), dialog.notice.text()
    qtbot.waitUntil(lambda: dialog.conflict_table.rowCount() == 0)
    assert list_conflicts(core.uows, tenant) == []
    qtbot.waitUntil(lambda: not window.status.sync_issues.isVisible())
    with core.uow(tenant) as uow:
        assert uow.session.get(DataImport, import_id).source_system == "CMDB (colleague)"
    assert _server_value(shared, tenant, import_id) == "CMDB (colleague)"


def test_reapply_ours_writes_our_value_back_and_the_next_sync_pushes_it(
    qtbot: QtBot,
    window: MainWindow,
    core: Core,
    tenant: Tenant,
    shared: SharedServer,
    conflicted: Callable[[str, str], Any],
) -> None:
    import_id = conflicted("CMDB (colleague)", "RVTools (mine)")
    _sync_in_app(qtbot, window)
    dialog = _open_issues(qtbot, window)
    dialog.reapply.click()
    qtbot.waitUntil(lambda: "Re-applied ours" in dialog.notice.text() or "Not done" in dialog.notice.text())
    assert "Re-applied ours" in dialog.notice.text(), dialog.notice.text()
    qtbot.waitUntil(lambda: dialog.conflict_table.rowCount() == 0)
    assert list_conflicts(core.uows, tenant) == []
    _sync_in_app(qtbot, window)
    assert _server_value(shared, tenant, import_id) == "RVTools (mine)"  # ours won, on purpose


def test_an_engagement_the_server_refuses_shows_the_reason(
    qtbot: QtBot,
    window: MainWindow,
    tasks: TaskManager,  # noqa: F811
    core: Core,
    tenant: Tenant,
    engagement: EngagementRef,
    shared_server: SharedServer,
    tmp_path: Path,
) -> None:
    # the engagement exists only on this laptop: the consultant is no member of it on the server
    _import_in_app(qtbot, tasks, tenant, _csv(tmp_path / "mine.csv", 5))
    _select(qtbot, window, engagement)
    _set_profile(qtbot, window, shared_server)
    waiting = pending_changes(core.uows, tenant)
    value = _sync_in_app(qtbot, window)
    assert value["engagements"][0]["status"] == "refused"
    qtbot.waitUntil(lambda: "Sync refused" in window.status.sync.text())
    assert f"{waiting:,} changes waiting" in window.status.sync.text()  # nothing was dropped
    tip = window.status.sync.toolTip()
    assert "not a member" in tip and "db grant" in tip  # the reason and what to do
    assert window.sync.retry_timer.isActive() is False  # a refusal is not retried by itself
    assert _server_count(shared_server, tenant, DataImport) == 0


class SocketForwarder:
    """A PostgreSQL socket in a directory of its own that forwards to the shared server's, once
    started: the "server" is unreachable until then (the way a laptop comes back on the network)."""

    def __init__(self, directory: Path, target: str) -> None:
        self.path = directory / ".s.PGSQL.5432"
        self.target = target
        self.listener: socket.socket | None = None

    def start(self) -> None:
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(self.path))
        self.listener.listen(8)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        assert self.listener is not None
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.connect(self.target)
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        if self.listener is not None:
            self.listener.close()


def test_a_sync_that_cannot_connect_retries_by_itself_when_the_server_is_back(
    qtbot: QtBot,
    window: MainWindow,
    tasks: TaskManager,  # noqa: F811
    core: Core,
    tenant: Tenant,
    engagement: EngagementRef,
    shared: SharedServer,
    tmp_path: Path,
) -> None:
    real = parse_qs(urlsplit(shared.consultant_url).query)["host"][0]
    away = Path(tempfile.mkdtemp(prefix="md-away-"))  # short: a socket path has ~100 characters
    forwarder = SocketForwarder(away, str(Path(real) / ".s.PGSQL.5432"))
    try:
        _import_in_app(qtbot, tasks, tenant, _csv(tmp_path / "later.csv", 20))
        _select(qtbot, window, engagement)
        sync_profile.set_auto_interval_s(window.store, 1)
        window.open_sync_connection()
        dialog = window._sync_connection_dialog
        qtbot.waitUntil(dialog.isVisible)
        dialog.server.setText(f"postgresql:///md_shared?host={away}")
        dialog.role.setText(ROLE)
        assert dialog.auto.isChecked()  # auto-sync is on by default
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()

        with qtbot.waitSignal(window.sync.synced, timeout=120_000) as first:
            window.sync_now()
        assert first.args[1] is None  # nobody there: the sync failed
        label = window.status.sync
        qtbot.waitUntil(lambda: "Cannot reach server" in label.text() and "retry" in label.text())
        assert "cannot reach" in label.toolTip()
        assert window.sync.retry_timer.isActive()
        forwarder.start()  # the server is back; no new local write
        with qtbot.waitSignal(window.sync.synced, timeout=120_000) as again:
            pass  # the retry timer's sync
        assert again.args[1] is not None and again.args[1]["pushed"]["raw_import_records"] == 20
        assert pending_changes(core.uows, tenant) == 0
        qtbot.waitUntil(lambda: window.status.sync.text().startswith("Synced "))
    finally:
        forwarder.stop()
        shutil.rmtree(away, ignore_errors=True)


def test_cancel_stops_a_sync_and_nothing_retries_by_itself(
    qtbot: QtBot,
    window: MainWindow,
    tasks: TaskManager,  # noqa: F811
    core: Core,
    tenant: Tenant,
    engagement: EngagementRef,
    tmp_path: Path,
) -> None:
    away = Path(tempfile.mkdtemp(prefix="md-away-"))  # nobody listens: the sync keeps retrying
    try:
        _import_in_app(qtbot, tasks, tenant, _csv(tmp_path / "kept.csv", 5))
        waiting = pending_changes(core.uows, tenant)
        _select(qtbot, window, engagement)
        sync_profile.save_profile(window.store, engagement.engagement_id,
                                  f"postgresql://{ROLE}@/md_shared?host={away}", None)  # fmt: skip
        window.sync.profile_changed(engagement.engagement_id)
        with qtbot.waitSignal(window.sync.synced, timeout=60_000) as done:
            handle = window.sync.sync_now()
            assert handle is not None
            qtbot.waitUntil(lambda: window.status.tasks_widget.isVisible())
            assert window.status.tasks_widget.cancel_button.isVisible()
            window.status.tasks_widget.cancel_button.click()  # the status bar's Cancel
        assert done.args[1] is None and handle.token.cancelled
        assert not window.sync.retry_timer.isActive()  # the consultant stopped it: no auto-retry
        window.sync._auto_tick()  # nor does the periodic auto-sync start it again by itself
        assert window.sync.running is None
        qtbot.waitUntil(lambda: window.status.sync.text() == f"Offline · {waiting:,} changes waiting")
        assert pending_changes(core.uows, tenant) == waiting  # nothing lost
    finally:
        shutil.rmtree(away, ignore_errors=True)


def test_a_refused_batch_is_listed_and_drop_or_retry_settles_it(
    qtbot: QtBot,
    window: MainWindow,
    tasks: TaskManager,  # noqa: F811
    core: Core,
    tenant: Tenant,
    engagement: EngagementRef,
    shared: SharedServer,
    tmp_path: Path,
) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    bad = f"refused-{engagement.engagement_id.hex[:8]}"
    check = f"md_test_refuse_{engagement.engagement_id.hex[:8]}"
    admin = make_url(shared.admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    result = _import_in_app(qtbot, tasks, tenant, _csv(tmp_path / "refused.csv", 5))
    sync_all(core.db, core.uows, core.tenant_for, shared.consultant_url, only=engagement)
    with psycopg.connect(admin, autocommit=True) as conn:  # the server will not take this value
        conn.execute(
            f"ALTER TABLE data_imports ADD CONSTRAINT {check} CHECK (source_system IS DISTINCT FROM '{bad}')"
            " NOT VALID"
        )
    try:
        _select(qtbot, window, engagement)
        _set_profile(qtbot, window, shared)

        _set_source(core, tenant, result.import_id, bad)
        value = _sync_in_app(qtbot, window)
        assert len(value["rejected"]) == 1 and value["engagements"][0]["status"] == "synced"
        qtbot.waitUntil(lambda: "1 refused" in window.status.sync_issues.text())
        window.sync.summary_box.close()
        window.open_sync_issues()
        dialog: SyncIssuesDialog = window._sync_issues_dialog
        qtbot.waitUntil(lambda: dialog.loaded_count >= 1 and dialog.rejection_table.rowCount() == 1)
        assert dialog.tabs.currentIndex() == 1  # nothing else waits: the refused batches are shown
        assert check in dialog.rejection_table.item(0, 0).text()  # the server's reason
        assert dialog.changes.rowCount() == 1
        assert [dialog.changes.item(0, c).text() for c in range(3)] == [
            "upsert",
            "data_imports",
            str(result.import_id),
        ]
        dialog.drop.click()
        qtbot.waitUntil(lambda: "Dropped" in dialog.notice.text() and dialog.rejection_table.rowCount() == 0)
        assert _server_value(shared, tenant, result.import_id) != bad

        _set_source(core, tenant, result.import_id, bad + "!")  # refused again (not the same value)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"ALTER TABLE data_imports DROP CONSTRAINT {check}")
            conn.execute(
                f"ALTER TABLE data_imports ADD CONSTRAINT {check} CHECK (source_system IS DISTINCT FROM "
                f"'{bad}!') NOT VALID"
            )
        _sync_in_app(qtbot, window)
        qtbot.waitUntil(lambda: dialog.rejection_table.rowCount() == 1)
        with psycopg.connect(admin, autocommit=True) as conn:  # the cause is fixed on the server
            conn.execute(f"ALTER TABLE data_imports DROP CONSTRAINT {check}")
        dialog.rejection_table.selectRow(0)
        dialog.retry.click()
        qtbot.waitUntil(lambda: "Queued again" in dialog.notice.text())
        qtbot.waitUntil(lambda: dialog.rejection_table.rowCount() == 0)
        assert pending_changes(core.uows, tenant) == 1
        value = _sync_in_app(qtbot, window)
        assert value["rejected"] == []
        assert _server_value(shared, tenant, result.import_id) == bad + "!"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"ALTER TABLE data_imports DROP CONSTRAINT IF EXISTS {check}")


def test_auto_sync_sends_offline_work_without_anyone_asking(
    qtbot: QtBot,
    window: MainWindow,
    tasks: TaskManager,  # noqa: F811
    core: Core,
    tenant: Tenant,
    engagement: EngagementRef,
    shared: SharedServer,
    tmp_path: Path,
) -> None:
    """Issue 15 "a Sync button/auto-sync in the app": with a profile and auto-sync on, the selected
    engagement syncs every interval by itself — a later local write goes up with no click."""
    sync_profile.set_auto_interval_s(window.store, 1)
    _select(qtbot, window, engagement)
    _set_profile(qtbot, window, shared)
    window.sync.auto_sync_changed()  # the settings dialog's OK re-arms the timer at the new interval
    assert window.sync.auto_timer.isActive() and window.sync.auto_timer.interval() == 1000
    _import_in_app(qtbot, tasks, tenant, _csv(tmp_path / "quiet.csv", 15))
    qtbot.waitUntil(lambda: pending_changes(core.uows, tenant) == 0, timeout=60_000)
    qtbot.waitUntil(lambda: _server_count(shared, tenant, RawImportRecord) == 15, timeout=30_000)
    qtbot.waitUntil(lambda: window.status.sync.text().startswith("Synced "), timeout=30_000)
    sync_profile.set_auto_sync(window.store, False)
    window.sync.auto_sync_changed()
    assert not window.sync.auto_timer.isActive()
    qtbot.waitUntil(lambda: window.sync.running is None, timeout=60_000)
