"""Sync reliability (issue 15): cut connections, a killed process, two consultants interleaving,
a refused batch, parents and children across batch boundaries, an outage, a non-member.

Two real PostgreSQL servers: the session's test server holds the laptops' databases and
`shared_server` is the engagement server. Connections to it go through `Proxy`, a TCP proxy on
127.0.0.1 run by the test (in front of the server's socket) that can cut a connection after N bytes,
right after the server's COMMIT reply for a batch, freeze, or refuse connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from core.actions.mapping import finish_flow_mapping
from core.bootstrap import Core
from core.imports import import_file
from core.phases import PHASES
from core.pipeline import run_flow
from core.sync import tables
from core.sync.engine import SyncReport
from core.sync.service import SyncOptions, run
from core.uow import Tenant

from .conftest import ROLE, SharedServer

ROOT = Path(__file__).resolve().parents[2]
COMMIT_REPLY = b"C\x00\x00\x00\x0bCOMMIT\x00"  # CommandComplete "COMMIT" (backend message)
BATCH_ROW = b"INSERT INTO sync_batches"  # the last statement of a push batch's transaction


# ------------------------------------------------------------------------------------------ proxy
class _Link:
    """One proxied connection: its two transports and what the client sent last."""

    def __init__(self) -> None:
        self.transports: list[asyncio.Transport] = []
        self.sent_tail = b""
        self.recv_tail = b""
        self.batch_open = False  # the client wrote a batch's sync_batches row, no COMMIT reply yet

    def abort(self) -> None:
        for t in self.transports:
            t.abort()


class Proxy:
    """A TCP proxy on 127.0.0.1 in front of the shared server's Unix socket.

    `cuts`: cumulative byte offsets (both directions, all connections) at which the connection
    then carrying bytes is dropped; `commit_cuts`: ordinals of push batches whose COMMIT reply is
    swallowed and the connection dropped (the server has committed, the client cannot know);
    `freeze_at`: stop forwarding after that many bytes (`frozen` is set); `down()` / `up()`:
    refuse connections (nothing listens) and listen again on the same port.
    """

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.lock = threading.Lock()
        self.passed = 0
        self.cuts: list[int] = []
        self.cut_log: list[int] = []
        self.commit_cuts: set[int] = set()
        self.batch_commits = 0
        self.commits_cut = 0
        self.freeze_at: int | None = None
        self.frozen = threading.Event()
        self.connections = 0
        self.links: set[_Link] = set()
        self.server: asyncio.AbstractServer | None = None
        self.port = 0
        self.up()

    # -- control (test thread)
    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    def up(self) -> None:
        async def listen() -> asyncio.AbstractServer:
            return await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

        self.server = self._call(listen())
        self.port = self.server.sockets[0].getsockname()[1]

    def down(self) -> None:
        """Nothing listens any more and every live connection is dropped (the server went away)."""

        async def close() -> None:
            assert self.server is not None
            self.server.close()
            for link in list(self.links):
                link.abort()

        self._call(close())

    def drop_all(self) -> None:
        async def drop() -> None:
            for link in list(self.links):
                link.abort()

        self._call(drop())

    def close(self) -> None:
        self.down()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)

    def url(self, user: str = ROLE) -> str:
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/md_shared?sslmode=disable&gssencmode=disable"

    # -- the proxy (event loop thread)
    async def _handle(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        try:
            sreader, swriter = await asyncio.open_unix_connection(self.socket_path)
        except OSError:
            cwriter.transport.abort()
            return
        link = _Link()
        link.transports = [cwriter.transport, swriter.transport]  # type: ignore[list-item]
        self.links.add(link)
        with self.lock:
            self.connections += 1
        try:
            await asyncio.gather(
                self._pump(creader, swriter, link, upstream=True),
                self._pump(sreader, cwriter, link, upstream=False),
            )
        finally:
            self.links.discard(link)
            link.abort()

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, link: _Link, *, upstream: bool
    ) -> None:
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    writer.transport.abort()
                    return
                keep, stop = self._inspect(link, data, upstream)
                if keep:
                    writer.write(keep)
                    await writer.drain()
                if stop == "cut":
                    link.abort()
                    return
                if stop == "freeze":
                    self.frozen.set()
                    await asyncio.Event().wait()  # until the link is dropped
        except (ConnectionError, OSError, asyncio.CancelledError):
            link.abort()

    def _inspect(self, link: _Link, data: bytes, upstream: bool) -> tuple[bytes, str | None]:
        """What of `data` to forward, and whether to cut or freeze after it."""
        with self.lock:
            if upstream:
                seen = link.sent_tail + data
                if BATCH_ROW in seen:
                    link.batch_open = True
                link.sent_tail = seen[-len(BATCH_ROW) :]
            elif link.batch_open:
                seen = link.recv_tail + data
                link.recv_tail = seen[-len(COMMIT_REPLY) :]
                if COMMIT_REPLY in seen:
                    link.batch_open = False
                    link.recv_tail = b""
                    self.batch_commits += 1
                    if self.batch_commits in self.commit_cuts:
                        self.commits_cut += 1
                        return b"", "cut"  # committed there; the reply never arrives
            start = self.passed
            self.passed += len(data)
            if self.freeze_at is not None and self.passed >= self.freeze_at:
                n = max(0, self.freeze_at - start)
                self.freeze_at = None
                return data[:n], "freeze"
            if self.cuts and self.passed >= self.cuts[0]:
                at = self.cuts.pop(0)
                while self.cuts and self.cuts[0] <= self.passed:
                    self.cuts.pop(0)  # offsets inside the same read: one cut
                self.cut_log.append(at)
                self.passed = at
                return data[: max(0, at - start)], "cut"
            return data, None


@pytest.fixture
def proxy(shared_server: SharedServer) -> Iterator[Proxy]:
    host = make_url(shared_server.admin_url).query["host"]
    assert isinstance(host, str)
    p = Proxy(os.path.join(host, ".s.PGSQL.5432"))
    yield p
    p.close()


# ---------------------------------------------------------------------------------------- helpers
def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextlib.contextmanager
def owner(url: str) -> Iterator[psycopg.Connection]:
    """The database owner's connection (bypasses row-level security: reads what is really there)."""
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        yield conn


