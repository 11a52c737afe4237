"""The AI quality crew's findings reach the quality report and its export through the real path.

The crew runs on a fresh import before any cleansing: `import_quality` (what the quality tab
loads) still returns them marked as AI with the model and when, the tab shows them, and the
inventory export's Quality view carries them in section `ai_quality_finding`, marked AI.
"""

from __future__ import annotations

import csv
from pathlib import Path

from gui.conftest import isolated_qsettings, loop, tasks  # noqa: F401 - the GUI fixtures
from pytestqt.qtbot import QtBot

from core.actions.agents import run_crew
from core.agents.settings import LLMSettings
from core.bootstrap import Core
from core.export.inventory import export_assets
from core.queries.assets import import_quality
from core.uow import Tenant
from desktop_app.screens.assets.quality_tab import QualityTab
from desktop_app.task_manager import TaskManager


def test_findings_before_cleansing_show_in_the_report_and_the_export_marked_ai(
    qtbot: QtBot,
    core: Core,
    tenant: Tenant,
    servers_import,
    llm_settings: LLMSettings,
    tasks: TaskManager,  # noqa: F811 - the GUI fixture
    tmp_path: Path,
) -> None:
    assert import_quality(core.uows, tenant, servers_import.import_id) is None
    run_crew(core.uows, tenant, servers_import.flow_id, "quality", llm_settings)
    report = import_quality(core.uows, tenant, servers_import.import_id)
    assert report is not None and report["cleansed"] is False
    ai = report["ai_findings"]
    assert ai["model"] == "scripted-model" and ai["finished_at"]
    assert [f["description"] for f in ai["findings"]] == ["three owners missing"]

    tab = QualityTab(tasks)
    qtbot.addWidget(tab)
    tab.shown_import = servers_import.import_id  # as picking it in the import list does
    tab._show(servers_import.import_id, report)
    assert "not been cleansed" in tab.summary.text()
    assert not tab.ai.isHidden()
    text = tab.ai.text()
    assert "✦ AI" in text and "scripted-model" in text and "three owners missing" in text
    assert ai["finished_at"][:10] in text

    result = export_assets(core.uows, tenant, tmp_path / "inventory.csv", "csv")
    quality = next(f for f in result.files if f.endswith(".quality.csv"))
    with open(quality, newline="", encoding="utf-8-sig") as fh:  # Excel-friendly BOM
        rows = [r for r in csv.DictReader(fh) if r["section"] == "ai_quality_finding"]
    assert len(rows) == 1
    assert rows[0]["file"] == "servers.csv" and rows[0]["value"] == "3"
    assert (
        rows[0]["detail"].startswith("AI (scripted-model, ") and "three owners missing" in rows[0]["detail"]
    )
