"""The stored plan's broken dependencies: one per server pair, whatever its ports."""

from __future__ import annotations

from core.analysis.waves import Estate, broken_dependencies
from core.planning.model import Dependency, MoveGroup, Server


def test_a_late_dependency_over_several_ports_is_one_broken_dependency_with_their_weight() -> None:
    web, db = Server("w", "web01"), Server("d", "db01")
    estate = Estate(
        servers={"w": web, "d": db},
        groups=[MoveGroup("g1", "Web", (web,)), MoveGroup("g2", "Db", (db,))],
        dependencies=[Dependency("w", "d", 292.0), Dependency("w", "d", 75.0)],  # 443 and 8080
    )
    broken = broken_dependencies(estate, {"w": (1, "Wave 1"), "d": (2, "Wave 2")})
    assert [(b.source, b.target, b.kind, b.weight) for b in broken] == [("web01", "db01", "order", 367.0)]
    reason = broken[0].to_contract()["reason"]
    assert reason == "web01 depends on db01, which moves later (Wave 2 after Wave 1)"
    assert broken_dependencies(estate, {"w": (2, "Wave 2"), "d": (1, "Wave 1")}) == []
