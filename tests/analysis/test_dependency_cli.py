"""`import --kind`, `flow run` of a connection export and `analysis groups` through the real command line;
the infrastructure override use case; tenant isolation of groups and dependencies."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy import func, select

from core import tenancy
from core.actions import analysis as actions
from core.bootstrap import Core
from core.db.models import (
    Asset,
    AssetDependency,
    DataImport,
    InfrastructureService,
    MoveGroup,
    MoveGroupMember,
)
from core.queries.dependencies import group_connections, groups_report, stored_groups, unresolved_count
from core.tenancy import EngagementRef
from core.uow import Tenant

ROOT = Path(__file__).resolve().parents[2]


def cli(core: Core, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MD_")}
    env["MD_USER"] = "Test Consultant <tester@example.com>"
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", "--database-url", core.db.app_url, *args],
        capture_output=True, text=True, timeout=180, env=env, cwd=ROOT,
    )  # fmt: skip


def _names(engagement: EngagementRef) -> list[str]:
    return ["--client", engagement.client_name, "--engagement", engagement.engagement_name]


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


INVENTORY = [
    ["Host", "IP", "Application", "Environment"],
    ["web01", "10.0.0.1", "Shop", "prod"],
    ["web02", "10.0.0.2", "Shop", "prod"],
    ["api01", "10.0.0.3", "", "prod"],
    ["db01", "10.0.0.4", "", "prod"],
    ["dns01", "10.0.0.53", "", "prod"],
]
# a hand-made sheet: server A talks to server B on port P (names, IPs, ports as text, an external end)
CONNECTIONS = [
    ["Server A", "Server B", "Port", "Count"],
    ["web01", "api01", "8443/tcp", "40"],
    ["WEB02.corp.example.net", "api01", "8443", "35"],
    ["api01", "10.0.0.4", "5432/tcp", "90"],
    ["web01", "dns01", "53/udp", "10"],
    ["web02", "dns01", "53/udp", "10"],
    ["api01", "dns01", "53/udp", "10"],
    ["db01", "dns01", "53/udp", "10"],
    ["api01", "203.0.113.9", "443", "3"],
    ["db01", "db01", "1521", "1"],
]


def _imported(core: Core, engagement: EngagementRef, path: Path, *extra: str) -> dict:
    res = cli(core, "import", str(path), *_names(engagement), *extra, "--json")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def _accept_and_run(core: Core, flow_id: str) -> dict:
    res = cli(core, "map", "accept", flow_id, "--min-confidence", "0", "--json")
    assert res.returncode == 0, res.stderr
    res = cli(core, "map", "finish", flow_id, "--auto", "--json")
    assert res.returncode == 0, res.stderr
    res = cli(core, "flow", "run", flow_id, "--json")  # the default runs the whole discovery flow
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_connection_export_through_the_cli_and_analysis_groups_shape(
    core: Core, tenant: Tenant, engagement: EngagementRef, tmp_path: Path
) -> None:
    inv = _imported(core, engagement, _write(tmp_path / "servers.csv", INVENTORY))
    assert inv["kind"] == "assets"
    status = _accept_and_run(core, inv["flow_id"])
    assert status["status"] == "completed" and status["current_phase"] == "completed"

    conn = _imported(core, engagement, _write(tmp_path / "talks.csv", CONNECTIONS))
    assert conn["kind"] == "connections"  # recognised from Server A / Server B
    status = _accept_and_run(core, conn["flow_id"])
    assert status["status"] == "completed", status
    inventory = status["run"]["summaries"]["asset_inventory"]
    assert inventory["connections"] == 8 and inventory["self_connections_skipped"] == 1
    assert inventory["unresolved_endpoints"] == 1 and inventory["observations"] == 208

    res = cli(core, "analysis", "groups", *_names(engagement), "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert list(data) == ["groups", "infrastructure", "unresolved_endpoints"]
    assert all(list(g) == ["name", "applications", "assets"] for g in data["groups"])
    assert data["unresolved_endpoints"] == 1
    assert data["infrastructure"] == ["dns01"]  # port 53 from every server
    placed = [a for g in data["groups"] for a in g["assets"]]
    assert sorted(placed) == ["api01", "db01", "web01", "web02"]  # every other asset exactly once
    shop = next(g for g in data["groups"] if "web01" in g["assets"])
    assert "Shop" in shop["applications"] and "web02" in shop["assets"]
    assert data == groups_report(core.uows, tenant)
    assert unresolved_count(core.uows, tenant) == 1
    stored = stored_groups(core.uows, tenant)
    assert sorted(a["hostname"] for g in stored for a in g["assets"]) == sorted(placed)
    conns = group_connections(core.uows, tenant, uuid.UUID(stored[0]["id"]))
    assert conns and all({"source", "target", "port", "observations"} <= set(c) for c in conns)


def test_kind_override_on_the_cli(core: Core, engagement: EngagementRef, tmp_path: Path) -> None:
    path = _write(tmp_path / "odd.csv", [["Name", "Peer", "Port"], ["a", "b", "22"]])
    assert _imported(core, engagement, path)["kind"] == "assets"
    again = _imported(core, engagement, path, "--kind", "connections", "--allow-duplicate")
    assert again["kind"] == "connections"
    tenant = core.tenant_for(engagement)
    with core.uow(tenant) as uow:
        imp = uow.session.get(DataImport, uuid.UUID(again["import_id"]))
        assert imp is not None and imp.import_metadata["kind"] == "connections"
        assert imp.import_metadata["kind_detected"]["kind"] == "assets"
    res = cli(core, "map", "list", again["flow_id"], "--json")
    assert res.returncode == 0, res.stderr
    targets = {r["source_field"]: r["target_field"] for r in json.loads(res.stdout)["mappings"]}
    assert targets["Port"] == "target_port"  # the review suggests connection fields
    bad = cli(core, "import", str(path), *_names(engagement), "--kind", "flows")
    assert bad.returncode == 2 and "--kind" in bad.stderr


def test_override_reruns_the_grouping_and_tenants_are_isolated(
    core: Core, tenant: Tenant, engagement: EngagementRef, tmp_path: Path
) -> None:
    inv = _imported(core, engagement, _write(tmp_path / "servers.csv", INVENTORY))
    _accept_and_run(core, inv["flow_id"])
    conn = _imported(core, engagement, _write(tmp_path / "talks.csv", CONNECTIONS))
    _accept_and_run(core, conn["flow_id"])
    with core.uow(tenant) as uow:
        db01 = uow.session.scalar(select(Asset.id).where(Asset.hostname == "db01"))
        dns01 = uow.session.scalar(select(Asset.id).where(Asset.hostname == "dns01"))
    assert db01 is not None and dns01 is not None
    done = actions.set_infrastructure_override(
        core.uows, tenant, db01, is_infrastructure=True, reason="shared database server"
    )
    assert done.changes.analysis and done.value["infrastructure"] == 2
    kept = actions.set_infrastructure_override(
        core.uows, tenant, dns01, is_infrastructure=False, reason="app DNS"
    )
    assert kept.value["infrastructure"] == 1
    assert groups_report(core.uows, tenant)["infrastructure"] == ["db01"]
    cleared = actions.clear_infrastructure_override(core.uows, tenant, dns01)
    assert cleared.value["infrastructure"] == 2

    other_ref = tenancy.ensure_engagement(core.db.admin_sessions(), "Other client", "Other", core.user_id)
    other = core.tenant_for(other_ref)
    with core.uow(other) as uow:
        s = uow.session
        for model in (AssetDependency, MoveGroup, MoveGroupMember, InfrastructureService):
            assert s.scalar(select(func.count()).select_from(model)) == 0, model.__tablename__
    assert groups_report(core.uows, other) == {"groups": [], "infrastructure": [], "unresolved_endpoints": 0}
    with core.uow(tenant) as uow:
        assert uow.session.scalar(select(func.count()).select_from(AssetDependency)) == 8
