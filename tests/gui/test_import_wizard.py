"""The import wizard end to end on a generated CSV: preview, correction, target, import, suggestions."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from core.bootstrap import Core
from core.tenancy import EngagementRef
from desktop_app.screens.registry import Selection
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager
from desktop_app.wizard import service
from desktop_app.wizard.import_wizard import PAGE_IMPORT, PAGE_PREVIEW, PAGE_TARGET, ImportWizard
from desktop_app.wizard.service import ReadOptions

from .builders import COLUMNS, rows_by_source, write_csv


def test_read_preview_detects_and_accepts_corrections(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "servers.csv", n=12, delimiter=";")
    detected = service.read_preview(str(path), ReadOptions())
    assert detected.delimiter == ";" and detected.columns == COLUMNS and len(detected.rows) == 12
    forced = service.read_preview(str(path), ReadOptions(delimiter=","))
    assert len(forced.columns) == 1  # read with the wrong delimiter: one wide column
    shifted = service.read_preview(str(path), ReadOptions(header_row=2))
    assert shifted.columns[0] == "srv000" and len(shifted.rows) == 11


def test_wizard_end_to_end(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    core: Core,
    engagement: EngagementRef,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MD_NO_SEMANTIC", "1")  # the optional sentence encoder takes minutes to load
    path = write_csv(tmp_path / "servers.csv", n=40)
    selection = Selection(
        engagement.client_account_id,
        engagement.client_name,
        engagement.engagement_id,
        engagement.engagement_name,
    )
    wizard = ImportWizard(tasks, store, selection)
    qtbot.addWidget(wizard)
    finished: list[Selection] = []
    wizard.import_finished.connect(finished.append)
    wizard.show()

    wizard.file_page.path.setText(str(path))
    assert wizard.file_page.isComplete()
    wizard.next()
    assert wizard.currentId() == PAGE_PREVIEW  # a CSV has no sheet page
    page = wizard.preview_page
    qtbot.waitUntil(page.isComplete)
    assert wizard.preview is not None and wizard.preview.columns == COLUMNS
    assert "encoding" in page.info.text() and "Comma" in page.info.text()

    # correcting the delimiter re-reads the preview
    page.delimiter.setCurrentIndex(page.delimiter.findData(";"))
    page.delimiter.activated.emit(page.delimiter.currentIndex())
    qtbot.waitUntil(lambda: wizard.preview is not None and wizard.preview.delimiter == ";")
    assert page.model.columnCount() == 1
    page.delimiter.setCurrentIndex(page.delimiter.findData(","))
    page.delimiter.activated.emit(page.delimiter.currentIndex())
    qtbot.waitUntil(
        lambda: wizard.preview is not None and wizard.preview.delimiter == "," and page.isComplete()
    )
    assert page.model.columnCount() == len(COLUMNS)

    wizard.next()
    assert wizard.currentId() == PAGE_TARGET
    target = wizard.target_page
    qtbot.waitUntil(lambda: target.existing.count() > 0 and target.isComplete())
    assert target.existing.currentData().engagement_id == engagement.engagement_id

    wizard.next()
    assert wizard.currentId() == PAGE_IMPORT
    qtbot.waitUntil(lambda: wizard.outcome is not None, timeout=30_000)
    outcome = wizard.outcome
    assert outcome is not None and outcome.rows == 40 and outcome.suggestions == len(COLUMNS)
    assert "Imported 40 rows" in wizard.import_page.label.text()
    wizard.button(QWizard.WizardButton.FinishButton).click()
    assert finished and finished[0].import_id == outcome.import_id and finished[0].flow_id == outcome.flow_id

    tenant = core.tenant_for(engagement)
    stored = rows_by_source(core, tenant, outcome.import_id)
    assert set(stored) == set(COLUMNS)
    assert stored["Hostname"].target_field == "hostname"
    assert stored["Hostname"].samples[:2] == ["srv000", "srv001"]


def test_cancelling_an_import(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    engagement: EngagementRef,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MD_NO_SEMANTIC", "1")
    path = write_csv(tmp_path / "big.csv", n=150_000)
    wizard = ImportWizard(tasks, store, Selection())
    qtbot.addWidget(wizard)
    wizard.path = str(path)
    wizard.target = service.Target(engagement.client_name, engagement.engagement_name, None)
    wizard.start_import()
    qtbot.waitUntil(lambda: wizard.import_task is not None and wizard.import_task.progress is not None)
    wizard.import_page.cancel.click()
    qtbot.waitUntil(lambda: wizard.import_task is None, timeout=30_000)
    assert wizard.outcome is None
    assert "cancelled" in wizard.import_page.label.text()


def test_dropping_a_file_on_the_wizard(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, tmp_path: Path
) -> None:
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    path = write_csv(tmp_path / "dropped.csv", n=3)
    wizard = ImportWizard(tasks, store, Selection())
    qtbot.addWidget(wizard)
    wizard.show()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    wizard.file_page.dropEvent(event)
    assert wizard.file_page.path.text() == str(path)
    assert wizard.file_page.isComplete()


def test_workbooks_get_a_sheet_page(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, tmp_path: Path
) -> None:
    from openpyxl import Workbook

    from desktop_app.wizard.import_wizard import PAGE_SHEET

    path = tmp_path / "rvtools.xlsx"
    book = Workbook()
    first = book.active
    first.title = "vHost"
    first.append(["Host", "CPU"])
    first.append(["esx01", "32"])
    second = book.create_sheet("vInfo")
    second.append(["VM", "Powerstate", "Memory"])
    for i in range(5):
        second.append([f"vm{i}", "poweredOn", "4096"])
    book.save(path)

    wizard = ImportWizard(tasks, store, Selection())
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.file_page.path.setText(str(path))
    wizard.next()
    assert wizard.currentId() == PAGE_SHEET
    page = wizard.sheet_page
    qtbot.waitUntil(page.isComplete)
    assert [page.sheet.itemText(i) for i in range(page.sheet.count())] == ["vHost", "vInfo"]
    assert page.sheet.currentText() == "vInfo"  # RVTools' vInfo is preselected
    page.sheet.setCurrentText("vHost")
    wizard.next()
    qtbot.waitUntil(wizard.preview_page.isComplete)
    assert wizard.preview is not None and wizard.preview.columns == ["Host", "CPU"]
    assert not wizard.preview_page.delimiter.isEnabled()


def test_importing_a_file_again_asks_first_and_imports_on_yes(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    core: Core,
    engagement: EngagementRef,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from core.imports import import_file
    from desktop_app.error_dialog import open_dialogs

    monkeypatch.setenv("MD_NO_SEMANTIC", "1")
    tenant = core.tenant_for(engagement)
    path = write_csv(tmp_path / "servers.csv", n=25)
    first = import_file(core.uows, tenant, path)

    def imports() -> list[tuple[str, str]]:
        with core.uow(tenant) as uow:
            rows = uow.session.execute(text("SELECT filename, status FROM data_imports ORDER BY created_at"))
            return [(r.filename, r.status) for r in rows]

    wizard = ImportWizard(tasks, store, Selection())
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.path = str(path)
    wizard.target = service.Target(engagement.client_name, engagement.engagement_name, engagement)

    wizard.start_import()  # the core refuses it before reading a row; the wizard asks
    qtbot.waitUntil(lambda: wizard.duplicate_question is not None, timeout=30_000)
    box = wizard.duplicate_question
    assert box is not None and box.isVisible() and box.objectName() == "duplicateImportQuestion"
    assert "servers.csv was already imported into this engagement on " in box.text()
    assert "as servers.csv (25 rows). Import it again?" in box.text()
    assert wizard.outcome is None and imports() == [("servers.csv", "completed")]  # nothing recorded
    assert not open_dialogs()  # a question, not an error dialog
    box.button(QMessageBox.StandardButton.No).click()
    assert wizard.duplicate_question is None and wizard.import_task is None
    assert "It was not imported again" in wizard.import_page.label.text()
    assert imports() == [("servers.csv", "completed")]

    wizard.start_import()
    qtbot.waitUntil(lambda: wizard.duplicate_question is not None, timeout=30_000)
    assert wizard.duplicate_question is not None
    wizard.duplicate_question.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: wizard.outcome is not None, timeout=30_000)
    outcome = wizard.outcome
    assert outcome is not None and outcome.rows == 25 and outcome.import_id != first.import_id
    assert "Imported 25 rows" in wizard.import_page.label.text()
    assert imports() == [("servers.csv", "completed"), ("servers.csv", "completed")]


def test_a_jsonl_file_goes_straight_to_the_preview(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, tmp_path: Path
) -> None:
    path = tmp_path / "servers.jsonl"
    path.write_text('{"Hostname": "srv01", "CPU": 4}\n\n{"Hostname": "srv02", "RAM GB": 16}\n')
    wizard = ImportWizard(tasks, store, Selection())
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.file_page.path.setText(str(path))
    wizard.next()
    assert wizard.currentId() == PAGE_PREVIEW  # one table: no sheet page
    page = wizard.preview_page
    qtbot.waitUntil(page.isComplete)
    assert wizard.preview is not None and wizard.preview.format == "jsonl"
    assert wizard.preview.columns == ["Hostname", "CPU", "RAM GB"]
    assert page.model.rowCount() == 2 and not page.header_row.isEnabled()
