"""The column chooser: a menu on the table header, remembered in QSettings.

Why the model's columns and not hidden sections: the lazy model fetches only the columns shown,
so a page query carries a dozen fields instead of seventy. The chosen fields (in the order the
user arranged them) and their widths are stored per user.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from PySide6.QtCore import QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QTableView

from desktop_app.screens.assets.columns import (
    CATEGORIES,
    DEFAULT_COLUMNS,
    category_of,
    column,
    columns,
    header,
)
from desktop_app.screens.assets.columns import valid_columns as known
from desktop_app.screens.assets.model import AssetTableModel
from desktop_app.settings_store import SettingsStore

COLUMNS_KEY = "assets/columns"
WIDTHS_KEY = "assets/column_widths"


def default_width(name: str) -> int:
    c = column(name)
    if c.kind == "boolean":
        return 70
    if c.numeric:
        return max(90, 8 * len(c.header) + 24)  # room for the sort arrow
    return 170 if name in ("asset_name", "fqdn", "operating_system", "application_name") else 130


def load_columns(store: SettingsStore) -> list[str]:
    """The user's columns (defaults when none are stored or the stored ones are unknown)."""
    raw = store.q.value(COLUMNS_KEY, "")
    try:
        names = json.loads(raw) if isinstance(raw, str) and raw else []
    except ValueError:
        names = []
    return known(names if isinstance(names, list) else []) or list(DEFAULT_COLUMNS)


def save_columns(store: SettingsStore, names: Sequence[str]) -> None:
    store.q.setValue(COLUMNS_KEY, json.dumps(list(names)))


def load_widths(store: SettingsStore) -> dict[str, int]:
    raw = store.q.value(WIDTHS_KEY, "")
    try:
        widths = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        widths = {}
    return (
        {str(k): int(v) for k, v in widths.items() if isinstance(v, int) and v > 10}
        if isinstance(widths, dict)
        else {}
    )


class ColumnChooser(QObject):
    """Right-click on the header: fields by category (checkable), reset; persisted on change."""

    changed = Signal(list)

    def __init__(self, view: QTableView, model: AssetTableModel, store: SettingsStore) -> None:
        super().__init__(view)
        self.view = view
        self.model = model
        self.store = store
        self.widths = load_widths(store)
        self.menu: QMenu | None = None
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(400)
        self._save_timer.timeout.connect(self.save)
        header_view = view.horizontalHeader()
        header_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header_view.customContextMenuRequested.connect(self.popup)
        header_view.setSectionsMovable(True)
        header_view.sectionResized.connect(self._resized)
        header_view.sectionMoved.connect(lambda *_: self._save_timer.start())
        self._applying = False

    # -- state -----------------------------------------------------------------------------------

    def shown(self) -> list[str]:
        """Shown fields in the order the user sees them (sections may have been dragged)."""
        header_view = self.view.horizontalHeader()
        names = self.model.columns
        return [names[header_view.logicalIndex(v)] for v in range(header_view.count())]

    def restore(self) -> None:
        """Apply the stored columns and widths (at start-up)."""
        self.apply(load_columns(self.store), save=False)

    def apply(self, names: Sequence[str], *, save: bool = True) -> None:
        names = known(names) or list(DEFAULT_COLUMNS)
        self._applying = True
        try:
            header_view = self.view.horizontalHeader()
            for logical in range(header_view.count()):  # undo drags: `names` is the order now
                header_view.moveSection(header_view.visualIndex(logical), logical)
            self.model.set_columns(names)
            for i, name in enumerate(self.model.columns):
                self.view.setColumnWidth(i, self.widths.get(name, default_width(name)))
            sort_col = self.model.column_of(self.model.query.sort)
            order = (
                Qt.SortOrder.DescendingOrder if self.model.query.descending else Qt.SortOrder.AscendingOrder
            )
            header_view.setSortIndicator(sort_col, order)
        finally:
            self._applying = False
        if save:
            self.save()
        self.changed.emit(list(self.model.columns))

    def save(self) -> None:
        save_columns(self.store, self.shown())
        self.store.q.setValue(WIDTHS_KEY, json.dumps(self.widths))

    def set_shown(self, name: str, on: bool) -> None:
        current = self.shown()
        if on and name not in current:
            current.append(name)
        elif not on and name in current and len(current) > 1:
            current.remove(name)
        self.apply(current)

    def reset(self) -> None:
        self.widths.clear()
        self.apply(list(DEFAULT_COLUMNS))

    def _resized(self, logical: int, _old: int, new: int) -> None:
        if self._applying or not 0 <= logical < len(self.model.columns) or new <= 10:
            return
        self.widths[self.model.columns[logical]] = new
        self._save_timer.start()

    # -- menu ------------------------------------------------------------------------------------

    def build_menu(self) -> QMenu:
        """The chooser menu (also used by the screen's "Columns" button)."""
        menu = QMenu(self.view)
        menu.setObjectName("columnChooser")
        shown = set(self.model.columns)
        by_category: dict[str, list[str]] = {title: [] for title in (*CATEGORIES, "Other")}
        for name in columns():
            by_category[category_of(name)].append(name)
        for title, names in by_category.items():
            if not names:
                continue
            sub = menu.addMenu(title)
            for name in names:
                action = QAction(header(name), sub)
                action.setObjectName(f"column.{name}")
                action.setCheckable(True)
                action.setChecked(name in shown)
                action.setEnabled(not (name in shown and len(shown) == 1))
                action.toggled.connect(lambda on, n=name: self.set_shown(n, on))
                sub.addAction(action)
        menu.addSeparator()
        reset = menu.addAction("Reset to default columns")
        reset.setObjectName("column.reset")
        reset.triggered.connect(self.reset)
        self.menu = menu
        return menu

    def popup(self, pos: QPoint) -> None:
        menu = self.build_menu()
        menu.popup(self.view.horizontalHeader().mapToGlobal(pos))  # non-blocking (no nested loop)

    def action(self, name: str) -> QAction | None:
        """The menu's action for a field (tests)."""
        menu = self.menu or self.build_menu()
        return menu.findChild(QAction, f"column.{name}")
