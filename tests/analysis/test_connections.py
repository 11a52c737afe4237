"""Connection exports: kind detection, endpoint resolution, merging, and the flow through all six phases.

Real PostgreSQL, real flow machinery; imports are made the way the import pipeline stores them
(tests/inventory/builders.py), with `import_metadata["kind"]` set as `import_file` sets it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import pytest
from inventory.builders import Made, make_import  # tests/inventory: the same import set-up
from sqlalchemy import select

from core.bootstrap import Core
from core.db.models import AssetDependency, DataImport, DiscoveryFlow
from core.mapping.kind import detect_kind, suggest_for_schema
from core.phases import PHASES
from core.pipeline import run_flow
from core.pipeline.run import FlowRunResult
from core.uow import Tenant

LAST = PHASES[-1]

SERVERS = [
    ["web01", "web01.corp.example.net", "10.0.0.1", "Payroll", "prod"],
    ["APP01", "", "10.0.0.2", "Payroll", "prod"],
    ["db01", "db01.corp.example.net", "2001:db8::10", "", "prod"],
    ["crm01", "", "10.0.1.1", "CRM", "prod"],
]

AZURE = [
    "Time slot", "Source server name", "Source IP", "Source application", "Source process",
    "Destination server name", "Destination IP", "Destination application", "Destination process",
    "Destination port",
]  # fmt: skip
NETSTAT = ["Computer", "Proto", "Local Address", "Foreign Address", "State", "PID", "Process"]
VRNI = ["Source IP", "Destination IP", "Port", "Protocol", "Source VM", "Destination VM", "Flow count"]
HAND = ["Server A", "Server B", "Port"]


def _inventory(core: Core, tenant: Tenant) -> Made:
    made = make_import(
        core, tenant, "servers.csv", ["Host", "FQDN", "IP", "App", "Env"], SERVERS,
        {"Host": "hostname", "FQDN": "fqdn", "IP": "ip_address", "App": "application_name",
         "Env": "environment"},
    )  # fmt: skip
    run_flow(core.uows, tenant, made.flow_id, through="asset_inventory")
    return made


def _connections(
    core: Core, tenant: Tenant, name: str, columns: Sequence[str], rows: Sequence[Sequence[str]]
) -> Made:
    """A connection import with the mappings the suggester proposes for its columns, approved."""
    samples = [(c, [r[i] for r in rows]) for i, c in enumerate(columns)]
    mapping = {s.source_field: s.target_field for s in suggest_for_schema(samples)}
    made = make_import(core, tenant, name, columns, rows, mapping)
    with core.uow(tenant) as uow:
        imp = uow.session.get(DataImport, made.import_id)
        assert imp is not None
        imp.import_metadata = {**(imp.import_metadata or {}), "kind": "connections"}
        uow.commit()
    return made


def _deps(core: Core, tenant: Tenant) -> list[AssetDependency]:
    with core.uow(tenant) as uow:
        rows = list(uow.session.scalars(select(AssetDependency)))
        uow.session.expunge_all()
        return rows


def _names(core: Core, tenant: Tenant) -> dict[uuid.UUID, str]:
    from core.db.models import Asset

    with core.uow(tenant) as uow:
        return {a: h for a, h in uow.session.execute(select(Asset.id, Asset.hostname))}


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        (AZURE, "connections"),
        (NETSTAT, "connections"),
        (["Netid", "State", "Local Address:Port", "Peer Address:Port", "Process"], "connections"),
        (VRNI, "connections"),
        (HAND, "connections"),
        (["From", "To", "Port"], "connections"),
        (["VM", "Host", "IP Address", "OS", "CPUs", "Memory MB", "Powerstate"], "assets"),
        (["Server Name", "IP", "Application", "Environment", "Operating System"], "assets"),
    ],
)
def test_kind_is_recognised_from_the_columns(headers: list[str], kind: str) -> None:
    assert detect_kind(headers).kind == kind


def test_connection_targets_are_suggested_for_the_four_export_styles() -> None:
    def targets(headers: list[str]) -> dict[str, str | None]:
        return {s.source_field: s.target_field for s in suggest_for_schema([(h, ["x"]) for h in headers])}

    assert targets(AZURE) == {
        "Time slot": "time_slot", "Source server name": "source_host", "Source IP": "source_ip",
        "Source application": "source_application", "Source process": "source_process",
        "Destination server name": "target_host", "Destination IP": "target_ip",
        "Destination application": "target_application", "Destination process": "target_process",
        "Destination port": "target_port",
    }  # fmt: skip
    assert targets(NETSTAT)["Local Address"] == "source_address"
    assert targets(NETSTAT)["Foreign Address"] == "target_address"
    assert targets(VRNI)["Port"] == "target_port" and targets(VRNI)["Flow count"] == "observation_count"
    assert targets(HAND) == {"Server A": "source_host", "Server B": "target_host", "Port": "target_port"}


def test_endpoints_resolve_by_hostname_fqdn_case_and_ip_and_unresolved_are_kept(
    core: Core, tenant: Tenant
) -> None:
    _inventory(core, tenant)
    rows = [
        ["2026-03-01 10:00", "WEB01", "", "", "w3wp.exe", "app01.corp.example.net", "", "", "", "8443"],
        ["2026-03-01 10:00", "", "10.0.0.2", "", "", "", "2001:db8::10", "", "", "1433/tcp"],
        ["2026-03-01 11:00", "web01.other.example", "", "", "", "8.8.8.8", "", "", "", "53/udp"],
        ["2026-03-01 11:00", "web01", "", "", "", "WEB01", "", "", "", "80"],  # self: skipped
    ]
    made = _connections(core, tenant, "azure.csv", AZURE, rows)
    result = run_flow(core.uows, tenant, made.flow_id, through=LAST)
    assert result.status["status"] == "completed", (result.notes, result.summaries)
    summary = result.summaries["asset_inventory"]
    assert summary["connections"] == 3 and summary["self_connections_skipped"] == 1
    assert summary["unresolved_endpoints"] == 1
    names = _names(core, tenant)
    got = {
        (names.get(d.source_asset_id, d.source_endpoint), names.get(d.target_asset_id, d.target_endpoint),
         d.port, d.protocol)
        for d in _deps(core, tenant)
    }  # fmt: skip
    assert got == {
        ("web01", "app01", 8443, None),
        ("app01", "db01", 1433, "tcp"),
        ("web01", "8.8.8.8", 53, "udp"),
    }
    external = next(d for d in _deps(core, tenant) if d.target_asset_id is None)
    assert external.target_endpoint == "8.8.8.8" and external.source_asset_id is not None


def test_netstat_lines_resolve_by_ip_turn_inbound_around_and_skip_listening(
    core: Core, tenant: Tenant
) -> None:
    _inventory(core, tenant)
    rows = [
        ["web01", "TCP", "10.0.0.1:49712", "10.0.0.2:443", "ESTABLISHED", "1", "w3wp.exe"],
        ["web01", "TCP", "10.0.0.1:443", "10.0.1.1:50123", "ESTABLISHED", "1", "w3wp.exe"],  # inbound
        ["web01", "TCP", "0.0.0.0:135", "0.0.0.0:0", "LISTENING", "1", "svchost.exe"],
        ["", "TCP", "[2001:db8::99]:5000", "[2001:db8::10]:5432", "ESTABLISHED", "1", "java"],  # IPv6
    ]
    made = _connections(core, tenant, "netstat.csv", NETSTAT, rows)
    result = run_flow(core.uows, tenant, made.flow_id, through=LAST)
    assert result.status["status"] == "completed"
    assert result.summaries["asset_inventory"]["listening_sockets_skipped"] == 1
    names = _names(core, tenant)
    got = {
        (
            names.get(d.source_asset_id, d.source_endpoint),
            names.get(d.target_asset_id, d.target_endpoint),
            d.port,
        )
        for d in _deps(core, tenant)
    }
    assert got == {("web01", "app01", 443), ("crm01", "web01", 443), ("2001:db8::99", "db01", 5432)}


def test_reimporting_a_newer_export_merges_observations(core: Core, tenant: Tenant) -> None:
    _inventory(core, tenant)
    first = [["10.0.0.1", "10.0.0.2", "443", "TCP", "web01", "app01", "5"]]
    second = [["10.0.0.1", "10.0.0.2", "443", "tcp", "web01", "app01", "7"],
              ["10.0.0.2", "10.0.1.1", "8080", "TCP", "app01", "crm01", "1"]]  # fmt: skip
    a = _connections(core, tenant, "flows-march.csv", VRNI, first)
    run_flow(core.uows, tenant, a.flow_id, through=LAST)
    run_flow(core.uows, tenant, a.flow_id, through=LAST)  # nothing left to run: no double counting
    b = _connections(core, tenant, "flows-april.csv", VRNI, second)
    result = run_flow(core.uows, tenant, b.flow_id, through=LAST)
    assert result.summaries["asset_inventory"]["merged_connections"] == 1
    deps = sorted(_deps(core, tenant), key=lambda d: d.port or 0)
    assert [(d.port, d.observation_count) for d in deps] == [(443, 12), (8080, 1)]
    assert deps[0].data_import_id == a.import_id


def test_export_with_no_resolvable_endpoint_keeps_every_endpoint(core: Core, tenant: Tenant) -> None:
    rows = [["alpha", "beta", "443/tcp"], ["beta", "gamma", "tcp/22"], ["alpha", "alpha", "80"]]
    made = _connections(core, tenant, "hand.csv", HAND, rows)
    result = run_flow(core.uows, tenant, made.flow_id, through=LAST)
    assert result.status["status"] == "completed"
    summary = result.summaries["asset_inventory"]
    assert summary["unresolved_endpoints"] == 3 and summary["self_connections_skipped"] == 1
    deps = _deps(core, tenant)
    assert {(d.source_endpoint, d.target_endpoint, d.port) for d in deps} == {
        ("alpha", "beta", 443),
        ("beta", "gamma", None),
    }
    assert all(d.source_asset_id is None and d.target_asset_id is None for d in deps)
    from core.db.models import DiscoveryFlow
    from core.flows.artefacts import phase_evidence

    with core.uow(tenant) as uow:  # reconcile sees the phase's artefact: stored connections, not assets
        flow = uow.session.get(DiscoveryFlow, made.flow_id)
        assert flow is not None
        evidence = phase_evidence(uow, flow)["asset_inventory"]
        assert evidence.present and "2 connection(s)" in evidence.reason
    assert "no dependency data" not in " ".join(result.summaries["dependency_analysis"]["notes"])


def test_inventory_flow_completes_all_six_phases(core: Core, tenant: Tenant) -> None:
    made = make_import(
        core, tenant, "servers.csv", ["Host", "IP", "App"], [r[:1] + r[2:4] for r in SERVERS],
        {"Host": "hostname", "IP": "ip_address", "App": "application_name"},
    )  # fmt: skip
    result = run_flow(core.uows, tenant, made.flow_id, through=LAST)
    assert result.status["status"] == "completed" and result.status["current_phase"] == "completed"
    assert all(result.status["flags"][f"{p}_completed"] for p in PHASES)
    dep = result.summaries["dependency_analysis"]
    assert dep["connections"] == 0 and dep["notes"][0].startswith("no dependency data")
    assert sum("dependency data" in n.lower() for n in dep["notes"]) == 1  # said once
    assert dep["groups"] == 3  # Payroll (web01, APP01), db01, crm01


def test_dependency_phase_reports_progress_reruns_idempotently_and_a_cancel_keeps_the_last_set(
    core: Core, tenant: Tenant
) -> None:
    from core.db.models import MoveGroup, MoveGroupMember
    from core.errors import OperationCancelled
    from core.pipeline import run_one_phase
    from core.progress import CancelToken, Progress

    made = _inventory(core, tenant)
    seen: list[Progress] = []
    run_flow(core.uows, tenant, made.flow_id, through="dependency_analysis", progress=seen.append)
    assert any(p.stage == "dependency_analysis" for p in seen)

    def stored() -> list[tuple[str, int]]:
        with core.uow(tenant) as uow:
            s = uow.session
            return sorted(
                (g.name, s.query(MoveGroupMember).filter_by(move_group_id=g.id).count())
                for g in s.scalars(select(MoveGroup))
            )

    first = stored()
    assert first and sum(n for _g, n in first) == len(SERVERS)
    run_one_phase(core.uows, tenant, made.flow_id, "dependency_analysis")  # a re-run: one set, same groups
    assert stored() == first
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(OperationCancelled):
        run_one_phase(core.uows, tenant, made.flow_id, "dependency_analysis", cancel=cancel)
    assert stored() == first


GHOST_SERVERS = [
    ["web01", "web01.corp.example.net", "10.0.0.1", "Payroll", "prod"],
    ["web02", "", "10.0.0.3", "Payroll", "prod"],
    ["APP01", "", "10.0.0.2", "Payroll", "prod"],
    ["db01", "db01.corp.example.net", "10.0.0.10", "", "prod"],
    ["ghost7", "ghost7.corp.example.net", "10.0.0.77", "Batch", "prod"],
]
# nine distinct connections, every end unknown until the inventory is imported (8.8.8.8 stays external)
GHOST_ROWS = [
    ("ghost7", "web02", "443"),
    ("web01", "app01", "8443"),
    ("web02", "app01", "8443"),
    ("app01", "db01", "1433"),
    ("ghost7", "db01", "1433"),
    ("web01", "ghost7", "22"),
    ("APP01", "8.8.8.8", "53"),
    ("db01", "web01", "135"),
    ("web02", "ghost7.corp.example.net", "8080"),
]


def _azure_rows(rows: Sequence[tuple[str, str, str]], slot: str) -> list[list[str]]:
    return [[slot, s, "", "", "", t, "", "", "", p] for s, t, p in rows]


def _ghost_inventory(core: Core, tenant: Tenant, *, through: str) -> FlowRunResult:
    made = make_import(
        core, tenant, "servers.csv", ["Host", "FQDN", "IP", "App", "Env"], GHOST_SERVERS,
        {"Host": "hostname", "FQDN": "fqdn", "IP": "ip_address", "App": "application_name",
         "Env": "environment"},
    )  # fmt: skip
    result = run_flow(core.uows, tenant, made.flow_id, through=through)
    assert result.status["flags"][f"{through}_completed"], result.notes
    return result


def _edges(core: Core, tenant: Tenant) -> dict[tuple[str, str, int | None], AssetDependency]:
    names = {k: v.lower() for k, v in _names(core, tenant).items()}
    out = {}
    for d in _deps(core, tenant):
        key = (
            names.get(d.source_asset_id, f"ext:{d.source_endpoint}"),
            names.get(d.target_asset_id, f"ext:{d.target_endpoint}"),
            d.port,
        )
        assert key not in out, f"duplicate connection {key}"
        out[key] = d
    return out


def test_connections_imported_before_the_inventory_link_up_when_the_export_is_imported_again(
    core: Core, tenant: Tenant
) -> None:
    """The review's case: export first (nothing resolves), then the inventory, then the export again
    with one more row -> one row per connection, resolved, counts added, not the old external rows
    next to the new resolved ones."""
    march = _connections(core, tenant, "march.csv", AZURE, _azure_rows(GHOST_ROWS, "2026-03-01 10:00"))
    first = run_flow(core.uows, tenant, march.flow_id, through=LAST)
    assert first.summaries["asset_inventory"]["unresolved_endpoints"] == 7  # every name, and 8.8.8.8
    _ghost_inventory(core, tenant, through="asset_inventory")
    april_rows = [*GHOST_ROWS, ("ghost7", "app01", "9000")]
    april = _connections(core, tenant, "april.csv", AZURE, _azure_rows(april_rows, "2026-04-01 10:00"))
    result = run_flow(core.uows, tenant, april.flow_id, through=LAST)
    assert result.status["status"] == "completed", result.notes
    summary = result.summaries["asset_inventory"]
    assert summary["unresolved_endpoints"] == 1 and summary["new_connections"] == 1
    edges = _edges(core, tenant)
    assert len(edges) == 10, sorted(edges)
    assert set(edges) == {
        ("ghost7", "web02", 443), ("web01", "app01", 8443), ("web02", "app01", 8443),
        ("app01", "db01", 1433), ("ghost7", "db01", 1433), ("web01", "ghost7", 22),
        ("app01", "ext:8.8.8.8", 53), ("db01", "web01", 135), ("web02", "ghost7", 8080),
        ("ghost7", "app01", 9000),
    }  # fmt: skip
    for key, d in edges.items():
        twice = key != ("ghost7", "app01", 9000)
        assert d.observation_count == (2 if twice else 1), key
        assert d.data_import_id == (march.import_id if twice else april.import_id), key
        assert d.first_seen is not None and d.last_seen is not None
        assert (d.first_seen.month, d.last_seen.month) == ((3, 4) if twice else (4, 4)), key
    assert edges[("ghost7", "web02", 443)].confidence == 1.0
    assert edges[("app01", "ext:8.8.8.8", 53)].confidence == 0.5
    assert result.summaries["dependency_analysis"]["unresolved_endpoints"] == 1


def test_inventory_imported_after_the_connections_links_them_without_a_reimport(
    core: Core, tenant: Tenant
) -> None:
    """The inventory's flow re-resolves the stored external ends in its dependency analysis: rows that
    become the same connection (`ghost7` and its FQDN) merge, a self-connection is dropped, the
    truly external end stays and is the only one counted."""
    rows = [*GHOST_ROWS, ("web02", "GHOST7", "8080"), ("ghost7.corp.example.net", "10.0.0.77", "80")]
    made = _connections(core, tenant, "march.csv", AZURE, _azure_rows(rows, "2026-03-01 10:00"))
    run_flow(core.uows, tenant, made.flow_id, through=LAST)
    assert len(_deps(core, tenant)) == 11
    inventory = _ghost_inventory(core, tenant, through=LAST)
    assert inventory.status["status"] == "completed", inventory.notes
    edges = _edges(core, tenant)
    assert len(edges) == 9, sorted(edges)
    assert ("app01", "ext:8.8.8.8", 53) in edges and ("ghost7", "ghost7", 80) not in edges
    assert edges[("web02", "ghost7", 8080)].observation_count == 2  # ghost7.corp… and GHOST7, merged
    assert all(d.data_import_id == made.import_id for d in edges.values())
    assert inventory.summaries["dependency_analysis"]["unresolved_endpoints"] == 1
    with core.uow(tenant) as uow:  # the phase's whole summary, as kept on the flow
        flow = uow.session.get(DiscoveryFlow, inventory.flow_id)
        assert flow is not None
        kept = dict(flow.dependencies or {})
    assert kept["relinked"] == {"connections": 11, "merged": 1, "self_connections_removed": 1}
