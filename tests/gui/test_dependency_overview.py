"""The estate overview of the dependency screen: group bubbles, pair edges, infrastructure set aside.

Why through the real flow: the overview draws what `dependency_analysis` stored and what
`group_overview_links` sums in PostgreSQL; the estates are imported and run like the screen's own
test (tests/gui/test_dependencies_screen.py). Renders tests/output/19_dependency_overview.png
(a medium estate, infrastructure shown) at 1360x840 to be looked at.
"""

from __future__ import annotations

import random
from pathlib import Path

from analysis.test_connections import HAND, _connections
from inventory.builders import make_import
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core import tenancy
from core.bootstrap import Core
from core.pipeline import run_flow
from core.queries.group_links import group_overview_links
from core.uow import Tenant
from desktop_app.screens.dependencies.overview import DIMMED
from desktop_app.screens.dependencies.screen import VIEW_DETAIL, VIEW_OVERVIEW, DependenciesScreen
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager
from gui.test_dependencies_screen import LINKS, SERVERS, _open, _window

LEFT = Qt.MouseButton.LeftButton
BETWEEN = [
    ["crm01", "app01", "443"], ["app01", "crm01", "8443"],  # both directions, two ports: one link
    ["crm01", "app01", "443"],  # the same connection again: one more observation
    ["crm02", "db01", "1433"],
    ["hr01", "crm01", "8080"],
]  # fmt: skip
# CRM runs in its own environment, so its links to Payroll stay links between two move groups
ESTATE = [[h, app, "staging" if app == "CRM" else env] for h, app, env in SERVERS]


def _estate(core: Core, tenant: Tenant, servers: list[list[str]], links: list[list[str]]) -> None:
    inv = make_import(
        core, tenant, "servers.csv", ["Host", "App", "Env"], servers,
        {"Host": "hostname", "App": "application_name", "Env": "environment"},
    )  # fmt: skip
    run_flow(core.uows, tenant, inv.flow_id, through="asset_inventory")
    made = _connections(core, tenant, "links.csv", HAND, links)
    run_flow(core.uows, tenant, made.flow_id, through="dependency_analysis")


def _ids(screen: DependenciesScreen) -> dict[str, str]:
    """Group id by the application the group holds (each small-estate group holds one)."""
    return {g["applications"][0]: g["id"] for g in screen.groups.rows()}


def _host_ids(core: Core, tenant: Tenant) -> dict[str, str]:
    from sqlalchemy import text

    with core.uow(tenant) as uow:
        return {h: str(i) for i, h in uow.session.execute(text("SELECT id, hostname FROM assets"))}


def test_group_overview_links_counts_server_pairs_and_infrastructure(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, core: Core, tenant: Tenant,
    engagement: tenancy.EngagementRef,
) -> None:  # fmt: skip
    _estate(core, tenant, ESTATE, [*LINKS, *BETWEEN])
    window = _window(qtbot, tasks, store, engagement)
    screen = _open(qtbot, window, engagement)
    ids = _ids(screen)
    assert set(ids) == {"Payroll", "CRM", "HR"}
    got = group_overview_links(core.uows, tenant)
    pay, crm, hr = ids["Payroll"], ids["CRM"], ids["HR"]
    assert got["pairs"] == sorted(
        [
            {"groups": tuple(sorted((pay, crm))), "links": 2, "observations": 4},  # crm01-app01, crm02-db01
            {"groups": tuple(sorted((hr, crm))), "links": 1, "observations": 1},
        ],
        key=lambda p: p["groups"],
    )
    dns = _host_ids(core, tenant)["dns01"]
    assert got["infrastructure"] == {dns: {"links": 8, "observations": 8, "groups": {pay: 4, crm: 2, hr: 2}}}
    assert screen.data is not None and screen.data.pairs == got["pairs"]  # loaded by the screen as is


