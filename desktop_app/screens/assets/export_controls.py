"""The export buttons of the asset screen, with the running export's progress bar and cancel button.

Why apart from the screen: `Exporter` runs the export; these widgets only follow it (started,
progress from the task manager, done or stopped) and say so in the status bar.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QProgressBar, QPushButton, QToolButton, QWidget

from desktop_app.screens.assets.export import ExportDone, Exporter
from desktop_app.task_manager import TaskHandle, TaskManager


class ExportControls(QObject):
    """Owns `export_xlsx`, `export_csv`, `export_progress`, `export_cancel` (placed by the screen)."""

    #: text for the status bar
    message = Signal(str)

    def __init__(
        self, exporter: Exporter, tasks: TaskManager, available: Callable[[], bool], parent: QWidget
    ) -> None:
        super().__init__(parent)
        self._exporter = exporter
        self._available = available
        self._cancel: QAction | None = None
        self.export_xlsx = QPushButton("Export XLSX…")
        self.export_xlsx.setObjectName("exportXlsx")
        self.export_csv = QPushButton("Export CSV…")
        self.export_csv.setObjectName("exportCsv")
        self.export_progress = QProgressBar()
        self.export_progress.setObjectName("exportProgress")
        self.export_progress.setFixedWidth(160)
        self.export_progress.setMaximumHeight(16)
        self.export_progress.hide()
        self.export_cancel = QToolButton()
        self.export_cancel.setObjectName("exportCancel")
        self.export_cancel.hide()
        exporter.started.connect(self._started)
        exporter.done.connect(self._done)
        exporter.stopped.connect(self._stopped)
        tasks.task_progress.connect(self._progress)

    def widgets(self) -> list[QWidget]:
        """In the order they sit in the screen's top bar."""
        return [self.export_progress, self.export_cancel, self.export_xlsx, self.export_csv]

    def bind(self, xlsx: QAction, csv: QAction, cancel: QAction) -> None:
        """The buttons trigger the screen's actions; cancel is enabled while an export runs."""
        self._cancel = cancel
        cancel.setEnabled(False)
        self.export_xlsx.clicked.connect(xlsx.trigger)
        self.export_csv.clicked.connect(csv.trigger)
        self.export_cancel.setDefaultAction(cancel)
        self.export_cancel.setText("Cancel")

    def set_enabled(self, on: bool) -> None:
        for widget in (self.export_xlsx, self.export_csv):
            widget.setEnabled(on)

    def _started(self, handle: TaskHandle) -> None:
        self.export_progress.setRange(0, 0)
        self.export_progress.show()
        self.export_cancel.show()
        if self._cancel is not None:
            self._cancel.setEnabled(True)
        self.set_enabled(False)
        self.message.emit(f"{handle.label}…")

    def _progress(self, handle: TaskHandle) -> None:
        if handle is not self._exporter.handle or handle.progress is None:
            return
        p = handle.progress
        if p.fraction is None:
            self.export_progress.setRange(0, 0)
        else:
            self.export_progress.setRange(0, 1000)
            self.export_progress.setValue(int(p.fraction * 1000))
        self.export_progress.setToolTip(f"{p.done:,} of {p.total or 0:,} {p.text}")

    def _finished(self) -> None:
        self.export_progress.hide()
        self.export_cancel.hide()
        if self._cancel is not None:
            self._cancel.setEnabled(False)
        self.set_enabled(self._available())

    def _done(self, result: ExportDone) -> None:
        self._finished()
        self.message.emit(f"Exported {result.assets:,} assets to {result.path}")

    def _stopped(self, text: str) -> None:
        self._finished()
        self.message.emit(text)
