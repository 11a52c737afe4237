"""The dependency screen on a real small estate: groups, one group's cluster, filters, infrastructure.

Why through the real flow: the screen shows what `dependency_analysis` stored. An inventory and a
connection sheet are imported the way the import pipeline stores them and run through `run_flow`;
the infrastructure toggle goes through the core's override use case and regroups for real.
Also renders tests/output/18_dependencies.png at 1360x840 to be looked at.
"""

from __future__ import annotations

from pathlib import Path

from analysis.test_connections import HAND, _connections  # the connection import set-up
from inventory.builders import make_import
from pytestqt.qtbot import QtBot

from core import tenancy
from core.bootstrap import Core
from core.pipeline import run_flow
from core.uow import Tenant
from desktop_app.main_window import MainWindow
from desktop_app.screens.assets.screen import AssetsScreen
from desktop_app.screens.dependencies.screen import NOT_RUN, TAB_INFRA, DependenciesScreen
from desktop_app.screens.registry import Selection
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager

SIZE = (1360, 840)
SERVERS = [
    ["web01", "Payroll", "prod"], ["app01", "Payroll", "prod"], ["db01", "Payroll", "prod"],
    ["web02", "Payroll", "prod"], ["crm01", "CRM", "prod"], ["crm02", "CRM", "prod"],
    ["hr01", "HR", "test"], ["hr02", "HR", "test"], ["dns01", "", "prod"],
]  # fmt: skip
LINKS = [
    ["web01", "app01", "443"], ["web02", "app01", "443"], ["app01", "db01", "1433"],
    ["web01", "db01", "1433"], ["crm01", "crm02", "8080"], ["hr01", "hr02", "5432"],
    ["ghost99", "web01", "22"],
    *[[s[0], "dns01", "53"] for s in SERVERS if s[0] != "dns01"],
]  # fmt: skip


def _estate(core: Core, tenant: Tenant, *, connections: bool = True) -> None:
    inv = make_import(
        core, tenant, "servers.csv", ["Host", "App", "Env"], SERVERS,
        {"Host": "hostname", "App": "application_name", "Env": "environment"},
    )  # fmt: skip
    run_flow(
        core.uows, tenant, inv.flow_id, through="asset_inventory" if connections else "dependency_analysis"
    )
    if connections:
        made = _connections(core, tenant, "links.csv", HAND, LINKS)
        run_flow(core.uows, tenant, made.flow_id, through="dependency_analysis")


def _window(qtbot: QtBot, tasks: TaskManager, store: SettingsStore, ref: tenancy.EngagementRef) -> MainWindow:
    window = MainWindow(tasks, store)
    qtbot.addWidget(window)
    window.resize(*SIZE)
    window.show()
    qtbot.waitUntil(lambda: window._ready_emitted, timeout=10_000)
    key = f"e:{ref.engagement_id}"
    qtbot.waitUntil(lambda: window.sidebar.model_.find_key(key).isValid(), timeout=10_000)
    window.sidebar.select_key(key)
    return window


def _open(qtbot: QtBot, window: MainWindow, ref: tenancy.EngagementRef) -> DependenciesScreen:
    sel = Selection(ref.client_account_id, ref.client_name, ref.engagement_id, ref.engagement_name)
    window.navigate("dependencies", sel)
    screen = window.current_screen()
    assert isinstance(screen, DependenciesScreen)
    qtbot.waitUntil(lambda: screen.data is not None and not screen.loading, timeout=10_000)
    return screen


def _members(screen: DependenciesScreen) -> dict[str, set[str]]:
    return {g["name"]: {m["hostname"] for m in g["assets"]} for g in screen.groups.rows()}


