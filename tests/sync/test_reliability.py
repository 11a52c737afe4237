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
import json
import os
import random
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from core import tenancy
from core.actions.mapping import finish_flow_mapping
from core.actions.sync import list_conflicts, list_rejections, resolve_conflict, resolve_rejection
from core.bootstrap import Core
from core.config import Identity
from core.db.models import Asset
from core.imports import import_file
from core.phases import PHASES
from core.pipeline import run_flow
from core.sync import tables
from core.sync.engine import SyncRefused, SyncReport
from core.sync.service import RETRY_DELAYS_S, SyncOptions, run
from core.uow import Tenant

from .conftest import ROLE, SharedServer, mirror

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
        self.freeze_after_commit: tuple[int, int] | None = None
        self.freeze_on_commit: int | None = None
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
        return (
            f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/md_shared?sslmode=disable&gssencmode=disable"
        )

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
                    if self.freeze_on_commit == self.batch_commits:
                        return b"", "freeze"  # committed there; the client waits for the reply
                    if self.freeze_after_commit and self.freeze_after_commit[0] == self.batch_commits:
                        self.freeze_at = self.passed + len(data) + self.freeze_after_commit[1]
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
    core: Core, tenant: Tenant, shared: SharedServer, proxy: Proxy, laptop, engagement, tmp_path: Path
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

    # a second laptop pulls it all through cuts too, and reads what the server has, row for row
    other, other_tenant = laptop(engagement)
    pull_offsets = [proxy.passed + 150_000 * (i + 1) ** 2 for i in range(5)]
    proxy.cuts = list(pull_offsets)
    pulled = run(
        other.db, other_tenant, proxy.url(), options=SyncOptions(push=False, attempts=20),
        sleep=no_sleep(delays),
    )  # fmt: skip
    assert proxy.cut_log[-5:] == pull_offsets and pulled.pulled[tables.RECORDS] >= 2500
    there = contents(shared.admin_url, tenant.engagement_id)
    assert contents(other.db.admin_url, tenant.engagement_id) == there
    assert outbox(other.db.admin_url, tenant.engagement_id) == 0


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


def test_a_conflict_in_a_batch_whose_commit_reply_was_lost_is_still_recorded(
    core: Core, tenant: Tenant, shared: SharedServer, proxy: Proxy, engagement, tmp_path: Path
) -> None:
    prepared_offline(core, tenant, tmp_path, 10)
    run(core.db, tenant, shared.consultant_url, sleep=no_sleep([]))
    ids = _asset_ids(core, tenant)
    with owner(shared.admin_url) as conn:  # another consultant changed asset 0 on the server
        conn.execute("UPDATE assets SET description = 'theirs' WHERE id = %s", (ids[0],))
    _edit_assets(core, tenant, [(ids[0], "ours"), (ids[1], "ours too")])
    proxy.commit_cuts = {1}
    report = run(core.db, tenant, proxy.url(), sleep=no_sleep([]))
    assert proxy.commits_cut == 1 and report.batches_already_applied == 1
    there = _server_descriptions(shared, tenant.engagement_id)
    assert there[ids[0]] == "theirs" and there[ids[1]] == "ours too"
    # ours did not overwrite theirs — and is not lost either: it is a recorded conflict
    assert [c["row_id"] for c in report.conflicts] == [str(ids[0])]
    with owner(core.db.admin_url) as conn:
        kept = conn.execute(
            "SELECT row_id, local_row->>'description', server_row->>'description' FROM sync_conflicts"
            " WHERE engagement_id = %s",
            (tenant.engagement_id,),
        ).fetchall()
    assert kept == [(ids[0], "ours", "theirs")]