def test_overview_bubbles_edges_infrastructure_click_and_filter(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, core: Core, tenant: Tenant,
    engagement: tenancy.EngagementRef,
) -> None:  # fmt: skip
    _estate(core, tenant, ESTATE, [*LINKS, *BETWEEN])
    window = _window(qtbot, tasks, store, engagement)
    screen = _open(qtbot, window, engagement)
    ids = _ids(screen)
    pay, crm, hr = ids["Payroll"], ids["CRM"], ids["HR"]
    view = screen.overview
    assert screen.views.currentIndex() == VIEW_OVERVIEW and view.isVisible()

    # one bubble per group, one edge per linked pair; infrastructure set aside by default
    assert set(view.nodes) == {pay, crm, hr}
    assert set(view.edges) == {tuple(sorted((pay, crm))), tuple(sorted((hr, crm)))}
    assert "2 server pair(s), 4 observations" in view.edges[tuple(sorted((pay, crm)))].toolTip()
    tip = view.nodes[pay].toolTip()
    assert "4 server(s)" in tip and "Applications: Payroll" in tip
    assert not screen.show_infra.isChecked() and view.infra_nodes == {} and view.infra_edges == {}
    big, small = view.nodes[pay].rect().width(), view.nodes[hr].rect().width()
    assert big > small  # area follows the servers

    dns = _host_ids(core, tenant)["dns01"]
    screen.show_infra.setChecked(True)
    assert set(view.infra_nodes) == {dns} and "dns01" in view.infra_nodes[dns].toolTip()
    assert view.infra_edges[dns].path().elementCount() == 2 * 3  # one line to each of the 3 groups
    infra_centre = view.infra_nodes[dns].rect().center()
    assert all(not n.rect().contains(infra_centre) for n in view.nodes.values())  # set apart
    screen.show_infra.setChecked(False)
    assert view.infra_nodes == {} and view.infra_edges == {}

    # a click on a bubble selects its group in the table, which shows its cluster on demand
    screen.select_group(next(g["name"] for g in screen.groups.rows() if g["id"] == pay))
    qtbot.waitUntil(lambda: not screen.detail_loading, timeout=10_000)
    centre = view.mapFromScene(view.nodes[hr].rect().center())
    qtbot.mouseClick(view.viewport(), LEFT, pos=centre)
    qtbot.waitUntil(lambda: screen.current_group is not None and screen.current_group["id"] == hr)
    assert screen.group_table.currentIndex().data() == screen.current_group["name"]  # type: ignore[index]
    assert view.selected == hr
    qtbot.waitUntil(lambda: not screen.detail_loading and len(screen.cluster.nodes) == 2, timeout=10_000)
    assert screen.views.currentIndex() == VIEW_OVERVIEW  # a single click keeps the picture
    qtbot.mouseDClick(view.viewport(), LEFT, pos=view.mapFromScene(view.nodes[crm].rect().center()))
    qtbot.waitUntil(lambda: screen.current_group is not None and screen.current_group["id"] == crm)
    assert screen.views.currentIndex() == VIEW_DETAIL
    screen.views.setCurrentIndex(VIEW_OVERVIEW)

    # the table's filters dim the bubbles (and edges) they do not accept
    screen.filter_to(text="hr02")
    assert view.nodes[hr].opacity() == 1.0
    assert view.nodes[pay].opacity() == DIMMED and view.nodes[crm].opacity() == DIMMED
    assert view.edges[tuple(sorted((hr, crm)))].opacity() == DIMMED
    production = next(g for g in screen.groups.rows() if g["id"] == pay)["environments"][0]
    screen.filter_to(environment=production)
    assert view.is_dimmed(hr) and view.is_dimmed(crm) and not view.is_dimmed(pay)
    view.pick(hr)  # a dimmed group picked: the filters are cleared so the table can select it
    assert screen.groups_proxy.rowCount() == 3 and screen.current_group["id"] == hr  # type: ignore[index]
    assert all(n.opacity() == 1.0 for n in view.nodes.values())


def _medium_estate(seed: int = 11) -> tuple[list[list[str]], list[list[str]]]:
    """~50 applications of 1-24 servers, linked inside and (sparsely) between, plus DNS and NTP."""
    rnd = random.Random(seed)
    apps = [f"App{k:02d}" for k in range(50)]
    servers: list[list[str]] = []
    hosts: dict[str, list[str]] = {}
    for k, app in enumerate(apps):
        n = max(1, int(24 / (1 + k * 0.35)) + rnd.randint(0, 2))
        hosts[app] = [f"{app.lower()}-{i:02d}" for i in range(n)]
        env = "prod" if k % 3 else "test"
        servers += [[h, app, env] for h in hosts[app]]
    servers += [["dns01", "", "prod"], ["ntp01", "", "prod"]]
    links: list[list[str]] = []
    for app in apps:
        hs = hosts[app]
        links += [[hs[i], hs[(i + 1) % len(hs)], "8080"] for i in range(len(hs)) if len(hs) > 1]
    for _ in range(60):
        a, b = rnd.sample(apps[:35], 2)
        links.append([rnd.choice(hosts[a]), rnd.choice(hosts[b]), "443"])
    for app in apps:
        links += [[h, "dns01", "53"] for h in hosts[app]]
        links += [[h, "ntp01", "123"] for h in hosts[app][:3]]
    return servers, links


def test_overview_screenshot_of_a_medium_estate(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, core: Core, tenant: Tenant,
    engagement: tenancy.EngagementRef, output_dir: Path,
) -> None:  # fmt: skip
    servers, links = _medium_estate()
    _estate(core, tenant, servers, links)
    window = _window(qtbot, tasks, store, engagement)
    screen = _open(qtbot, window, engagement)
    view = screen.overview
    assert len(view.nodes) == screen.groups.rowCount() >= 40
    assert len(view.edges) == len(screen.data.pairs) > 10  # type: ignore[union-attr]
    screen.show_infra.setChecked(True)
    assert len(view.infra_nodes) == 2
    screen.select_group(screen.groups.rows()[0]["name"])
    qtbot.waitUntil(lambda: not screen.detail_loading, timeout=10_000)
    qtbot.waitUntil(tasks.is_idle, timeout=10_000)
    shown = view.visible_labels()
    assert 0 < len(shown) <= 40  # labels only for the biggest groups, none covering another
    boxes = [
        view.mapFromScene(label.pos()) for _g, label in view.labels if label.isVisible()
    ]  # centres of the shown labels are distinct
    assert len({(p.x(), p.y()) for p in boxes}) == len(boxes)
    assert window.grab().save(str(output_dir / "19_dependency_overview.png"))
