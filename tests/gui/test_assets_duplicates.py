"""The Duplicates tab at engagement scale (issue 12.7): pager, "Not a duplicate", undo a merge.

Why: the tab stopped at 200 candidate rows when ~1,300 groups existed, could not say "these are two
machines", and a merge could not be undone. Real assets through the real import path and the real
task manager; screenshots at the default 1360×840 go to tests/output/ for review.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from inventory.builders import make_import  # tests/inventory: the same import set-up
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select, text

from core.bootstrap import Core
from core.db.models import AssetDistinctDecision
from core.inventory import count_assets
from core.pipeline import run_flow
from desktop_app.screens.assets.duplicates_tab import LIST_KEPT_APART, LIST_MERGES, PAGE_SIZE, DuplicatesTab
from desktop_app.screens.assets.screen import TAB_DUPLICATES, AssetsScreen
from desktop_app.screens.registry import ScreenContext, Selection
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager
from desktop_app.tenancy import tenant_of

from .test_assets_estate import new_engagement

PAIRS = 230  # host names used by two machines each: one candidate group per name


def _estate(core: Core, label: str) -> Selection:
    engagement = new_engagement(core, label)
    tenant = core.tenant_for(engagement)
    rows = [
        [f"srv{i:03d}.{domain}", f"10.{d}.{i // 250}.{i % 250 + 1}", str(4 * (1 + i % 4))]
        for d, domain in enumerate(("corp.example.com", "dmz.example.com"), start=1)
        for i in range(PAIRS)
    ]
    made = make_import(
        core, tenant, "all_servers.csv", ["FQDN", "IP", "RAM (GB)"], rows,
        {"FQDN": "fqdn", "IP": "ip_address", "RAM (GB)": "memory_gb"},
    )  # fmt: skip
    run_flow(core.uows, tenant, made.flow_id)
    e = engagement
    return Selection(e.client_account_id, e.client_name, e.engagement_id, e.engagement_name)


def _open(qtbot: QtBot, tasks: TaskManager, store: SettingsStore, selection: Selection) -> AssetsScreen:
    screen = AssetsScreen(ScreenContext(tasks=tasks, settings=store, navigate=lambda *_: None))
    qtbot.addWidget(screen)
    screen.resize(1360, 840)
    screen.show()
    screen.set_selection(selection)
    screen.on_shown()
    qtbot.waitUntil(lambda: screen.model.is_loaded and screen.choices is not None, timeout=10_000)
    screen.tabs.setCurrentIndex(TAB_DUPLICATES)
    tab = screen.duplicates
    qtbot.waitUntil(lambda: tab.loaded and tab.group is not None, timeout=10_000)
    return screen


def _rows(core: Core, selection: Selection) -> dict[uuid.UUID, dict[str, Any]]:
    with core.uow(tenant_of(core, selection)) as uow:
        rows = uow.session.execute(
            text("SELECT id, source_record_ids, field_lineage, memory_gb, fqdn, created_at FROM assets")
        ).mappings()
        return {r["id"]: dict(r) for r in rows}


def _yes(qtbot: QtBot, tab: DuplicatesTab) -> None:
    box = tab._confirm
    assert box is not None and box.isVisible()
    box.button(QMessageBox.StandardButton.Yes).click()


@pytest.fixture(scope="module")
def many(core: Core) -> Selection:
    return _estate(core, "duplicates")


def test_the_pager_walks_every_candidate_group(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, many: Selection, output_dir: Path
) -> None:
    screen = _open(qtbot, tasks, store, many)
    tab = screen.duplicates
    assert (len(tab.groups), tab.total, tab.offset) == (PAGE_SIZE, PAIRS, 0)
    assert tab.page_label.text() == f"Groups 1–{PAGE_SIZE} of {PAIRS}"
    assert screen.tabs.tabText(TAB_DUPLICATES) == f"Duplicates ({PAIRS})"
    assert tab.next_page.isEnabled() and not tab.previous_page.isEnabled()
    qtbot.waitUntil(tasks.is_idle, timeout=10_000)
    assert screen.grab().save(str(output_dir / "assets_duplicates_pager.png"))
    first = {frozenset(g.asset_ids) for g in tab.groups}
    tab.next_page.click()
    qtbot.waitUntil(lambda: tab.offset == PAGE_SIZE and len(tab.groups) == PAIRS - PAGE_SIZE)
    assert tab.page_label.text() == f"Groups {PAGE_SIZE + 1}–{PAIRS} of {PAIRS}"
    assert not tab.next_page.isEnabled() and tab.previous_page.isEnabled()
    assert first.isdisjoint(frozenset(g.asset_ids) for g in tab.groups)  # the rest, not the same again
    tab.previous_page.click()
    qtbot.waitUntil(lambda: tab.offset == 0 and len(tab.groups) == PAGE_SIZE)


def test_not_a_duplicate_takes_the_group_off_for_good(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, core: Core
) -> None:
    selection = _estate(core, "distinct")
    screen = _open(qtbot, tasks, store, selection)
    tab = screen.duplicates
    tab.candidates.selectRow(3)
    qtbot.waitUntil(lambda: tab.group is not None and tab.group.asset_ids == tab.groups[3].asset_ids)
    decided = tab.group.asset_ids
    assert tab.distinct_button.isEnabled()
    tab.distinct_button.click()
    qtbot.waitUntil(lambda: tab.total == PAIRS - 1 and not tab.busy, timeout=10_000)
    assert all(g.asset_ids != decided for g in tab.groups)
    assert screen.tabs.tabText(TAB_DUPLICATES) == f"Duplicates ({PAIRS - 1})"
    with core.uow(tenant_of(core, selection)) as uow:
        assert len(uow.session.scalars(select(AssetDistinctDecision)).all()) == 1
    qtbot.waitUntil(tasks.is_idle, timeout=10_000)

    again = _open(qtbot, tasks, store, selection)  # a fresh screen reads the stored decision
    assert again.duplicates.total == PAIRS - 1
    assert all(g.asset_ids != decided for g in again.duplicates.groups)

    # a mistaken "not a duplicate" is taken back from the Kept apart list
    kept = again.duplicates.kept_apart
    again.duplicates.lists.setCurrentIndex(LIST_KEPT_APART)
    qtbot.waitUntil(lambda: len(kept.decisions) == 1, timeout=10_000)
    assert again.duplicates.lists.tabText(LIST_KEPT_APART) == "Kept apart (1)"
    (decision,) = kept.decisions
    assert len(decision.asset_names) == 2 and decision.decided_by
    assert not kept.again_button.isEnabled()  # nothing selected yet
    kept.table.selectRow(0)
    assert kept.again_button.isEnabled()
    kept.again_button.click()
    qtbot.waitUntil(lambda: again.duplicates.total == PAIRS and not kept.decisions, timeout=10_000)
    assert any(g.asset_ids == decided for g in again.duplicates.groups)  # proposed again
    with core.uow(tenant_of(core, selection)) as uow:
        assert uow.session.scalars(select(AssetDistinctDecision)).all() == []
    qtbot.waitUntil(tasks.is_idle, timeout=10_000)


def test_a_merge_is_undone_from_the_merges_list(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, core: Core, output_dir: Path
) -> None:
    selection = _estate(core, "undo")
    before = _rows(core, selection)
    screen = _open(qtbot, tasks, store, selection)
    tab = screen.duplicates
    rows_before = screen.model.rowCount()
    pair = tab.group.asset_ids if tab.group else ()
    tab.merge_button.click()
    assert "can be undone" in (tab._confirm.informativeText() if tab._confirm else "")
    _yes(qtbot, tab)
    qtbot.waitUntil(
        lambda: screen.model.rowCount() == rows_before - 1 and screen.model.is_loaded, timeout=10_000
    )
    qtbot.waitUntil(lambda: len(tab.merges) == 1 and tab.total == PAIRS - 1 and not tab.busy)
    assert tab.lists.tabText(LIST_MERGES) == "Merges (1)"

    tab.lists.setCurrentIndex(LIST_MERGES)
    tab.merge_list.selectRow(0)
    assert tab.undo_button.isEnabled()
    assert "with their own records and lineage" in tab.merge_hint.text()
    assert (
        "srv000.dmz.example.com" in tab.merge_hint.text()
        or "srv000.corp.example.com" in tab.merge_hint.text()
    )
    qtbot.waitUntil(tasks.is_idle, timeout=10_000)
    assert screen.grab().save(str(output_dir / "assets_duplicates_merges.png"))
    tab.undo_button.click()
    _yes(qtbot, tab)
    qtbot.waitUntil(lambda: screen.model.rowCount() == rows_before and screen.model.is_loaded, timeout=10_000)
    qtbot.waitUntil(lambda: not tab.merges and tab.total == PAIRS and not tab.busy, timeout=10_000)
    assert tab.lists.tabText(LIST_MERGES) == "Merges" and not tab.undo_button.isEnabled()
    after = _rows(core, selection)
    assert {i: after[i] for i in pair} == {i: before[i] for i in pair}  # same ids, records, lineage
    with core.uow(tenant_of(core, selection)) as uow:
        assert count_assets(uow) == len(before)