def test_a_conflict_keeps_both_rows_with_this_laptops_consultant_ids(
    core: Core, tenant: Tenant, shared: SharedServer, engagement, tmp_path: Path
) -> None:
    """The same consultant has another `users.id` on the server: the row kept for re-applying is
    ours as it is here, or re-applying it writes a server id into the laptop's foreign key."""
    made = import_file(core.uows, tenant, servers_csv(tmp_path / "servers.csv", 5))
    run(core.db, tenant, shared.consultant_url, sleep=no_sleep([]))
    with owner(shared.admin_url) as conn:
        conn.execute("UPDATE data_imports SET source_system = 'theirs' WHERE id = %s", (made.import_id,))
        login = conn.execute("SELECT session_user").fetchone()[0]
    with core.uow(tenant) as uow:
        uow.session.execute(
            text("UPDATE data_imports SET source_system = 'ours' WHERE id = :id"), {"id": made.import_id}
        )
        uow.commit()
    report = run(core.db, tenant, shared.consultant_url, options=SyncOptions(pull=False), sleep=no_sleep([]))
    assert [c["table"] for c in report.conflicts] == ["data_imports"]
    # who changed the server's side: the login the server's change log recorded (no users row)
    assert report.conflicts[0]["changed_by"] == login
    assert list_conflicts(core.uows, tenant)[0]["changed_by"] == login
    with owner(core.db.admin_url) as conn:
        kept = conn.execute(
            "SELECT local_row, server_row FROM sync_conflicts WHERE engagement_id = %s",
            (tenant.engagement_id,),
        ).fetchone()
    assert kept is not None and kept[0]["source_system"] == "ours" and kept[1]["source_system"] == "theirs"
    assert core.user_id != shared.user_id and kept[0]["imported_by"] == str(core.user_id)
    # the server's value names the same consultant: the two values differ only where they do
    assert kept[1]["imported_by"] == str(core.user_id)


def _approve_first(c: Core, t: Tenant, import_id: uuid.UUID) -> None:
    """Approve the import's first suggested column (which teaches the client's mapping memory)."""
    from core.actions import mapping

    mapping.ensure_suggestions(c.uows, t, import_id)
    with c.uow(t) as uow:
        row_id, version = uow.session.execute(
            text("SELECT id, version FROM import_field_mappings WHERE data_import_id = :i AND target_field"
                 " IS NOT NULL ORDER BY source_field LIMIT 1"), {"i": import_id},
        ).one()  # fmt: skip
    mapping.approve(c.uows, t, row_id, version, auto_finish=False)


def test_a_pairing_learned_in_another_engagement_of_the_client_is_not_replaced_by_a_pull(
    core: Core, tenant: Tenant, shared_server: SharedServer, laptop, engagement, tmp_path: Path
) -> None:
    """Mapping memory is the client's: the laptop may hold, from another engagement, the pairing a
    colleague taught on the server in this one (same natural key, another id). Pulling this
    engagement must not swap ours for theirs: ours waits in the other engagement's outbox, which
    this sync cannot see, so it would be lost without a conflict."""
    csv = servers_csv(tmp_path / "servers.csv", 5)
    made = import_file(core.uows, tenant, csv)
    _approve_first(core, tenant, made.import_id)  # learned here, in engagement 1 (never synced)
    second = tenancy.ensure_engagement(
        core.db.admin_sessions(), engagement.client_name, "Second", core.user_id
    )
    assert second.client_account_id == engagement.client_account_id
    mirror(shared_server, second)
    other, other_tenant = laptop(second)
    theirs = import_file(other.uows, other_tenant, csv)
    _approve_first(other, other_tenant, theirs.import_id)  # the same pairing, taught in engagement 2
    run(other.db, other_tenant, shared_server.consultant_url, sleep=no_sleep([]))

    mine = core.tenant_for(second)
    report = run(core.db, mine, shared_server.consultant_url, sleep=no_sleep([]))
    assert report.pulled.get("data_imports") == 1 and report.rejected == []
    with owner(core.db.admin_url) as conn:
        kept = conn.execute(
            "SELECT engagement_id FROM mapping_memory WHERE client_account_id = %s",
            (engagement.client_account_id,),
        ).fetchall()
    assert (engagement.engagement_id,) in kept  # ours, from engagement 1, is still there
    again = run(core.db, mine, shared_server.consultant_url, sleep=no_sleep([]))
    assert again.rejected == []


def test_a_cancelled_push_resumes_without_sending_what_was_applied(
    core: Core, tenant: Tenant, shared: SharedServer, engagement, tmp_path: Path
) -> None:
    from core.progress import CancelToken, Progress
    from core.sync.engine import SyncInterrupted

    prepared_offline(core, tenant, tmp_path, 400)
    cancel = CancelToken()
    seen: list[Progress] = []

    def progress(p: Progress) -> None:
        seen.append(p)
        if sum(1 for x in seen if x.stage == "pushing") == 3:
            cancel.cancel()  # the consultant presses Cancel after three batches

    with pytest.raises(SyncInterrupted, match="cancelled"):
        run(core.db, tenant, shared.consultant_url, options=SyncOptions(batch_size=100),
            progress=progress, cancel=cancel, sleep=no_sleep([]))  # fmt: skip
    applied = server_batches(shared, tenant.engagement_id)
    assert len(applied) == 3 and outbox(core.db.admin_url, tenant.engagement_id) > 0
    report = run(core.db, tenant, shared.consultant_url, options=SyncOptions(batch_size=100))
    assert report.batches_already_applied == 0 and report.batches > 0
    assert_pushed_once(core, shared, tenant.engagement_id, SyncReport(batches=len(applied) + report.batches))


