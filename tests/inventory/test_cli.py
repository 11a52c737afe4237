"""`flow run` and `assets export` through the real command line (subprocess, as a consultant)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl

from core.bootstrap import Core
from core.phases import PHASES
from core.tenancy import EngagementRef
from core.uow import Tenant

from .builders import make_import

ROOT = Path(__file__).resolve().parents[2]
CONTRACT_KEYS = ["flow_id", "status", "current_phase", "phases_completed", "progress_percentage", "flags",
                 "version", "error"]  # fmt: skip


def cli(core: Core, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MD_")}
    env["MD_USER"] = "Test Consultant <tester@example.com>"
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", "--database-url", core.db.app_url, *args],
        capture_output=True, text=True, timeout=120, env=env, cwd=ROOT,
    )  # fmt: skip


def test_flow_run_refuses_with_exit_2_while_mappings_are_pending(core: Core, tenant: Tenant) -> None:
    mappings = {"Host": "hostname", "Mem": "memory_gb"}
    made = make_import(core, tenant, "p.csv", ["Host", "Mem"], [["h1", "4"]], mappings, pending=["Mem"])
    res = cli(core, "flow", "run", str(made.flow_id), "--json")
    assert res.returncode == 2, res.stderr
    assert "pending review: Mem" in res.stderr and res.stdout == ""


def test_flow_run_json_and_assets_export(core: Core, tenant: Tenant, engagement: EngagementRef,
                                         tmp_path: Path) -> None:  # fmt: skip
    made = make_import(
        core, tenant, "servers.csv", ["Host", "RAM (MB)", "Env"],
        [["web01.corp.example.com", "8192", "PROD"], ["db01", "16384", "dev"],
         ["=cmd|'/c calc'!A1", "1", "x"]],
        {"Host": "hostname", "RAM (MB)": ("memory_gb", {"scale": 1 / 1024}), "Env": "environment"},
    )  # fmt: skip
    res = cli(core, "flow", "run", str(made.flow_id), "--json")  # the default: the whole discovery flow
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert list(data)[: len(CONTRACT_KEYS)] == CONTRACT_KEYS
    assert data["current_phase"] == "completed" and data["status"] == "completed" and data["error"] is None
    assert data["phases_completed"] == list(PHASES)
    assert data["flags"]["dependency_analysis_completed"] is True
    assert data["run"]["phases_run"] == ["field_mapping", "data_cleansing", *PHASES[3:]]
    assert data["run"]["summaries"]["data_cleansing"]["invalid_records"] == 1  # the host name "=cmd|..."

    again = cli(core, "flow", "run", str(made.flow_id), "--json")  # nothing pending: status only
    assert again.returncode == 0 and json.loads(again.stdout)["run"]["phases_run"] == []

    out = tmp_path / "inv.xlsx"
    res = cli(core, "assets", "export", "--engagement", engagement.engagement_name, "--client",
              engagement.client_name, "--format", "xlsx", "--out", str(out))  # fmt: skip
    assert res.returncode == 0, res.stderr
    ws = openpyxl.load_workbook(out)["Assets"]
    assert ws.max_row == 3  # header + web01 + db01 (the invalid host name made no identity)
    res = cli(core, "assets", "export", "--engagement", engagement.engagement_name, "--format", "csv",
              "--out", str(tmp_path / "inv.csv"), "--json")  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["rows"]["Assets"] == 2
    bad = cli(
        core, "assets", "export", "--engagement", "no such engagement", "--format", "csv", "--out", "x.csv"
    )
    assert bad.returncode == 2 and "no engagement" in bad.stderr
