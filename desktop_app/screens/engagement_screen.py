"""A screen that shows one engagement's analysis (dependencies, tech debt, 6R, waves).

Why one base: each of these screens reloads the same way — at once when the engagement changes and
the screen is shown, else when it is next shown — and again when an operation's changes touch what
it shows (`refresh_on`: `OpChanges` flags). Subclasses say what to forget (`clear_engagement`), how
to draw (`_render`) and how to load (`refresh`, which clears `_scope_pending` and `_stale`).
"""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter

from core.changes import OpChanges
from desktop_app.screens.registry import Screen, Selection


class EngagementScreen(Screen):
    """Reload on engagement change and on relevant operations; subclasses load and draw."""

    #: `OpChanges` flags whose change means this screen's data may be out of date
    refresh_on: ClassVar[tuple[str, ...]] = ("analysis", "assets", "flows")
    #: skip operations this screen started itself (it refreshes from their result instead)
    ignores_own_operations: ClassVar[bool] = False
    _scope_pending: bool = True
    _stale: bool = False
    #: the screen's main splitter, its sizes remembered per screen (`save_state`)
    splitter: QSplitter

    @staticmethod
    def empty_hint(text: str) -> QLabel:
        """The centred, wrapped label shown instead of the content when there is nothing to show."""
        label = QLabel(text)
        label.setObjectName("emptyHint")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        return label

    def save_state(self) -> None:
        self.ctx.settings.save_splitter(self.screen_id, self.splitter)

    def clear_engagement(self) -> None:
        """Forget what was shown for the previous engagement (before `_render`)."""

    def _render(self) -> None:
        raise NotImplementedError

    def refresh(self) -> None:
        raise NotImplementedError

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
