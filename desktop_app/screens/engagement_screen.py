"""A screen that shows one engagement's analysis (dependencies, tech debt, 6R, waves).

Why one base: each of these screens reloads the same way — at once when the engagement changes and
the screen is shown, else when it is next shown — and again when an operation's changes touch what
it shows (`refresh_on`: `OpChanges` flags) — and has the same heading, empty hint and failure line.
Subclasses say what to read (`loader`, `load_what`), what to forget (`clear_engagement`), what to do
with a result (`_loaded`) and how to draw it (`_render`, which starts with `_render_scope`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter

from core.changes import OpChanges
from desktop_app.screens.registry import Screen, Selection
from desktop_app.task_manager import QueryOp

if TYPE_CHECKING:
    from core.bootstrap import Core


class EngagementScreen(Screen):
    """Reload on engagement change and on relevant operations; subclasses load and draw."""

    #: `OpChanges` flags whose change means this screen's data may be out of date
    refresh_on: ClassVar[tuple[str, ...]] = ("analysis", "assets", "flows")
    #: skip operations this screen started itself (it refreshes from their result instead)
    ignores_own_operations: ClassVar[bool] = False
    #: what `refresh` reads, `(core, selection) -> data`: runs in the read pool, never touches widgets
    loader: ClassVar[Callable[[Core, Selection], Any]]
    #: what is read, in the status bar and the hints ("Loading the wave plan…", "Could not load …")
    load_what: ClassVar[str]
    #: the hint shown while no engagement is selected
    no_engagement: ClassVar[str]
    _scope_pending: bool = True
    _stale: bool = False
    #: a read is under way (tests and the screens wait on it)
    loading: bool = False
    #: the screen's main splitter, its sizes remembered per screen (`save_state`)
    splitter: QSplitter
    heading: QLabel
    subtitle: QLabel
    empty: QLabel

    @staticmethod
    def empty_hint(text: str) -> QLabel:
        """The centred, wrapped label shown instead of the content when there is nothing to show."""
        label = QLabel(text)
        label.setObjectName("emptyHint")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        return label

    def _build_header(self) -> None:
        """The title line, the subtitle under it and the empty hint (placed by the subclass)."""
        self.heading = QLabel(self.title)
        self.heading.setObjectName("screenTitle")
        self.subtitle = QLabel("")
        self.subtitle.setObjectName("screenSubtitle")
        self.subtitle.setWordWrap(True)
        self.empty = self.empty_hint(self.no_engagement)

    def _render_scope(self, data: object | None) -> bool:
        """Heading, subtitle and empty hint for what is selected; True when `data` is there to draw."""
        if not self.selection.has_engagement:
            self.heading.setText(self.title)
            self.subtitle.setText("")
            self.empty.setText(self.no_engagement)
            return False
        self.heading.setText(f"{self.title} — {self.selection.engagement_name}")
        if data is None:
            self.subtitle.setText(self.selection.client_name)
            self.empty.setText(f"Loading {self.load_what}…")
            return False
        return True

    def save_state(self) -> None:
        self.ctx.settings.save_splitter(self.screen_id, self.splitter)

    def clear_engagement(self) -> None:
        """Forget what was shown for the previous engagement (before `_render`)."""

    def _render(self) -> None:
        raise NotImplementedError

    def _loaded(self, selection: Selection, data: Any) -> None:
        """Take a result read for `selection` (still the selected engagement) and draw it."""
        raise NotImplementedError

    def refresh(self) -> None:
        """Read the engagement's data again (in the read pool); `_loaded` gets it."""
        self._scope_pending = self._stale = False
        if not self.selection.has_engagement:
            self._render()
            return
        selection = self.selection
        load = type(self).loader
        self.loading = True
        QueryOp(self, lambda core: load(core, selection), label=f"Loading {self.load_what}").success(
            lambda data: self._receive(selection, data)
        ).failure(self._failed).run_in_background(self.ctx.tasks)

    def _receive(self, selection: Selection, data: Any) -> None:
        if selection.engagement_id != self.selection.engagement_id:
            return  # read for an engagement no longer selected; its own read is on its way
        self.loading = False
        self._loaded(selection, data)

    def _failed(self, exc: BaseException) -> None:
        self.loading = False
        self.status_message.emit(f"Could not load {self.load_what}: {exc}")

    def set_selection(self, selection: Selection) -> None:
        previous = self.selection
        super().set_selection(selection)
        if (selection.client_account_id, selection.engagement_id) != (
            previous.client_account_id,
            previous.engagement_id,
        ):
            self._scope_pending = True
            self.clear_engagement()
            self._render()
            if self.isVisible():
                self.refresh()

    def on_shown(self) -> None:
        if self._scope_pending or self._stale:
            self.refresh()

    def on_operation(self, changes: OpChanges, initiator: object) -> None:
        if (self.ignores_own_operations and initiator is self) or not self.selection.has_engagement:
            return
        if not any(getattr(changes, flag, False) for flag in self.refresh_on):
            return
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True
