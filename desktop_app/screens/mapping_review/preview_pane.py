"""The preview pane under the mapping grid: the current column's raw values and what its rules make.

Why a pane of its own: it only shows what it is given (heading, value pairs, a failure); the
controller loads the pairs in the background and the screen decides when the row changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QFrame, QLabel, QTableView, QVBoxLayout, QWidget

HEADERS = ["Source value", "After transformation", "Problem"]


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class PreviewPane(QFrame):
    """Title ("source → target") over a three-column table of `PreviewPair`s."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("previewPane")
        self.title = QLabel("Preview")
        self.title.setObjectName("previewTitle")
        self.title.setWordWrap(True)
        self.model = QStandardItemModel(0, 3, self)
        self.model.setHorizontalHeaderLabels(HEADERS)
        self.view = QTableView()
        self.view.setObjectName("previewTable")
        self.view.setModel(self.model)
        self.view.verticalHeader().hide()
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.setColumnWidth(0, 150)  # it shares the width with the Profile pane beside it
        self.view.setColumnWidth(1, 150)
        self.view.verticalHeader().setDefaultSectionSize(24)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.title)
        layout.addWidget(self.view, 1)

    def show_heading(self, source: str, target: str) -> None:
        self.title.setText(f"<b>{_html(source)}</b> → {_html(target)}")

    def show_unavailable(self, exc: BaseException) -> None:
        self.title.setText(f"Preview unavailable: {exc}")

    def clear(self) -> None:
        self.model.removeRows(0, self.model.rowCount())

    def show_pairs(self, pairs: Iterable[Any]) -> None:
        """Replace the rows: raw value, value after the rules, problem (red) if any."""
        self.clear()
        for p in pairs:
            value = getattr(p, "value", None)
            error = getattr(p, "error", None)
            items = [
                QStandardItem(str(getattr(p, "raw", ""))),
                QStandardItem("" if value is None else str(value)),
                QStandardItem(error or ""),
            ]
            if error:
                items[2].setForeground(Qt.GlobalColor.red)
                items[2].setToolTip(error)
            self.model.appendRow(items)
