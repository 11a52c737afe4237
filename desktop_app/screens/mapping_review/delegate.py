"""Painted cells of the mapping grid: the confidence bar and the approve/reject/edit buttons.

Why delegates: no widget per row. Buttons are painted in `paint` and hit-tested in `editorEvent`
with the same `button_rects` geometry, so tests click exactly where the user would.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPalette, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from desktop_app.screens.mapping_review.model import BUSY_ROLE, CONFIDENCE_ROLE, STATUS_ROLE
from desktop_app.theme import colors

APPROVE, REJECT, EDIT = "approve", "reject", "edit"
BUTTONS = ((APPROVE, "✓ Approve"), (REJECT, "✗ Reject"), (EDIT, "Edit…"))
BUTTON_WIDTHS = {APPROVE: 74, REJECT: 64, EDIT: 46}
SPACING = 4
MARGIN = 3

Index = QModelIndex | QPersistentModelIndex


def bar_colour(confidence: float) -> QColor:
    c = colors()
    if confidence >= 0.85:
        return c.bar_high
    if confidence >= 0.6:
        return c.bar_mid
    return c.bar_low


class ConfidenceDelegate(QStyledItemDelegate):
    """A filled bar with the percentage beside it (colour by band: high, medium, low)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        value = float(index.data(CONFIDENCE_ROLE) or 0.0)
        r = option.rect.adjusted(6, 0, -6, 0)
        text_w = 38
        bar = QRect(r.left(), r.center().y() - 4, max(10, r.width() - text_w - 6), 8)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colors().bar_track)
        painter.drawRoundedRect(bar, 4, 4)
        filled = QRect(bar)
        filled.setWidth(max(0, int(bar.width() * max(0.0, min(1.0, value)))))
        if filled.width() > 0:
            painter.setBrush(bar_colour(value))
            painter.drawRoundedRect(filled, 4, 4)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.setPen(
            option.palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        )
        painter.drawText(
            QRect(bar.right() + 6, r.top(), text_w, r.height()),
            int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight),
            f"{value:.0%}",
        )
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(130, super().sizeHint(option, index).height())


def button_rects(cell: QRect) -> dict[str, QRect]:
    """Geometry of the painted buttons inside a cell (shared by painting, hit-testing and tests)."""
    rects: dict[str, QRect] = {}
    x = cell.left() + MARGIN
    height = max(16, cell.height() - 2 * MARGIN)
    for action, _label in BUTTONS:
        w = BUTTON_WIDTHS[action]
        rects[action] = QRect(x, cell.top() + (cell.height() - height) // 2, w, height)
        x += w + SPACING
    return rects


def actions_width() -> int:
    return sum(BUTTON_WIDTHS.values()) + SPACING * (len(BUTTONS) - 1) + 2 * MARGIN


class DecisionDelegate(QStyledItemDelegate):
    """Approve / Reject / Edit painted as flat buttons; a click emits `clicked(action, index)`."""

    clicked = Signal(str, QModelIndex)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hover: tuple[int, str] | None = None
        self._pressed: tuple[int, str] | None = None

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        if opt.widget is not None:
            opt.widget.style().drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        status = index.data(STATUS_ROLE)
        busy = bool(index.data(BUSY_ROLE))
        c = colors()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for action, label in BUTTONS:
            rect = button_rects(option.rect)[action]
            active = (
                (action == APPROVE and status == "approved")
                or (action == REJECT and status == "rejected")
                or (action == EDIT and status == "modified")
            )
            accent = {APPROVE: c.approved, REJECT: c.rejected, EDIT: c.modified}[action]
            hovered = self._hover == (index.row(), action)
            fill = QColor(accent) if active else QColor(option.palette.color(QPalette.ColorRole.Button))
            if hovered and not active:
                fill = QColor(accent)
                fill.setAlpha(40)
            if busy:
                fill.setAlpha(90)
            painter.setBrush(fill)
            painter.setPen(QPen(accent if not busy else c.muted, 1))
            painter.drawRoundedRect(rect.adjusted(0, 0, -1, -1), 4, 4)
            on_accent = QColor("#ffffff") if c.name == "light" else c.base  # readable on the fill
            painter.setPen(on_accent if active else (c.muted if busy else accent))
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), label)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(actions_width(), max(26, super().sizeHint(option, index).height()))

    def hit(self, cell: QRect, pos: object) -> str | None:
        for action, rect in button_rects(cell).items():
            if rect.contains(pos):  # type: ignore[arg-type]
                return action
        return None

    def editorEvent(
        self, event: QEvent, model: QAbstractItemModel, option: QStyleOptionViewItem, index: Index
    ) -> bool:
        if not isinstance(event, QMouseEvent):
            return False
        action = self.hit(option.rect, event.position().toPoint())
        kind = event.type()
        if kind == QEvent.Type.MouseMove:
            hover = (index.row(), action) if action else None
            if hover != self._hover:
                self._hover = hover
                if option.widget is not None:
                    option.widget.update()  # type: ignore[attr-defined]
            return False
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton and action:
            self._pressed = (index.row(), action)
            return True
        if kind == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            pressed, self._pressed = self._pressed, None
            if action and pressed == (index.row(), action) and not index.data(BUSY_ROLE):
                self.clicked.emit(action, QModelIndex(index))
                return True
        # swallow double clicks on buttons (they would open the editor)
        return kind == QEvent.Type.MouseButtonDblClick and action is not None
