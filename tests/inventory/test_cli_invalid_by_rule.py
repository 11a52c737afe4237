"""`flow run` says how many records each cleansing rule found invalid (issue 12, item 12)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from core.bootstrap import Core
from core.uow import Tenant

from .builders import make_import

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ["Host", "RAM (MB)", "Installed"]
ROWS = [
    ["web01", "8192", "2021-04-15"],
    ["db01", "lots", "2021-04-16"],
    ["app01", "many", "soon"],
    ["app02", "4096", "2021-04-17"],
]
MAPPINGS = {
    "Host": "hostname",
    "RAM (MB)": ("memory_gb", {"scale": 1 / 1024}),
    "Installed": "install_date",
}


def cli(core: Core, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MD_")}
    env["MD_USER"] = "Test Consultant <tester@example.com>"
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", "--database-url", core.db.app_url, *args],
        capture_output=True, text=True, timeout=120, env=env, cwd=ROOT,
    )  # fmt: skip


def test_flow_run_counts_invalid_records_per_rule_in_text_and_json(core: Core, tenant: Tenant) -> None:
    made = make_import(core, tenant, "rules.csv", COLUMNS, ROWS, MAPPINGS)
    res = cli(core, "flow", "run", str(made.flow_id), "--through", "data_cleansing", "--json")
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)["run"]["summaries"]["data_cleansing"]
    by_rule = summary["invalid_by_rule"]
    assert summary["invalid_records"] == 2 and sum(by_rule.values()) == 3 and len(by_rule) >= 1

    again = make_import(core, tenant, "rules2.csv", COLUMNS, ROWS, MAPPINGS)
    text = cli(core, "flow", "run", str(again.flow_id), "--through", "data_cleansing")
    assert text.returncode == 0, text.stderr
    [line] = [ln for ln in text.stdout.splitlines() if "invalid records by rule" in ln]
    for rule, n in by_rule.items():
        assert f"{rule} {n}" in line, (line, by_rule)
