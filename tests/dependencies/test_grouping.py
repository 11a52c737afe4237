"""Move groups on small estates whose right answer is known (core.dependencies.analyse, no database)."""

from __future__ import annotations

import random

from core.dependencies import Connection, DependencyAnalysis, Endpoint, Server, analyse

HEAVY = 500  # observations of a connection that is always there
LOW = 1  # one sighting


def _groups(result: DependencyAnalysis) -> set[frozenset[str]]:
    return {frozenset(g.server_ids) for g in result.groups}


def _group_named(result: DependencyAnalysis, name: str):
    return next(g for g in result.groups if g.name == name)


def _background(prefix: str, n: int) -> tuple[list[Server], list[Connection]]:
    """`n` unrelated two-server applications, so counts and thresholds have an estate to be relative to."""
    servers: list[Server] = []
    conns: list[Connection] = []
    for k in range(n):
        a, b = f"{prefix}{k}a", f"{prefix}{k}b"
        servers += [Server(a, a, (f"Background {k}",), "prod"), Server(b, b, (f"Background {k}",), "prod")]
        conns.append(Connection(a, b, 1433, "tcp", HEAVY))
    return servers, conns


def test_a_chain_of_unnamed_servers_is_one_group() -> None:
    servers = [Server(f"s{k}", f"host{k}") for k in range(5)]
    conns = [Connection(f"s{k}", f"s{k + 1}", 8080, "tcp", HEAVY) for k in range(4)]
    result = analyse(servers, conns)
    assert _groups(result) == {frozenset(f"s{k}" for k in range(5))}
    (group,) = result.groups
    assert group.applications == ()
    assert group.internal_connections == 4
    assert any("without an application placed by their traffic" in r for r in group.reasons)
    assert result.infrastructure == ()


def test_a_weak_link_does_not_glue_two_groups() -> None:
    bg_servers, bg_conns = _background("bg", 6)
    servers = [
        *bg_servers,
        Server("a1", "alpha-web", ("Alpha",), "prod"),
        Server("a2", "alpha-db", ("Alpha",), "prod"),
        Server("u1", "legacy-1"),
        Server("u2", "legacy-2"),
        Server("u3", "legacy-3"),
    ]
    conns = [
        *bg_conns,
        Connection("a1", "a2", 1433, "tcp", HEAVY),
        Connection("u1", "u2", 8080, "tcp", HEAVY),
        Connection("u2", "u3", 5432, "tcp", HEAVY),
        Connection("a1", "u1", 445, "tcp", LOW),  # one connection, seen once: weak
    ]
    result = analyse(servers, conns)
    groups = _groups(result)
    assert frozenset({"a1", "a2"}) in groups
    assert frozenset({"u1", "u2", "u3"}) in groups
    alpha = _group_named(result, "Alpha (production)")
    assert any("weak link" in r and "did not join them" in r for r in alpha.reasons)
    assert result.stats["weak_pairs"] == 1
    (link,) = [x for x in result.group_links if x.source == alpha.id]
    assert link.weak and link.connections == 1


def test_heavy_traffic_between_applications_joins_them_with_the_reason() -> None:
    bg_servers, bg_conns = _background("bg", 4)
    servers = [
        *bg_servers,
        Server("o1", "orders-app", ("Orders",), "prod"),
        Server("o2", "orders-db", ("Orders",), "prod"),
        Server("p1", "pay-app", ("Payments",), "prod"),
        Server("p2", "pay-db", ("Payments",), "prod"),
    ]
    conns = [
        *bg_conns,
        Connection("o1", "o2", 1433, "tcp", HEAVY),
        Connection("p1", "p2", 5432, "tcp", HEAVY),
        Connection("o1", "p1", 8443, "tcp", HEAVY),
        Connection("o1", "p2", 5432, "tcp", HEAVY),
    ]
    result = analyse(servers, conns)
    assert frozenset({"o1", "o2", "p1", "p2"}) in _groups(result)
    group = next(g for g in result.groups if "o1" in g.server_ids)
    assert set(group.applications) == {"Orders", "Payments"}
    assert any("Orders ↔ Payments" in r or "Payments ↔ Orders" in r for r in group.reasons)


def test_one_connection_does_not_glue_two_applications_when_every_count_is_one() -> None:
    # a netstat-like snapshot: every count is 1, so no connection is weak for its count; CRM has no
    # internal traffic, so one crm01→app01 connection weighs as much as a typical internal link
    servers = [
        Server("crm01", "crm01", ("CRM",), "production"),
        Server("crm02", "crm02", ("CRM",), "production"),
        *(Server(h, h, ("Payroll",), "production") for h in ("web01", "web02", "app01", "db01")),
    ]
    conns = [
        Connection("web01", "app01", 443, "tcp", LOW),
        Connection("web02", "app01", 443, "tcp", LOW),
        Connection("app01", "db01", 1433, "tcp", LOW),
        Connection("web01", "db01", 1433, "tcp", LOW),
        Connection("crm01", "app01", 443, "tcp", LOW),
    ]
    result = analyse(servers, conns)
    assert _groups(result) == {
        frozenset({"crm01", "crm02"}),
        frozenset({"web01", "web02", "app01", "db01"}),
    }


def test_a_named_application_is_a_hard_link() -> None:
    # no traffic between Payroll's servers, its name spelled three ways: still one group
    bg_servers, bg_conns = _background("bg", 4)
    servers = [
        *bg_servers,
        Server("p1", "pay-1", ("Payroll",), "Production"),
        Server("p2", "pay-2", (" payroll ",), "PRD"),
        Server("p3", "pay-3", ("PAYROLL",), "prod"),
    ]
    result = analyse(servers, bg_conns)
    group = _group_named(result, "Payroll (production)")
    assert set(group.server_ids) == {"p1", "p2", "p3"}
    assert group.applications == ("Payroll",)
    assert any("application Payroll: 3 servers" in r for r in group.reasons)


