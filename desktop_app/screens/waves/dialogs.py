"""The wave planner's small dialogs: a wave's name and its dates.

Why thin and non-blocking: each dialog only gathers values and hands them to a callback (the
screen's `rename` / `set_dates`, which run the core use case); it is opened with `open()`, so the
event loop keeps running and a test can fill it in and accept it, or call the screen method itself.
The core checks the values (an empty name, an end before the start) and the screen shows its error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QVBoxLayout,
    QWidget,
)

DATE_FORMAT = "dd MMM yyyy"


def ask_wave_name(parent: QWidget, current: str, on_name: Callable[[str], None]) -> QInputDialog:
    """Ask (non-blocking) for a wave's new name; `on_name` runs on OK with the text as typed."""
    dialog = QInputDialog(parent)
    dialog.setObjectName("waveRenameDialog")
    dialog.setWindowTitle("Rename wave")
    dialog.setInputMode(QInputDialog.InputMode.TextInput)
    dialog.setLabelText(f"New name for “{current}”:")
    dialog.setTextValue(current)
    dialog.setOkButtonText("Rename")
    dialog.textValueSelected.connect(on_name)
    dialog.open()
    return dialog


class _DateRow(QWidget):
    """A date edit with a "no date" box that disables it; `value()` is the date or None."""

    def __init__(self, name: str, day: dt.date | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QDateEdit()
        self.edit.setObjectName(f"wave{name}Date")
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat(DATE_FORMAT)
        shown = day or dt.date.today()
        self.edit.setDate(QDate(shown.year, shown.month, shown.day))
        self.none = QCheckBox("no date")
        self.none.setObjectName(f"wave{name}None")
        self.none.toggled.connect(lambda on: self.edit.setEnabled(not on))
        self.none.setChecked(day is None)
        self.edit.setEnabled(day is not None)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.none)

    def set_value(self, day: dt.date | None) -> None:
        if day is not None:
            self.edit.setDate(QDate(day.year, day.month, day.day))
        self.none.setChecked(day is None)

    def value(self) -> dt.date | None:
        if self.none.isChecked():
            return None
        d = self.edit.date()
        return dt.date(d.year(), d.month(), d.day())


class WaveDatesDialog(QDialog):
    """Start and end of one wave, each of which may be left without a date."""

    def __init__(
        self,
        parent: QWidget,
        wave_name: str,
        start: dt.date | None,
        end: dt.date | None,
        on_dates: Callable[[dt.date | None, dt.date | None], None],
    ) -> None:
        super().__init__(parent)
        self.setObjectName("waveDatesDialog")
        self.setWindowTitle(f"Dates of {wave_name}")
        self.start = _DateRow("Start", start)
        self.end = _DateRow("End", end)
        form = QFormLayout()
        form.addRow("Starts", self.start)
        form.addRow("Ends", self.end)
        ok, cancel = QDialogButtonBox.StandardButton.Ok, QDialogButtonBox.StandardButton.Cancel
        buttons = QDialogButtonBox(ok | cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"When does “{wave_name}” move?"))
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.accepted.connect(lambda: on_dates(self.start.value(), self.end.value()))


def ask_wave_dates(
    parent: QWidget,
    wave_name: str,
    start: dt.date | None,
    end: dt.date | None,
    on_dates: Callable[[dt.date | None, dt.date | None], None],
) -> WaveDatesDialog:
    """Open (non-blocking) the dates dialog; `on_dates(start, end)` runs on OK."""
    dialog = WaveDatesDialog(parent, wave_name, start, end, on_dates)
    dialog.open()
    return dialog
