"""A horizontal bar chart painted with QPainter (PySide6-Essentials has no QtCharts).

Why painted: a quality report is a few dozen bars that must read well in both themes and be
checkable in tests; `bar_rect(i)` is the geometry painting, tooltips and tests all use.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from desktop_app.theme import colors

ROW_HEIGHT = 22
BAR_HEIGHT = 14
LABEL_WIDTH = 190
VALUE_WIDTH = 64
TITLE_GAP = 8
MARGIN = 8


@dataclass(frozen=True)
class Bar:
    """One bar: its label, value out of `maximum`, the text beside it, colour and tooltip."""

    label: str
    value: float
    maximum: float
    text: str
    colour: QColor
    tooltip: str = ""

    @property
    def fraction(self) -> float:
        return max(0.0, min(1.0, self.value / self.maximum)) if self.maximum > 0 else 0.0


class BarChart(QWidget):
    """Title, then one row per bar: label | track with the filled bar | value text."""

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("barChart")
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._title = title
        self._bars: list[Bar] = []
        self.empty_text = "Nothing to show."

    # -- data ------------------------------------------------------------------------------------

    def set_title(self, title: str) -> None:
        self._title = title
        self.update()

    def set_bars(self, bars: list[Bar]) -> None:
        self._bars = list(bars)
        self.updateGeometry()
        self.update()

    def bars(self) -> list[Bar]:
        return list(self._bars)

    # -- geometry (shared by painting, tooltips and tests) -------------------------------------------

    def _title_height(self) -> int:
        bold = QFont(self.font())
        bold.setBold(True)
        return QFontMetrics(bold).height() + TITLE_GAP if self._title else 0

    def row_rect(self, i: int) -> QRect:
        top = MARGIN + self._title_height() + i * ROW_HEIGHT
        return QRect(MARGIN, top, self.width() - 2 * MARGIN, ROW_HEIGHT)

    def track_rect(self, i: int) -> QRect:
        row = self.row_rect(i)
        left = row.left() + min(LABEL_WIDTH, row.width() // 3)
        width = max(20, row.right() - VALUE_WIDTH - left)
        return QRect(left, row.center().y() - BAR_HEIGHT // 2, width, BAR_HEIGHT)

    def bar_rect(self, i: int) -> QRect:
        """The filled part of bar `i` (empty width when its value is 0)."""
        track = self.track_rect(i)
        filled = QRect(track)
        filled.setWidth(round(track.width() * self._bars[i].fraction))
        return filled

    def bar_at(self, pos: QPoint) -> int:
        for i in range(len(self._bars)):
            if self.row_rect(i).contains(pos):
                return i
        return -1

    def sizeHint(self) -> QSize:
        rows = max(1, len(self._bars))
        return QSize(480, 2 * MARGIN + self._title_height() + rows * ROW_HEIGHT)

    def minimumSizeHint(self) -> QSize:
        return QSize(260, self.sizeHint().height())

    # -- painting --------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        c = colors()
        text = self.palette().color(QPalette.ColorRole.WindowText)
        fm = QFontMetrics(self.font())
        if self._title:
            bold = QFont(self.font())
            bold.setBold(True)
            p.setFont(bold)
            p.setPen(text)
            p.drawText(
                QRect(MARGIN, MARGIN, self.width() - 2 * MARGIN, self._title_height()),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop),
                self._title,
            )
            p.setFont(self.font())
        if not self._bars:
            p.setPen(c.muted)
            p.drawText(
                self.row_rect(0),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                self.empty_text,
            )
            p.end()
            return
        for i, bar in enumerate(self._bars):
            row, track = self.row_rect(i), self.track_rect(i)
            label_rect = QRect(row.left(), row.top(), track.left() - row.left() - 8, row.height())
            p.setPen(text)
            p.drawText(
                label_rect,
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                fm.elidedText(bar.label, Qt.TextElideMode.ElideMiddle, label_rect.width()),
            )
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(c.bar_track)
            p.drawRoundedRect(track, 3, 3)
            filled = self.bar_rect(i)
            if filled.width() > 0:
                p.setBrush(bar.colour)
                p.drawRoundedRect(filled, 3, 3)
            p.setPen(c.muted)
            p.drawText(
                QRect(track.right() + 8, row.top(), VALUE_WIDTH - 8, row.height()),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                bar.text,
            )
        p.end()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        i = self.bar_at(event.position().toPoint())
        if i < 0:
            QToolTip.hideText()
            return
        bar = self._bars[i]
        QToolTip.showText(
            event.globalPosition().toPoint(),
            bar.tooltip or f"{bar.label}: {bar.text}",
            self,
            self.row_rect(i),
        )
