"""The import wizard on a whole RVTools export: offered as one import (checked), sheet rows listed.

A real RVTools-shaped workbook (openpyxl, RVTools' headers): the sheet page lists every sheet with
its rows, says which RVTools version and vCenters it is, offers the whole export with vInfo fixed
as the table; the import stores vInfo and every detail sheet's rows. Unchecked, one sheet is
imported as before.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from core.bootstrap import Core
from core.db.models import AssetDetail
from core.tenancy import EngagementRef
from desktop_app.screens.registry import Selection
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager
from desktop_app.wizard.import_wizard import PAGE_IMPORT, PAGE_SHEET, ImportWizard
from tests.mapping.rvtools_sample import RVTOOLS_VERSION, rvtools_export, write_workbook

DETAIL_SHEETS = ("vDisk", "vPartition", "vNetwork", "vSnapshot", "vTools", "vHost", "vCluster")


def _wizard(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, engagement: EngagementRef
) -> ImportWizard:
    selection = Selection(
        engagement.client_account_id,
        engagement.client_name,
        engagement.engagement_id,
        engagement.engagement_name,
    )
    wizard = ImportWizard(tasks, store, selection)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def _through_target(qtbot: QtBot, wizard: ImportWizard) -> None:
    wizard.next()  # the preview
    qtbot.waitUntil(wizard.preview_page.isComplete)
    wizard.next()  # the target: the selected engagement
    target = wizard.target_page
    qtbot.waitUntil(lambda: target.existing.count() > 0 and target.isComplete())
    wizard.next()
    assert wizard.currentId() == PAGE_IMPORT
    qtbot.waitUntil(lambda: wizard.outcome is not None, timeout=60_000)


def test_the_whole_export_is_offered_with_row_counts_and_imported_as_one(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    core: Core,
    engagement: EngagementRef,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MD_NO_SEMANTIC", "1")
    sheets = rvtools_export(6)
    path = write_workbook(tmp_path / "RVTools_export_all.xlsx", sheets)
    wizard = _wizard(qtbot, tasks, store, engagement)
    wizard.file_page.path.setText(str(path))
    wizard.next()
    assert wizard.currentId() == PAGE_SHEET
    page = wizard.sheet_page
    qtbot.waitUntil(page.isComplete)
    assert page.whole.isVisible() and page.whole.isChecked() and page.whole_export
    assert page.sheet.currentText() == "vInfo" and not page.sheet.isEnabled()
    counts = page.row_counts()
    assert counts == {name: f"{len(rows):,}" for name, (_headers, rows) in sheets.items()}
    assert f"RVTools {RVTOOLS_VERSION}" in page.status.text()
    uses = {
        page.sheets.topLevelItem(i).text(0): page.sheets.topLevelItem(i).text(2) for i in range(len(sheets))
    }
    assert uses["vInfo"].startswith("the import's table") and uses["vDisk"] == "details of the VMs"
    assert uses["vCPU"] == ""

    _through_target(qtbot, wizard)
    outcome = wizard.outcome
    assert outcome is not None and outcome.rows == 6 and outcome.details is not None
    expected = sum(len(sheets[s][1]) for s in DETAIL_SHEETS)
    assert outcome.details["detail_rows"] == expected
    assert f"and {expected:,} detail rows (vDisk" in wizard.import_page.label.text()
    with core.uow(core.tenant_for(engagement)) as uow:
        stored = uow.session.scalar(
            select(func.count())
            .select_from(AssetDetail)
            .where(AssetDetail.data_import_id == outcome.import_id)
        )
    assert stored == expected


def test_unchecked_one_sheet_is_imported_as_before(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    core: Core,
    engagement: EngagementRef,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MD_NO_SEMANTIC", "1")
    sheets = rvtools_export(4)
    path = write_workbook(tmp_path / "RVTools_export_all.xlsx", sheets)
    wizard = _wizard(qtbot, tasks, store, engagement)
    wizard.file_page.path.setText(str(path))
    wizard.next()
    page = wizard.sheet_page
    qtbot.waitUntil(page.isComplete)
    page.whole.setChecked(False)
    assert page.sheet.isEnabled()
    (host,) = page.sheets.findItems("vHost", Qt.MatchFlag.MatchExactly)
    page.sheets.itemClicked.emit(host, 0)  # a click on the sheet list chooses the sheet
    assert page.sheet.currentText() == "vHost"
    _through_target(qtbot, wizard)
    outcome = wizard.outcome
    assert outcome is not None and outcome.details is None and outcome.rows == len(sheets["vHost"][1])
    with core.uow(core.tenant_for(engagement)) as uow:
        assert uow.session.scalar(select(func.count()).select_from(AssetDetail)) == 0
