"""`migration-discovery map accept|generate|list|finish` against the test server, as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from core.bootstrap import Core
from core.uow import Tenant

from .conftest import MakeImport
from .helpers import flow, rows

ROOT = Path(__file__).resolve().parents[2]
ACCEPT_KEYS = {"flow_id", "import_id", "approved", "pending", "rejected", "total", "field_mapping_completed"}


def run_cli(core: Core, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MD_")}
    env.update({"MD_USER": "Test Consultant <tester@example.com>", "MD_NO_SEMANTIC": "1"})
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", "--database-url", core.db.app_url, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )


@pytest.fixture(autouse=True)
def _map_group_registered() -> None:
    from desktop_app.cli.main import build_parser

    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    if "map" not in sub.choices:  # pragma: no cover - until commands_map joins COMMAND_MODULES
        pytest.skip("the `map` command group is not registered in desktop_app/cli/main.py yet")


def test_map_accept_prints_the_counts(core: Core, tenant: Tenant, make_import: MakeImport) -> None:
    ref = make_import()
    res = run_cli(core, "map", "accept", str(ref.flow_id), "--min-confidence", "0.95", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert set(out) >= ACCEPT_KEYS
    assert (out["flow_id"], out["import_id"]) == (str(ref.flow_id), str(ref.import_id))
    stored = rows(core, tenant, ref.import_id)
    sure = {n for n, r in stored.items() if r.target_field and r.confidence >= 0.95}
    assert out["generated"] is True and out["total"] == len(stored) == 6
    assert out["approved"] == out["newly_approved"] == len(sure) > 0
    assert out["approved"] + out["modified"] + out["pending"] + out["rejected"] == out["total"]
    assert {n for n, r in stored.items() if r.status == "approved"} == sure
    assert all(stored[n].approved_by == "Test Consultant" for n in sure)
    assert out["field_mapping_completed"] is False

    listed = run_cli(core, "map", "list", str(ref.flow_id), "--json")
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert data["counts"]["approved"] == len(sure) and len(data["mappings"]) == 6
    assert data["mappings"][0]["source_field"] == "Server Name"

    done = run_cli(core, "map", "finish", str(ref.flow_id), "--auto", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["field_mapping_completed"] is True
    assert flow(core, tenant, ref.flow_id).current_phase == "data_cleansing"


def test_map_accept_completes_the_mapping_when_nothing_is_left(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = make_import(columns=["Hostname", "IP Address"], rows=[["web01", "10.0.0.1"]])
    gen = run_cli(core, "map", "generate", str(ref.flow_id), "--json")
    assert gen.returncode == 0, gen.stderr
    assert json.loads(gen.stdout)["with_target"] == 2
    res = run_cli(core, "map", "accept", str(ref.flow_id), "--min-confidence", "0", "--json")
    out = json.loads(res.stdout)
    assert (out["generated"], out["approved"], out["pending"], out["field_mapping_completed"]) == (
        False,
        2,
        0,
        True,
    )


@pytest.mark.parametrize("flow_id", [str(uuid.UUID(int=7)), "not-a-flow"])
def test_bad_flow_id_exits_2(core: Core, flow_id: str) -> None:
    res = run_cli(core, "map", "accept", flow_id, "--min-confidence", "0.9", "--json")
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "flow" in res.stderr and res.stdout == "" and "Traceback" not in res.stderr


def test_bad_threshold_exits_2(core: Core, make_import: MakeImport) -> None:
    ref = make_import()
    res = run_cli(core, "map", "accept", str(ref.flow_id), "--min-confidence", "1.5", "--json")
    assert res.returncode == 2 and "min-confidence" in res.stderr


def test_map_finish_auto_on_a_finished_mapping_says_so_and_exits_0(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = make_import()
    assert run_cli(core, "map", "generate", str(ref.flow_id)).returncode == 0
    first = run_cli(core, "map", "finish", str(ref.flow_id), "--auto", "--json")
    assert first.returncode == 0, first.stderr
    before = rows(core, tenant, ref.import_id)
    again = run_cli(core, "map", "finish", str(ref.flow_id), "--auto", "--json")
    assert again.returncode == 0, again.stderr
    out = json.loads(again.stdout)
    assert out["field_mapping_completed"] is True and out["already_finished"] is True
    assert out["pending"] == 0 and out["total"] == len(before)
    assert rows(core, tenant, ref.import_id) == before  # nothing decided twice
    assert flow(core, tenant, ref.flow_id).current_phase == "data_cleansing"
    text = run_cli(core, "map", "finish", str(ref.flow_id), "--auto")
    assert text.returncode == 0, text.stderr
    assert "already finished" in text.stdout
