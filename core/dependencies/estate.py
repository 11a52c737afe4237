"""Connections aggregated onto servers: distinct directed connections, server pairs, and what was left out.

Exports repeat a connection (several files, several time slots), spell protocols differently and
mix servers with addresses that resolve to nothing. Everything after this works on one record per
(source, target, port, protocol) and one per unordered server pair; unresolved ends, self-connections
and ids unknown to the inventory are counted here so the report can say what it did not use.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from core.dependencies.model import Connection, Endpoint, Server

#: key of a distinct directed connection: (source index, target index, port, protocol)
ConnKey = tuple[int, int, int | None, str | None]


@dataclass(slots=True)
class Pair:
    """Traffic between two servers, both directions: the evidence that they belong together."""

    connections: int = 0
    observations: int = 0
    weight: float = 0.0  # sum over the pair's distinct connections of log(1 + observations)
    max_count: int = 0


@dataclass
class EstateGraph:
    """The estate's servers (by index) and its connections, aggregated."""

    servers: Sequence[Server]
    index: dict[str, int]
    directed: dict[ConnKey, int]
    pairs: dict[tuple[int, int], Pair]
    unresolved_endpoints: Counter[str] = field(default_factory=Counter)  # endpoint → distinct connections
    unresolved_connections: int = 0  # distinct connections with at least one end that is not a server
    unresolved_observations: int = 0
    unresolved_by_server: Counter[int] = field(default_factory=Counter)
    self_connections: int = 0
    unknown_server_ids: int = 0
    rows: int = 0


def _protocol(value: str | None) -> str | None:
    if value is None:
        return None
    text = str(value).strip().lower()
    return text or None


def _port(value: object) -> tuple[int | None, str | None]:
    """A port number, and a protocol when the port was written as text like '443/tcp'."""
    if value is None or isinstance(value, bool):
        return None, None
    if isinstance(value, int):
        return (value if 0 <= value < 65536 else None), None
    text = str(value).strip().lower()
    protocol = None
    if "/" in text:
        text, protocol = (part.strip() for part in text.split("/", 1))
    return (int(text) if text.isdigit() and int(text) < 65536 else None), (protocol or None)


def build(servers: Sequence[Server], connections: Iterable[Connection]) -> EstateGraph:
    """Aggregate `connections` onto `servers` (ids must be unique; servers are taken in id order)."""
    servers = sorted(servers, key=lambda s: s.id)
    index: dict[str, int] = {}
    for i, server in enumerate(servers):
        if server.id in index:
            raise ValueError(f"server id {server.id!r} appears twice in the inventory given to the analysis")
        index[server.id] = i
    directed: dict[ConnKey, int] = {}
    unresolved: dict[tuple[int | str, int | str, int | None, str | None], int] = {}
    unresolved_observations = 0
    self_connections = 0
    unknown = 0
    rows = 0
    protocols: dict[str | None, str | None] = {}
    for conn in connections:
        rows += 1
        count = conn.count if type(conn.count) is int and conn.count > 0 else 1
        if type(conn.port) is int and 0 <= conn.port < 65536:
            port, port_protocol = conn.port, None
        else:
            port, port_protocol = _port(conn.port)
        raw = conn.protocol
        protocol = protocols.get(raw, "?")
        if protocol == "?":
            protocol = protocols[raw] = _protocol(raw)
        protocol = protocol or port_protocol
        ends: list[int | str] = []
        for end in (conn.source, conn.target):
            if isinstance(end, Endpoint):
                ends.append(end.address.strip().lower())
            else:
                i = index.get(end)
                if i is None:  # an id the inventory does not have: keep it as an endpoint
                    unknown += 1
                    ends.append(str(end).strip().lower())
                else:
                    ends.append(i)
        a, b = ends
        if isinstance(a, int) and isinstance(b, int):
            if a == b:
                self_connections += 1
                continue
            key: ConnKey = (a, b, port, protocol)
            directed[key] = directed.get(key, 0) + count
        else:  # at least one end is not a server: kept and counted, never grouped
            ukey = (a, b, port, protocol)
            unresolved[ukey] = unresolved.get(ukey, 0) + count
            unresolved_observations += count
    pairs: dict[tuple[int, int], Pair] = {}
    log1p = math.log1p
    for (a, b, _p, _q), count in directed.items():
        key2 = (a, b) if a < b else (b, a)
        pair = pairs.get(key2)
        if pair is None:
            pair = pairs[key2] = Pair()
        pair.connections += 1
        pair.observations += count
        pair.weight += log1p(count)
        if count > pair.max_count:
            pair.max_count = count
    pairs = dict(sorted(pairs.items()))  # the same estate in any row order gives the same graph
    endpoints: Counter[str] = Counter()
    by_server: Counter[int] = Counter()
    for a, b, _p, _q in unresolved:
        for end in (a, b):
            if isinstance(end, str):
                endpoints[end] += 1
            else:
                by_server[end] += 1
    return EstateGraph(
        servers=servers,
        index=index,
        directed=directed,
        pairs=pairs,
        unresolved_endpoints=endpoints,
        unresolved_connections=len(unresolved),
        unresolved_observations=unresolved_observations,
        unresolved_by_server=by_server,
        self_connections=self_connections,
        unknown_server_ids=unknown,
        rows=rows,
    )


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """igraph's randomised algorithms draw from Python's `random`: seed it for one call, then restore it."""
    state = random.getstate()
    random.seed(seed)
    try:
        yield
    finally:
        random.setstate(state)


def low_count_threshold(graph: EstateGraph, share: float = 0.05) -> float:
    """Observation count at or below which one connection alone is weak evidence: `share` of the median count.

    Relative, because exports count differently (hourly time slots up to 720 a month, flow counts in
    the thousands, 1 for a netstat snapshot). When every connection has the same count the counts say
    nothing, and the threshold falls below 1: no connection is called weak for its count.
    """
    counts = sorted(graph.directed.values())
    if not counts:
        return 0.0
    return share * counts[len(counts) // 2]


def is_weak(pair: Pair, low: float) -> bool:
    """One connection with few observations: it must not tie two groups together on its own."""
    return pair.connections == 1 and pair.observations <= low
