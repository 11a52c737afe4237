"""Infrastructure detection: by well-known ports, by fan-in/fan-out across the estate, and overrides."""

from __future__ import annotations

import itertools

import pytest

from core.dependencies import Connection, Override, Server, analyse
from core.dependencies.ports import default_rules, parse_rules
from core.errors import UserInputError

HEAVY = 500


def _apps(n: int, size: int = 3) -> tuple[list[Server], list[Connection]]:
    """`n` three-tier applications (web → app → db), each named, each talking only inside itself."""
    servers: list[Server] = []
    conns: list[Connection] = []
    for k in range(n):
        ids = [f"app{k}-{tier}" for tier in ("web", "app", "db")[:size]]
        servers += [Server(i, i, (f"Application {k}",), "prod") for i in ids]
        conns += [Connection(a, b, 8443, "tcp", HEAVY) for a, b in itertools.pairwise(ids)]
    return servers, conns


def _infra(result) -> dict[str, str]:
    return {s.server_id: s.category for s in result.infrastructure}


def test_well_known_ports_find_dns_directory_and_ntp() -> None:
    servers, conns = _apps(4)
    servers += [Server("dc1", "dc01"), Server("ntp1", "ntp01"), Server("odd", "odd-dns")]
    for s in servers[:12]:
        conns.append(Connection(s.id, "dc1", 53, "udp", HEAVY))
        conns.append(Connection(s.id, "dc1", 88, "tcp", HEAVY))
        conns.append(Connection(s.id, "ntp1", 123, "udp", HEAVY))
    # only two clients: below the table's min_peers (3), not a DNS server
    conns += [Connection("app0-web", "odd", 53, "udp", 9), Connection("app1-web", "odd", 53, "udp", 9)]
    result = analyse(servers, conns)
    found = _infra(result)
    assert set(found) == {"dc1", "ntp1"}
    assert found["ntp1"] == "ntp"
    dc = next(s for s in result.infrastructure if s.server_id == "dc1")
    assert dc.source == "port"
    assert any("DNS" in r and "12 servers" in r for r in dc.reasons)
    assert any("Kerberos" in r for r in dc.reasons)
    # the infrastructure does not glue the applications into one group
    assert len([g for g in result.groups if g.applications]) == 4


def test_a_poller_is_the_source_end_and_its_agents_stay_ordinary() -> None:
    servers, conns = _apps(3)
    servers.append(Server("zbx", "zabbix01"))
    conns += [Connection("zbx", s.id, 10050, "tcp", HEAVY) for s in servers[:9]]
    result = analyse(servers, conns)
    assert _infra(result) == {"zbx": "monitoring"}
    (zbx,) = result.infrastructure
    assert "reaches 9 servers on 10050/tcp" in zbx.reasons[0]


def test_a_hub_on_an_ordinary_port_is_infrastructure_by_fan_in() -> None:
    servers, conns = _apps(12)
    servers.append(Server("collector", "apm-collector"))
    conns += [Connection(s.id, "collector", 443, "tcp", HEAVY) for s in servers[:-1]]
    result = analyse(servers, conns)
    assert _infra(result) == {"collector": "shared service or collector"}
    (hub,) = result.infrastructure
    assert hub.source == "fan"
    assert hub.reasons[0].startswith("fan-in: talks to 36 servers")
    assert len(result.groups) == 12  # not glued together through the hub


def test_a_scanner_on_ordinary_ports_is_infrastructure_by_fan_out() -> None:
    servers, conns = _apps(10)
    servers.append(Server("scan", "scanner01"))
    for s in servers[:-1]:
        conns += [Connection("scan", s.id, port, "tcp", 2) for port in (22, 445, 3389)]
    result = analyse(servers, conns)
    assert _infra(result) == {"scan": "scanner or agent poller"}
    assert result.infrastructure[0].reasons[0].startswith("fan-out: talks to 30 servers (30 out, 0 in)")
    assert len(result.groups) == 10


def test_a_big_applications_own_database_is_not_a_hub() -> None:
    # 60 unnamed app servers use one database and one of three caches: many peers, one part of the estate
    servers, conns = _apps(8)
    big = ["bigdb", "cache0", "cache1", "cache2"]
    servers += [Server(i, i) for i in big]
    for k in range(60):
        sid = f"big-app{k}"
        servers.append(Server(sid, sid))
        conns.append(Connection(sid, "bigdb", 1433, "tcp", HEAVY))
        conns.append(Connection(sid, f"cache{k % 3}", 6379, "tcp", HEAVY))
    result = analyse(servers, conns)
    assert result.infrastructure == ()
    assert frozenset({*big, *(f"big-app{k}" for k in range(60))}) in {
        frozenset(g.server_ids) for g in result.groups
    }


def test_consultant_overrides_force_in_and_force_out() -> None:
    servers, conns = _apps(4)
    servers.append(Server("dns", "dns01"))
    conns += [Connection(s.id, "dns", 53, "udp", HEAVY) for s in servers[:-1]]
    overrides = [
        Override("dns", False, "it is the application's own resolver"),
        Override("app2-db", True, "shared reporting database"),
        Override("gone", True),
    ]
    result = analyse(servers, conns, overrides)
    assert _infra(result) == {"app2-db": "marked by consultant"}
    (forced,) = result.infrastructure
    assert forced.source == "override"
    assert forced.reasons[0] == "marked as infrastructure by the consultant: shared reporting database"
    assert all("app2-db" not in g.server_ids for g in result.groups)
    assert any("dns01 looks like infrastructure but the consultant keeps it" in n for n in result.notes)
    assert any("'gone'" in n and "ignored" in n for n in result.notes)


def test_the_shipped_port_table_reads() -> None:
    rules = default_rules()
    labels = {r.label for r in rules}
    assert {"DNS", "Kerberos", "LDAP", "NTP", "WSUS", "Zabbix passive checks", "NetBackup"} <= labels
    ports = {p for r in rules for p in r.ports}
    assert {53, 88, 389, 636, 3268, 123, 161, 10050, 10051, 5666, 9100, 8530, 8531} <= ports
    assert not ports & {22, 80, 443, 445, 1433, 3389}  # ordinary ports are left to fan-in/fan-out


def test_a_malformed_port_table_names_the_entry_and_field() -> None:
    with pytest.raises(UserInputError) as err:
        parse_rules(
            {
                "services": [
                    {"category": "dns", "label": "DNS", "side": "target", "ports": [53]},
                    {"category": "x", "label": "X", "side": "inbound", "ports": [1]},
                ]
            }
        )
    assert "service #2" in str(err.value)
    assert err.value.column == "side"
    with pytest.raises(UserInputError) as err:
        parse_rules({"services": [{"category": "x", "label": "X", "side": "target", "ports": ["53/udp"]}]})
    assert err.value.column == "ports"
