"""Action ids of the mapping review, their shortcuts and the screen menu's order.

Why ids: menus, shortcuts, the painted buttons and tests reach the same `QAction` by id; the keys
are the consultant's fast path (A, R, E, N, Ctrl+Z) and are listed here once.
"""

from __future__ import annotations

from PySide6.QtGui import QKeySequence

ACTION_APPROVE = "mapping.approve"
ACTION_REJECT = "mapping.reject"
ACTION_EDIT = "mapping.edit"
ACTION_REVERT = "mapping.revert"
ACTION_UNDO = "mapping.undo"
ACTION_REDO = "mapping.redo"
ACTION_BULK_APPROVE = "mapping.bulk_approve"
ACTION_LEAVE_UNMATCHED = "mapping.leave_unmatched"
ACTION_FINISH = "mapping.finish"
ACTION_REOPEN = "mapping.reopen"
ACTION_SEARCH = "mapping.search"
ACTION_NEXT_PENDING = "mapping.next_pending"
ACTION_RELOAD = "mapping.reload"

SHORTCUTS: dict[str, tuple[str | QKeySequence.StandardKey, ...]] = {
    ACTION_APPROVE: ("A",),
    ACTION_REJECT: ("R",),
    ACTION_EDIT: ("E",),
    ACTION_REVERT: ("Backspace",),
    ACTION_UNDO: (QKeySequence.StandardKey.Undo,),
    ACTION_REDO: ("Ctrl+Shift+Z", "Ctrl+Y"),
    ACTION_BULK_APPROVE: ("Ctrl+Shift+A",),
    ACTION_LEAVE_UNMATCHED: ("Ctrl+Shift+R",),
    ACTION_FINISH: ("Ctrl+Return",),
    ACTION_SEARCH: (QKeySequence.StandardKey.Find,),
    ACTION_NEXT_PENDING: ("N",),
    ACTION_RELOAD: (QKeySequence.StandardKey.Refresh,),
}

#: the row actions also offered by the grid's context menu
ROW_ACTIONS = (ACTION_APPROVE, ACTION_REJECT, ACTION_EDIT, ACTION_REVERT)

MENU: tuple[str | None, ...] = (
    ACTION_UNDO,
    ACTION_REDO,
    None,
    ACTION_APPROVE,
    ACTION_REJECT,
    ACTION_EDIT,
    ACTION_REVERT,
    None,
    ACTION_NEXT_PENDING,
    ACTION_SEARCH,
    None,
    ACTION_BULK_APPROVE,
    ACTION_LEAVE_UNMATCHED,
    ACTION_FINISH,
    ACTION_REOPEN,
    None,
    ACTION_RELOAD,
)
