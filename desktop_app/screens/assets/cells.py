"""How a cell of the asset table looks: its roles, the conflict icon, theme brushes, tooltips.

Why apart from the model: the model decides *which* asset and value a cell holds; these small
pure helpers decide how it is shown, so a change of look never touches the paging logic.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPainter, QPixmap, QPolygon

from desktop_app.screens.assets.columns import Column
from desktop_app.screens.assets.rows import AssetRow
from desktop_app.theme import colors

ASSET_ID_ROLE = Qt.ItemDataRole.UserRole + 1
VALUE_ROLE = Qt.ItemDataRole.UserRole + 2
FIELD_ROLE = Qt.ItemDataRole.UserRole + 3
LOADED_ROLE = Qt.ItemDataRole.UserRole + 4
CONFLICT_ROLE = Qt.ItemDataRole.UserRole + 5

PLACEHOLDER = "Loading…"

_ALIGN_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_ALIGN_CENTER = Qt.AlignmentFlag.AlignCenter
_icon: QIcon | None = None


def conflict_icon() -> QIcon:
    """A small amber warning triangle (painted once), marking cells whose sources disagree."""
    global _icon
    if _icon is None:
        pix = QPixmap(14, 14)
        pix.fill(Qt.GlobalColor.transparent)
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#d97706"))
        p.drawPolygon(QPolygon([QPoint(0, 13), QPoint(14, 13), QPoint(7, 0)]))
        p.setPen(QColor("#ffffff"))
        font = QFont()
        font.setBold(True)
        font.setPixelSize(10)
        p.setFont(font)
        p.drawText(pix.rect().adjusted(0, 3, 0, 0), int(Qt.AlignmentFlag.AlignCenter), "!")
        p.end()
        _icon = QIcon(pix)
    return _icon


def alignment(meta: Column) -> Qt.AlignmentFlag | None:
    """Numbers right, booleans centred, text as the style has it."""
    return _ALIGN_RIGHT if meta.numeric else (_ALIGN_CENTER if meta.kind == "boolean" else None)


class Brushes:
    """Muted text and the conflict tint of the theme in use (rebuilt when the theme changes)."""

    def __init__(self) -> None:
        self._theme = colors()
        self.muted = QBrush(self._theme.muted)
        self.tint = QBrush(self._theme.conflict_tint)

    def current(self) -> Brushes:
        theme = colors()
        if theme is not self._theme:
            self._theme = theme
            self.muted = QBrush(theme.muted)
            self.tint = QBrush(theme.conflict_tint)
        return self


def placeholder(col: int, role: int, brushes: Brushes) -> Any:
    """A row whose page is not here yet: "Loading…" in the first column, muted."""
    if role == Qt.ItemDataRole.DisplayRole:
        return PLACEHOLDER if col == 0 else ""
    if role == Qt.ItemDataRole.ForegroundRole:
        return brushes.current().muted
    if role == LOADED_ROLE:
        return False
    return None


def tooltip(meta: Column, asset: AssetRow, col: int) -> str | None:
    """Why a cell is tinted, or the full text of a long value."""
    label = meta.header
    if col in asset.conflicts:
        return (
            f"{label}: sources disagree. The value shown won by source precedence; "
            "the lineage panel lists the other values and where they came from."
        )
    text = asset.texts[col]
    return f"{label}: {text}" if len(text) > 24 else None
