"""`flow status`, `flow timeline`, `flow cleanup` and `reconcile` through the real command line."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from core.bootstrap import Core
from core.flows import PHASE_FLAG_MAP, PHASES
from core.tenancy import EngagementRef

from .helpers import MakeFlow

ROOT = Path(__file__).resolve().parents[2]


def cli(core: Core, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MD_")}
    env["MD_USER"] = "Test Consultant <tester@example.com>"
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", "--database-url", core.db.app_url, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )


def test_flow_status_json_has_the_contract_shape(core: Core, make_flow: MakeFlow) -> None:
    flow_id = make_flow(at="data_cleansing")
    res = cli(core, "flow", "status", str(flow_id), "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert list(data) == [
        "flow_id",
        "status",
        "current_phase",
        "phases_completed",
        "progress_percentage",
        "flags",
        "version",
        "error",
        "actions",  # added to the contract's shape: what may be done now, and why not
        "master",  # added: the master flow's stages (discovery, assessment, planning)
        "ai_crew_error",  # added: the last AI crew failure with its hint (advice: never blocks the flow)
    ]
    actions = data.pop("actions")
    master = data.pop("master")
    assert data.pop("ai_crew_error") is None  # no AI crew has failed on this flow
    assert [(st["stage"], st["status"]) for st in master["stages"]] == [
        ("discovery", "ready"),
        ("assessment", "waiting"),
        ("planning", "waiting"),
    ]
    assert master["current_stage"] == "discovery" and "data_cleansing" in master["stages"][0]["reason"]
    assert actions["run_next"] == {"allowed": True, "reason": None}
    assert actions["resume"] == {"allowed": False, "reason": "the flow is not paused"}
    assert data == {
        "flow_id": str(flow_id),
        "status": "running",
        "current_phase": "data_cleansing",
        "phases_completed": ["data_import", "field_mapping"],
        "progress_percentage": 33.3,
        "flags": {PHASE_FLAG_MAP[p]: p in ("data_import", "field_mapping") for p in PHASES},
        "version": 3,
        "error": None,
    }
    text = cli(core, "flow", "status", str(flow_id))
    assert text.returncode == 0 and "data_cleansing" in text.stdout and "[x] field_mapping" in text.stdout
    timeline = cli(core, "flow", "timeline", str(flow_id), "--json")
    assert timeline.returncode == 0, timeline.stderr
    phases = json.loads(timeline.stdout)["phases"]
    assert [p["status"] for p in phases][:3] == ["completed", "completed", "in_progress"]


def test_unknown_or_malformed_flow_id_exits_2_with_one_message(core: Core) -> None:
    for flow_id in (str(uuid.uuid4()), "not-a-flow"):
        res = cli(core, "flow", "status", flow_id, "--json")
        assert res.returncode == 2
        assert flow_id in res.stderr and "Traceback" not in res.stderr and res.stdout == ""


def test_reconcile_writes_the_csv_report(
    core: Core, engagement: EngagementRef, make_flow: MakeFlow, tmp_path: Path
) -> None:
    from core.flows import create_discovery_flow

    from .helpers import add_import

    with core.uow(core.tenant_for(engagement)) as uow:  # an import whose flag was never set
        flow = create_discovery_flow(uow, data_import_id=add_import(uow, 2), flow_name="lagging")
        uow.commit()
    report = tmp_path / "report.csv"
    res = cli(core, "reconcile", "--client", engagement.client_name, "--report", str(report), "--json")
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["applied"] is False and summary["fields_fixed"] == 5
    with report.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["field"] for r in rows} == {
        "data_import_completed",
        "current_phase",
        "phases_completed",
        "progress_percentage",
        "status",
    }
    assert all(r["flow_id"] == str(flow.id) and r["reason"] for r in rows)
    applied = cli(core, "reconcile", "--apply", "--client", engagement.client_name, "--report", str(report))
    assert applied.returncode == 0, applied.stderr
    status = json.loads(cli(core, "flow", "status", str(flow.id), "--json").stdout)
    assert status["flags"]["data_import_completed"] and status["version"] == 2
    missing = cli(core, "reconcile", "--report", str(report), "--client", "Nobody Ltd")
    assert missing.returncode == 2 and "no client" in missing.stderr


def test_flow_cleanup_dry_run_lists_counts(
    core: Core, engagement: EngagementRef, make_flow: MakeFlow
) -> None:
    make_flow(at="completed")
    res = cli(core, "flow", "cleanup", "--older-than", "0", "--client", engagement.client_name, "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["applied"] is False and data["archived"] == 1 and len(data["flows"]) == 1
    bad = cli(core, "flow", "cleanup", "--older-than", "soon")
    assert bad.returncode == 2
