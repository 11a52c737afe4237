"""Settings: QSettings persistence (theme, threshold, geometry, splitters) and the database choice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy.engine import make_url

from core.config import Settings
from desktop_app import credentials
from desktop_app.settings_dialog import SettingsDialog
from desktop_app.settings_store import SettingsStore


def test_preferences_survive_a_new_settings_object(qtbot: QtBot) -> None:
    store = SettingsStore()
    store.theme = "dark"
    store.confidence_threshold = 0.85
    window = QMainWindow()
    qtbot.addWidget(window)
    window.setGeometry(50, 60, 700, 500)  # inside the offscreen screen (800×600)
    splitter = QSplitter()
    splitter.addWidget(QWidget())
    splitter.addWidget(QWidget())
    window.setCentralWidget(splitter)
    window.show()
    splitter.setSizes([200, 500])
    store.save_geometry(window)
    store.save_splitter("main", splitter)
    store.sync()
    assert Path(QSettings().fileName()).is_file()  # written to the test's temporary location

    again = SettingsStore(QSettings())
    assert again.theme == "dark" and again.confidence_threshold == pytest.approx(0.85)
    other = QMainWindow()
    qtbot.addWidget(other)
    other_splitter = QSplitter()
    other_splitter.addWidget(QWidget())
    other_splitter.addWidget(QWidget())
    other.setCentralWidget(other_splitter)
    assert again.restore_geometry(other)
    assert other.width() == 700
    other.show()
    assert again.restore_splitter("main", other_splitter)
    assert abs(other_splitter.sizes()[0] - 200) <= 2


def test_shared_server_password_never_reaches_the_settings_file(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(credentials, "keyring_available", lambda: False)
    credentials.forget_session_passwords()
    settings = Settings(data_dir=tmp_path)
    dialog = SettingsDialog(settings, SettingsStore())
    qtbot.addWidget(dialog)
    assert "memory for this session" in dialog.storage_note.text()
    dialog.shared.setChecked(True)
    dialog.url.setText("postgresql://alice@db.example.com:5432/discovery")
    dialog.password.setText("s3cret!")
    restarts: list[Settings] = []
    dialog.restart_requested.connect(restarts.append)
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()

    saved = json.loads((tmp_path / "settings.json").read_text())
    assert saved["database_url"] == "postgresql+psycopg://alice@db.example.com:5432/discovery"
    assert "s3cret" not in (tmp_path / "settings.json").read_text()
    assert dialog.password_storage == "session"
    assert credentials.load_password(saved["database_url"]) == "s3cret!"
    # the user is asked whether to restart the connection; saying yes hands over the new settings
    box = dialog._restart_box
    assert "Restart" in box.windowTitle() and "memory" in box.informativeText()
    box.button(box.StandardButton.Yes).click()
    assert restarts and restarts[0].database_url is not None
    assert make_url(restarts[0].database_url).password == "s3cret!"  # connecting now still works
    credentials.forget_session_passwords()


def test_keyring_is_used_when_available(monkeypatch: pytest.MonkeyPatch) -> None:
    stored: dict[tuple[str, str], str] = {}

    class FakeKeyring:
        @staticmethod
        def set_password(service: str, account: str, password: str) -> None:
            stored[(service, account)] = password

        @staticmethod
        def get_password(service: str, account: str) -> str | None:
            return stored.get((service, account))

    import sys

    monkeypatch.setitem(sys.modules, "keyring", FakeKeyring)
    monkeypatch.setattr(credentials, "keyring_available", lambda: True)
    credentials.forget_session_passwords()
    url = "postgresql+psycopg://bob@h:5433/d"
    assert credentials.store_password(url, "pw") == "keyring"
    assert stored == {("migration-discovery", "bob@h:5433/d"): "pw"}
    credentials.forget_session_passwords()
    assert credentials.load_password(url) == "pw"


def test_no_keyring_backend_on_this_machine_is_detected() -> None:
    import keyring
    from keyring.backends import fail

    if isinstance(keyring.get_keyring(), fail.Keyring):
        assert not credentials.keyring_available()
