"""`analysis techdebt` through the real command line: the contract's JSON shape, dates, bad input."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from inventory.builders import make_import  # tests/inventory: the same import set-up

from core.bootstrap import Core
from core.pipeline import run_flow
from core.tenancy import EngagementRef
from core.uow import Tenant

ROOT = Path(__file__).resolve().parents[2]
FINDING_KEYS = ["asset", "component", "product", "version", "status", "end_of_support", "rule"]


def cli(core: Core, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MD_")}
    env["MD_USER"] = "Test Consultant <tester@example.com>"
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", "--database-url", core.db.app_url, *args],
        capture_output=True, text=True, timeout=120, env=env, cwd=ROOT,
    )  # fmt: skip


def _names(engagement: EngagementRef) -> list[str]:
    return ["--client", engagement.client_name, "--engagement", engagement.engagement_name]


def test_techdebt_json_is_the_contract_shape(core: Core, tenant: Tenant, engagement: EngagementRef) -> None:
    made = make_import(
        core, tenant, "servers.csv", ["Name", "Host", "OS", "DB", "DB version", "CPU avg"],
        [
            ["WEB01 (vm)", "web01", "Win2019", "", "", "95"],
            ["db-vm", "", "CentOS Linux release 7.9.2009 (Core)", "Oracle Database 11g Enterprise Edition "
             "Release 11.2.0.4.0", "", ""],
            ["mystery", "mystery01", "Plan 9 from Bell Labs", "", "", ""],
            ["nothing", "empty01", "", "", "", ""],
        ],
        {"Name": "asset_name", "Host": "hostname", "OS": "operating_system", "DB": "database_engine",
         "DB version": "database_version", "CPU avg": "cpu_utilization_avg_pct"},
    )  # fmt: skip
    run_flow(core.uows, tenant, made.flow_id, through="asset_inventory")
    res = cli(core, "analysis", "techdebt", *_names(engagement), "--as-of", "2026-12-02", "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert list(data) == ["as_of", "findings", "rightsizing"] and data["as_of"] == "2026-12-02"
    assert all(list(f) == FINDING_KEYS for f in data["findings"])
    by = {(f["asset"], f["component"]): f for f in data["findings"]}
    # hostname, else asset_name; one finding per component the asset has; none for an asset without
    assert sorted(by) == [("db-vm", "database"), ("db-vm", "os"), ("mystery01", "os"), ("web01", "os")]
    assert (
        by[("web01", "os")]["status"] == "supported" and by[("web01", "os")]["end_of_support"] == "2029-01-09"
    )
    assert by[("db-vm", "os")]["status"] == "eol" and by[("db-vm", "os")]["version"] == "7.9.2009"
    assert by[("db-vm", "database")]["status"] == "eol"
    mystery = by[("mystery01", "os")]
    assert mystery["status"] == "unknown" and mystery["product"] is None and mystery["end_of_support"] is None
    assert [(s["asset"], s["resource"], s["kind"]) for s in data["rightsizing"]] == [
        ("web01", "cpu", "undersized")
    ]
    # another date, another answer: nothing was stored for either (a read)
    early = json.loads(cli(core, "analysis", "techdebt", *_names(engagement), "--as-of", "2014-01-01",
                           "--json").stdout)  # fmt: skip
    assert {(f["asset"], f["component"]): f["status"] for f in early["findings"]}[
        ("db-vm", "os")
    ] == "supported"
    today = json.loads(cli(core, "analysis", "techdebt", *_names(engagement), "--json").stdout)
    assert today["as_of"] == dt.date.today().isoformat()


def test_bad_date_and_unknown_engagement_exit_2(core: Core, engagement: EngagementRef) -> None:
    res = cli(core, "analysis", "techdebt", *_names(engagement), "--as-of", "02/12/2026", "--json")
    assert res.returncode == 2 and "YYYY-MM-DD" in json.loads(res.stderr)["error"]
    res = cli(core, "analysis", "techdebt", "--client", "No such client", "--engagement", "X", "--json")
    assert res.returncode == 2 and "no engagement 'X'" in json.loads(res.stderr)["error"]
