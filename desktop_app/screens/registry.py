"""Screen registry: every central screen is a class with an id, a title and an icon.

Why: later issues (assets, analysis, planning, sync) add screens without touching the shell.
Adding one is three steps:

    @register_screen
    class AssetsScreen(Screen):
        screen_id = "assets"
        title = "Assets"
        icon = "assets"            # desktop_app/themes/icons/<icon>.svg or a standard icon name
        order = 40                 # position in the View menu and the screen switcher

        def __init__(self, ctx: ScreenContext) -> None: ...
        def set_selection(self, selection: Selection) -> None: ...   # sidebar selection changed
        def on_operation(self, changes: OpChanges, initiator: object) -> None: ...   # refresh

and import the module in `desktop_app/screens/__init__.py`. The main window builds one instance of
each registered screen lazily, hosts it in its QStackedWidget and lists it in the View menu.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from core.changes import OpChanges

if TYPE_CHECKING:
    from desktop_app.settings_store import SettingsStore
    from desktop_app.task_manager import TaskManager


@dataclass(frozen=True)
class Selection:
    """What the sidebar points at: an engagement, and possibly one of its imports and its flow."""

    client_account_id: uuid.UUID | None = None
    client_name: str = ""
    engagement_id: uuid.UUID | None = None
    engagement_name: str = ""
    import_id: uuid.UUID | None = None
    import_name: str = ""
    flow_id: uuid.UUID | None = None

    @property
    def has_engagement(self) -> bool:
        return self.client_account_id is not None and self.engagement_id is not None


@dataclass
class ScreenContext:
    """What a screen may use: the task manager (all database work), settings, navigation."""

    tasks: TaskManager
    settings: SettingsStore
    navigate: Callable[[str, Selection | None], None]
    extras: dict[str, object] = field(default_factory=dict)


class Screen(QWidget):
    """Base class of central screens. Subclasses set the class attributes and override the hooks."""

    screen_id: ClassVar[str] = ""
    title: ClassVar[str] = ""
    icon: ClassVar[str] = ""
    order: ClassVar[int] = 100
    #: Needs an import selected (the shell shows a hint otherwise).
    needs_import: ClassVar[bool] = False

    #: Text for the status bar's message area.
    status_message = Signal(str)

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.selection = Selection()
        self.setObjectName(f"screen_{self.screen_id}")

    def set_selection(self, selection: Selection) -> None:
        """The sidebar selection changed (or the screen was navigated to with one)."""
        self.selection = selection

    def on_operation(self, changes: OpChanges, initiator: object) -> None:
        """A write finished somewhere; refresh what this screen shows if `changes` concern it."""

    def on_shown(self) -> None:
        """The screen became the current one."""

    def save_state(self) -> None:
        """Persist view state (splitters, column widths) before the window closes."""

    def menu_actions(self) -> list[QAction | None]:
        """Actions for the window's screen menu (None = separator); the same objects as shortcuts."""
        return []


_REGISTRY: dict[str, type[Screen]] = {}


def register_screen(cls: type[Screen]) -> type[Screen]:
    """Class decorator adding a screen to the shell."""
    if not cls.screen_id:
        raise ValueError(f"{cls.__name__} has no screen_id")
    _REGISTRY[cls.screen_id] = cls
    return cls


def registered_screens() -> list[type[Screen]]:
    """Registered screen classes in menu order."""
    return sorted(_REGISTRY.values(), key=lambda c: (c.order, c.title))


def screen_class(screen_id: str) -> type[Screen]:
    return _REGISTRY[screen_id]