def test_one_application_in_two_environments_gives_two_groups() -> None:
    servers = [
        Server("p1", "crm-p1", ("CRM",), "prod"),
        Server("p2", "crm-p2", ("CRM",), "prod"),
        Server("d1", "crm-d1", ("CRM",), "dev"),
    ]
    conns = [Connection("p1", "d1", 1433, "tcp", HEAVY), Connection("p1", "p2", 1433, "tcp", HEAVY)]
    result = analyse(servers, conns)
    assert _groups(result) == {frozenset({"p1", "p2"}), frozenset({"d1"})}
    assert {g.name for g in result.groups} == {"CRM (production)", "CRM (development)"}
    assert result.stats["cross_environment_pairs"] == 1
    assert any("across environments" in n for n in result.notes)


def test_no_connections_at_all_groups_by_application_names_with_a_note() -> None:
    servers = [
        Server("a1", "erp-1", ("ERP",), "prod"),
        Server("a2", "erp-2", ("ERP",), "prod"),
        Server("x1", "lonely-1"),
        Server("x2", "lonely-2"),
    ]
    result = analyse(servers, [])
    assert _groups(result) == {frozenset({"a1", "a2"}), frozenset({"x1"}), frozenset({"x2"})}
    assert result.notes[0].startswith("No dependency data")
    assert result.infrastructure == ()
    lonely = next(g for g in result.groups if g.server_ids == ("x1",))
    assert lonely.name == "lonely-1"
    assert any("no connection" in r for r in lonely.reasons)


def test_self_connections_are_ignored() -> None:
    servers = [Server("a", "a-host"), Server("b", "b-host")]
    conns = [Connection("a", "a", 1521, "tcp", HEAVY), Connection("b", "b", 22, "tcp", HEAVY)]
    result = analyse(servers, conns)
    assert _groups(result) == {frozenset({"a"}), frozenset({"b"})}
    assert result.stats["self_connections"] == 2
    assert result.stats["distinct_connections"] == 0
    assert any("self-connection" in n for n in result.notes)


def test_unresolved_endpoints_and_ipv6_are_kept_and_counted_not_grouped() -> None:
    servers = [
        Server("w", "web", ("Shop",), "prod"),
        Server("d", "db", ("Shop",), "prod"),
        Server("z", "other"),
    ]
    conns = [
        Connection("w", "d", 5432, "tcp", HEAVY),
        Connection(Endpoint("2001:DB8::10"), "w", 443, "tcp", 40),
        # the same endpoint and protocol spelled differently: one connection
        Connection(Endpoint("2001:db8::10"), "w", 443, "TCP", 2),
        Connection("w", Endpoint("203.0.113.7"), 443, "tcp", 9),
        Connection("z", Endpoint("203.0.113.7"), 443, "tcp", 9),  # a shared external endpoint glues nothing
        Connection("d", "srv-gone", 1433, "tcp", 5),  # an id the inventory does not know
    ]
    result = analyse(servers, conns)
    assert _groups(result) == {frozenset({"w", "d"}), frozenset({"z"})}
    assert result.unresolved.endpoints == 3
    assert result.unresolved.connections == 4
    assert result.unresolved.observations == 65
    assert dict(result.unresolved.top)["2001:db8::10"] == 1
    assert result.stats["unresolved_connections"] == 4
    shop = _group_named(result, "Shop (production)")
    assert shop.unresolved_connections == 3
    assert result.to_dict()["unresolved_endpoints"] == 3
    assert any("srv-gone" not in n and "id the inventory does not have" in n for n in result.notes)


def test_ports_written_as_text_and_repeated_rows_are_aggregated() -> None:
    servers = [Server("a", "a"), Server("b", "b")]
    conns = [Connection("a", "b", "443/tcp", None, 3), Connection("a", "b", 443, "TCP", 4)]  # type: ignore[arg-type]
    result = analyse(servers, conns)
    assert result.stats["distinct_connections"] == 1
    assert result.stats["connection_rows"] == 2


def test_every_server_is_in_one_group_or_infrastructure_and_the_json_shape() -> None:
    bg_servers, bg_conns = _background("bg", 10)
    dns = Server("dns", "dns01")
    servers = [*bg_servers, dns]
    conns = bg_conns + [Connection(s.id, "dns", 53, "udp", HEAVY) for s in bg_servers]
    result = analyse(servers, conns)
    placed = [sid for g in result.groups for sid in g.server_ids]
    infra = [s.server_id for s in result.infrastructure]
    assert sorted(placed + infra) == sorted(s.id for s in servers)
    assert len(placed) == len(set(placed))
    data = result.to_dict()
    assert data["infrastructure"] == ["dns01"]
    assert {"name", "applications", "assets"} <= set(data["groups"][0])
    assert isinstance(data["unresolved_endpoints"], int)


def test_the_answer_does_not_depend_on_the_input_order() -> None:
    rng = random.Random(5)
    servers = [
        Server(f"s{k:02d}", f"h{k:02d}", ((f"App{k // 4}",) if k % 3 else ()), "prod") for k in range(40)
    ]
    conns = [
        Connection(
            f"s{rng.randrange(40):02d}",
            f"s{rng.randrange(40):02d}",
            rng.choice((443, 1433, 22)),
            "tcp",
            rng.choice((1, 30, 500)),
        )
        for _ in range(120)
    ]
    first = analyse(servers, conns)
    rng.shuffle(servers)
    rng.shuffle(conns)
    second = analyse(servers, conns)
    assert [(g.id, g.name) for g in first.groups] == [(g.id, g.name) for g in second.groups]
