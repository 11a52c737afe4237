"""The mapping review's "AI second opinion" on the real database, Qt widgets and the scripted model.

Disabled with its reason while no model is configured; with one, it runs the mapping crew in the
background, the grid reloads and shows the AI suggestions marked "✦ AI" (still pending: nothing is
approved); cancelling it from the task list stops it and stores nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gui.conftest import isolated_qsettings, loop, store, tasks  # noqa: F401 - the GUI fixtures
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.agents.settings import ENV_BASE_URL, ENV_MODEL
from desktop_app.main_window import MainWindow
from desktop_app.screens.mapping_review.model import COL_MATCH
from desktop_app.screens.mapping_review.rows import AI_MARK
from desktop_app.screens.mapping_review.widget import MappingReviewScreen
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager

from .conftest import AI_TARGETS, Script
from .scripted_llm import ScriptedLLM


@pytest.fixture
def window(
    qtbot: QtBot,
    tasks: TaskManager,  # noqa: F811 - the GUI fixture
    store: SettingsStore,  # noqa: F811
    servers_import,
) -> Iterator[MainWindow]:
    win = MainWindow(tasks, store)
    qtbot.addWidget(win)
    win.resize(1360, 840)
    win.show()
    qtbot.waitUntil(lambda: win._ready_emitted, timeout=10_000)
    yield win
    qtbot.waitUntil(tasks.is_idle, timeout=20_000)


def _review(qtbot: QtBot, window: MainWindow, import_id) -> MappingReviewScreen:
    window.refresh_navigation()
    qtbot.waitUntil(lambda: window.sidebar.model_.find_key(f"i:{import_id}").isValid())
    window.navigate("mapping_review")
    window.sidebar.select_key(f"i:{import_id}")
    screen = window.current_screen()
    assert isinstance(screen, MappingReviewScreen)
    qtbot.waitUntil(lambda: screen.is_loaded() and screen.model.rowCount() == 4, timeout=20_000)
    return screen


def _match_texts(screen: MappingReviewScreen) -> dict[str, str]:
    model = screen.model
    return {
        model.rows()[i].source_field: model.data(model.index(i, COL_MATCH), Qt.ItemDataRole.DisplayRole)
        for i in range(model.rowCount())
    }


def test_disabled_with_the_reason_until_a_model_is_configured_then_suggestions_show_as_ai(
    qtbot: QtBot, window: MainWindow, servers_import, llm_server: ScriptedLLM, monkeypatch
) -> None:
    monkeypatch.delenv(ENV_BASE_URL, raising=False)
    monkeypatch.delenv(ENV_MODEL, raising=False)
    screen = _review(qtbot, window, servers_import.import_id)
    assert not screen.ai_button.isEnabled()
    assert "no AI model is configured" in screen.ai_button.toolTip()
    assert AI_MARK not in _match_texts(screen).values()

    monkeypatch.setenv(ENV_BASE_URL, llm_server.base_url)
    monkeypatch.setenv(ENV_MODEL, "scripted-model")
    screen.ai.refresh()
    assert screen.ai_button.isEnabled(), screen.ai_button.toolTip()
    qtbot.mouseClick(screen.ai_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.ai.last_result is not None, timeout=30_000)
    qtbot.waitUntil(lambda: len(_ai_columns(screen)) == screen.ai.last_result.suggestions > 0, timeout=20_000)
    marked = {c for c, m in _match_texts(screen).items() if m == AI_MARK}
    assert marked == _ai_columns(screen)
    ai_rows = [r for r in screen.model.rows() if r.by_ai]
    assert ai_rows and all(r.status == "suggested" for r in ai_rows)
    assert all(r.target_field == AI_TARGETS[r.source_field] for r in ai_rows)
    assert screen.ai.last_result.suggestions == len(ai_rows)
    # the crew's schema analysis shows in the Profile pane beside the grid, marked as AI
    for row in ai_rows[:2]:  # columns the crew reviewed (and so analysed)
        assert screen.select_mapping(row.mapping_id)
        filled = f"{row.source_field} is filled"
        qtbot.waitUntil(lambda f=filled: f in screen.profile.ai.text(), timeout=20_000)
        assert screen.profile.ai.isVisible()
        text = screen.profile.ai.text()
        assert "✦ AI schema analysis" in text and "scripted-model" in text

    # "Approve all ≥ 50 %" approves the rules' suggestions, leaves the AI's pending and says so
    messages: list[str] = []
    screen.status_message.connect(messages.append)
    screen.toolbar.threshold.setValue(50)
    screen.bulk_approve()
    qtbot.waitUntil(lambda: any(m.startswith("Approved") for m in messages), timeout=20_000)
    said = next(m for m in messages if m.startswith("Approved"))
    assert f"{len(ai_rows)} ✦ AI suggestion(s) left pending" in said, said
    assert all(r.source_field in said for r in ai_rows)
    assert all(r.status == "suggested" for r in screen.model.rows() if r.by_ai)


def _ai_columns(screen: MappingReviewScreen) -> set[str]:
    return {r.source_field for r in screen.model.rows() if r.suggested_by == "ai_agent"}


def test_cancel_from_the_task_list_stops_the_crew(
    qtbot: QtBot,
    window: MainWindow,
    servers_import,
    llm_server: ScriptedLLM,
    script: Script,
    tasks: TaskManager,  # noqa: F811 - the GUI fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_BASE_URL, llm_server.base_url)
    monkeypatch.setenv(ENV_MODEL, "scripted-model")
    script.delay_s = 30.0
    screen = _review(qtbot, window, servers_import.import_id)
    screen.ai.refresh()
    qtbot.mouseClick(screen.ai_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(llm_server.completions()) >= 1, timeout=20_000)
    assert not screen.ai_button.isEnabled() and "running" in screen.ai_button.text()
    (handle,) = [h for h in tasks.running() if "AI second opinion" in h.label]
    handle.cancel()
    qtbot.waitUntil(lambda: not screen.ai.running, timeout=10_000)
    assert screen.ai_button.isEnabled()
    assert len(llm_server.completions()) == 1
    assert not _ai_columns(screen)
