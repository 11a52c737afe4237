"""The horizontal phase timeline, custom-painted: one node per phase with its status and figures.

Why painted: it is a compact overview that must redraw cheaply every second while work runs;
clicking (or Left/Right) selects a phase whose details and errors the screen shows below.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop_app.screens.timeline.view_model import PhaseView, TimelineView, format_counts, format_duration
from desktop_app.theme import colors

NODE_RADIUS = 13
TOP = 18
MARGIN_X = 24
STATUS_TEXT = {
    "completed": "Completed",
    "in_progress": "Current",
    "running": "Running",
    "failed": "Failed",
    "paused": "Paused",
    "cancelled": "Cancelled",
    "pending": "Not started",
}


def status_colour(status: str) -> QColor:
    c = colors()
    return {
        "completed": c.approved,
        "in_progress": c.running,
        "running": c.running,
        "failed": c.failed,
        "paused": c.bar_mid,
        "cancelled": c.pending,
    }.get(status, c.line)


class TimelineWidget(QWidget):
    phase_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelineWidget")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        self._view: TimelineView | None = None
        self._selected: str | None = None
        self._running_phase: str | None = None

    # -- data ------------------------------------------------------------------------------------

    def set_timeline(self, view: TimelineView | None, running_phase: str | None = None) -> None:
        self._view = view
        self._running_phase = running_phase
        if view is not None and self._selected not in {p.phase for p in view.phases}:
            self._selected = (
                view.current_phase
                if view.phase(view.current_phase)
                else (view.phases[0].phase if view.phases else None)
            )
        self.update()

    def timeline(self) -> TimelineView | None:
        return self._view

    @property
    def selected_phase(self) -> str | None:
        return self._selected

    def select_phase(self, phase: str) -> None:
        if self._view is not None and self._view.phase(phase) is not None and phase != self._selected:
            self._selected = phase
            self.update()
            self.phase_selected.emit(phase)

    # -- geometry (shared by painting, hit-testing and tests) ---------------------------------------

    def node_centres(self) -> list[QPoint]:
        n = len(self._view.phases) if self._view else 0
        if n == 0:
            return []
        usable = max(1, self.width() - 2 * MARGIN_X)
        step = usable / n
        return [QPoint(int(MARGIN_X + step * (i + 0.5)), TOP + NODE_RADIUS) for i in range(n)]

    def column_rect(self, i: int) -> QRect:
        n = len(self._view.phases) if self._view else 1
        step = max(1, (self.width() - 2 * MARGIN_X) // max(1, n))
        return QRect(MARGIN_X + step * i, 0, step, self.height())

    def sizeHint(self) -> QSize:
        line = QFontMetrics(self.font()).height()
        return QSize(900, TOP + 2 * NODE_RADIUS + 12 + line * 5 + 8)

    def minimumSizeHint(self) -> QSize:
        return QSize(480, self.sizeHint().height())

    # -- painting ----------------------------------------------------------------------------------

    def _phase_status(self, p: PhaseView) -> str:
        if p.phase == self._running_phase and p.status in ("in_progress", "pending"):
            return "running"
        return p.status

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        c = colors()
        if self._view is None or not self._view.phases:
            painter.setPen(c.muted)
            painter.drawText(self.rect(), int(Qt.AlignmentFlag.AlignCenter), "No flow selected")
            return
        centres = self.node_centres()
        phases = self._view.phases
        # connecting line: completed segments in the completion colour
        for i in range(len(centres) - 1):
            done = phases[i].status == "completed" and phases[i + 1].status != "pending"
            painter.setPen(QPen(c.approved if done else c.line, 3))
            painter.drawLine(
                centres[i].x() + NODE_RADIUS,
                centres[i].y(),
                centres[i + 1].x() - NODE_RADIUS,
                centres[i + 1].y(),
            )
        fm = QFontMetrics(self.font())
        bold = QFont(self.font())
        bold.setBold(True)
        fm_bold = QFontMetrics(bold)
        text_colour = self.palette().color(QPalette.ColorRole.WindowText)
        for i, (p, centre) in enumerate(zip(phases, centres, strict=True)):
            status = self._phase_status(p)
            colour = status_colour(status)
            if p.phase == self._selected:
                ring = QColor(c.accent)
                ring.setAlpha(90)
                painter.setPen(QPen(ring, 5))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawEllipse(centre, NODE_RADIUS + 4, NODE_RADIUS + 4)
            painter.setPen(QPen(colour, 2))
            painter.setBrush(colour if status != "pending" else self.palette().color(QPalette.ColorRole.Base))
            painter.drawEllipse(centre, NODE_RADIUS, NODE_RADIUS)
            glyph = {
                "completed": "✓",
                "failed": "!",
                "paused": "‖",
                "cancelled": "×",
                "running": "…",
                "in_progress": str(i + 1),
            }.get(status, str(i + 1))
            painter.setPen(QColor("#ffffff") if status != "pending" else c.muted)
            painter.setFont(bold)
            painter.drawText(
                QRect(centre.x() - NODE_RADIUS, centre.y() - NODE_RADIUS, 2 * NODE_RADIUS, 2 * NODE_RADIUS),
                int(Qt.AlignmentFlag.AlignCenter),
                glyph,
            )
            col = self.column_rect(i).adjusted(4, 0, -4, 0)
            y = centre.y() + NODE_RADIUS + 8
            lines: list[tuple[str, QFont, QColor]] = [
                (p.label, bold, text_colour),
                (
                    STATUS_TEXT.get(status, status) + (f" · try {p.attempts}" if p.attempts > 1 else ""),
                    self.font(),
                    colour if status != "pending" else c.muted,
                ),
            ]
            if p.started_at:
                lines.append((f"{p.started_at.astimezone():%d %b %H:%M:%S}", self.font(), c.muted))
            if p.duration_seconds is not None:
                lines.append((format_duration(p.duration_seconds), self.font(), c.muted))
            counts = format_counts(p.counts)
            if counts:
                lines.append((counts, self.font(), c.muted))
            if p.errors and status == "failed":
                lines.append((f"{len(p.errors)} error(s)", self.font(), c.failed))
            for text, font, colour_ in lines[:6]:
                metrics = fm_bold if font is bold else fm
                painter.setFont(font)
                painter.setPen(colour_)
                elided = metrics.elidedText(text, Qt.TextElideMode.ElideRight, col.width())
                painter.drawText(
                    QRect(col.left(), y, col.width(), metrics.height()),
                    int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop),
                    elided,
                )
                y += metrics.height()
        painter.end()

    # -- interaction ------------------------------------------------------------------------------

    def phase_at(self, pos: QPoint) -> str | None:
        if self._view is None:
            return None
        for i, p in enumerate(self._view.phases):
            if self.column_rect(i).contains(pos):
                return p.phase
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        phase = self.phase_at(event.position().toPoint())
        if phase:
            self.select_phase(phase)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self._view is None or not self._view.phases:
            super().keyPressEvent(event)
            return
        names = [p.phase for p in self._view.phases]
        i = names.index(self._selected) if self._selected in names else 0
        if event.key() == Qt.Key.Key_Right:
            self.select_phase(names[min(len(names) - 1, i + 1)])
        elif event.key() == Qt.Key.Key_Left:
            self.select_phase(names[max(0, i - 1)])
        else:
            super().keyPressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        phase = self.phase_at(event.position().toPoint())
        view = self._view
        p = view.phase(phase) if (view and phase) else None
        if p is None:
            self.setToolTip("")
            return
        tip = [p.label, STATUS_TEXT.get(p.status, p.status)]
        if p.started_at:
            tip.append(f"started {p.started_at.astimezone():%Y-%m-%d %H:%M:%S}")
        if p.ended_at:
            tip.append(f"ended {p.ended_at.astimezone():%Y-%m-%d %H:%M:%S}")
        tip.extend(f"error: {e.message}" for e in p.errors[-2:])
        self.setToolTip("\n".join(tip))
