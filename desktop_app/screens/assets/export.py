"""Exporting the inventory (XLSX / CSV) from the asset screen: file dialog, background run, result.

Why this flow: the save dialog is opened with `open()` (a nested `exec()` loop inside qasync
callbacks re-enters running coroutines, qasync #59); the export runs as a cancellable read op with
progress in the status bar and in the screen; the consultant gets a message with the path(s).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from core.errors import OperationCancelled
from desktop_app.error_dialog import show_error, show_message
from desktop_app.screens.assets import service
from desktop_app.screens.assets.rows import TableQuery
from desktop_app.screens.registry import Selection
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import QueryOp, TaskContext, TaskHandle, TaskManager

FILTERS = {"xlsx": "Excel workbook (*.xlsx)", "csv": "CSV files (*.csv)"}


@dataclass(frozen=True)
class ExportDone:
    path: Path
    files: list[str]
    rows: dict[str, int]
    assets: int


def default_name(selection: Selection, fmt: str) -> str:
    base = re.sub(r"[^\w.-]+", " ", f"{selection.client_name} {selection.engagement_name} assets").strip()
    return f"{base} {date.today():%Y-%m-%d}.{fmt}"


class Exporter(QObject):
    """Chooses a file, runs `export_inventory` in the background, reports the result."""

    started = Signal(object)  # TaskHandle
    done = Signal(object)  # ExportDone
    stopped = Signal(str)  # cancelled or failed: a message

    def __init__(self, tasks: TaskManager, widget: QWidget, store: SettingsStore) -> None:
        super().__init__(widget)
        self.tasks = tasks
        self.widget = widget
        self.store = store
        self.dialog: QFileDialog | None = None
        self.handle: TaskHandle | None = None
        self.message: QMessageBox | None = None

    @property
    def running(self) -> bool:
        return self.handle is not None and not self.handle.done

    def choose(self, fmt: str, selection: Selection, query: TableQuery) -> QFileDialog:
        """Open the save dialog (non-blocking); the export starts when a file is chosen."""
        folder = Path(self.store.last_directory or Path.home())
        dialog = QFileDialog(self.widget, f"Export the asset inventory as {fmt.upper()}", str(folder))
        dialog.setObjectName(f"exportDialog_{fmt}")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setNameFilter(FILTERS[fmt])
        dialog.setDefaultSuffix(fmt)
        dialog.selectFile(default_name(selection, fmt))
        dialog.fileSelected.connect(lambda path: self.start(Path(path), fmt, selection, query))
        self.dialog = dialog
        dialog.open()
        return dialog

    def start(self, path: Path, fmt: str, selection: Selection, query: TableQuery) -> TaskHandle:
        self.dialog = None
        self.store.last_directory = str(path.parent)

        def work(core: object, ctx: TaskContext) -> ExportDone:
            result, total = service.export(core, selection, path, fmt, query, ctx.cancel, ctx.report)  # type: ignore[arg-type]
            return ExportDone(path, list(result.files), dict(result.rows), total)

        handle = (
            QueryOp(self.widget, work, label=f"Exporting assets to {path.name}")
            .with_progress(cancellable=True)
            .success(self._done)
            .failure(self._failed)
            .run_in_background(self.tasks)
        )
        self.handle = handle
        self.started.emit(handle)
        return handle

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()

    def _done(self, result: ExportDone) -> None:
        self.handle = None
        extra = [f for f in result.files if Path(f) != result.path]
        self.message = show_message(
            f"Exported {result.assets:,} asset(s) to {result.path}",
            self.widget,
            title="Export finished",
            hint=("Also written: " + ", ".join(Path(f).name for f in extra)) if extra else None,
            details="\n".join(f"{view}: {n:,} row(s)" for view, n in result.rows.items()),
            icon=QMessageBox.Icon.Information,
        )
        self.message.setObjectName("exportDone")
        self.done.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self.handle = None
        if isinstance(exc, OperationCancelled):
            self.stopped.emit("Export cancelled — no file was written.")
            return
        self.stopped.emit(f"Export failed: {exc}")
        show_error(exc, self.widget, title="The export failed")
