"""Painted cells of the mapping grid: the confidence bar and the approve/reject/edit buttons.

Why delegates: no widget per row. Buttons are painted in `paint` and hit-tested in `editorEvent`
with the same `button_rects` geometry, so tests click exactly where the user would. The buttons are
compact glyphs (the grid needs its width for the reason) with a tooltip each, and are always
painted opaque (`button_look`), so their text stays readable on a selected row in either theme.
A row without a confidence (no target, or a target the suggester did not score) gets no bar.
"""

from __future__ import annotations

from dataclasses import dataclass

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
from PySide6.QtGui import QColor, QHelpEvent, QMouseEvent, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
    QWidget,
)

from desktop_app.screens.mapping_review.model import BUSY_ROLE, CONFIDENCE_ROLE, NO_TARGET_ROLE, STATUS_ROLE
from desktop_app.theme import ThemeColors, colors

APPROVE, REJECT, EDIT = "approve", "reject", "edit"
BUTTONS = ((APPROVE, "✓"), (REJECT, "✗"), (EDIT, "Edit…"))
BUTTON_WIDTHS = {APPROVE: 32, REJECT: 32, EDIT: 48}
BUTTON_TIPS = {
    APPROVE: "Approve the suggested target (A)",
    REJECT: "Reject: leave the column unmapped (R)",
    EDIT: "Change the target or its rules… (E)",
}
NO_TARGET_APPROVE_TIP = "No target was suggested: choose one… (A)"
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


class ElideDelegate(QStyledItemDelegate):
    """Plain text elided its own way (the grid elides in the middle; prose reads from its start)."""

    def __init__(self, mode: Qt.TextElideMode, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._mode = mode

    def initStyleOption(self, option: QStyleOptionViewItem, index: Index) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = self._mode


class ConfidenceDelegate(QStyledItemDelegate):
    """A filled bar with the percentage beside it (colour by band: high, medium, low); none when
    the row holds no scored target ("—", or nothing at all for a row without a target)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        shown = index.data(CONFIDENCE_ROLE)
        if shown is None:
            if not index.data(NO_TARGET_ROLE):
                self._paint_none(painter, option)
            return
        value = float(shown)
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

    @staticmethod
    def _paint_none(painter: QPainter, option: QStyleOptionViewItem) -> None:
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setPen(
            option.palette.color(QPalette.ColorRole.HighlightedText) if selected else colors().muted
        )
        painter.drawText(option.rect.adjusted(6, 0, -6, 0), int(Qt.AlignmentFlag.AlignCenter), "—")
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(110, super().sizeHint(option, index).height())


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


@dataclass(frozen=True)
class ButtonLook:
    """The colours of one painted button; `fill` is always opaque (nothing of the row shows through)."""

    fill: QColor
    border: QColor
    text: QColor
    border_width: int = 1


def button_look(
    action: str, *, active: bool, hovered: bool, busy: bool, c: ThemeColors, face: QColor
) -> ButtonLook:
    """Colours of a button: the decision it shows filled with its accent, the others on the button
    face (`face`, the palette's Button colour), a hovered one with a heavier border — never
    translucent, so its text reads the same on a selected (highlighted) row as on any other (a
    tinted fill would cost the accent text its contrast)."""
    accent = {APPROVE: c.approved, REJECT: c.rejected, EDIT: c.modified}[action]
    face = QColor(face)
    face.setAlpha(255)
    if busy:
        return ButtonLook(face, QColor(c.muted), QColor(c.muted))
    if active:
        on_accent = QColor("#ffffff") if c.name == "light" else QColor(c.base)
        return ButtonLook(QColor(accent), QColor(accent), on_accent)
    return ButtonLook(face, QColor(accent), QColor(accent), 2 if hovered else 1)


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
        face = option.palette.color(QPalette.ColorRole.Button)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        for action, label in BUTTONS:
            rect = button_rects(option.rect)[action]
            active = (
                (action == APPROVE and status == "approved")
                or (action == REJECT and status == "rejected")
                or (action == EDIT and status == "modified")
            )
            hovered = self._hover == (index.row(), action)
            look = button_look(action, active=active, hovered=hovered, busy=busy, c=c, face=face)
            painter.setBrush(look.fill)
            painter.setPen(QPen(look.border, look.border_width))
            painter.drawRoundedRect(rect.adjusted(0, 0, -1, -1), 4, 4)
            painter.setPen(look.text)
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), label)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(actions_width(), max(26, super().sizeHint(option, index).height()))

    def helpEvent(
        self, event: QHelpEvent, view: QAbstractItemView, option: QStyleOptionViewItem, index: Index
    ) -> bool:
        """Each button has its own tooltip (with its key)."""
        action = self.hit(option.rect, event.pos()) if event.type() == QEvent.Type.ToolTip else None
        if action is None:
            return super().helpEvent(event, view, option, index)
        tip = (
            NO_TARGET_APPROVE_TIP if action == APPROVE and index.data(NO_TARGET_ROLE) else BUTTON_TIPS[action]
        )
        QToolTip.showText(event.globalPos(), tip, view)
        return True

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
