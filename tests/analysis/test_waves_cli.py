"""`plan sixr` and `plan waves` through the real command line: contract shapes, exit 2, export/apply."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from openpyxl import load_workbook

from analysis.planning_estate import add_estate
from core.bootstrap import Core
from core.tenancy import EngagementRef
from core.uow import Tenant

ROOT = Path(__file__).resolve().parents[2]
WAVE_KEYS = ["name", "order", "start", "end", "locked", "applications", "assets"]
#: keys `plan waves --json` adds to the contract's: the master flows' stage and the planner's figures
ADDED_KEYS = {"stage", "summary", "stats", "splits"}


def cli(core: Core, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MD_")}
    env["MD_USER"] = "Test Consultant <tester@example.com>"
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", "--database-url", core.db.app_url, *args],
        capture_output=True, text=True, timeout=120, env=env, cwd=ROOT,
    )  # fmt: skip


def _names(engagement: EngagementRef) -> list[str]:
    return ["--client", engagement.client_name, "--engagement", engagement.engagement_name]


def test_plan_sixr_and_waves_print_the_contract_shapes(
    core: Core, tenant: Tenant, engagement: EngagementRef, tmp_path: Path
) -> None:
    add_estate(core, tenant)
    res = cli(core, "plan", "sixr", *_names(engagement), "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert list(data) == ["recommendations", "stage"]  # `stage`: added, the master flows' assessment
    rec = data["recommendations"][0]
    assert list(rec) == ["application", "assets", "disposition", "confidence", "reasons", "overridden_by"]

    res = cli(core, "plan", "waves", *_names(engagement), "--max-servers", "3", "--time-limit", "2", "--json")
    assert res.returncode == 0, res.stderr
    plan = json.loads(res.stdout)
    assert list(plan)[:3] == ["waves", "broken_dependencies", "max_servers"] and plan["max_servers"] == 3
    assert set(plan) - {"waves", "broken_dependencies", "max_servers"} == ADDED_KEYS  # added, never renamed
    assert all(list(w) == WAVE_KEYS for w in plan["waves"]) and plan["broken_dependencies"] == []
    assert sorted(a for w in plan["waves"] for a in w["assets"]) == sorted(
        ["web01", "web02", "db01", "crm01", "crm02", "rpt01", "lone01"]
    )
    assert "one group per application name" in res.stderr  # the fallback is said, outside the JSON

    res = cli(core, "plan", "lock", "1", *_names(engagement), "--json")
    assert res.returncode == 0 and json.loads(res.stdout)["locked"] is True
    res = cli(core, "plan", "waves", *_names(engagement), "--time-limit", "2", "--json")  # limit kept: 3
    again = json.loads(res.stdout)
    assert again["max_servers"] == 3 and again["waves"][0] == {**plan["waves"][0], "locked": True}

    path = tmp_path / "plan.xlsx"
    assert cli(core, "plan", "export", str(path), *_names(engagement)).returncode == 0
    wb = load_workbook(path)
    ws = wb["Waves"]
    ws.cell(row=2, column=1).value = "Wave 42"
    wb.save(path)
    res = cli(core, "plan", "apply", str(path), *_names(engagement), "--json")
    assert res.returncode == 2
    err = json.loads(res.stderr)
    assert err["row"] == 2 and err["column"] == "Wave" and err["file"] == str(path)


def test_wave_limit_below_the_smallest_group_exits_2(
    core: Core, tenant: Tenant, engagement: EngagementRef
) -> None:
    add_estate(core, tenant, links=[])
    res = cli(core, "plan", "waves", *_names(engagement), "--max-servers", "1")
    assert res.returncode == 2
    assert "limit" in res.stderr and "Traceback" not in res.stderr


def _one_stored_group(core: Core, tenant: Tenant, ids: dict[str, uuid.UUID]) -> None:
    """What the dependency analysis stores: Shop (2 servers) + ShopDB + Reports in one move group."""
    from core.db.models import MoveGroup, MoveGroupMember

    scope = {"client_account_id": tenant.client_account_id, "engagement_id": tenant.engagement_id}
    with core.uow(tenant) as uow:
        g = MoveGroup(id=uuid.uuid4(), key="g1", name="Shop estate", **scope)
        uow.session.add(g)
        uow.session.flush()
        for host in ("web01", "web02", "db01", "rpt01"):
            uow.session.add(MoveGroupMember(move_group_id=g.id, asset_id=ids[host], **scope))
        uow.commit()


def test_plan_waves_reports_the_solver_against_greedy_and_the_cut(
    core: Core, tenant: Tenant, engagement: EngagementRef
) -> None:
    """The 4-server group does not fit waves of 3: it is split between Shop + ShopDB and Reports,
    cutting the one link rpt01 -> db01; JSON and text both say so, with greedy vs final."""
    _one_stored_group(core, tenant, add_estate(core, tenant))
    res = cli(core, "plan", "waves", *_names(engagement), "--max-servers", "3", "--time-limit", "2", "--json")
    assert res.returncode == 0, res.stderr
    plan = json.loads(res.stdout)
    stats = plan["stats"]
    assert {"greedy", "final", "improvement_pct", "solver", "split_cut"} <= set(stats)
    assert stats["final"]["objective"] <= stats["greedy"]["objective"] and stats["improvement_pct"] >= 0
    assert stats["solver"]["status"] and stats["split_groups"] == 1
    assert plan["splits"] == [
        {"group": "Shop estate", "cause": "size", "parts": [3, 1], "links_cut": 1, "cut_weight": 10.0}
    ]
    assert plan["summary"].startswith("greedy objective ")
    assert "% better" in plan["summary"] and f"solver {stats['solver']['status']} in " in plan["summary"]
    assert plan["summary"].endswith("1 group split, 1 link cut: Shop estate (1)")

    res = cli(core, "plan", "waves", *_names(engagement), "--time-limit", "2")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    [line] = [ln for ln in lines if ln.startswith("plan: ")]
    assert "greedy objective" in line and "→" in line and "1 group split, 1 link cut" in line
