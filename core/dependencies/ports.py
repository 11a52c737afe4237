"""The table of infrastructure ports (`resources/infrastructure_ports.yaml`), checked once when read.

A consultant can read and extend the table; a malformed entry fails with the entry and the field
named, not with a KeyError deep in the analysis.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from core.errors import UserInputError
from core.values.resources import read_yaml

TABLE = "infrastructure_ports.yaml"
Side = Literal["source", "target", "either"]
_SIDES = ("source", "target", "either")
_PROTOCOLS = ("tcp", "udp")


@dataclass(frozen=True, slots=True)
class PortRule:
    """One infrastructure service and the ports that give it away."""

    category: str
    label: str
    side: Side
    ports: frozenset[int]
    protocols: frozenset[str]
    min_peers: int

    def describe(self, port: int, protocol: str | None) -> str:
        return f"{self.label} ({port}/{protocol})" if protocol else f"{self.label} ({port})"


def _bad(index: int, field: str, problem: str) -> UserInputError:
    return UserInputError(
        f"service #{index + 1} of the infrastructure port table: {problem}",
        file=f"resources/{TABLE}",
        column=field,
        hint="fix the entry (see the comment at the top of the file)",
    )


def parse_rules(data: Mapping[str, Any]) -> tuple[PortRule, ...]:
    """Rules from the parsed YAML (also used by tests to try a table of their own)."""
    default_min = int((data.get("defaults") or {}).get("min_peers", 3))
    rules: list[PortRule] = []
    for index, entry in enumerate(data.get("services") or ()):
        if not isinstance(entry, Mapping):
            raise _bad(index, "services", "an entry must be a mapping")
        for key in ("category", "label", "side", "ports"):
            if key not in entry:
                raise _bad(index, key, f"'{key}' is missing")
        side = str(entry["side"])
        if side not in _SIDES:
            raise _bad(index, "side", f"side {side!r} is not one of {', '.join(_SIDES)}")
        ports = entry["ports"]
        if (
            not isinstance(ports, list)
            or not ports
            or not all(isinstance(p, int) and 0 < p < 65536 for p in ports)
        ):
            raise _bad(index, "ports", "ports must be a non-empty list of numbers 1-65535")
        protocols = [str(p).lower() for p in entry.get("protocols", _PROTOCOLS)]
        if not protocols or any(p not in _PROTOCOLS for p in protocols):
            raise _bad(index, "protocols", "protocols must be tcp and/or udp")
        min_peers = entry.get("min_peers", default_min)
        if not isinstance(min_peers, int) or min_peers < 1:
            raise _bad(index, "min_peers", "min_peers must be a whole number of at least 1")
        rules.append(
            PortRule(
                category=str(entry["category"]),
                label=str(entry["label"]),
                side=side,  # type: ignore[arg-type]
                ports=frozenset(ports),
                protocols=frozenset(protocols),
                min_peers=min_peers,
            )
        )
    return tuple(rules)


@lru_cache(maxsize=1)
def default_rules() -> tuple[PortRule, ...]:
    """The rules of the shipped table."""
    return parse_rules(read_yaml(TABLE))


def index_rules(rules: tuple[PortRule, ...]) -> dict[tuple[int, str | None], tuple[PortRule, ...]]:
    """(port, protocol) → rules; a connection without a protocol matches a rule of either protocol."""
    index: dict[tuple[int, str | None], list[PortRule]] = {}
    for rule in rules:
        for port in rule.ports:
            for protocol in rule.protocols:
                index.setdefault((port, protocol), []).append(rule)
            index.setdefault((port, None), []).append(rule)
    return {key: tuple(dict.fromkeys(value)) for key, value in index.items()}