def synced_names() -> list[str]:
    return [t.name for t in tables.ordered()] + [tables.RECORDS]


def row_ids(url: str, engagement_id: uuid.UUID) -> dict[str, list[Any]]:
    """Per synced table, the engagement's row keys as a sorted list (duplicates would show twice)."""
    out: dict[str, list[Any]] = {}
    with owner(url) as conn:
        for name in synced_names():
            key = "data_import_id, record_index" if name == tables.RECORDS else "id"
            rows = conn.execute(
                f"SELECT {key} FROM {name} WHERE engagement_id = %s ORDER BY {key}", (engagement_id,)
            ).fetchall()
            out[name] = [tuple(r) if len(r) > 1 else r[0] for r in rows]
    return out


def contents(url: str, engagement_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    """Per synced table, every row's values by id — consultant ids replaced by their e-mail (ids of
    users differ between databases), raw records by import and index."""
    out: dict[str, dict[str, Any]] = {}
    with owner(url) as conn:
        emails = {str(i): e for i, e in conn.execute("SELECT id, email FROM users").fetchall()}
        for name in synced_names():
            people = tables.user_columns(name) if name != tables.RECORDS else ()
            rows = conn.execute(
                f"SELECT to_jsonb(t) FROM {name} t WHERE engagement_id = %s", (engagement_id,)
            ).fetchall()
            table_rows: dict[str, Any] = {}
            for (row,) in rows:
                for column in people:
                    if row.get(column) is not None:
                        row[column] = emails.get(row[column], row[column])
                key = f"{row['data_import_id']}:{row['record_index']}" if name == tables.RECORDS else None
                key = key or row["id"]
                assert key not in table_rows, f"{name}: {key} twice"
                table_rows[key] = row
            out[name] = table_rows
    return out


def outbox(url: str, engagement_id: uuid.UUID) -> int:
    with owner(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM sync_changes WHERE engagement_id = %s AND origin IS NULL", (engagement_id,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def server_batches(shared: SharedServer, engagement_id: uuid.UUID) -> list[tuple[uuid.UUID, int, int]]:
    with owner(shared.admin_url) as conn:
        return [
            (r[0], int(r[1]), int(r[2]))
            for r in conn.execute(
                "SELECT id, first_seq, last_seq FROM sync_batches WHERE engagement_id = %s"
                " ORDER BY first_seq",
                (engagement_id,),
            ).fetchall()
        ]


def assert_pushed_once(
    core: Core, shared: SharedServer, engagement_id: uuid.UUID, report: SyncReport
) -> None:
    """Server rows = laptop rows per synced table, no key twice, each batch applied once."""
    here, there = row_ids(core.db.admin_url, engagement_id), row_ids(shared.admin_url, engagement_id)
    for name in synced_names():
        assert len(there[name]) == len(set(there[name])), f"{name}: duplicates on the server"
        assert there[name] == here[name], f"{name}: {len(there[name])} on the server, {len(here[name])} here"
    assert outbox(core.db.admin_url, engagement_id) == 0
    batches = server_batches(shared, engagement_id)
    assert len({b[0] for b in batches}) == len(batches) == report.batches
    for (_k1, _f1, last), (_k2, first, _l2) in itertools.pairwise(batches):
        assert first > last, "two batches carried the same outbox changes"
    with owner(core.db.admin_url) as conn:
        pending = conn.execute(
            "SELECT pending_batch FROM sync_state WHERE engagement_id = %s", (engagement_id,)
        ).fetchall()
    assert pending and all(p[0] is None for p in pending)


def servers_csv(path: Path, n: int, *, prefix: str = "srv") -> Path:
    lines = ["Server Name,IP Address,Operating System,Application,CPU Cores"]
    lines += [
        f"{prefix}{i:05d},10.{i // 62500}.{i // 250 % 250}.{i % 250 + 1},Windows Server 2019,"
        f"App{i % 7},{i % 16 + 1}"
        for i in range(n)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def prepared_offline(core: Core, tenant: Tenant, tmp_path: Path, n: int) -> uuid.UUID:
    """An import of `n` servers, mapping decided, the flow run through every phase (offline)."""
    result = import_file(core.uows, tenant, servers_csv(tmp_path / f"servers-{n}.csv", n))
    finish_flow_mapping(core.uows, tenant, result.flow_id, auto=True)
    run_flow(core.uows, tenant, result.flow_id, through=PHASES[-1])
    return result.flow_id


def no_sleep(calls: list[float]) -> Callable[[float], None]:
    return calls.append


# ------------------------------------------------------------------------ 1. cut connections
def test_cuts_at_many_byte_offsets_across_a_large_push_apply_everything_once(
    core: Core, tenant: Tenant, shared: SharedServer, proxy: Proxy, engagement, tmp_path: Path
) -> None:
    prepared_offline(core, tenant, tmp_path, 2500)
    before = outbox(core.db.admin_url, tenant.engagement_id)
    assert before > 2500
    # offsets over the push: a few in the first exchanges, then spread over the whole stream
    offsets = [300, 1_500, 6_000] + [50_000 * (i + 1) ** 2 for i in range(14)]  # up to ~10 MB
    proxy.cuts = list(offsets)
    delays: list[float] = []
    report = run(
        core.db, tenant, proxy.url(), options=SyncOptions(pull=False, batch_size=400, attempts=40),
        sleep=no_sleep(delays),
    )  # fmt: skip
    assert proxy.cut_log == offsets, proxy.cuts
    assert proxy.passed > proxy.cut_log[-1], "the last cut fell before the end of the push"
    assert len(delays) == len(proxy.cut_log)  # one retry per cut, nothing given up
    assert report.rejected == [] and report.conflicts == []
    assert_pushed_once(core, shared, tenant.engagement_id, report)


def test_a_cut_right_after_the_server_commits_a_batch_is_resolved_by_its_key(
    core: Core, tenant: Tenant, shared: SharedServer, proxy: Proxy, engagement, tmp_path: Path
) -> None:
    prepared_offline(core, tenant, tmp_path, 600)
    proxy.commit_cuts = {1, 3, 4}  # the import's batch, and two later ones in a row
    report = run(
        core.db, tenant, proxy.url(), options=SyncOptions(pull=False, batch_size=300, attempts=10),
        sleep=no_sleep([]),
    )  # fmt: skip
    assert proxy.commits_cut == 3
    assert report.batches_already_applied == 3
    assert report.rejected == [] and report.conflicts == []
    assert_pushed_once(core, shared, tenant.engagement_id, report)