def test_a_change_to_a_row_deleted_on_the_server_is_a_conflict_not_a_resurrection(
    core: Core, tenant: Tenant, shared: SharedServer, engagement, tmp_path: Path
) -> None:
    prepared_offline(core, tenant, tmp_path, 5)
    run(core.db, tenant, shared.consultant_url, sleep=no_sleep([]))
    gone = _asset_ids(core, tenant)[0]
    with owner(shared.admin_url) as conn:  # a colleague deleted it there
        conn.execute("DELETE FROM assets WHERE id = %s", (gone,))
    _edit_assets(core, tenant, [(gone, "edited offline")])
    report = run(core.db, tenant, shared.consultant_url, sleep=no_sleep([]))
    assert gone not in _server_descriptions(shared, tenant.engagement_id)  # the deletion stands
    assert [(c["table"], c["row_id"]) for c in report.conflicts] == [("assets", str(gone))]
    with owner(core.db.admin_url) as conn:
        kept = conn.execute(
            "SELECT local_row->>'description', server_row FROM sync_conflicts WHERE engagement_id = %s",
            (tenant.engagement_id,),
        ).fetchall()
    assert kept == [("edited offline", {"deleted": True})]
    assert gone not in _asset_ids(core, tenant)  # the pull brought the deletion here too
    assert row_ids(core.db.admin_url, tenant.engagement_id) == row_ids(shared.admin_url, tenant.engagement_id)
    # the consultant re-applies the kept edit: the row is back here, and the next sync sends it there
    (conflict,) = list_conflicts(core.uows, tenant)
    resolve_conflict(core.uows, tenant, uuid.UUID(conflict["id"]), "reapply")
    assert gone in _asset_ids(core, tenant)
    run(core.db, tenant, shared.consultant_url, sleep=no_sleep([]))
    assert _server_descriptions(shared, tenant.engagement_id)[gone] == "edited offline"
    assert list_conflicts(core.uows, tenant) == []


# ------------------------------------------------------------------------ 2. a killed process
def cli(core: Core, *args: str) -> list[str]:
    return [sys.executable, "-m", "desktop_app", "--database-url", core.db.app_url, *args]


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MD_")}
    env.update({"MD_USER": "Test Consultant <tester@example.com>", "MD_NO_SEMANTIC": "1"})
    return env


def _killed_when_frozen(args: list[str], proxy: Proxy) -> None:
    """Run the CLI until the proxy freezes its connection, then SIGKILL it (mid-push)."""
    proxy.frozen.clear()
    pipe = subprocess.PIPE
    with subprocess.Popen(args, env=cli_env(), cwd=ROOT, stdout=pipe, stderr=pipe) as proc:
        frozen = proxy.frozen.wait(timeout=60)
        running = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        _out, err = proc.communicate(timeout=30)
    assert frozen and running, err.decode()
    assert proc.returncode == -signal.SIGKILL
    proxy.drop_all()  # the dead process's connection: the server rolls an open transaction back


