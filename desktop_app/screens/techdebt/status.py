"""Status labels, symbols and colours of tech-debt findings, and the badge painted in the table.

Why a symbol and a word as well as a colour: the badge must read for colour-blind users and in
print, so colour is never the only cue. Colours are the Okabe-Ito palette (distinguishable under
the common colour-vision deficiencies), with the text colour chosen for contrast on each.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem


@dataclass(frozen=True)
class Status:
    key: str
    label: str
    symbol: str
    fill: QColor
    ink: QColor
    explain: str


STATUSES: dict[str, Status] = {
    s.key: s
    for s in (
        Status("eol", "End of support", "✕", QColor("#D55E00"), QColor("#ffffff"),
               "no security updates any more without a paid extension"),
        Status("eol_12m", "Ends within 12 months", "!", QColor("#E69F00"), QColor("#1f2328"),
               "security updates end within 12 months of the assessment date"),
        Status("supported", "Supported", "✓", QColor("#009E73"), QColor("#ffffff"),
               "security updates for more than 12 months"),
        Status("unknown", "Unknown", "?", QColor("#d1d5db"), QColor("#1f2328"),
               "the OS or database text names no product and release the lifecycle table knows"),
        Status("downsize", "Downsize", "▼", QColor("#0072B2"), QColor("#ffffff"),
               "peak utilisation well below the allocation"),
        Status("undersized", "Undersized", "▲", QColor("#CC79A7"), QColor("#1f2328"),
               "peak utilisation near or above the allocation"),
    )
}  # fmt: skip
LIFECYCLE = ("eol", "eol_12m", "supported", "unknown")


def status_of(key: str) -> Status:
    return STATUSES.get(key) or Status(key, key, "•", QColor("#d1d5db"), QColor("#1f2328"), "")


def badge_text(key: str) -> str:
    s = status_of(key)
    return f"{s.symbol}  {s.label}"


def paint_badge(p: QPainter, rect: QRect, key: str, font: QFont) -> QRect:
    """A rounded badge with the status symbol and label, left-aligned in `rect`; returns its rect."""
    s = status_of(key)
    bold = QFont(font)
    bold.setBold(True)
    fm = QFontMetrics(bold)
    text = badge_text(key)
    height = min(rect.height() - 4, fm.height() + 4)
    width = min(rect.width() - 4, fm.horizontalAdvance(text) + 14)
    badge = QRect(rect.left() + 4, rect.center().y() - height // 2, width, height)
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QPen(s.fill.darker(130), 1) if key == "unknown" else Qt.PenStyle.NoPen)
    p.setBrush(s.fill)
    p.drawRoundedRect(badge, height / 2, height / 2)
    p.setPen(s.ink)
    p.setFont(bold)
    p.drawText(
        badge, int(Qt.AlignmentFlag.AlignCenter), fm.elidedText(text, Qt.TextElideMode.ElideRight, width)
    )
    p.restore()
    return badge


class BadgeDelegate(QStyledItemDelegate):
    """Paints the status column as a badge (the model's display text is the same words)."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        key = index.data(Qt.ItemDataRole.UserRole)
        if key:
            paint_badge(painter, option.rect, str(key), option.font)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        bold = QFont(option.font)
        bold.setBold(True)
        fm = QFontMetrics(bold)
        return QSize(fm.horizontalAdvance(badge_text(str(index.data(Qt.ItemDataRole.UserRole) or ""))) + 24,
                     fm.height() + 8)  # fmt: skip