def test_groups_cluster_filters_infrastructure_toggle_and_link_to_assets(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, core: Core, tenant: Tenant,
    engagement: tenancy.EngagementRef, output_dir: Path,
) -> None:  # fmt: skip
    _estate(core, tenant)
    window = _window(qtbot, tasks, store, engagement)
    screen = _open(qtbot, window, engagement)
    assert screen.tabs.isVisible() and not screen.empty.isVisible() and not screen.note.isVisible()
    assert screen.unresolved_label.text() == "Unresolved endpoints: 1"  # ghost99

    groups = _members(screen)
    payroll = next(n for n, m in groups.items() if "app01" in m)
    assert groups[payroll] == {"web01", "web02", "app01", "db01"}
    assert not any("dns01" in m for m in groups.values())  # set aside as infrastructure
    infra = {r["hostname"]: r for r in screen.infra.rows()}
    assert infra["dns01"]["infrastructure"] and infra["dns01"]["reasons"]

    # one group drawn on demand: its servers as nodes, its internal server pairs as edges
    screen.select_group(payroll)
    qtbot.waitUntil(lambda: not screen.detail_loading and bool(screen.cluster.nodes), timeout=10_000)
    assert len(screen.cluster.nodes) == 4
    assert len(screen.cluster.edges) == 4  # web01-app01, web02-app01, app01-db01, web01-db01
    conns = {(r["source"], r["target"], r["port"]) for r in screen.connections.rows()}
    assert ("app01", "db01", 1433) in conns and ("web01", "dns01", 53) in conns
    links = screen.links_label.text()  # links outside the group are counts, not lines
    assert "0 other group(s)" in links and "4 to infrastructure" in links and "1 to unresolved" in links

    # filters: by host and by environment
    screen.filter_to(text="hr02")
    assert [g["name"] for g in screen.groups_proxy.visible_rows()] == [
        n for n, m in groups.items() if "hr02" in m
    ]
    screen.filter_to(environment="test")
    assert {h for g in screen.groups_proxy.visible_rows() for h in (m["hostname"] for m in g["assets"])} == {
        "hr01", "hr02"
    }  # fmt: skip
    screen.filter_to()
    assert screen.groups_proxy.rowCount() == len(groups)
    screen.select_group(payroll)
    qtbot.waitUntil(lambda: not screen.detail_loading and len(screen.cluster.nodes) == 4, timeout=10_000)
    qtbot.waitUntil(tasks.is_idle, timeout=10_000)
    assert window.grab().save(str(output_dir / "18_dependencies.png"))

    # toggle the DNS server out of infrastructure: the core regroups, the screen refreshes
    screen.tabs.setCurrentIndex(TAB_INFRA)
    screen.select_infrastructure("dns01")
    assert not screen.toggle_button.isEnabled()  # a reason is required
    screen.reason.setText("an application server that also answers DNS")
    assert screen.toggle_button.isEnabled() and screen.toggle_button.text() == "Keep in the groups"
    screen.toggle_button.click()
    qtbot.waitUntil(lambda: any("dns01" in m for m in _members(screen).values()), timeout=15_000)
    qtbot.waitUntil(lambda: not screen.loading, timeout=10_000)
    row = next(r for r in screen.infra.rows() if r["hostname"] == "dns01")
    assert not row["infrastructure"] and row["source"] == "override"
    assert screen.tabs.tabText(TAB_INFRA) == "Infrastructure (0)"
    assert sum(len(m) for m in _members(screen).values()) == len(SERVERS)
    screen.tabs.setCurrentIndex(0)

    # double-click a server of the cluster: the Assets screen opens on it
    screen.select_group(payroll)
    qtbot.waitUntil(lambda: not screen.detail_loading and bool(screen.cluster.nodes), timeout=10_000)
    web = next(m for m in screen.current_group["assets"] if m["hostname"] == "web01")  # type: ignore[index]
    screen.cluster.activate(web["asset_id"])
    assets = window.current_screen()
    assert isinstance(assets, AssetsScreen)
    qtbot.waitUntil(lambda: assets.model.is_loaded and assets.model.total == 1, timeout=10_000)


def test_empty_states_not_run_and_no_dependency_data(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, core: Core, tenant: Tenant,
    engagement: tenancy.EngagementRef,
) -> None:  # fmt: skip
    window = _window(qtbot, tasks, store, engagement)
    screen = _open(qtbot, window, engagement)
    assert screen.empty.isVisible() and screen.empty.text() == NOT_RUN
    _estate(core, tenant, connections=False)  # groups from application names only
    screen.refresh()
    qtbot.waitUntil(lambda: screen.tabs.isVisible() and not screen.loading, timeout=10_000)
    assert screen.note.isVisible() and "no dependency data" in screen.note.text().lower()
    assert screen.groups.rowCount() >= 3


def test_a_refused_decision_is_shown_as_an_error_not_as_a_failed_read(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, core: Core, tenant: Tenant,
    engagement: tenancy.EngagementRef,
) -> None:  # fmt: skip
    """Regression: a decision the core refused (here: the server was removed meanwhile) only said
    "Could not load the dependencies" in the status bar; now the error dialog names the refusal."""
    from sqlalchemy import text

    from desktop_app import error_dialog

    _estate(core, tenant)
    window = _window(qtbot, tasks, store, engagement)
    screen = _open(qtbot, window, engagement)
    screen.tabs.setCurrentIndex(TAB_INFRA)
    screen.select_infrastructure("dns01")
    screen.reason.setText("an application server that also answers DNS")
    with core.uow(tenant) as uow:  # another consultant removed the server meanwhile
        uow.session.execute(text("DELETE FROM assets WHERE hostname = 'dns01'"))
        uow.commit()
    before = len(error_dialog.open_dialogs())
    screen.toggle_button.click()
    qtbot.waitUntil(lambda: len(error_dialog.open_dialogs()) > before, timeout=15_000)
    box = error_dialog.open_dialogs()[-1]
    assert "no asset" in box.text() and "in this engagement" in box.text()
    assert not screen.loading
    box.close()


def test_a_big_groups_reasons_are_cut_to_a_line_with_all_of_them_on_hover() -> None:
    from desktop_app.screens.dependencies.screen import REASONS_SHOWN, _reasons_line

    reasons = [f"application App{i}: {i + 2} servers (named in the inventory)" for i in range(30)]
    line, more = _reasons_line(reasons)
    assert more > 20 and line.endswith(f"… and {more} more (hover to read them all)")
    assert len(line) < REASONS_SHOWN + 60 and line.startswith(reasons[0])
    assert _reasons_line(reasons[:2]) == ("; ".join(reasons[:2]), 0)
    assert _reasons_line(["x" * 500]) == ("x" * 500, 0)  # one long reason is still shown
