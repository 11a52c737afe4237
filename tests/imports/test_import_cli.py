"""`migration-discovery import`: the contract's JSON shape and exit codes, as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from core.bootstrap import Core
from core.db.models import DataImport, DiscoveryFlow
from core.tenancy import EngagementRef
from core.uow import Tenant

from . import builders

ROOT = Path(__file__).resolve().parents[2]
CONTRACT_KEYS = {"import_id", "flow_id", "master_flow_id", "rows", "status", "errors"}


def cli(
    *args: str, database_url: str | None = None, data_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "desktop_app"]
    if database_url:
        command += ["--database-url", database_url]
    if data_dir:
        command += ["--data-dir", str(data_dir)]
    env = {**os.environ, "MD_USER": "Test Consultant <tester@example.com>"}
    env.pop("MD_DATABASE_URL", None)
    return subprocess.run(
        [*command, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False
    )


def output(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    data = json.loads(proc.stdout)
    assert set(data) >= CONTRACT_KEYS
    return data


def test_cli_import_json_and_exit_codes_on_a_shared_database(
    core: Core, tenant: Tenant, engagement: EngagementRef, tmp_path: Path
) -> None:
    names = ["--client", engagement.client_name, "--engagement", engagement.engagement_name, "--json"]
    good = builders.write_csv(tmp_path / "servers.csv", [builders.CMDB_HEADER, *builders.cmdb_rows(250)])
    ragged = builders.write_text(tmp_path / "ragged.csv", "Name,IP\na,1\nb,2,3\nc,3\n")

    ok = cli("import", str(good), *names, "--source-system", "CMDB", database_url=core.db.app_url)
    assert ok.returncode == 0, ok.stderr
    data = output(ok)
    assert data["status"] == "completed" and data["rows"] == 250 and data["errors"] == []
    with core.uow(tenant) as uow:
        imp = uow.session.get(DataImport, uuid.UUID(data["import_id"]))
        flow = uow.session.get(DiscoveryFlow, uuid.UUID(data["flow_id"]))
        assert imp is not None and imp.source_system == "CMDB" and imp.processed_records == 250
        assert flow is not None and flow.data_import_completed
        assert str(flow.master_flow_id) == data["master_flow_id"] == str(imp.master_flow_id)

    bad = cli("import", str(ragged), *names, database_url=core.db.app_url)
    assert bad.returncode == 2
    failed = output(bad)
    assert failed["status"] == "failed" and failed["rows"] == 0 and failed["import_id"]
    assert failed["errors"][0]["row"] == 3 and failed["errors"][0]["file"] == "ragged.csv"
    error = json.loads(bad.stderr)  # with --json the error is one JSON object on stderr as well
    assert (error["file"], error["row"], error["exit_code"]) == ("ragged.csv", 3, 2)
    assert error["error"] and error["hint"] and "Traceback" not in bad.stderr
    text = cli("import", str(ragged), *names[:-1], database_url=core.db.app_url)  # without --json
    assert text.returncode == 2 and text.stderr.startswith("error: file ragged.csv, row 3:")

    skipped = cli("import", str(ragged), *names, "--skip-bad-rows", database_url=core.db.app_url)
    assert skipped.returncode == 0, skipped.stderr
    data = output(skipped)
    assert data["rows"] == 2 and [e["row"] for e in data["errors"]] == [3]

    unknown = cli(
        "import", str(good), "--client", "Nobody", "--engagement", "Nothing", database_url=core.db.app_url
    )
    assert unknown.returncode == 2 and "db grant" in unknown.stderr  # shared: no creation on first use

    missing = cli("import", str(tmp_path / "nope.csv"), *names, database_url=core.db.app_url)
    assert missing.returncode == 2 and "nope.csv" in missing.stderr


def test_cli_import_embedded_creates_client_and_engagement_on_first_use(tmp_path: Path) -> None:
    path = builders.write_csv(tmp_path / "servers.csv", [builders.CMDB_HEADER, *builders.cmdb_rows(40)])
    proc = cli(
        "import",
        str(path),
        "--client",
        "Acme",
        "--engagement",
        "Wave 1",
        "--json",
        data_dir=tmp_path / "data",
    )
    assert proc.returncode == 0, proc.stderr
    data = output(proc)
    assert data["status"] == "completed" and data["rows"] == 40
    assert all(uuid.UUID(data[k]) for k in ("import_id", "flow_id", "master_flow_id"))
