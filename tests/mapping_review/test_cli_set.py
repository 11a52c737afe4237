"""`map set`, hints that name the command to run, and `--json` errors on stderr (issue 12, item 12).

Runs the real CLI as a subprocess against the test server, as tests/mapping_review/test_cli.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from core.bootstrap import Core
from core.uow import Tenant

from .conftest import MakeImport
from .helpers import flow, rows

ROOT = Path(__file__).resolve().parents[2]
ERROR_KEYS = {"error", "hint", "file", "row", "column", "exit_code"}


def run_cli(core: Core, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MD_")}
    env.update({"MD_USER": "Test Consultant <tester@example.com>", "MD_NO_SEMANTIC": "1"})
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", "--database-url", core.db.app_url, *args],
        capture_output=True, text=True, timeout=120, env=env, cwd=ROOT,
    )  # fmt: skip


def json_error(res: subprocess.CompletedProcess[str], code: int) -> dict[str, Any]:
    """The one JSON object a failed `--json` command writes to stderr (nothing on stdout)."""
    assert res.returncode == code, (res.stdout, res.stderr)
    assert res.stdout == "" and len(res.stderr.strip().splitlines()) == 1, res.stderr
    data = json.loads(res.stderr)
    assert set(data) >= ERROR_KEYS and data["exit_code"] == code
    return data


def test_map_set_decides_one_column_by_its_header(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = make_import()
    fid = str(ref.flow_id)
    ram = run_cli(
        core, "map", "set", fid, "RAM (MB)", "--target", "memory_gb", "--rule", "scale=1/1024", "--json"
    )
    assert ram.returncode == 0, ram.stderr
    out = json.loads(ram.stdout)
    assert out["generated"] is True  # the import had no suggestions yet: made first, like `map accept`
    assert (out["source_field"], out["status"], out["target_field"]) == ("RAM (MB)", "modified", "memory_gb")
    assert out["transformation_rules"] == {"scale": 1 / 1024} and out["changed"] is True
    assert out["counts"]["modified"] == 1 and out["counts"]["total"] == 6

    host = run_cli(core, "map", "set", fid, "server name", "--target", "hostname", "--json")  # any case
    assert host.returncode == 0, host.stderr
    out = json.loads(host.stdout)
    assert (out["source_field"], out["status"], out["previous_status"]) == (
        "Server Name",
        "approved",
        "suggested",
    )

    junk = run_cli(core, "map", "set", fid, "Zorglub", "--unmapped", "--reason", "internal code")
    assert junk.returncode == 0, junk.stderr
    assert "'Zorglub' left unmapped" in junk.stdout and "3 of 6 column(s) decided" in junk.stdout

    stored = rows(core, tenant, ref.import_id)
    assert stored["RAM (MB)"].transformation_rules == {"scale": 1 / 1024}
    assert stored["Server Name"].status == "approved" and stored["Zorglub"].status == "rejected"
    assert all(stored[c].approved_by == "Test Consultant" for c in ("RAM (MB)", "Server Name", "Zorglub"))
    assert flow(core, tenant, ref.flow_id).current_phase == "field_mapping"  # `map finish` finishes

    same = run_cli(core, "map", "set", fid, "Server Name", "--target", "hostname", "--json")
    assert same.returncode == 0 and json.loads(same.stdout)["changed"] is False


def test_map_set_refuses_unknown_columns_targets_and_rules_with_a_hint(
    core: Core, make_import: MakeImport
) -> None:
    ref = make_import()
    fid = str(ref.flow_id)
    column = json_error(run_cli(core, "map", "set", fid, "Server Nme", "--target", "hostname", "--json"), 2)
    assert column["column"] == "Server Nme" and "'Server Name'" in column["hint"]
    assert f"migration-discovery map list {fid}" in column["hint"]

    target = json_error(run_cli(core, "map", "set", fid, "Server Name", "--target", "hostnam", "--json"), 2)
    assert "unknown target field 'hostnam'" in target["error"] and "'hostname'" in target["hint"]

    rule = json_error(
        run_cli(core, "map", "set", fid, "RAM (MB)", "--target", "memory_gb", "--rule", "scal=2", "--json"), 2
    )
    assert "unknown rule 'scal'" in rule["error"] and "'scale'" in rule["hint"]
    bad = json_error(
        run_cli(core, "map", "set", fid, "RAM (MB)", "--target", "memory_gb", "--rule", "scale=0", "--json"),
        2,
    )
    assert "scale must not be 0" in bad["error"]

    usage = json_error(
        run_cli(core, "map", "set", fid, "Server Name", "--json"), 2
    )  # neither --target nor --unmapped
    assert "--target" in usage["error"] and "map set --help" in usage["hint"]
    text = run_cli(core, "map", "set", fid, "Server Nme", "--target", "hostname")
    assert text.returncode == 2 and text.stderr.startswith("error: column 'Server Nme':")


def test_map_set_on_a_finished_mapping_is_a_json_failure_with_exit_1(
    core: Core, make_import: MakeImport
) -> None:
    ref = make_import(columns=["Hostname", "IP Address"], rows=[["web01", "10.0.0.1"]])
    fid = str(ref.flow_id)
    assert run_cli(core, "map", "generate", fid).returncode == 0
    assert run_cli(core, "map", "finish", fid, "--auto").returncode == 0
    locked = json_error(run_cli(core, "map", "set", fid, "Hostname", "--unmapped", "--json"), 1)
    assert "can no longer change" in locked["error"] and locked["file"] is None
    assert f"map reopen {fid}" in locked["error"]  # names the way out


def test_hints_name_the_command_to_run(core: Core, tenant: Tenant, make_import: MakeImport) -> None:
    ref = make_import()  # stored without suggestions, as imports made before this version
    fid = str(ref.flow_id)
    none_yet = json_error(run_cli(core, "map", "finish", fid, "--json"), 2)
    assert f"migration-discovery map generate {fid}" in none_yet["hint"]

    assert run_cli(core, "map", "generate", fid).returncode == 0
    pending = json_error(run_cli(core, "map", "finish", fid, "--json"), 2)
    assert "still need a decision" in pending["error"]
    assert f"map set {fid} COLUMN" in pending["hint"] and f"map finish {fid} --auto" in pending["hint"]
