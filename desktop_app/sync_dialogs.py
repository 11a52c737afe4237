"""The sync dialogs: an engagement's connection profile, and its conflicts and refused batches.

Why dialogs over the selected engagement: the profile and the list of what waits for the
consultant belong to one engagement; every action here is one use case of `core.actions.sync`
run through the task manager (writes broadcast their changes, so the status bar follows).
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.errors import MigrationDiscoveryError
from desktop_app import credentials, sync_profile
from desktop_app.screens.registry import Selection
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import CollectionOp, QueryOp, TaskManager
from desktop_app.tenancy import tenant_of

if TYPE_CHECKING:
    from core.bootstrap import Core

HIDDEN_FIELDS = ("client_account_id", "engagement_id")
"""Same on both sides of every conflict: left out of the side-by-side view."""
CHANGED = QColor("#fff3c4")


def _server_part(url: str) -> str:
    """The profile URL without its login (the dialog shows the role in its own field)."""
    scheme, _, rest = url.partition("://")
    netloc, slash, tail = rest.partition("/")
    return f"{scheme}://{netloc.rpartition('@')[2]}{slash}{tail}"


class ConnectionDialog(QDialog):
    """Engagement → Connection to shared server…: server URL, login role, password, auto-sync."""

    #: The profile of this engagement id was saved or removed.
    saved = Signal(object)

    def __init__(self, store: SettingsStore, selection: Selection, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        assert selection.engagement_id is not None
        self.setObjectName("syncConnectionDialog")
        self.setWindowTitle("Connection to shared server")
        self.store = store
        self.engagement_id: uuid.UUID = selection.engagement_id
        profile = sync_profile.load_profile(store, self.engagement_id)
        intro = QLabel(
            f"<b>{selection.client_name} / {selection.engagement_name}</b><br>"
            "Work offline on this laptop and sync with the engagement's shared server when connected. "
            "Use your own database login: the server lets it write only engagements you are a member of."
        )
        intro.setWordWrap(True)
        self.server = QLineEdit(_server_part(profile.url) if profile else "")
        self.server.setObjectName("syncServer")
        self.server.setPlaceholderText("postgresql://HOST:5432/DATABASE")
        self.role = QLineEdit(profile.role if profile else "")
        self.role.setObjectName("syncRole")
        self.role.setPlaceholderText("your login role on the server")
        self.password = QLineEdit()
        self.password.setObjectName("syncPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        known = profile is not None and credentials.load_password(profile.url) is not None
        self.password.setPlaceholderText("(remembered — type to change)" if known else "")
        where = (
            "The password goes to the operating system's keyring, never to a file."
            if credentials.keyring_available()
            else "No keyring on this machine: the password is kept for this session only."
        )
        self.where = QLabel(where)
        self.where.setObjectName("syncPasswordWhere")
        self.where.setWordWrap(True)
        self.auto = QCheckBox("Retry a sync that could not reach the server, by itself")
        self.auto.setObjectName("syncAuto")
        self.auto.setChecked(sync_profile.auto_sync_enabled(store))
        self.interval = QSpinBox()
        self.interval.setObjectName("syncInterval")
        self.interval.setRange(sync_profile.MIN_AUTO_INTERVAL_S, 3600)
        self.interval.setSuffix(" s")
        self.interval.setValue(sync_profile.auto_interval_s(store))
        self.interval.setToolTip("first wait; each further failure doubles it, up to 8×")
        self.error = QLabel("")
        self.error.setObjectName("syncProfileError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b3261e;")
        self.error.hide()
        form = QFormLayout()
        form.addRow("Shared server", self.server)
        form.addRow("Login role", self.role)
        form.addRow("Password", self.password)
        form.addRow("", self.where)
        form.addRow("Auto-sync", self.auto)
        form.addRow("Retry after", self.interval)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.remove = self.buttons.addButton("Remove profile", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.remove.setObjectName("syncRemoveProfile")
        self.remove.setEnabled(profile is not None)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.remove.clicked.connect(self._remove)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(560, self.sizeHint().height())

    def save(self) -> None:
        try:
            url = sync_profile.profile_url(self.server.text(), self.role.text())
        except MigrationDiscoveryError as exc:
            self.error.setText(f"{exc.message}: {exc.hint}" if getattr(exc, "hint", "") else exc.message)
            self.error.show()
            return
        _profile, where = sync_profile.save_profile(self.store, self.engagement_id, url, self.password.text())
        sync_profile.set_auto_sync(self.store, self.auto.isChecked())
        sync_profile.set_auto_interval_s(self.store, self.interval.value())
        self.stored_in = where
        self.saved.emit(self.engagement_id)
        self.accept()

    def _remove(self) -> None:
        sync_profile.remove_profile(self.store, self.engagement_id)
        self.saved.emit(self.engagement_id)
        self.accept()


def _cell(text: str, *, bold: bool = False, tint: QColor | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if bold:
        font = QFont()
        font.setBold(True)
        item.setFont(font)
    if tint is not None:
        item.setBackground(QBrush(tint))
        item.setForeground(QBrush(QColor("#1c1b1f")))
    return item


def _show_value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _when(iso: str | None) -> str:
    if not iso:
        return "—"
    import datetime as dt

    try:
        return f"{dt.datetime.fromisoformat(iso).astimezone():%Y-%m-%d %H:%M}"
    except ValueError:
        return iso


STAMPS = ("updated_at",)
"""Always differs in a conflict (it is the row's version): listed, not highlighted."""


DELETION_MARKS = ("deleted", "parent_deleted")
"""Keys of a conflict side that say the row is gone there (and which deleted row took it)."""


def deleted_text(server: dict[str, Any] | None) -> str | None:
    """How the server side of a conflict reads when the row is not there, else None."""
    if server is None or server.get("deleted"):
        parent = (server or {}).get("parent_deleted")
        if parent:
            return f"(deleted on the server with its {parent['table'].replace('_', ' ')} row)"
        return "(deleted on the server)"
    return None


def changed_fields(local: dict[str, Any], server: dict[str, Any] | None) -> list[str]:
    """Fields whose values differ between our row and the server's (not the version stamp)."""
    if deleted_text(server) is not None:  # every field of ours is what the server lacks
        return [k for k in local if k not in HIDDEN_FIELDS and k not in STAMPS and k not in DELETION_MARKS]
    theirs = server or {}
    keys = [k for k in dict.fromkeys([*local, *theirs]) if k not in HIDDEN_FIELDS and k not in STAMPS]
    return [k for k in keys if local.get(k) != theirs.get(k)]


class SyncIssuesDialog(QDialog):
    """Sync conflicts and refusals of the selected engagement, each settled by a use case."""

    def __init__(self, tasks: TaskManager, selection: Selection, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("syncIssuesDialog")
        self.setWindowTitle(f"Sync conflicts and refusals — {selection.engagement_name}")
        self.tasks = tasks
        self.selection = selection
        self.conflicts: list[dict[str, Any]] = []
        self.rejections: list[dict[str, Any]] = []
        self.loaded_count = 0
        self._done_text = ""
        self.notice = QLabel("Loading…")
        self.notice.setObjectName("syncIssuesNotice")
        self.notice.setWordWrap(True)

        # conflicts: list | field-by-field, ours beside the server's
        self.conflict_table = QTableWidget(0, 5)
        self.conflict_table.setObjectName("conflictTable")
        self.conflict_table.setHorizontalHeaderLabels(
            ["Table", "Row", "Changed on server by", "Server changed", "Detected"]
        )
        self._list_style(self.conflict_table)
        self.conflict_table.itemSelectionChanged.connect(self._conflict_selected)
        self.fields = QTableWidget(0, 3)
        self.fields.setObjectName("conflictFields")
        self.fields.setHorizontalHeaderLabels(["Field", "Ours (this laptop)", "Server's (standing)"])
        self.fields.verticalHeader().hide()
        self.fields.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.fields.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.fields.setWordWrap(True)
        self.reapply = QPushButton("Re-apply ours")
        self.reapply.setObjectName("conflictReapply")
        self.reapply.setToolTip("Write our value over the server's; it is pushed with the next sync")
        self.keep = QPushButton("Keep server's")
        self.keep.setObjectName("conflictKeep")
        self.keep.setToolTip("Drop our value: the server's stays, here too")
        self.reapply.clicked.connect(lambda: self._settle_conflict("reapply"))
        self.keep.clicked.connect(lambda: self._settle_conflict("drop"))
        conflicts_page = self._page(self.conflict_table, self.fields, (self.reapply, self.keep))

        # refused batches: list | their changes
        self.rejection_table = QTableWidget(0, 4)
        self.rejection_table.setObjectName("rejectionTable")
        self.rejection_table.setHorizontalHeaderLabels(["Reason", "Kind", "Changes", "Refused"])
        self._list_style(self.rejection_table)
        self.rejection_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.rejection_table.itemSelectionChanged.connect(self._rejection_selected)
        self.changes = QTableWidget(0, 3)
        self.changes.setObjectName("rejectionChanges")
        self.changes.setHorizontalHeaderLabels(["Operation", "Table", "Row"])
        self.changes.verticalHeader().hide()
        self.changes.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.changes.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.retry = QPushButton("Retry")
        self.retry.setObjectName("rejectionRetry")
        self.retry.setToolTip(
            "Queue these changes again (after fixing the cause); they go with the next sync"
        )
        self.drop = QPushButton("Drop")
        self.drop.setObjectName("rejectionDrop")
        self.drop.setToolTip("Give these changes up on the server; this laptop keeps its rows")
        self.retry.clicked.connect(lambda: self._settle_rejection("retry"))
        self.drop.clicked.connect(lambda: self._settle_rejection("drop"))
        rejections_page = self._page(self.rejection_table, self.changes, (self.retry, self.drop))

        self.tabs = QTabWidget()
        self.tabs.setObjectName("syncIssuesTabs")
        self.tabs.addTab(conflicts_page, "Conflicts")
        self.tabs.addTab(rejections_page, "Refused batches")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(close)
        self.resize(980, 620)
        tasks.operation_did_execute.connect(self._on_operation)
        self.reload()

    # -- layout helpers --------------------------------------------------------------------------

    @staticmethod
    def _list_style(table: QTableWidget) -> None:
        table.verticalHeader().hide()
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.horizontalHeader().setStretchLastSection(True)

    @staticmethod
    def _page(top: QWidget, detail: QWidget, buttons: tuple[QPushButton, ...]) -> QWidget:
        page = QWidget()
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(detail)
        split.setSizes([200, 300])
        row = QHBoxLayout()
        row.addStretch(1)
        for b in buttons:
            b.setEnabled(False)
            row.addWidget(b)
        layout = QVBoxLayout(page)
        layout.addWidget(split, 1)
        layout.addLayout(row)
        return page

    # -- loading ---------------------------------------------------------------------------------

    def reload(self) -> None:
        from core.actions.sync import list_conflicts, list_rejections
        from core.queries.sync_status import who_changed

        selection = self.selection

        def read(core: Core) -> tuple[list[dict[str, Any]], list[str], list[dict[str, Any]]]:
            tenant = tenant_of(core, selection)
            conflicts = list_conflicts(core.uows, tenant)
            guessed = who_changed(core.uows, tenant, [c["server"] for c in conflicts])
            who = [c.get("changed_by") or g for c, g in zip(conflicts, guessed, strict=True)]
            return conflicts, who, list_rejections(core.uows, tenant)

        QueryOp(self, read, label="Loading sync conflicts").success(self._loaded).run_in_background(
            self.tasks
        )

    def _loaded(self, result: tuple[list[dict[str, Any]], list[str], list[dict[str, Any]]]) -> None:
        conflicts, who, rejections = result
        self.conflicts, self.rejections = conflicts, rejections
        t = self.conflict_table
        t.setRowCount(len(conflicts))
        for i, (c, by) in enumerate(zip(conflicts, who, strict=True)):
            for col, text in enumerate(
                (c["table"], c["row_id"], by or "—", _when(c["server_updated_at"]), _when(c["detected_at"]))
            ):
                t.setItem(i, col, _cell(text))
        t.resizeColumnsToContents()
        r = self.rejection_table
        r.setRowCount(len(rejections))
        for i, rej in enumerate(rejections):
            for col, text in enumerate(
                (
                    rej["reason"],
                    rej["error_class"] or "",
                    f"{len(rej['changes']):,}",
                    _when(rej["rejected_at"]),
                )
            ):
                r.setItem(i, col, _cell(text))
        self.tabs.setTabText(0, f"Conflicts ({len(conflicts)})")
        self.tabs.setTabText(1, f"Refused batches ({len(rejections)})")
        if not conflicts and rejections:
            self.tabs.setCurrentIndex(1)
        if conflicts:
            t.selectRow(0)
        else:
            self.fields.setRowCount(0)
        if rejections:
            r.selectRow(0)
        else:
            self.changes.setRowCount(0)
        self._conflict_selected()
        self._rejection_selected()
        if not conflicts and not rejections:
            self.notice.setText("Nothing waits for you: no open conflicts, no refused batches.")
        else:
            self.notice.setText(
                "A conflict is a row changed here and on the server: the server's value stands, ours is "
                "kept until you re-apply it or keep the server's. A refused batch is kept with the server's "
                "reason until you retry or drop it; the rest of the queue was not held up."
            )
        if self._done_text:  # what the last action did stays in view
            self.notice.setText(self._done_text + "\n" + self.notice.text())
            self._done_text = ""
        self.loaded_count += 1

    def _on_operation(self, _changes: object, initiator: object) -> None:
        if initiator is not self:
            self.reload()

    # -- selection -------------------------------------------------------------------------------

    def _selected(self, table: QTableWidget, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        index = table.currentRow()
        return rows[index] if 0 <= index < len(rows) and table.selectionModel().hasSelection() else None

    def _conflict_selected(self) -> None:
        c = self._selected(self.conflict_table, self.conflicts)
        self.reapply.setEnabled(c is not None)
        self.keep.setEnabled(c is not None)
        if c is None:
            self.fields.setRowCount(0)
            return
        local, server = c["local"] or {}, c["server"]
        changed = changed_fields(local, server)
        gone = deleted_text(server)
        rest = [
            k
            for k in dict.fromkeys([*local, *(server or {})])
            if k not in changed and k not in HIDDEN_FIELDS and not (gone and k in DELETION_MARKS)
        ]
        self.fields.setRowCount(len(changed) + len(rest))
        for i, key in enumerate([*changed, *rest]):
            tint = CHANGED if key in changed else None
            self.fields.setItem(i, 0, _cell(key, bold=key in changed, tint=tint))
            self.fields.setItem(i, 1, _cell(_show_value(local.get(key)), tint=tint))
            theirs = gone or _show_value((server or {}).get(key))
            self.fields.setItem(i, 2, _cell(theirs, tint=tint))
        self.fields.resizeRowsToContents()

    def _rejection_selected(self) -> None:
        r = self._selected(self.rejection_table, self.rejections)
        self.retry.setEnabled(r is not None)
        self.drop.setEnabled(r is not None)
        changes = r["changes"] if r else []
        self.changes.setRowCount(len(changes))
        for i, ch in enumerate(changes):
            for col, key in enumerate(("op", "table", "row_id")):
                self.changes.setItem(i, col, _cell(str(ch.get(key, ""))))

    # -- actions ---------------------------------------------------------------------------------

    def _settle_conflict(self, action: str) -> None:
        from core.actions.sync import resolve_conflict

        c = self._selected(self.conflict_table, self.conflicts)
        if c is None:
            return
        conflict_id, selection = uuid.UUID(c["id"]), self.selection
        self._busy(f"{'Re-applying ours' if action == 'reapply' else 'Keeping the server’s value'}…")
        CollectionOp(
            self, lambda core: resolve_conflict(core.uows, tenant_of(core, selection), conflict_id, action),
            label="Settling a sync conflict", initiator=self,
        ).success(lambda _r: self._settled(
            "Re-applied ours: it goes to the server with the next sync." if action == "reapply"
            else "Kept the server’s value."
        )).failure(self._action_failed).run_in_background(self.tasks)  # fmt: skip

    def _settle_rejection(self, action: str) -> None:
        from core.actions.sync import resolve_rejection

        r = self._selected(self.rejection_table, self.rejections)
        if r is None:
            return
        rejection_id, selection = uuid.UUID(r["id"]), self.selection
        self._busy("Queueing the batch again…" if action == "retry" else "Dropping the batch…")
        CollectionOp(
            self, lambda core: resolve_rejection(core.uows, tenant_of(core, selection), rejection_id, action),
            label="Settling a refused batch", initiator=self,
        ).success(lambda _r: self._settled(
            "Queued again: the changes go with the next sync." if action == "retry"
            else "Dropped: the server will not get these changes."
        )).failure(self._action_failed).run_in_background(self.tasks)  # fmt: skip

    def _busy(self, text: str) -> None:
        self.notice.setText(text)
        for b in (self.reapply, self.keep, self.retry, self.drop):
            b.setEnabled(False)

    def _settled(self, text: str) -> None:
        self._done_text = text
        self.notice.setText(text)
        self.reload()

    def _action_failed(self, exc: BaseException) -> None:
        message = exc.message if isinstance(exc, MigrationDiscoveryError) else str(exc)
        hint = getattr(exc, "hint", "")
        whole = f"Not done: {message}" + (f" — {hint}" if hint else "")
        first = whole.strip().splitlines()[0] if whole.strip() else "Not done"
        self._done_text = first if len(first) <= 200 else first[:199] + "…"  # the whole in the tooltip
        self.notice.setText(self._done_text)
        self.notice.setToolTip(whole)
        self.reload()
