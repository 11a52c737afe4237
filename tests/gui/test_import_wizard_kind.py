"""The import wizard shows the kind of file (inventory or connections), lets the consultant change it,
and imports with that kind — so its mapping review suggests that kind's fields (issue 14)."""

from __future__ import annotations

import csv
import uuid
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from core.bootstrap import Core
from core.mapping.schema import load_connection_schema
from core.tenancy import EngagementRef
from desktop_app.screens.registry import Selection
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager
from desktop_app.wizard import service
from desktop_app.wizard.import_wizard import PAGE_IMPORT, PAGE_PREVIEW, PAGE_TARGET, ImportWizard
from desktop_app.wizard.service import ReadOptions

from .builders import rows_by_source, write_csv

AZURE_COLUMNS = [
    "Time slot",
    "Source server name",
    "Source IP",
    "Source application",
    "Source process",
    "Destination server name",
    "Destination IP",
    "Destination application",
    "Destination process",
    "Destination port",
]


def write_connections(path: Path, n: int = 12) -> Path:
    """An Azure Migrate dependency export: who talks to whom, on which port."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(AZURE_COLUMNS)
        for i in range(n):
            w.writerow(
                [
                    f"2026-11-{1 + i % 28:02d} 10:00",
                    f"web{i % 4:02d}",
                    f"10.1.0.{i % 4 + 1}",
                    "Shop",
                    "w3wp.exe",
                    f"db{i % 2:02d}.corp.example",
                    f"10.2.0.{i % 2 + 1}",
                    "Shop DB",
                    "sqlservr.exe",
                    "1433",
                ]
            )
    return path


def stored_kind(core: Core, engagement: EngagementRef, import_id: uuid.UUID) -> tuple[str, str]:
    """The kind the import was stored with, and the one recognised from its columns."""
    with core.uow(core.tenant_for(engagement)) as uow:
        meta = uow.session.execute(
            text("SELECT import_metadata FROM data_imports WHERE id = :id"), {"id": import_id}
        ).scalar_one()
    return meta["kind"], meta["kind_detected"]["kind"]


def open_preview(qtbot: QtBot, tasks: TaskManager, store: SettingsStore, path: Path) -> ImportWizard:
    wizard = ImportWizard(tasks, store, Selection())
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.file_page.path.setText(str(path))
    wizard.next()
    assert wizard.currentId() == PAGE_PREVIEW
    qtbot.waitUntil(wizard.preview_page.isComplete)
    return wizard


def import_into(qtbot: QtBot, wizard: ImportWizard, engagement: EngagementRef) -> service.ImportOutcome:
    wizard.next()
    assert wizard.currentId() == PAGE_TARGET
    target = wizard.target_page
    qtbot.waitUntil(lambda: target.existing.count() > 0 and target.isComplete())
    target.existing.setCurrentIndex(
        next(
            i
            for i in range(target.existing.count())
            if target.existing.itemData(i).engagement_id == engagement.engagement_id
        )
    )
    wizard.next()
    assert wizard.currentId() == PAGE_IMPORT
    qtbot.waitUntil(lambda: wizard.outcome is not None, timeout=30_000)
    assert wizard.outcome is not None
    return wizard.outcome


def test_the_preview_recognises_the_kind_in_the_background(tmp_path: Path) -> None:
    connections = service.read_preview(str(write_connections(tmp_path / "deps.csv")), ReadOptions())
    assert connections.kind is not None and connections.kind.kind == "connections"
    assert "Source server name" in connections.kind.source_columns
    inventory = service.read_preview(str(write_csv(tmp_path / "servers.csv", n=5)), ReadOptions())
    assert inventory.kind is not None and inventory.kind.kind == "assets"


def test_a_connection_export_is_shown_as_connections_and_imported_as_one(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    core: Core,
    engagement: EngagementRef,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    output_dir: Path,
) -> None:
    monkeypatch.setenv("MD_NO_SEMANTIC", "1")  # the optional sentence encoder takes minutes to load
    wizard = open_preview(qtbot, tasks, store, write_connections(tmp_path / "azure_dependencies.csv"))
    page = wizard.preview_page
    kind = page.findChild(type(page.kind), "wizardKind")
    reason = page.findChild(type(page.kind_reason), "wizardKindReason")
    assert kind is page.kind and reason is page.kind_reason and kind.isEnabled()
    assert kind.currentData() == "connections" and kind.currentText() == "Connections (dependencies)"
    assert "Recognised as <b>Connections (dependencies)</b>" in reason.text()
    assert "'Source server name'" in reason.text() and "4 source and 5 destination" in reason.text()
    assert wizard.grab().save(str(output_dir / "05b_wizard_kind_connections.png"))

    wizard.next()
    assert wizard.currentId() == PAGE_TARGET
    assert wizard.target_page.summary.text() == "azure_dependencies.csv · Connections (dependencies)"
    assert wizard.grab().save(str(output_dir / "05c_wizard_kind_target.png"))
    wizard.back()
    outcome = import_into(qtbot, wizard, engagement)
    assert outcome.rows == 12 and outcome.kind == "connections"
    assert "Imported 12 rows as Connections (dependencies)" in wizard.import_page.label.text()
    assert wizard.grab().save(str(output_dir / "05e_wizard_kind_summary.png"))
    assert stored_kind(core, engagement, outcome.import_id) == ("connections", "connections")
    stored = rows_by_source(core, core.tenant_for(engagement), outcome.import_id)
    assert stored["Source server name"].target_field == "source_host"  # the connection schema's fields
    assert stored["Destination port"].target_field == "target_port"
    wizard.button(QWizard.WizardButton.FinishButton).click()


def test_an_inventory_is_shown_as_inventory(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    core: Core,
    engagement: EngagementRef,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MD_NO_SEMANTIC", "1")
    wizard = open_preview(qtbot, tasks, store, write_csv(tmp_path / "servers.csv", n=8))
    page = wizard.preview_page
    assert page.kind.currentData() == "assets" and page.kind.currentText() == "Inventory (assets)"
    assert "Recognised as <b>Inventory (assets)</b>" in page.kind_reason.text()
    assert "You chose" not in page.kind_reason.text()
    outcome = import_into(qtbot, wizard, engagement)
    assert (
        outcome.kind == "assets"
        and "Imported 8 rows as Inventory (assets)" in wizard.import_page.label.text()
    )
    assert stored_kind(core, engagement, outcome.import_id) == ("assets", "assets")
    assert rows_by_source(core, core.tenant_for(engagement), outcome.import_id)["Hostname"].target_field == (
        "hostname"
    )


def test_changing_the_kind_changes_what_is_imported(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    core: Core,
    engagement: EngagementRef,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    output_dir: Path,
) -> None:
    monkeypatch.setenv("MD_NO_SEMANTIC", "1")
    wizard = open_preview(qtbot, tasks, store, write_connections(tmp_path / "deps.csv"))
    page = wizard.preview_page
    assert page.kind.currentData() == "connections"
    page.kind.setFocus()
    qtbot.keyClick(page.kind, Qt.Key.Key_Up)  # the consultant picks "Inventory (assets)"
    assert page.kind.currentData() == "assets" and wizard.kind_chosen
    assert "You chose <b>Inventory (assets)</b>" in page.kind_reason.text()

    # a re-read preview (another delimiter, then back) keeps the consultant's choice
    page.delimiter.setCurrentIndex(page.delimiter.findData(";"))
    page.delimiter.activated.emit(page.delimiter.currentIndex())
    qtbot.waitUntil(lambda: wizard.preview is not None and wizard.preview.delimiter == ";")
    page.delimiter.setCurrentIndex(page.delimiter.findData(","))
    page.delimiter.activated.emit(page.delimiter.currentIndex())
    qtbot.waitUntil(
        lambda: wizard.preview is not None and wizard.preview.delimiter == "," and page.isComplete()
    )
    assert page.kind.currentData() == "assets" and "You chose" in page.kind_reason.text()
    reason = page.kind_reason
    qtbot.waitUntil(lambda: reason.height() >= reason.heightForWidth(reason.width()))  # laid out again
    assert wizard.grab().save(str(output_dir / "05d_wizard_kind_changed.png"))

    outcome = import_into(qtbot, wizard, engagement)
    assert outcome.kind == "assets" and "as Inventory (assets)" in wizard.import_page.label.text()
    assert stored_kind(core, engagement, outcome.import_id) == ("assets", "connections")
    stored = rows_by_source(core, core.tenant_for(engagement), outcome.import_id)
    assert all(r.target_field not in ("source_host", "target_port") for r in stored.values())


def test_an_inventory_can_be_imported_as_connections(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    core: Core,
    engagement: EngagementRef,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MD_NO_SEMANTIC", "1")
    path = tmp_path / "talks_to.csv"  # a hand-made sheet whose headers name no source or destination
    path.write_text("Server,Talks to,Port\napp01,db01,5432\napp02,db01,5432\n", encoding="utf-8")
    wizard = open_preview(qtbot, tasks, store, path)
    page = wizard.preview_page
    assert page.kind.currentData() == "assets"
    page.kind.setFocus()
    qtbot.keyClick(page.kind, Qt.Key.Key_Down)
    assert page.kind.currentData() == "connections"
    outcome = import_into(qtbot, wizard, engagement)
    assert outcome.kind == "connections"
    assert stored_kind(core, engagement, outcome.import_id) == ("connections", "assets")
    stored = rows_by_source(core, core.tenant_for(engagement), outcome.import_id)
    fields = {f.name for f in load_connection_schema().fields}
    targets = {r.target_field for r in stored.values() if r.target_field}
    assert targets and targets <= fields  # suggested onto the connection schema
