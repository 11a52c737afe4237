"""Faults at and after COMMIT: the import says what really happened, and never adds a false `failed` row.

The faults are real: a KeyboardInterrupt raised after a COMMIT the server has carried out (from the
session's `after_commit` event, in process), and, for the CLI as a subprocess, a PostgreSQL wire
protocol proxy on 127.0.0.1 in front of the test server that acts at one exact message — it holds
back the reply to the import's COMMIT while the test presses Ctrl-C (SIGINT), cuts the connection
after the server has committed, or goes away (every connection dropped, no new ones accepted) in the
middle of the COPY. The suite's own server is never stopped.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from core.bootstrap import Core
from core.db.models import DataImport
from core.imports import ImportResult, import_file
from core.tenancy import EngagementRef
from core.uow import Tenant

from . import builders

ROOT = Path(__file__).resolve().parents[2]
SSL_REQUEST, GSS_REQUEST, CANCEL_REQUEST = 80877103, 80877104, 80877102
WAIT_S = 120.0


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# -- a PostgreSQL wire-protocol proxy that acts at one exact message ---------------------------------


@dataclass(eq=False)
class _Link:
    """One client connection and its upstream connection to the real server."""

    client: socket.socket
    upstream: socket.socket
    gate: threading.Event = field(default_factory=threading.Event)  # set: replies flow to the client
    saw_attach: bool = False
    dead: bool = False

    def close(self) -> None:
        self.dead = True
        self.gate.set()
        for sock in (self.client, self.upstream):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


class PgProxy:
    """Forwards PostgreSQL connections to the test server, parsing the client's messages.

    `mode`: "hold" keeps back the server's reply to the import's COMMIT (the first COMMIT after
    `md_attach_raw_partition` on a connection) until `release()` or a cancel request arrives;
    "go_away_on_copy" drops every connection and stops listening at the first COPY data message.
    """

    def __init__(self, server_url: str, mode: str) -> None:
        url = make_url(server_url)
        host = str(url.query.get("host") or url.host or "localhost")
        port = url.port or 5432
        self._upstream: tuple[int, Any] = (
            (socket.AF_UNIX, f"{host}/.s.PGSQL.{port}")
            if host.startswith("/")
            else (socket.AF_INET, (host, port))
        )
        self.mode = mode
        self.committing = threading.Event()  # the import's COMMIT went to the server
        self.cancel_seen = threading.Event()  # a cancel request came in (psycopg's answer to Ctrl-C)
        self.gone = threading.Event()
        self.commit_link: _Link | None = None
        self._links: list[_Link] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def url(self, app_url: str) -> str:
        """`app_url` (same role and database) through the proxy."""
        return (
            make_url(app_url)
            .set(host="127.0.0.1", port=self.port, query={"sslmode": "disable", "gssencmode": "disable"})
            .render_as_string(hide_password=False)
        )

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.socket(self._upstream[0], socket.SOCK_STREAM)
            upstream.connect(self._upstream[1])
            link = _Link(client, upstream)
            link.gate.set()
            with self._lock:
                if self.gone.is_set():
                    link.close()
                    continue
                self._links.append(link)
            for target in (self._from_client, self._from_server):
                t = threading.Thread(target=target, args=(link,), daemon=True)
                t.start()
                self._threads.append(t)

    def _from_client(self, link: _Link) -> None:
        try:
            while True:  # start-up: untyped messages
                head = _recv_exact(link.client, 8)
                length, code = struct.unpack("!II", head)
                body = _recv_exact(link.client, length - 8)
                if code in (SSL_REQUEST, GSS_REQUEST):
                    link.client.sendall(b"N")
                    continue
                if code == CANCEL_REQUEST:
                    self.cancel_seen.set()
                    self.release()
                link.upstream.sendall(head + body)
                break
            while True:
                head = _recv_exact(link.client, 5)
                kind = head[:1]
                body = _recv_exact(link.client, struct.unpack("!I", head[1:])[0] - 4)
                if b"md_attach_raw_partition" in body:
                    link.saw_attach = True
                if kind == b"d" and self.mode == "go_away_on_copy":
                    self.go_away()
                    return
                commit = kind == b"Q" and body.lstrip().upper().startswith(b"COMMIT") and link.saw_attach
                if commit and self.mode == "hold" and self.commit_link is None:
                    link.gate.clear()  # the server's reply waits here
                link.upstream.sendall(head + body)
                if commit and self.commit_link is None:
                    self.commit_link = link
                    self.committing.set()
        except OSError:
            pass
        finally:
            link.close()

    def _from_server(self, link: _Link) -> None:
        try:
            while True:
                data = link.upstream.recv(65536)
                if not data:
                    return
                link.gate.wait()
                if link.dead:
                    return
                link.client.sendall(data)
        except OSError:
            pass
        finally:
            link.close()

    def release(self) -> None:
        """Let the held COMMIT reply through."""
        if self.commit_link is not None:
            self.commit_link.gate.set()

    def cut_commit_connection(self) -> None:
        """Drop the connection whose COMMIT is held, without its reply (the server has committed)."""
        assert self.commit_link is not None
        self.commit_link.close()

    def stop_listening(self) -> None:
        self.gone.set()
        self._listener.close()

    def go_away(self) -> None:
        """The server is gone: every connection dropped, no new ones accepted."""
        self.stop_listening()
        with self._lock:
            links = list(self._links)
        for link in links:
            link.close()

    def close(self) -> None:
        self.go_away()
        for t in self._threads:
            t.join(10)


@pytest.fixture
def proxy_for(core: Core) -> Iterator[Callable[[str], PgProxy]]:
    made: list[PgProxy] = []

    def make(mode: str) -> PgProxy:
        proxy = PgProxy(core.db.app_url, mode)
        made.append(proxy)
        return proxy

    yield make
    for proxy in made:
        proxy.close()


# -- helpers ---------------------------------------------------------------------------------------


def _imports(core: Core, engagement: EngagementRef) -> list[tuple[uuid.UUID, str, str | None]]:
    """(id, status, error_message) of every data import of the engagement, seen by the schema owner."""
    with psycopg.connect(_libpq(core.db.admin_url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT id, status, error_message FROM data_imports WHERE engagement_id = %s ORDER BY created_at",
            (engagement.engagement_id,),
        ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def _statuses(core: Core, engagement: EngagementRef) -> list[str]:
    return [status for _, status, _ in _imports(core, engagement)]


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


def _start_cli(url: str, path: Path, engagement: EngagementRef, *extra: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MD_")}
    env["MD_USER"] = "Test Consultant <tester@example.com>"
    command = [sys.executable, "-m", "desktop_app", "--database-url", url, *extra, "import", str(path)]
    command += ["--client", engagement.client_name, "--engagement", engagement.engagement_name, "--json"]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=WAIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, out, err


def _one_message(stderr: str) -> str:
    """stderr holds one error: with `--json` (as `_start_cli` runs) one JSON object on one line,
    naming the log file in `log_file`; returns it as the text line would read."""
    lines = stderr.strip().splitlines()
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1, stderr
    return "error: " + json.loads(lines[0])["error"]


@pytest.fixture
def small_csv(tmp_path: Path) -> Path:
    return builders.write_csv(tmp_path / "servers.csv", [builders.CMDB_HEADER, *builders.cmdb_rows(300)])


# -- in process: KeyboardInterrupt after the server committed -------------------------------------


def test_keyboard_interrupt_after_commit_returns_the_stored_import(
    core: Core, tenant: Tenant, engagement: EngagementRef, small_csv: Path
) -> None:
    """Ctrl-C lands once COMMIT has been carried out: the import is complete, so it is the result."""
    own = Core(settings=core.settings, db=core.db, identity=core.identity, user_id=core.user_id)
    fired: list[uuid.UUID] = []

    def interrupt(session: Session) -> None:
        done = [
            o for o in session.identity_map.values() if isinstance(o, DataImport) and o.status == "completed"
        ]
        if done and not fired:
            fired.append(done[0].id)
            raise KeyboardInterrupt

    event.listen(own.sessions, "after_commit", interrupt)
    try:
        result: ImportResult | None = None
        try:
            result = import_file(own.uows, tenant, small_csv)
        except BaseException as exc:  # a KeyboardInterrupt must not end the session
            pytest.fail(f"the stored import was reported as {type(exc).__name__}: {exc}")
    finally:
        event.remove(own.sessions, "after_commit", interrupt)
    assert fired and result is not None
    assert result.import_id == fired[0] and result.status == "completed" and result.rows == 300
    assert any("interrupted" in note and "stored" in note for note in result.notes), result.notes
    assert _imports(core, engagement) == [(result.import_id, "completed", None)]  # no `failed` row


def test_keyboard_interrupt_before_commit_still_records_the_cancellation(
    core: Core, tenant: Tenant, engagement: EngagementRef, small_csv: Path
) -> None:
    """Before COMMIT nothing is stored: the failure record says so (and the lookup confirms it)."""
    own = Core(settings=core.settings, db=core.db, identity=core.identity, user_id=core.user_id)

    def interrupt(session: Session) -> None:
        if any(isinstance(o, DataImport) and o.status == "completed" for o in session.identity_map.values()):
            raise KeyboardInterrupt

    event.listen(own.sessions, "before_commit", interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            import_file(own.uows, tenant, small_csv)
    finally:
        event.remove(own.sessions, "before_commit", interrupt)
    [(_, status, message)] = _imports(core, engagement)
    assert status == "failed" and message == "cancelled by the user; nothing was stored"


# -- the CLI as a subprocess, through the proxy ----------------------------------------------------


def test_ctrl_c_during_commit_prints_the_stored_import(
    core: Core, engagement: EngagementRef, proxy_for: Callable[[str], PgProxy], small_csv: Path
) -> None:
    """SIGINT while the COMMIT's reply is on its way: exit 0 with the import's JSON, no failed row."""
    proxy = proxy_for("hold")
    proc = _start_cli(proxy.url(core.db.app_url), small_csv, engagement)
    try:
        assert proxy.committing.wait(WAIT_S), "the import's COMMIT never came"
        _wait_for(lambda: _statuses(core, engagement) == ["completed"], "the server committed")
        proc.send_signal(signal.SIGINT)
        code, out, err = _finish(proc)
    finally:
        proxy.release()
    assert proxy.cancel_seen.is_set()  # psycopg really was interrupted in the COMMIT and cancelled it
    assert code == 0, err
    data = json.loads(out)
    assert data["status"] == "completed" and data["rows"] == 300
    assert "interrupted" in err and "stored" in err and "Traceback" not in err
    assert _imports(core, engagement) == [(uuid.UUID(data["import_id"]), "completed", None)]


def test_connection_lost_after_commit_with_the_server_still_there(
    core: Core, engagement: EngagementRef, proxy_for: Callable[[str], PgProxy], small_csv: Path
) -> None:
    """The server committed, the reply never arrives; a fresh connection finds the import complete."""
    proxy = proxy_for("hold")
    proc = _start_cli(proxy.url(core.db.app_url), small_csv, engagement)
    assert proxy.committing.wait(WAIT_S), "the import's COMMIT never came"
    _wait_for(lambda: _statuses(core, engagement) == ["completed"], "the server committed")
    proxy.cut_commit_connection()
    code, out, err = _finish(proc)
    assert code == 0, err
    data = json.loads(out)
    assert data["status"] == "completed" and data["rows"] == 300
    assert "lost" in err and "stored" in err and "Traceback" not in err
    assert _imports(core, engagement) == [(uuid.UUID(data["import_id"]), "completed", None)]


def test_connection_lost_at_commit_with_the_server_gone_says_the_outcome_is_unknown(
    core: Core, engagement: EngagementRef, proxy_for: Callable[[str], PgProxy], small_csv: Path
) -> None:
    """Nobody can tell whether it was stored: say so and how to check, never "nothing was kept"."""
    proxy = proxy_for("hold")
    proc = _start_cli(proxy.url(core.db.app_url), small_csv, engagement)
    assert proxy.committing.wait(WAIT_S), "the import's COMMIT never came"
    _wait_for(lambda: _statuses(core, engagement) == ["completed"], "the server committed")
    proxy.go_away()
    code, out, err = _finish(proc)
    assert code == 1, err
    message = _one_message(err)
    assert "unknown" in message and "nothing was kept" not in message
    [(import_id, status, _)] = _imports(core, engagement)  # it was stored, and no failure was written
    assert status == "completed"
    assert str(import_id) in message and "flow status" in message
    assert json.loads(out)["status"] == "unknown"


def test_server_gone_mid_copy_gives_one_message_and_details_in_the_log(
    core: Core,
    engagement: EngagementRef,
    proxy_for: Callable[[str], PgProxy],
    small_csv: Path,
    tmp_path: Path,
) -> None:
    """No tracebacks on stderr: one error line; the details (why no failure was recorded) go to the log."""
    proxy = proxy_for("go_away_on_copy")
    data_dir = tmp_path / "data"
    proc = _start_cli(proxy.url(core.db.app_url), small_csv, engagement, "--data-dir", str(data_dir))
    code, _, err = _finish(proc)
    assert proxy.gone.is_set()
    assert code == 1, err
    message = _one_message(err)
    assert message.startswith(
        "error: lost the connection to the database during the import (nothing was kept)"
    )
    assert _imports(core, engagement) == []  # nothing kept, and no failure record could be written
    log_file = data_dir / "logs" / "migration-discovery.log"
    assert json.loads(err)["log_file"] == str(log_file)
    assert "could not record the failed import" in log_file.read_text(encoding="utf-8")

    again = proxy_for("go_away_on_copy")
    verbose = _start_cli(again.url(core.db.app_url), small_csv, engagement, "--data-dir", str(data_dir), "-v")
    code, _, err = _finish(verbose)
    assert code == 1 and "could not record the failed import" in err and "Traceback" in err  # -v shows them
