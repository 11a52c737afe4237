"""Settings → AI model: "Test connection" lists the endpoint's models; the key never reaches the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gui.conftest import isolated_qsettings, loop, tasks  # noqa: F401 - the GUI fixtures
from pytestqt.qtbot import QtBot

from core.agents.settings import ENV_BASE_URL, ENV_MODEL
from core.config import Settings
from desktop_app import ai_settings, credentials
from desktop_app.settings_dialog import SettingsDialog
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager

from .scripted_llm import ScriptedLLM


def test_test_connection_lists_models_and_the_key_goes_to_the_keyring_not_the_file(
    qtbot: QtBot,
    tmp_path: Path,
    llm_server: ScriptedLLM,
    tasks: TaskManager,  # noqa: F811 - the GUI fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENV_BASE_URL, raising=False)
    monkeypatch.delenv(ENV_MODEL, raising=False)
    monkeypatch.setattr(credentials, "keyring_available", lambda: False)  # session memory only
    credentials.forget_session_passwords()
    llm_server.models = ("llama3.1:8b", "qwen2.5:7b")
    dialog = SettingsDialog(Settings(data_dir=tmp_path), SettingsStore())
    qtbot.addWidget(dialog)
    dialog.llm_url.setText(llm_server.base_url)
    dialog.llm_key.setText("sk-local-secret")
    dialog.llm_test.click()
    qtbot.waitUntil(lambda: dialog.llm_status.text().startswith("Connected"), timeout=10_000)
    listed = [dialog.llm_model.itemText(i) for i in range(dialog.llm_model.count())]
    assert listed == ["llama3.1:8b", "qwen2.5:7b"]
    (listing,) = [r for r in llm_server.requests if r.method == "GET"]
    assert listing.path == "/v1/models" and listing.headers["authorization"] == "Bearer sk-local-secret"
    dialog.llm_model.setCurrentText("qwen2.5:7b")
    dialog.llm_mask.setChecked(True)
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()

    text = (tmp_path / "settings.json").read_text()
    saved = json.loads(text)
    assert (saved["llm_base_url"], saved["llm_model"], saved["llm_mask_pii"]) == (
        llm_server.base_url, "qwen2.5:7b", True,
    )  # fmt: skip
    assert "sk-local-secret" not in text
    current = ai_settings.current(tmp_path)
    assert (current.model, current.api_key, current.mask_pii) == ("qwen2.5:7b", "sk-local-secret", True)


def test_test_connection_says_what_is_wrong(
    qtbot: QtBot,
    tmp_path: Path,
    tasks: TaskManager,  # noqa: F811
) -> None:
    dialog = SettingsDialog(Settings(data_dir=tmp_path), SettingsStore())
    qtbot.addWidget(dialog)
    dialog.llm_url.setText("http://127.0.0.1:9/v1")  # nothing listens on the discard port
    dialog.llm_test.click()
    qtbot.waitUntil(lambda: dialog.llm_status.text().startswith("Connection failed"), timeout=15_000)
    assert "cannot reach" in dialog.llm_status.text() and dialog.llm_test.isEnabled()
