"""Per-user GUI preferences in `QSettings`: window geometry, splitters, theme, threshold.

Why a wrapper: keys and defaults live in one place, and tests point it at a temporary location
(`QSettings.setPath`) or a unique organisation name. Database settings are not here: they belong to
`core.config`'s settings file (URL without password) and `desktop_app.credentials` (password).
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QHeaderView, QSplitter, QWidget

from core.mapping_review.types import DEFAULT_MIN_CONFIDENCE

THEMES = ("light", "dark")
DEFAULT_THRESHOLD = DEFAULT_MIN_CONFIDENCE  # one definition for the grid, auto-finish and the CLI


class SettingsStore:
    """Typed access to the GUI's QSettings."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings if qsettings is not None else QSettings()

    # -- preferences ---------------------------------------------------------------------------

    @property
    def theme(self) -> str:
        value = str(self.q.value("appearance/theme", "light"))
        return value if value in THEMES else "light"

    @theme.setter
    def theme(self, value: str) -> None:
        self.q.setValue("appearance/theme", value if value in THEMES else "light")

    @property
    def confidence_threshold(self) -> float:
        """Default "approve all ≥ X" threshold (0..1)."""
        try:
            value = float(self.q.value("mapping/confidence_threshold", DEFAULT_THRESHOLD))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return DEFAULT_THRESHOLD
        return min(1.0, max(0.0, value))

    @confidence_threshold.setter
    def confidence_threshold(self, value: float) -> None:
        self.q.setValue("mapping/confidence_threshold", float(min(1.0, max(0.0, value))))

    @property
    def last_screen(self) -> str:
        return str(self.q.value("window/last_screen", ""))

    @last_screen.setter
    def last_screen(self, value: str) -> None:
        self.q.setValue("window/last_screen", value)

    @property
    def last_directory(self) -> str:
        return str(self.q.value("wizard/last_directory", ""))

    @last_directory.setter
    def last_directory(self, value: str) -> None:
        self.q.setValue("wizard/last_directory", value)

    # -- view state ----------------------------------------------------------------------------

    def save_geometry(self, window: QWidget) -> None:
        self.q.setValue("window/geometry", window.saveGeometry())
        save_state = getattr(window, "saveState", None)
        if save_state is not None:
            self.q.setValue("window/state", save_state())

    def restore_geometry(self, window: QWidget) -> bool:
        geometry = self.q.value("window/geometry")
        restored = isinstance(geometry, QByteArray | bytes) and window.restoreGeometry(geometry)
        state = self.q.value("window/state")
        restore_state = getattr(window, "restoreState", None)
        if restore_state is not None and isinstance(state, QByteArray | bytes):
            restore_state(state)
        return bool(restored)

    def save_splitter(self, name: str, splitter: QSplitter) -> None:
        self.q.setValue(f"splitters/{name}", splitter.saveState())

    def restore_splitter(self, name: str, splitter: QSplitter) -> bool:
        state = self.q.value(f"splitters/{name}")
        return isinstance(state, QByteArray | bytes) and splitter.restoreState(state)

    def save_header(self, name: str, header: QHeaderView) -> None:
        self.q.setValue(f"headers/{name}", header.saveState())

    def restore_header(self, name: str, header: QHeaderView) -> bool:
        state = self.q.value(f"headers/{name}")
        return isinstance(state, QByteArray | bytes) and header.restoreState(state)

    def sync(self) -> None:
        self.q.sync()