def test_a_sync_killed_during_its_push_resumes_and_applies_everything_once(
    core: Core, tenant: Tenant, shared: SharedServer, proxy: Proxy, engagement, tmp_path: Path
) -> None:
    prepared_offline(core, tenant, tmp_path, 1500)
    args = cli(
        core, "sync", "--server", proxy.url(), "--client", engagement.client_name, "--engagement",
        engagement.engagement_name, "--batch-size", "300", "--push-only", "--json",
    )  # fmt: skip
    proxy.freeze_after_commit = (2, 40_000)  # two batches committed, the third one in flight
    _killed_when_frozen(args, proxy)
    assert len(server_batches(shared, tenant.engagement_id)) == 2
    proxy.freeze_on_commit = 4  # killed again: the server committed batch 4, the reply never came
    _killed_when_frozen(args, proxy)
    applied = server_batches(shared, tenant.engagement_id)
    assert len(applied) == 4
    assert outbox(core.db.admin_url, tenant.engagement_id) > 0

    again = subprocess.run(args, env=cli_env(), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    value = json.loads(again.stdout)
    assert value["rejected"] == [] and value["conflicts"] == []
    assert value["batches_already_applied"] == 1  # batch 4, found by its key
    report = SyncReport(batches=len(applied) + value["batches"] - value["batches_already_applied"])
    assert_pushed_once(core, shared, tenant.engagement_id, report)


# ------------------------------------------------------------------------ 4. a refused batch
def _edit_assets(core: Core, tenant: Tenant, values: list[tuple[uuid.UUID, str]]) -> None:
    """One local write per asset, in this order (so their outbox order is this order)."""
    for asset_id, value in values:
        with core.uow(tenant) as uow:
            uow.session.execute(
                text("UPDATE assets SET description = :v WHERE id = :id"), {"v": value, "id": asset_id}
            )
            uow.commit()


def _asset_ids(core: Core, tenant: Tenant) -> list[uuid.UUID]:
    with core.uow(tenant) as uow:
        return list(uow.session.scalars(select(Asset.id).order_by(Asset.hostname)))


def _server_descriptions(shared: SharedServer, engagement_id: uuid.UUID) -> dict[uuid.UUID, str | None]:
    with owner(shared.admin_url) as conn:
        return dict(
            conn.execute(
                "SELECT id, description FROM assets WHERE engagement_id = %s", (engagement_id,)
            ).fetchall()
        )


def test_a_batch_the_server_refuses_is_set_aside_with_its_reason_and_the_rest_applies(
    core: Core, tenant: Tenant, shared: SharedServer, engagement, tmp_path: Path
) -> None:
    flow_id = prepared_offline(core, tenant, tmp_path, 20)
    run(core.db, tenant, shared.consultant_url)
    assert outbox(core.db.admin_url, tenant.engagement_id) == 0
    ids = _asset_ids(core, tenant)
    assert len(ids) == 20 and flow_id
    wanted = {a: f"edited offline {i}" for i, a in enumerate(ids)}
    wanted[ids[5]] = "refused by the server"  # 2 rows a batch: batch 3 holds rows 4 and 5
    _edit_assets(core, tenant, list(wanted.items()))
    with owner(shared.admin_url) as conn:
        conn.execute(
            "ALTER TABLE assets ADD CONSTRAINT md_test_refuse CHECK (description <> 'refused by the server')"
            " NOT VALID"
        )
    try:
        report = run(core.db, tenant, shared.consultant_url, options=SyncOptions(batch_size=2))
        again = run(core.db, tenant, shared.consultant_url, options=SyncOptions(batch_size=2))
    finally:
        with owner(shared.admin_url) as conn:
            conn.execute("ALTER TABLE assets DROP CONSTRAINT md_test_refuse")
    assert report.batches == 9
    assert [(r["error_class"], r["changes"]) for r in report.rejected] == [("CheckViolation", 2)]
    assert "md_test_refuse" in report.rejected[0]["reason"]
    there = _server_descriptions(shared, tenant.engagement_id)
    for i, a in enumerate(ids):
        assert there[a] == (None if i in (4, 5) else wanted[a]), i
    # set aside, not blocking, not re-sent, and still listed on the next sync
    assert outbox(core.db.admin_url, tenant.engagement_id) == 0
    assert again.pushed == {} and again.rejected == []
    listed = list_rejections(core.uows, tenant)
    assert len(listed) == 1 and "md_test_refuse" in listed[0]["reason"]
    assert {c["row_id"] for c in listed[0]["changes"]} == {str(ids[4]), str(ids[5])}
    with owner(core.db.admin_url) as conn:
        row = conn.execute(
            "SELECT reason, resolved_at FROM sync_rejections WHERE engagement_id = %s",
            (tenant.engagement_id,),
        ).fetchone()
    assert row is not None and "md_test_refuse" in row[0] and row[1] is None

    # the consultant fixes the value and queues the batch again: it applies, the rejection closes
    _edit_assets(core, tenant, [(ids[5], "fixed offline")])
    resolve_rejection(core.uows, tenant, uuid.UUID(listed[0]["id"]), "retry")
    fixed = run(core.db, tenant, shared.consultant_url, options=SyncOptions(batch_size=2))
    assert fixed.rejected == [] and fixed.conflicts == []
    there = _server_descriptions(shared, tenant.engagement_id)
    assert there[ids[4]] == wanted[ids[4]] and there[ids[5]] == "fixed offline"
    assert list_rejections(core.uows, tenant) == []


def test_an_unexpected_server_error_sets_the_batch_aside_and_the_queue_goes_on(
    core: Core, tenant: Tenant, shared: SharedServer, engagement, tmp_path: Path
) -> None:
    """Regression: only a fixed list of error classes was set aside; any other error the server
    raised for a batch (here an internal error from a trigger) escaped the sync, and every later
    sync resent the same batch first and failed the same way — the queue was wedged."""
    prepared_offline(core, tenant, tmp_path, 12)
    run(core.db, tenant, shared.consultant_url)
    ids = _asset_ids(core, tenant)
    wanted = {a: f"edited offline {i}" for i, a in enumerate(ids)}
    wanted[ids[3]] = "the server chokes on this"  # batch 2 of 6 (2 rows a batch)
    _edit_assets(core, tenant, list(wanted.items()))
    with owner(shared.admin_url) as conn:
        conn.execute(
            "CREATE FUNCTION md_test_choke() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " IF NEW.description = 'the server chokes on this' THEN"
            " RAISE EXCEPTION 'storage engine hiccup' USING ERRCODE = 'XX000'; END IF;"
            " RETURN NEW; END $$"
        )
        conn.execute(
            "CREATE TRIGGER md_test_choke BEFORE INSERT OR UPDATE ON assets"
            " FOR EACH ROW EXECUTE FUNCTION md_test_choke()"
        )
    try:
        report = run(core.db, tenant, shared.consultant_url, options=SyncOptions(batch_size=2))
        again = run(core.db, tenant, shared.consultant_url, options=SyncOptions(batch_size=2))
    finally:
        with owner(shared.admin_url) as conn:
            conn.execute("DROP TRIGGER md_test_choke ON assets")
            conn.execute("DROP FUNCTION md_test_choke()")
    assert [(r["error_class"], r["changes"]) for r in report.rejected] == [("InternalError_", 2)]
    assert "storage engine hiccup" in report.rejected[0]["reason"]
    there = _server_descriptions(shared, tenant.engagement_id)
    for i, a in enumerate(ids):
        assert there[a] == (None if i in (2, 3) else wanted[a]), i
    assert outbox(core.db.admin_url, tenant.engagement_id) == 0
    assert again.pushed == {} and again.rejected == []
    assert len(list_rejections(core.uows, tenant)) == 1


# ------------------------------------------------------------ 5. parents and children, any batch size
def connections_csv(path: Path, n: int) -> Path:
    lines = ["Server A,Server B,Port"]
    lines += [f"srv{i:05d},srv{(i * 7 + 3) % n:05d},{443 + i % 3}" for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("batch_size", [1, 99, 100, 101, 10_000])
def test_every_child_arrives_whatever_the_batch_boundaries(
    core: Core, tenant: Tenant, shared: SharedServer, engagement, tmp_path: Path, batch_size: int
) -> None:
    prepared_offline(core, tenant, tmp_path, 60)
    conns = import_file(core.uows, tenant, connections_csv(tmp_path / "connections.csv", 60))
    finish_flow_mapping(core.uows, tenant, conns.flow_id, auto=True)
    run_flow(core.uows, tenant, conns.flow_id, through=PHASES[-1])
    changes = outbox(core.db.admin_url, tenant.engagement_id)
    assert changes > 202  # 99, 100 and 101 cut it in several places
    options = SyncOptions(pull=False, batch_size=batch_size)
    report = run(core.db, tenant, shared.consultant_url, options=options)
    assert report.rejected == [] and report.conflicts == []
    assert report.batches == -(-changes // batch_size)
    assert_pushed_once(core, shared, tenant.engagement_id, report)
    here = contents(core.db.admin_url, tenant.engagement_id)
    there = contents(shared.admin_url, tenant.engagement_id)
    for name in ("data_imports", "import_field_mappings", "discovery_flows", "assets", "asset_dependencies"):
        assert here[name], f"the test made no {name}"
        assert there[name] == here[name], name
    assert len(there[tables.RECORDS]) == 120


# ------------------------------------------------------------------------ 6. the server comes back
def test_the_queue_drains_within_three_retry_intervals_after_the_server_comes_back(
    core: Core, tenant: Tenant, shared: SharedServer, proxy: Proxy, engagement, tmp_path: Path
) -> None:
    prepared_offline(core, tenant, tmp_path, 300)
    proxy.cuts = [150_000]  # the server goes away in the middle of the push
    waits: list[float] = []
    came_back: list[int] = []

    def sleep(seconds: float) -> None:
        """The retry's wait, counted: the server stays away for three attempts, then returns."""
        waits.append(seconds)
        if len(waits) == 1:
            proxy.down()
        if len(waits) == 4:
            proxy.up()
            came_back.append(len(waits))

    report = run(core.db, tenant, proxy.url(), sleep=sleep)
    assert proxy.cut_log == [150_000] and came_back == [4]
    assert len(waits) - came_back[0] + 1 <= 3  # intervals from the server's return to a drained queue
    assert waits == list(RETRY_DELAYS_S[: len(waits)])  # backoff
    assert_pushed_once(core, shared, tenant.engagement_id, report)


# ------------------------------------------------------------------------ 7. not a member there
def test_a_consultant_who_is_not_a_member_there_is_refused_and_nothing_is_written(
    core: Core, tenant: Tenant, shared_server: SharedServer, engagement, tmp_path: Path
) -> None:
    from core.db.models import ClientAccount, Engagement, EngagementMember

    import_file(core.uows, tenant, servers_csv(tmp_path / "servers.csv", 30))
    waiting = outbox(core.db.admin_url, tenant.engagement_id)
    assert waiting > 0
    # not on the server at all: refused before anything is sent
    with pytest.raises(SyncRefused, match="not a member of the engagement"):
        run(core.db, tenant, shared_server.consultant_url, sleep=no_sleep([]))
    # on the server, led by someone else: refused too, through the CLI (exit 2, the reason)
    lead = tenancy.ensure_user(
        shared_server.db.admin_sessions(), Identity("Other Lead", "lead@example.com"), "md_test_other_lead"
    )
    with shared_server.db.admin_sessions()() as s:
        s.add(ClientAccount(id=engagement.client_account_id, name=engagement.client_name))
        s.flush()
        s.add(Engagement(id=engagement.engagement_id, client_account_id=engagement.client_account_id,
                         name=engagement.engagement_name))  # fmt: skip
        s.flush()
        s.add(EngagementMember(client_account_id=engagement.client_account_id,
                               engagement_id=engagement.engagement_id, user_id=lead,
                               role="lead"))  # fmt: skip
        s.commit()
    done = subprocess.run(
        cli(core, "sync", "--server", shared_server.consultant_url, "--client", engagement.client_name,
            "--engagement", engagement.engagement_name, "--json"),
        env=cli_env(), cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    value = json.loads(done.stdout)
    assert [e["status"] for e in value["engagements"]] == ["refused"]
    assert "not a member of the engagement" in value["engagements"][0]["reason"]
    assert "db grant" in value["rejected"][0]["hint"]
    assert value["pushed"] == {}
    there = row_ids(shared_server.admin_url, tenant.engagement_id)
    assert all(not ids for ids in there.values()), {k: len(v) for k, v in there.items() if v}
    assert server_batches(shared_server, tenant.engagement_id) == []
    assert outbox(core.db.admin_url, tenant.engagement_id) == waiting  # kept for when it is allowed


# ------------------------------------------------------------ 3. two consultants, random interleavings
COLLEAGUE_ROLE = "md_test_colleague"
COLLEAGUE = Identity("Colleague Consultant", "colleague@example.com")


@pytest.fixture
def colleague(
    shared: SharedServer,
    make_database: Callable[[], str],
    role_url: Callable[[str, str], str],
    tmp_path_factory: pytest.TempPathFactory,
    engagement: tenancy.EngagementRef,
) -> Iterator[tuple[Core, Tenant, str]]:
    """A second consultant (own login) with their own laptop, a member of the engagement on the
    server: (their core, their tenant, their server URL)."""
    from core.config import Settings
    from core.db import migrate
    from core.db.database import Database, ensure_login_role
    from core.db.models import ClientAccount, Engagement, EngagementMember

    ensure_login_role(shared.db.admin_engine, COLLEAGUE_ROLE)
    on_server = tenancy.ensure_user(shared.db.admin_sessions(), COLLEAGUE, COLLEAGUE_ROLE)
    admin_url = make_database()
    migrate.upgrade(admin_url)
    db = Database(mode="shared", app_url=role_url(admin_url, COLLEAGUE_ROLE), admin_url=admin_url)
    ensure_login_role(db.admin_engine, COLLEAGUE_ROLE)
    user_id = tenancy.ensure_user(db.admin_sessions(), COLLEAGUE, COLLEAGUE_ROLE)
    ref = engagement
    for sessions, member in ((db.admin_sessions(), user_id), (shared.db.admin_sessions(), on_server)):
        with sessions() as s:
            if s.get(ClientAccount, ref.client_account_id) is None:
                s.add(ClientAccount(id=ref.client_account_id, name=ref.client_name))
                s.flush()
                s.add(Engagement(id=ref.engagement_id, client_account_id=ref.client_account_id,
                                 name=ref.engagement_name))  # fmt: skip
                s.flush()
            s.add(EngagementMember(client_account_id=ref.client_account_id, engagement_id=ref.engagement_id,
                                   user_id=member, role="member"))  # fmt: skip
            s.commit()
    settings = Settings(data_dir=Path(tmp_path_factory.mktemp("colleague")), database_url=db.app_url)
    core = Core(settings=settings, db=db, identity=COLLEAGUE, user_id=user_id)
    url = make_url(shared.consultant_url).set(username=COLLEAGUE_ROLE).render_as_string(hide_password=False)
    yield core, core.tenant_for(ref), url
    db.close()


TARGETS = ("asset_tag", "serial_number", "vcenter", "cpu_model", "subnet", None)
STEPS = 200
SEED = int(os.environ.get("MD_SYNC_SEED", "1"))  # another seed: MD_SYNC_SEED=N pytest -k two_consultants


class Model:
    """What the sync promises, as plain data: the server's value stands unless a change was based
    on it; a change based on an older value is a conflict on the laptop that made it; after a sync
    the laptop reads what the server has. Versions are opaque tokens (the rows' `updated_at`)."""

    def __init__(self, rows: dict[tuple[str, str], Any], laptops: tuple[str, ...]) -> None:
        self.server = {r: (v, "v0") for r, v in rows.items()}
        self.local = {lap: {r: (v, "v0") for r, v in rows.items()} for lap in laptops}
        self.base: dict[str, dict[tuple[str, str], str]] = {lap: {} for lap in laptops}
        self.conflicts: dict[str, list[tuple[str, str]]] = {lap: [] for lap in laptops}
        self.tokens = 0

    def write(self, lap: str, row: tuple[str, str], value: Any) -> None:
        self.base[lap].setdefault(row, self.local[lap][row][1])  # the version the server knew
        self.tokens += 1
        self.local[lap][row] = (value, f"{lap}{self.tokens}")

    def sync(self, lap: str) -> None:
        for row, base in sorted(self.base[lap].items()):
            if self.server[row][1] == base:
                self.server[row] = self.local[lap][row]
            else:
                self.conflicts[lap].append(row)
        self.base[lap] = {}
        self.local[lap] = dict(self.server)


def _tracked(url: str, engagement_id: uuid.UUID, import_id: uuid.UUID) -> dict[tuple[str, str], Any]:
    """The rows the consultants edit: (value, version) of each decision of the import and asset."""
    with owner(url) as conn:
        out: dict[tuple[str, str], Any] = {}
        for row_id, status, target, at in conn.execute(
            "SELECT id, status, target_field, updated_at FROM import_field_mappings"
            " WHERE data_import_id = %s",
            (import_id,),
        ).fetchall():
            out[("import_field_mappings", str(row_id))] = ((status, target), at)
        for row_id, description, at in conn.execute(
            "SELECT id, description, updated_at FROM assets WHERE engagement_id = %s", (engagement_id,)
        ).fetchall():
            out[("assets", str(row_id))] = (description, at)
    return out


def _values(rows: dict[tuple[str, str], Any]) -> dict[tuple[str, str], Any]:
    return {r: v for r, (v, _version) in rows.items()}


def _conflicts(url: str, engagement_id: uuid.UUID) -> list[tuple[str, str]]:
    """The laptop's recorded conflicts on the edited rows; the only others a decision may make are
    on the mapping memory it teaches (the same pairing taught on both laptops)."""
    with owner(url) as conn:
        found = [
            (t, str(r))
            for t, r in conn.execute(
                "SELECT table_name, row_id FROM sync_conflicts WHERE engagement_id = %s", (engagement_id,)
            ).fetchall()
        ]
    assert {t for t, _r in found} <= {"import_field_mappings", "assets", "mapping_memory"}, found
    return sorted(c for c in found if c[0] != "mapping_memory")


@pytest.mark.parametrize("first", ["A", "B"])
def test_two_consultants_interleaving_edits_and_syncs_lose_nothing_silently_and_converge(
    core: Core, tenant: Tenant, shared: SharedServer, colleague, engagement, tmp_path: Path, first: str
) -> None:
    from core.actions import mapping
    from core.errors import UserInputError
    from core.mapping_review.errors import MappingConflictError, MappingLockedError

    made = import_file(core.uows, tenant, servers_csv(tmp_path / "servers.csv", 6))
    finish_flow_mapping(core.uows, tenant, made.flow_id, auto=True)
    run_flow(core.uows, tenant, made.flow_id, through="asset_inventory")
    review = import_file(core.uows, tenant, servers_csv(tmp_path / "more.csv", 4, prefix="new"))
    mapping.ensure_suggestions(core.uows, tenant, review.import_id)
    run(core.db, tenant, shared.consultant_url, sleep=no_sleep([]))
    other, other_tenant, other_server = colleague
    run(other.db, other_tenant, other_server, sleep=no_sleep([]))
    sides = {"A": (core, tenant, shared.consultant_url), "B": (other, other_tenant, other_server)}
    if first == "B":  # the same interleaving with the consultants' parts swapped
        sides = {"A": sides["B"], "B": sides["A"]}
    url = {k: c.db.admin_url for k, (c, _t, _s) in sides.items()}
    start = _tracked(url["A"], tenant.engagement_id, review.import_id)
    assert start == _tracked(url["B"], tenant.engagement_id, review.import_id)
    assert len(start) == 11  # 5 decisions, 6 assets
    model = Model({r: v for r, (v, _at) in start.items()}, ("A", "B"))
    rows = sorted(start)
    rng = random.Random(SEED)
    syncs = writes = 0
    for step in range(STEPS):
        lap = rng.choice("AB")
        c, t, server_url = sides[lap]
        kind = rng.choice(("sync", "mapping", "asset"))
        if kind == "sync":
            run(c.db, t, server_url, sleep=no_sleep([]))
            model.sync(lap)
            syncs += 1
            here = _values(_tracked(url[lap], tenant.engagement_id, review.import_id))
            assert here == _values(model.local[lap]), step
            assert _conflicts(url[lap], tenant.engagement_id) == sorted(model.conflicts[lap]), step
            continue
        before = _tracked(url[lap], tenant.engagement_id, review.import_id)
        if kind == "asset":
            row = rng.choice([r for r in rows if r[0] == "assets"])
            _edit_assets(c, t, [(uuid.UUID(row[1]), f"{lap} step {step}")])
        else:
            row = rng.choice([r for r in rows if r[0] == "import_field_mappings"])
            with c.uow(t) as uow:
                version = uow.session.execute(
                    text("SELECT version FROM import_field_mappings WHERE id = :id"), {"id": row[1]}
                ).scalar_one()
            target = rng.choice(TARGETS)
            try:
                if target is None:
                    mapping.reject(c.uows, t, uuid.UUID(row[1]), version, auto_finish=False)
                elif rng.random() < 0.3:
                    mapping.approve(c.uows, t, uuid.UUID(row[1]), version, auto_finish=False)
                else:
                    mapping.modify(
                        c.uows, t, uuid.UUID(row[1]), version, target_field=target, auto_finish=False
                    )
            except (UserInputError, MappingConflictError, MappingLockedError):
                pass  # refused here (another column holds that target…): nothing was written
        after = _tracked(url[lap], tenant.engagement_id, review.import_id)
        for r in rows:
            if after[r][1] != before[r][1]:  # written (whatever the value): in the outbox
                model.write(lap, r, after[r][0])
                writes += 1
    assert syncs > 40 and writes > 80
    assert model.conflicts["A"] and model.conflicts["B"], "the interleaving made no conflict on one side"

    # every queue drains: sync both until nothing moves
    for _round in range(6):
        moved = False
        for lap in ("A", "B"):
            c, t, server_url = sides[lap]
            report = run(c.db, t, server_url, sleep=no_sleep([]))
            model.sync(lap)
            assert report.rejected == [], report.rejected
            moved = moved or bool(report.pushed or report.pulled)
        if not moved:
            break
    else:
        pytest.fail("the two laptops never stopped exchanging changes")
    for lap in ("A", "B"):
        assert outbox(url[lap], tenant.engagement_id) == 0
        assert _conflicts(url[lap], tenant.engagement_id) == sorted(model.conflicts[lap])
    server = contents(shared.admin_url, tenant.engagement_id)
    for lap in ("A", "B"):
        mine = contents(url[lap], tenant.engagement_id)
        for name in synced_names():
            assert mine[name] == server[name], f"{lap}: {name} differs from the server"
    there = _values(_tracked(shared.admin_url, tenant.engagement_id, review.import_id))
    assert there == _values(model.server)
