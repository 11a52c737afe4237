"""Action ids of the asset screen, their shortcuts, its tabs and the screen menu's order.

Why ids: menus, shortcuts, buttons and tests reach the same `QAction` by id; listed here once.
"""

from __future__ import annotations

from PySide6.QtGui import QKeySequence

ACTION_REFRESH = "assets.refresh"
ACTION_SEARCH = "assets.search"
ACTION_EXPORT_XLSX = "assets.export_xlsx"
ACTION_EXPORT_CSV = "assets.export_csv"
ACTION_CANCEL_EXPORT = "assets.cancel_export"
ACTION_COLUMNS = "assets.columns"
ACTION_CLEAR_FILTERS = "assets.clear_filters"
ACTION_SHOW_ONLY = "assets.show_only"
ACTION_COPY = "assets.copy_value"
ACTION_INVENTORY = "assets.tab_inventory"
ACTION_DUPLICATES = "assets.tab_duplicates"
ACTION_QUALITY = "assets.tab_quality"

SHORTCUTS: dict[str, tuple[str | QKeySequence.StandardKey, ...]] = {
    ACTION_REFRESH: (QKeySequence.StandardKey.Refresh,),
    ACTION_SEARCH: (QKeySequence.StandardKey.Find,),
    ACTION_EXPORT_XLSX: ("Ctrl+E",),
    ACTION_COPY: (QKeySequence.StandardKey.Copy,),
    ACTION_INVENTORY: ("Alt+1",),
    ACTION_DUPLICATES: ("Alt+2",),
    ACTION_QUALITY: ("Alt+3",),
}

TAB_INVENTORY, TAB_DUPLICATES, TAB_QUALITY = range(3)

#: actions that need an engagement in scope
SCOPED = (ACTION_EXPORT_XLSX, ACTION_EXPORT_CSV, ACTION_REFRESH)

MENU: tuple[str | None, ...] = (
    ACTION_SEARCH,
    ACTION_CLEAR_FILTERS,
    ACTION_COLUMNS,
    None,
    ACTION_INVENTORY,
    ACTION_DUPLICATES,
    ACTION_QUALITY,
    None,
    ACTION_EXPORT_XLSX,
    ACTION_EXPORT_CSV,
    ACTION_CANCEL_EXPORT,
    None,
    ACTION_REFRESH,
)
