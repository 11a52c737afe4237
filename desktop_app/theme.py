"""Light and dark themes: Fusion style, a palette, a small QSS, and semantic colours for painters.

Why: custom-painted parts (confidence bars, decision buttons, the timeline) must stay readable in
both themes, so they take colours from `colors()` instead of hard-coding them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

THEMES_DIR = Path(__file__).parent / "themes"


@dataclass(frozen=True)
class ThemeColors:
    """Semantic colours for custom painting."""

    name: str
    text: QColor
    muted: QColor
    base: QColor
    alt_base: QColor
    accent: QColor
    approved: QColor
    rejected: QColor
    modified: QColor
    pending: QColor
    conflict_tint: QColor
    bar_high: QColor
    bar_mid: QColor
    bar_low: QColor
    bar_track: QColor
    running: QColor
    failed: QColor
    line: QColor


LIGHT = ThemeColors(
    name="light",
    text=QColor("#1f2328"),
    muted=QColor("#5b636e"),
    base=QColor("#ffffff"),
    alt_base=QColor("#f5f7fa"),
    accent=QColor("#2563eb"),
    approved=QColor("#15803d"),
    rejected=QColor("#b91c1c"),
    modified=QColor("#7c3aed"),
    pending=QColor("#6b7280"),
    conflict_tint=QColor(245, 158, 11, 70),
    bar_high=QColor("#16a34a"),
    bar_mid=QColor("#d97706"),
    bar_low=QColor("#dc2626"),
    bar_track=QColor("#e5e7eb"),
    running=QColor("#2563eb"),
    failed=QColor("#dc2626"),
    line=QColor("#cbd5e1"),
)

DARK = ThemeColors(
    name="dark",
    text=QColor("#e6e8eb"),
    muted=QColor("#9aa4b2"),
    base=QColor("#1e2227"),
    alt_base=QColor("#252a30"),
    accent=QColor("#60a5fa"),
    approved=QColor("#4ade80"),
    rejected=QColor("#f87171"),
    modified=QColor("#c4b5fd"),
    pending=QColor("#9ca3af"),
    conflict_tint=QColor(245, 158, 11, 60),
    bar_high=QColor("#22c55e"),
    bar_mid=QColor("#f59e0b"),
    bar_low=QColor("#ef4444"),
    bar_track=QColor("#374151"),
    running=QColor("#60a5fa"),
    failed=QColor("#f87171"),
    line=QColor("#4b5563"),
)

_current: ThemeColors = LIGHT


def colors() -> ThemeColors:
    """Colours of the theme in use."""
    return _current


def _palette(c: ThemeColors) -> QPalette:
    p = QPalette()
    window = QColor("#eef1f5") if c.name == "light" else QColor("#181b1f")
    button = QColor("#f8fafc") if c.name == "light" else QColor("#2b3036")
    highlight = QColor("#2563eb") if c.name == "light" else QColor("#3b82f6")
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: c.text,
        QPalette.ColorRole.Base: c.base,
        QPalette.ColorRole.AlternateBase: c.alt_base,
        QPalette.ColorRole.Text: c.text,
        QPalette.ColorRole.Button: button,
        QPalette.ColorRole.ButtonText: c.text,
        QPalette.ColorRole.ToolTipBase: c.base,
        QPalette.ColorRole.ToolTipText: c.text,
        QPalette.ColorRole.PlaceholderText: c.muted,
        QPalette.ColorRole.Highlight: highlight,
        QPalette.ColorRole.HighlightedText: QColor("#ffffff"),
        QPalette.ColorRole.Link: c.accent,
        QPalette.ColorRole.Mid: c.line,
    }
    for role, colour in roles.items():
        p.setColor(role, colour)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, c.muted)
    return p


def apply_theme(app: QApplication, name: str) -> ThemeColors:
    """Switch the whole application to the named theme ("light" or "dark")."""
    global _current
    _current = DARK if name == "dark" else LIGHT
    app.setStyle("Fusion")
    app.setPalette(_palette(_current))
    qss = THEMES_DIR / f"{_current.name}.qss"
    app.setStyleSheet(qss.read_text(encoding="utf-8") if qss.exists() else "")
    return _current
