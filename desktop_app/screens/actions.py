"""Screen actions by id: one `QAction` per user action, shared by menus, shortcuts, buttons and tests.

Why a helper: every screen installs its actions the same way (shortcuts active while focus is in
the screen, the window menu built from the same objects), so the rule lives once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

Shortcuts = Mapping[str, tuple[str | QKeySequence.StandardKey, ...]]
#: (action id, menu text, slot)
ActionSpec = tuple[str, str, Callable[[], object]]


def install(
    widget: QWidget, actions: dict[str, QAction], action_id: str, action: QAction, shortcuts: Shortcuts
) -> QAction:
    """Give `action` its id and shortcuts, scope them to `widget` and record it in `actions`."""
    action.setObjectName(action_id)
    action.setShortcuts([QKeySequence(k) for k in shortcuts.get(action_id, ())])
    action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    widget.addAction(action)
    actions[action_id] = action
    return action


def install_all(
    widget: QWidget, actions: dict[str, QAction], specs: Sequence[ActionSpec], shortcuts: Shortcuts
) -> dict[str, QAction]:
    """Create one action per spec (text, slot) on `widget`."""
    for action_id, text, slot in specs:
        action = QAction(text, widget)
        action.triggered.connect(slot)
        install(widget, actions, action_id, action, shortcuts)
    return actions


def menu_of(actions: Mapping[str, QAction], layout: Sequence[str | None]) -> list[QAction | None]:
    """The window menu of a screen: actions by id in `layout` order (None = separator)."""
    return [None if action_id is None else actions[action_id] for action_id in layout]
