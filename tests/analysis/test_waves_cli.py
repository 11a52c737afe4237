"""`plan sixr` and `plan waves` through the real command line: contract shapes, exit 2, export/apply."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from analysis.planning_estate import add_estate
from core.bootstrap import Core
from core.tenancy import EngagementRef
from core.uow import Tenant

ROOT = Path(__file__).resolve().parents[2]
WAVE_KEYS = ["name", "order", "start", "end", "locked", "applications", "assets"]


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
    assert list(plan) == ["waves", "broken_dependencies", "max_servers", "stage"] and plan["max_servers"] == 3
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
