"""The quality report shows the AI quality crew's findings apart from the engine's, marked as AI."""

from __future__ import annotations

from gui.conftest import isolated_qsettings, loop, tasks  # noqa: F401 - the GUI fixtures
from pytestqt.qtbot import QtBot

from core.actions.agents import run_crew
from core.agents.settings import LLMSettings
from core.bootstrap import Core
from core.queries.agents import ai_findings
from core.uow import Tenant
from desktop_app.screens.assets.quality_tab import QualityTab
from desktop_app.task_manager import TaskManager


def test_quality_tab_lists_ai_findings_marked_as_ai(
    qtbot: QtBot,
    core: Core,
    tenant: Tenant,
    servers_import,
    llm_settings: LLMSettings,
    tasks: TaskManager,  # noqa: F811 - the GUI fixture
) -> None:
    run_crew(core.uows, tenant, servers_import.flow_id, "quality", llm_settings)
    with core.uow(tenant) as uow:
        ai = ai_findings(uow, servers_import.import_id)
    # the stored report of a cleansed import, as `import_quality` returns it with the crew's findings
    report = {"filename": "servers.csv", "total_records": 30, "valid_records": 30, "ai_findings": ai}
    tab = QualityTab(tasks)
    qtbot.addWidget(tab)
    tab._show(None, report)
    assert not tab.ai.isHidden()
    text = tab.ai.text()
    assert "✦ AI" in text and "scripted-model" in text and "three owners missing" in text
    tab._show(None, {"filename": "servers.csv", "total_records": 30})
    assert tab.ai.isHidden()
