"""Wave planner (per engagement): waves as columns, applications dragged between them.

Why it is built this way: a consultant turns the proposed plan into one the client signs by moving
applications between waves, locking the waves agreed on and planning the rest again. Each column is
a `WaveList` (a QListWidget) whose drops carry the application's name in `MIME_TYPE`; a drop calls
the core's `move_application` (one use case) and the board is read again, so the broken
dependencies the move causes are listed and their applications marked (colour *and* a ⚠ mark)
right after it. Re-planning and export call `plan_waves` / `export_waves`; the core keeps locked
waves and manual moves, and the re-plan's `summary` (greedy objective → the solver's, groups split
and links cut; not stored with the plan) shows under the title until the engagement changes. A
wave's menu (or a double-click on its title / dates) renames it or sets its dates (`rename_wave` /
`date_wave`), and "Apply edited export…" reads a changed export back (`apply_wave_sheet`); the
core's refusals (an end before the start; a file's unknown wave, with its row and column) are shown
in the notice line under the title and the status bar, and nothing is stored. Nothing is planned
here: every figure shown comes from the core.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QMouseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.screens.engagement_screen import EngagementScreen
from desktop_app.screens.registry import ScreenContext, Selection, register_screen
from desktop_app.screens.waves import service
from desktop_app.screens.waves.dialogs import WaveDatesDialog, ask_wave_dates, ask_wave_name
from desktop_app.task_manager import CollectionOp, QueryOp
from desktop_app.theme import colors

MIME_TYPE = "application/x-migration-discovery-application"
NAME_ROLE = Qt.ItemDataRole.UserRole + 1
ASSETS_ROLE = Qt.ItemDataRole.UserRole + 2
BROKEN_MARK = "⚠"
LOCKED_TEXT = "✔ Locked"
NO_ENGAGEMENT = "Select an engagement on the left to plan its migration waves."
NO_PLAN = (
    "No wave plan yet for this engagement.\n\n"
    "Set “Max servers per wave” above and press “Plan waves”: applications are placed in waves that "
    "keep move groups whole and move what they depend on first. Then drag applications between "
    "waves, lock the waves you agree on and re-plan the rest."
)
DEFAULT_MAX_SERVERS = 50


def _as_date(value: Any) -> dt.date | None:
    if not value:
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _day(value: Any) -> str:
    day = _as_date(value)
    return day.strftime("%d %b %Y") if day else "no date"


class _ClickableLabel(QLabel):
    """A header label that says when it is double-clicked (title: rename; dates: set the dates)."""

    double_clicked = Signal()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.double_clicked.emit()
        event.accept()


class WaveList(QListWidget):
    """One wave's applications; drags out the application's name and takes drops of others.

    A drop does not move the item itself (`dropMimeData` returns False and the drag copies): it
    asks the screen to move the application in the core, and the board is redrawn from what the
    core stored — a refused move leaves the columns as they were.
    """

    dropped = Signal(str, object)  # application name, wave id

    def __init__(self, wave_id: uuid.UUID, locked: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.wave_id = wave_id
        self.locked = locked
        self.setObjectName(f"waveList_{wave_id}")
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragEnabled(not locked)
        self.setAcceptDrops(not locked)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(
            QAbstractItemView.DragDropMode.NoDragDrop if locked else QAbstractItemView.DragDropMode.DragDrop
        )
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setWordWrap(True)
        self.setSpacing(2)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)

    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE]

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction | Qt.DropAction.MoveAction

    def mimeData(self, items: Any) -> QMimeData:
        data = QMimeData()
        names = [i.data(NAME_ROLE) for i in items if i.data(NAME_ROLE)]
        if names:
            data.setData(MIME_TYPE, names[0].encode("utf-8"))
            data.setText(names[0])
        return data

    def dropMimeData(self, index: int, data: QMimeData, action: Qt.DropAction) -> bool:
        if self.locked or not data.hasFormat(MIME_TYPE):
            return False
        name = bytes(data.data(MIME_TYPE).data()).decode("utf-8")
        if name and not any(self.item(r).data(NAME_ROLE) == name for r in range(self.count())):
            self.dropped.emit(name, self.wave_id)
        return False

    def names(self) -> list[str]:
        return [self.item(r).data(NAME_ROLE) for r in range(self.count())]


class WaveColumn(QFrame):
    """Header (name, dates, servers against the limit, lock toggle) over the wave's list."""

    lock_toggled = Signal(object, bool)  # wave id, locked
    rename_requested = Signal(object)  # wave id
    dates_requested = Signal(object)  # wave id

    def __init__(
        self, wave: dict[str, Any], broken: list[dict[str, Any]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.wave = wave
        self.setObjectName("waveColumn")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFixedWidth(250)
        c = colors()
        servers = sum(len(u["assets"]) for u in wave["units"])
        limit = wave.get("max_servers")
        self.name_label = _ClickableLabel(f"{wave['order']}. {wave['name']}")
        self.name_label.setObjectName("waveTitle")
        self.name_label.setStyleSheet("font-weight: bold; font-size: 14px;")
        self.name_label.setWordWrap(True)
        self.name_label.setToolTip("Double-click to rename the wave")
        self.name_label.double_clicked.connect(lambda: self.rename_requested.emit(wave["id"]))
        self.dates_label = _ClickableLabel(f"{_day(wave['start'])} → {_day(wave['end'])}")
        self.dates_label.setObjectName("waveDates")
        self.dates_label.setStyleSheet(f"color: {c.muted.name()};")
        self.dates_label.setToolTip("Double-click to set the wave's start and end")
        self.dates_label.double_clicked.connect(lambda: self.dates_requested.emit(wave["id"]))
        over = limit is not None and servers > limit
        count = f"{servers} / {limit} servers" if limit is not None else f"{servers} servers"
        self.count_label = QLabel(f"{BROKEN_MARK} {count} — over the limit" if over else count)
        if over:
            self.count_label.setStyleSheet(f"color: {c.rejected.name()}; font-weight: bold;")
        self.lock_button = QToolButton()
        self.lock_button.setObjectName("waveLock")
        self.lock_button.setCheckable(True)
        self.lock_button.setChecked(bool(wave["locked"]))
        self.lock_button.setText(LOCKED_TEXT if wave["locked"] else "Lock wave")
        self.lock_button.setToolTip(
            "Unlock: re-planning may change this wave again"
            if wave["locked"]
            else "Lock: re-planning keeps this wave's applications and position"
        )
        self.lock_button.toggled.connect(lambda on: self.lock_toggled.emit(wave["id"], on))
        self.menu = QMenu(self)
        self.rename_action = self.menu.addAction("Rename…")
        self.rename_action.triggered.connect(lambda: self.rename_requested.emit(wave["id"]))
        self.dates_action = self.menu.addAction("Set dates…")
        self.dates_action.triggered.connect(lambda: self.dates_requested.emit(wave["id"]))
        self.menu_button = QToolButton()
        self.menu_button.setObjectName("waveMenu")
        self.menu_button.setText("⋯")
        self.menu_button.setToolTip("Rename the wave or set its dates")
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu_button.setMenu(self.menu)
        top = QHBoxLayout()
        top.addWidget(self.name_label, 1)
        top.addWidget(self.lock_button)
        top.addWidget(self.menu_button)
        self.list = WaveList(wave["id"], bool(wave["locked"]))
        for unit in wave["units"]:
            self.list.addItem(_unit_item(unit, broken))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.dates_label)
        layout.addWidget(self.count_label)
        layout.addWidget(self.list, 1)
        if wave["locked"]:
            self.setStyleSheet(f"QFrame#waveColumn {{ background: {c.alt_base.name()}; }}")


BROKEN_SHOWN = 3  # broken dependencies named on a card; all of them in its tooltip and the list below


def _broken_line(why: list[str]) -> str:
    """The first few broken dependencies of a card and how many more: with dozens, every card was a
    wall of red text and the wave's other applications went out of sight."""
    more = len(why) - BROKEN_SHOWN
    return "; ".join(why[:BROKEN_SHOWN]) + (f"; … and {more} more" if more > 0 else "")


def _unit_item(unit: dict[str, Any], broken: list[dict[str, Any]]) -> QListWidgetItem:
    """An application (or an asset without one) with its server count; marked if it breaks a dependency."""
    assets: list[str] = unit["assets"]
    n = len(assets)
    shown = ", ".join(assets[:4]) + ("…" if n > 4 else "")
    title = unit["application"] or f"{unit['name']} (no application)"
    mine = set(assets)
    why = [f"{b['from']} needs {b['to']} ({b['to_wave']})" for b in broken if b["from"] in mine]
    why += [
        f"{b['from']} ({b['from_wave']}) needs {b['to']}"
        for b in broken
        if b["to"] in mine and b["from"] not in mine
    ]
    text = f"{title}\n{n} server{'s' if n != 1 else ''} · {shown}"
    item = QListWidgetItem(f"{BROKEN_MARK} {text}\nbroken: {_broken_line(why)}" if why else text)
    item.setData(NAME_ROLE, unit["name"])
    item.setData(ASSETS_ROLE, assets)
    item.setToolTip("\n".join(assets + [b["reason"] for b in broken if b["from"] in mine or b["to"] in mine]))
    if why:
        c = colors()
        tint = QColor(c.bar_low)
        tint.setAlpha(60)
        item.setBackground(QBrush(tint))
        item.setForeground(QBrush(c.rejected))
    return item


def _applied_text(path: Path, value: dict[str, Any]) -> str:
    """What applying an edited export did: the applications moved and the dependencies it broke."""
    moved = value["moved"]
    if not moved:
        return f"Applied {path.name}: no wave changed, nothing moved"
    shown = "; ".join(f"{m['application'] or ', '.join(m['assets'])} → {m['to']}" for m in moved[:5]) + (
        "; …" if len(moved) > 5 else ""
    )
    n, b = len(moved), len(value["broken_dependencies"])
    broken = f"{BROKEN_MARK} {b} dependenc{'y' if b == 1 else 'ies'} broken" if b else "nothing broken"
    return f"Applied {path.name}: moved {n} application{'s' if n != 1 else ''} ({shown}); {broken}"


@register_screen
class WavesScreen(EngagementScreen):
    screen_id = "waves"
    refresh_on = ("analysis", "assets", "flows")
    ignores_own_operations = True
    title = "Waves"
    loader = staticmethod(service.load)
    load_what = "the wave plan"
    no_engagement = NO_ENGAGEMENT
    icon = "SP_FileDialogListView"
    order = 70

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.board: dict[str, Any] | None = None
        self.busy = False
        self.last_moved: list[dict[str, Any]] | None = None
        #: the solver's time limit for re-plans (None: the core's setting)
        self.time_limit_s: float | None = None
        self.columns: list[WaveColumn] = []
        self.export_dialog: QFileDialog | None = None
        self.apply_dialog: QFileDialog | None = None
        self.rename_dialog: QInputDialog | None = None
        self.dates_dialog: WaveDatesDialog | None = None
        #: what the last apply of an edited export did (`apply_wave_sheet`'s value)
        self.last_applied: dict[str, Any] | None = None
        #: the last (re-)plan's summary line (`plan_waves`' `summary`): the solver's gain over the greedy
        #: plan and the links cut are not stored with the plan, so they show after a plan run here
        self.last_plan_summary: str | None = None
        self._build_ui()
        self._render()

    # -- construction ------------------------------------------------------------------------------

    def _build_ui(self) -> None:
        self._build_header()
        #: the last edit's result or the core's refusal; stays until the next action (the status bar fades)
        self.notice = QLabel("")
        self.notice.setObjectName("waveNotice")
        self.notice.setWordWrap(True)
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice.hide()
        self.plan_summary = QLabel("")
        self.plan_summary.setObjectName("wavePlanSummary")
        self.plan_summary.setWordWrap(True)
        self.plan_summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.plan_summary.setToolTip(
            "What the last Plan / Re-plan run in this window did: the greedy plan's objective and the "
            "solver's (lower is better), the solver's status and time, and the move groups split along "
            "their weakest links"
        )
        self.plan_summary.hide()
        self.max_servers = QSpinBox()
        self.max_servers.setObjectName("waveMaxServers")
        self.max_servers.setRange(1, 100_000)
        self.max_servers.setValue(DEFAULT_MAX_SERVERS)
        self.max_servers.setToolTip("The most servers one wave may hold")
        self.leave_out = QCheckBox("Leave out retire/retain")
        self.leave_out.setObjectName("waveLeaveOut")
        self.leave_out.setToolTip(
            "Do not plan the servers the 6R assessment retires or retains (a locked wave or a manual "
            "move keeps them); by default every server is planned"
        )
        self.plan_button = QPushButton("Plan waves")
        self.plan_button.setObjectName("wavePlan")
        self.plan_button.clicked.connect(self.replan)
        self.export_button = QPushButton("Export…")
        self.export_button.setObjectName("waveExport")
        self.export_button.setToolTip("Write the plan to XLSX or CSV, one row per server with its wave")
        self.export_button.clicked.connect(self.choose_export)
        self.apply_button = QPushButton("Apply edited export…")
        self.apply_button.setObjectName("waveApply")
        self.apply_button.setToolTip(
            "Read back an exported XLSX or CSV whose Wave cells you changed: each application whose "
            "wave changed is moved there by hand"
        )
        self.apply_button.clicked.connect(self.choose_apply)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addStretch(1)
        top.addWidget(QLabel("Max servers per wave"))
        top.addWidget(self.max_servers)
        top.addWidget(self.leave_out)
        top.addWidget(self.plan_button)
        top.addWidget(self.export_button)
        top.addWidget(self.apply_button)
        top.addWidget(self.refresh_button)

        self.columns_host = QWidget()
        self.columns_layout = QHBoxLayout(self.columns_host)
        self.columns_layout.setContentsMargins(0, 0, 0, 0)
        self.columns_layout.setSpacing(10)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("waveColumns")
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.columns_host)

        self.broken_summary = QLabel("")
        self.broken_summary.setObjectName("brokenSummary")
        self.broken_summary.setWordWrap(True)
        self.broken_list = QListWidget()
        self.broken_list.setObjectName("brokenDependencies")
        self.broken_list.setWordWrap(True)
        panel = QWidget()
        panel_layout = QVBoxLayout(panel)
        panel_layout.setContentsMargins(0, 0, 0, 0)
        panel_layout.addWidget(self.broken_summary)
        panel_layout.addWidget(self.broken_list, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("wavesSplitter")
        self.splitter.addWidget(self.scroll)
        self.splitter.addWidget(panel)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([520, 170])
        self.ctx.settings.restore_splitter("waves", self.splitter)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.plan_summary)
        layout.addWidget(self.notice)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.empty, 1)

    # -- scope and loading -------------------------------------------------------------------------

    def clear_engagement(self) -> None:
        self.board = None
        self.last_moved = None
        self.last_applied = None
        self.last_plan_summary = None
        self.show_notice("")

    def _failed(self, exc: BaseException) -> None:
        """A failed read, or an edit the core refused: kept in the notice line until the next action."""
        self.loading = self.busy = False
        self._render()
        self.show_notice(f"{BROKEN_MARK} {exc}", error=True)
        self.status_message.emit(f"Wave planner: {exc}")

    def show_notice(self, text: str, error: bool = False) -> None:
        """Keep the last result or refusal on screen (empty text hides the line)."""
        c = colors()
        self.notice.setText(text)
        self.notice.setStyleSheet(f"color: {c.rejected.name()}; font-weight: bold;" if error else "")
        self.notice.setVisible(bool(text))

    def _loaded(self, selection: Selection, board: dict[str, Any]) -> None:
        self.board = board
        limits = [w["max_servers"] for w in board["waves"] if w.get("max_servers")]
        if limits:
            self.max_servers.setValue(limits[0])
        self._render()

    # -- actions -------------------------------------------------------------------------------------

    def _write(self, label: str, op: Any, done: Any) -> None:
        self.busy = True
        self.show_notice("")
        self._render_buttons()
        CollectionOp(self, op, label=label).success(done).failure(self._failed).run_in_background(
            self.ctx.tasks
        )

    def move(self, application: str, wave_id: uuid.UUID) -> None:
        """Move an application to a wave (what a drop does), then read the board again."""
        selection = self.selection
        target = self.wave_name(wave_id)

        def done(outcome: Any) -> None:
            self.busy = False
            self.last_moved = list(outcome.value)
            n = len(self.last_moved)
            self.status_message.emit(
                f"Moved {application} to {target}: "
                + (f"{BROKEN_MARK} {n} dependenc{'y' if n == 1 else 'ies'} broken" if n else "nothing broken")
            )
            self.refresh()

        self._write(
            f"Moving {application} to {target}",
            lambda core: service.move(core, selection, application, wave_id),
            done,
        )

    def set_locked(self, wave_id: uuid.UUID, locked: bool) -> None:
        selection = self.selection

        def done(_outcome: Any) -> None:
            self.busy = False
            self.refresh()

        self._write(
            f"{'Locking' if locked else 'Unlocking'} {self.wave_name(wave_id)}",
            lambda core: service.set_locked(core, selection, wave_id, locked),
            done,
        )

    def replan(self) -> None:
        """Plan (again) with the spin box's limit; the core keeps locked waves and manual moves."""
        if not self.selection.has_engagement:
            return
        selection, limit, seconds = self.selection, self.max_servers.value(), self.time_limit_s
        leave_out = ("retire", "retain") if self.leave_out.isChecked() else ()

        def done(outcome: Any) -> None:
            self.busy = False
            self.last_moved = None
            self.last_plan_summary = outcome.value.get("summary")
            n = len(outcome.value.get("waves", []))
            self.status_message.emit(f"Planned {n} wave(s) of at most {limit} servers")
            self.refresh()

        self._write(
            "Planning waves", lambda core: service.replan(core, selection, limit, seconds, leave_out), done
        )

    def choose_export(self) -> QFileDialog:
        """Open the save dialog (non-blocking); the export starts when a file is chosen."""
        folder = Path(self.ctx.settings.last_directory or Path.home())
        dialog = QFileDialog(self, "Export the wave plan", str(folder / "waves.xlsx"))
        dialog.setObjectName("waveExportDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters(["Excel workbook (*.xlsx)", "CSV (*.csv)"])
        dialog.setDefaultSuffix("xlsx")
        dialog.fileSelected.connect(lambda path: self.export_to(Path(path)))
        self.export_dialog = dialog
        dialog.open()
        return dialog

    def export_to(self, path: Path) -> None:
        selection = self.selection
        self.export_dialog = None
        self.ctx.settings.last_directory = str(path.parent)

        def done(outcome: Any) -> None:
            self.busy = False
            self._render_buttons()
            self.last_export = outcome.value
            self.status_message.emit(f"Exported {outcome.value.get('rows', 0)} row(s) to {path}")

        self.busy = True
        self._render_buttons()
        QueryOp(self, lambda core: service.export(core, selection, path), label="Exporting waves").success(
            done
        ).failure(self._failed).run_in_background(self.ctx.tasks)

    def choose_rename(self, wave_id: uuid.UUID) -> QInputDialog:
        """Ask for the wave's new name (non-blocking); OK renames it in the core."""
        self.rename_dialog = ask_wave_name(
            self, self.wave_name(wave_id), lambda name: self.rename(wave_id, name)
        )
        return self.rename_dialog

    def rename(self, wave_id: uuid.UUID, name: str) -> None:
        """Rename a wave (`rename_wave`), then read the board again; an empty name is refused."""
        selection, old = self.selection, self.wave_name(wave_id)
        self.rename_dialog = None

        def done(outcome: Any) -> None:
            self.busy = False
            self.show_notice(f"Renamed {old} to {outcome.value['name']}")
            self.status_message.emit(f"Renamed {old} to {outcome.value['name']}")
            self.refresh()

        self._write(f"Renaming {old}", lambda core: service.rename(core, selection, wave_id, name), done)

    def choose_dates(self, wave_id: uuid.UUID) -> WaveDatesDialog:
        """Open the dates dialog (non-blocking) on the wave's stored dates; OK stores the new ones."""
        wave = self.wave(wave_id)
        self.dates_dialog = ask_wave_dates(
            self,
            self.wave_name(wave_id),
            _as_date(wave["start"]) if wave else None,
            _as_date(wave["end"]) if wave else None,
            lambda start, end: self.set_dates(wave_id, start, end),
        )
        return self.dates_dialog

    def set_dates(self, wave_id: uuid.UUID, start: dt.date | None, end: dt.date | None) -> None:
        """Set or clear a wave's dates (`date_wave`); an end before the start is refused by the core."""
        selection, name = self.selection, self.wave_name(wave_id)
        self.dates_dialog = None

        def done(_outcome: Any) -> None:
            self.busy = False
            self.show_notice(f"{name}: {_day(start)} → {_day(end)}")
            self.status_message.emit(f"Dates of {name}: {_day(start)} → {_day(end)}")
            self.refresh()

        self._write(
            f"Setting the dates of {name}",
            lambda core: service.set_dates(core, selection, wave_id, start, end),
            done,
        )

    def choose_apply(self) -> QFileDialog:
        """Open the file dialog (non-blocking) for an edited export; choosing a file applies it."""
        folder = Path(self.ctx.settings.last_directory or Path.home())
        dialog = QFileDialog(self, "Apply an edited wave export", str(folder))
        dialog.setObjectName("waveApplyDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters(["Wave export (*.xlsx *.csv)", "Excel workbook (*.xlsx)", "CSV (*.csv)"])
        dialog.fileSelected.connect(lambda path: self.apply_from(Path(path)))
        self.apply_dialog = dialog
        dialog.open()
        return dialog

    def apply_from(self, path: Path) -> None:
        """Move every application whose Wave the file changed (`apply_wave_sheet`), then reload."""
        selection = self.selection
        self.apply_dialog = None
        self.ctx.settings.last_directory = str(path.parent)

        def done(outcome: Any) -> None:
            self.busy = False
            self.last_applied = outcome.value
            self.last_moved = list(outcome.value["broken_dependencies"])
            text = _applied_text(path, outcome.value)
            self.show_notice(text)
            self.status_message.emit(text)
            self.refresh()

        self._write(f"Applying {path.name}", lambda core: service.apply_sheet(core, selection, path), done)

    # -- reading the board ---------------------------------------------------------------------------

    def wave(self, wave_id: uuid.UUID) -> dict[str, Any] | None:
        waves = self.board["waves"] if self.board else []
        return next((w for w in waves if w["id"] == wave_id), None)

    def wave_name(self, wave_id: uuid.UUID) -> str:
        wave = self.wave(wave_id)
        return wave["name"] if wave else "the wave"

    def column(self, name: str) -> WaveColumn:
        return next(c for c in self.columns if c.wave["name"] == name)

    def broken_assets(self) -> set[str]:
        broken = self.board["broken_dependencies"] if self.board else []
        return {b["from"] for b in broken} | {b["to"] for b in broken}

    # -- rendering -----------------------------------------------------------------------------------

    def _render_buttons(self) -> None:
        has = self.selection.has_engagement
        planned = bool(self.board and self.board["waves"])
        self.plan_button.setText("Re-plan" if planned else "Plan waves")
        self.plan_button.setToolTip(
            "Plan the waves again: locked waves and applications moved by hand stay where they are"
            if planned
            else "Propose waves for this engagement's applications"
        )
        self.plan_button.setEnabled(has and not self.busy and self.board is not None)
        self.export_button.setEnabled(planned and not self.busy)
        self.apply_button.setEnabled(planned and not self.busy)
        self.refresh_button.setEnabled(has)
        self.max_servers.setEnabled(has and not self.busy)

    def _render(self) -> None:
        self._render_buttons()
        board = self.board
        planned = bool(board and board["waves"])
        self.splitter.setVisible(planned)
        self.empty.setVisible(not planned)
        summary = self.last_plan_summary if planned and self.selection.has_engagement else None
        self.plan_summary.setText(f"Last plan: {summary}" if summary else "")
        self.plan_summary.setVisible(bool(summary))
        if not self._render_scope(board):
            return
        if not planned:
            notes = "\n\n".join(board.get("notes") or [])
            self.subtitle.setText(self.selection.client_name)
            self.empty.setText(NO_PLAN + (f"\n\nNote: {notes}" if notes else ""))
            return
        waves = board["waves"]
        servers = sum(len(u["assets"]) for w in waves for u in w["units"])
        apps = sum(len(w["units"]) for w in waves)
        parts = [
            self.selection.client_name,
            f"{len(waves)} waves",
            f"{apps} applications on {servers} servers",
            f"{sum(1 for w in waves if w['locked'])} locked",
        ]
        if board.get("unplaced"):
            parts.append(f"{len(board['unplaced'])} servers in no wave (re-plan to place them)")
        left_out = board.get("left_out") or {}
        if left_out:
            counts = Counter(left_out.values())
            why = ", ".join(f"{n} {d}" for d, n in sorted(counts.items()))
            parts.append(f"{len(left_out)} servers left out by the 6R assessment ({why})")
        parts.append("drag an application to another wave to move it")
        self.subtitle.setText(" · ".join(parts))
        self._render_columns()
        self._render_broken()

    def _render_columns(self) -> None:
        assert self.board is not None
        for col in self.columns:
            self.columns_layout.removeWidget(col)
            col.deleteLater()
        while self.columns_layout.count():
            self.columns_layout.takeAt(0)
        broken = self.board["broken_dependencies"]
        self.columns = []
        for wave in self.board["waves"]:
            col = WaveColumn(wave, broken)
            col.list.dropped.connect(self.move)
            col.lock_toggled.connect(self.set_locked)
            col.rename_requested.connect(self.choose_rename)
            col.dates_requested.connect(self.choose_dates)
            self.columns_layout.addWidget(col)
            self.columns.append(col)
        self.columns_layout.addStretch(1)

    def _render_broken(self) -> None:
        assert self.board is not None
        broken = self.board["broken_dependencies"]
        c = colors()
        self.broken_list.clear()
        if not broken:
            self.broken_summary.setText(
                "✔ No broken dependencies: every dependency moves with or before its dependent."
            )
            self.broken_summary.setStyleSheet(f"color: {c.approved.name()}; font-weight: bold;")
            self.broken_list.hide()
            return
        n = len(broken)
        self.broken_summary.setText(
            f"{BROKEN_MARK} {n} broken dependenc{'y' if n == 1 else 'ies'} — the marked applications "
            "move apart from what they depend on. Move them back, or move what they need with them."
        )
        self.broken_summary.setStyleSheet(f"color: {c.rejected.name()}; font-weight: bold;")
        self.broken_list.show()
        for b in broken:
            item = QListWidgetItem(
                f"{BROKEN_MARK} {b['from']} ({b['from_wave']}) → {b['to']} ({b['to_wave']}): {b['reason']}"
            )
            item.setForeground(QBrush(c.rejected))
            self.broken_list.addItem(item)


__all__ = ["LOCKED_TEXT", "MIME_TYPE", "WaveList", "WavesScreen"]
