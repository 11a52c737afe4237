"""The asset screen's heading counts VM templates apart from the assets to migrate (issue 12.11)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core.bootstrap import Core
from core.pipeline import run_flow
from desktop_app.screens.assets.screen import AssetsScreen
from desktop_app.screens.registry import ScreenContext, Selection
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager
from tests.inventory.builders import make_import

from .test_assets_estate import new_engagement

OUTPUT = Path(__file__).resolve().parents[1] / "output"


@pytest.fixture
def selection(core: Core) -> Selection:
    engagement = new_engagement(core, "templates")
    tenant = core.tenant_for(engagement)
    made = make_import(
        core, tenant, "RVTools_vInfo.csv",
        ["VM", "Template", "VM ID", "OS according to the configuration file"],
        [
            ["app-fra001", "False", "vm-101", "Red Hat Enterprise Linux 8 (64-bit)"],
            ["db-fra002", "False", "vm-102", "Microsoft Windows Server 2019 (64-bit)"],
            ["tpl-win2019", "True", "vm-103", "Microsoft Windows Server 2019 (64-bit)"],
        ],
        {"VM": "asset_name", "Template": "is_template", "VM ID": "vm_id",
         "OS according to the configuration file": "os_configured"},
        source_system="RVTools",
    )  # fmt: skip
    run_flow(core.uows, tenant, made.flow_id)
    e = engagement
    return Selection(e.client_account_id, e.client_name, e.engagement_id, e.engagement_name)


@pytest.fixture
def screen(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, selection: Selection
) -> Iterator[AssetsScreen]:
    widget = AssetsScreen(ScreenContext(tasks=tasks, settings=store, navigate=lambda *_: None))
    qtbot.addWidget(widget)
    widget.resize(1360, 840)
    widget.show()
    widget.set_selection(selection)
    widget.on_shown()
    qtbot.waitUntil(lambda: widget.model.is_loaded and widget.choices is not None, timeout=10_000)
    yield widget
    qtbot.waitUntil(tasks.is_idle, timeout=20_000)


def test_heading_counts_templates_apart(qtbot: QtBot, screen: AssetsScreen) -> None:
    qtbot.waitUntil(lambda: "VM template" in screen.subtitle.text(), timeout=10_000)
    text = screen.subtitle.text()
    assert "2 assets" in text and "1 VM template not counted" in text, text
    assert screen.model.rowCount() == 3  # the table still lists the template
    OUTPUT.mkdir(exist_ok=True)
    screen.grab().save(str(OUTPUT / "assets_templates.png"))
