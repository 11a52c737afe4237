"""The embedded server's lifecycle on bad days: stale pid files, killed processes, concurrent first runs.

Every test drives a real embedded PostgreSQL in its own data directory; processes that stand in for
other instances of the app are real subprocesses holding the server through `EmbeddedServer`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psutil
import psycopg
import pytest

from core import tenancy
from core.bootstrap import Core
from core.db import embedded_binaries, embedded_commands
from core.db.embedded import EmbeddedServer, server_pid
from core.errors import ConfigurationError, UserInputError

ROOT = Path(__file__).resolve().parents[2]
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

_HOLDER = """
import sys
sys.path.insert(0, {root!r})
from pathlib import Path
from core.db.embedded import EmbeddedServer, server_pid
server = EmbeddedServer(Path({data!r}))
server.start()
print(server_pid(server.pgdata), flush=True)
sys.stdin.read()
server.stop()
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MD_")}
    env["MD_USER"] = "Test Consultant <tester@example.com>"
    return env


def run_cli(*args: str, timeout: int = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(),
        cwd=ROOT,
    )


@contextmanager
def holder(data: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """Another app process using the server at `data`; yields it and the postmaster's PID."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER.format(root=str(ROOT), data=str(data))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.isdigit(), f"the holder did not start the server (exit {proc.wait()})"
        yield proc, int(line)
    finally:
        if proc.poll() is None:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=120)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.02)


def is_gone(pid: int) -> bool:
    """Exited (a zombie not yet reaped counts as exited)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def query_works(server: EmbeddedServer) -> bool:
    with psycopg.connect(server.url(database="postgres").replace("+psycopg", ""), connect_timeout=10) as conn:
        return conn.execute("SELECT 1").fetchone() == (1,)


@pytest.fixture
def stopped_data_dir(tmp_path: Path) -> Path:
    """A data directory with an initialised, stopped server."""
    data = tmp_path / "data"
    server = EmbeddedServer(data)
    server.start()
    server.stop()
    assert not (data / "pgdata" / "postmaster.pid").exists()
    return data


def _postmaster_file(pid: int, pgdata: Path) -> str:
    # The layout PostgreSQL writes: pid, data dir, start time, port, socket dir, listen address,
    # shared memory key and id, status.
    return f"{pid}\n{pgdata}\n{int(time.time())}\n5432\n{pgdata}\n\n  5432001    65536\nready   \n"


@posix_only
def test_stale_pid_file_naming_a_live_unrelated_process(stopped_data_dir: Path) -> None:
    """The app starts fine, and the unrelated process is neither trusted nor signalled."""
    assert run_cli("--data-dir", str(stopped_data_dir), "db", "upgrade").returncode == 0
    pgdata = stopped_data_dir / "pgdata"
    unrelated = subprocess.Popen(["sleep", "300"])
    try:
        (pgdata / "postmaster.pid").write_text(_postmaster_file(unrelated.pid, pgdata))
        res = run_cli("--data-dir", str(stopped_data_dir), "db", "validate")
        assert res.returncode == 0, res.stderr
        assert unrelated.poll() is None, "the app signalled a process it did not start"
        assert "Traceback" not in res.stderr

        (pgdata / "postmaster.pid").write_text(_postmaster_file(unrelated.pid, pgdata))
        server = EmbeddedServer(stopped_data_dir)
        server.start()
        try:
            assert query_works(server)
            assert server_pid(pgdata) not in (None, unrelated.pid)
        finally:
            server.stop()
        assert unrelated.poll() is None, "the app signalled a process it did not start"
        assert server_pid(pgdata) is None
    finally:
        unrelated.kill()
        unrelated.wait()


@pytest.mark.parametrize("content", ["", "garbage\n\x00\xff not a pid\n", "12x\n/nowhere\n"])
def test_empty_or_garbage_pid_file_is_recovered_from(stopped_data_dir: Path, content: str) -> None:
    pid_file = stopped_data_dir / "pgdata" / "postmaster.pid"
    pid_file.write_text(content)
    for _ in range(2):  # and again: nothing is left behind that breaks the next start
        server = EmbeddedServer(stopped_data_dir)
        server.start()
        try:
            assert query_works(server)
        finally:
            server.stop()
        assert server_pid(stopped_data_dir / "pgdata") is None


@posix_only
def test_restart_right_after_app_and_postmaster_were_killed(stopped_data_dir: Path) -> None:
    """`kill -9` of the app and its server, then the app started again at once: it starts."""
    for _ in range(3):
        with holder(stopped_data_dir) as (proc, postmaster):
            proc.kill()
            os.kill(postmaster, signal.SIGKILL)
            proc.wait()
            wait_until(lambda pid=postmaster: is_gone(pid), "the postmaster is dead")
            server = EmbeddedServer(stopped_data_dir)
            server.start()
            try:
                assert query_works(server)
                assert server_pid(server.pgdata) != postmaster
            finally:
                server.stop()
    assert server_pid(stopped_data_dir / "pgdata") is None


@posix_only
def test_dead_holders_are_pruned_and_the_server_stops_after_the_last_live_one(stopped_data_dir: Path) -> None:
    pgdata = stopped_data_dir / "pgdata"
    with holder(stopped_data_dir) as (first, postmaster), holder(stopped_data_dir) as (second, same):
        assert same == postmaster  # the second process attached to the running server
        for proc in (first, second):
            proc.kill()
            proc.wait()
    assert server_pid(pgdata) == postmaster, "killed holders do not stop the server by themselves"

    server = EmbeddedServer(stopped_data_dir)
    server.start()
    assert server_pid(pgdata) == postmaster
    with holder(stopped_data_dir) as (live, _):
        server.stop()  # one live holder remains: the server keeps running for it
        assert server_pid(pgdata) == postmaster
        live.kill()
        live.wait()
    server = EmbeddedServer(stopped_data_dir)
    server.start()  # prunes the killed one
    server.stop()  # the last live holder: stops the server and waits for it
    assert server_pid(pgdata) is None
    assert is_gone(postmaster)


def test_eight_concurrent_first_runs_on_a_fresh_data_dir(tmp_path: Path) -> None:
    """Eight imports started at once on a new data directory: all set up, all stored."""
    data = tmp_path / "data"
    csv = tmp_path / "servers.csv"
    csv.write_text("Name,IP Address,OS\n" + "".join(f"srv-{i},10.0.0.{i},Linux\n" for i in range(25)))
    command = [
        sys.executable, "-m", "desktop_app", "--data-dir", str(data),
        "import", str(csv), "--client", "Race Client", "--engagement", "Race Wave", "--json",
        "--allow-duplicate",  # the same file eight times on purpose: this is about the first run
    ]  # fmt: skip
    procs = [
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=ROOT
        )
        for _ in range(8)
    ]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    for code, _, err in results:
        assert code == 0, err
        assert "Traceback" not in err
    outputs = [json.loads(out) for _, out, _ in results]
    assert all(o["status"] == "completed" and o["rows"] == 25 for o in outputs)
    assert len({o["import_id"] for o in outputs}) == 8

    server = EmbeddedServer(data)
    server.start()
    try:
        with psycopg.connect(server.url().replace("+psycopg", "")) as conn:
            clients = conn.execute(
                "SELECT count(*) FROM client_accounts WHERE name = 'Race Client'"
            ).fetchone()
            rows = conn.execute(
                "SELECT count(*), count(DISTINCT i.id) FROM raw_import_records r"
                " JOIN data_imports i ON i.id = r.data_import_id"
                " JOIN engagements e ON e.id = i.engagement_id WHERE e.name = 'Race Wave'"
            ).fetchone()
    finally:
        server.stop()
    assert clients == (1,)
    assert rows == (200, 8)
    assert server_pid(data / "pgdata") is None


def test_concurrent_ensure_engagement_returns_the_same_ids(core: Core) -> None:
    suffix = uuid.uuid4().hex[:8]
    names = [(f"Race {suffix}", f"Wave {suffix}"), (f"RACE {suffix}", f"wave {suffix}")]
    barrier = threading.Barrier(8)

    def create(i: int) -> tenancy.EngagementRef:
        client, engagement = names[i % 2]
        barrier.wait()
        return tenancy.ensure_engagement(core.db.admin_sessions(), client, engagement, core.user_id)

    with ThreadPoolExecutor(8) as pool:
        refs = list(pool.map(create, range(8)))
    assert len({(r.client_account_id, r.engagement_id) for r in refs}) == 1


def test_concurrent_ensure_user_returns_the_same_id(core: Core) -> None:
    from core.config import Identity

    who = Identity("Racing Consultant", f"race-{uuid.uuid4().hex[:8]}@example.com")
    barrier = threading.Barrier(6)

    def register(_: int) -> uuid.UUID:
        barrier.wait()
        return tenancy.ensure_user(core.db.admin_sessions(), who, "md_test_consultant")

    with ThreadPoolExecutor(6) as pool:
        assert len(set(pool.map(register, range(6)))) == 1


BAD_NAMES = [
    "Acme\nCorp",
    "Acme\rCorp",
    "Acme\tCorp",
    "Acme\x00",
    "Acme\x1b[31m",
    "Acme\x7f",
    "Acme\x85Corp",
    "\u202eemcA",
    "Acme\u202a",
    "Acme\u2066x\u2069",
    "Acme\u200e",
    "Acme\u200f",
]


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_names_with_control_characters_are_refused(core: Core, bad: str) -> None:
    fine = f"Fine {uuid.uuid4().hex[:8]}"
    with pytest.raises(UserInputError, match="control character"):
        tenancy.ensure_engagement(core.db.admin_sessions(), bad, fine, core.user_id)
    with pytest.raises(UserInputError, match="control character"):
        tenancy.ensure_engagement(core.db.admin_sessions(), fine, bad, core.user_id)
    with pytest.raises(UserInputError, match="control character"):
        tenancy.grant(
            core.db.admin_sessions(), client_name=bad, engagement_name=fine, db_role="md_test_consultant"
        )
    with pytest.raises(UserInputError, match="control character"):
        tenancy.grant(
            core.db.admin_sessions(), client_name=fine, engagement_name=bad, db_role="md_test_consultant"
        )
    assert tenancy.find_engagement(core.db.admin_sessions(), fine, fine) is None


def test_cli_refuses_a_client_name_with_a_bidi_control(tmp_path: Path) -> None:
    csv = tmp_path / "servers.csv"
    csv.write_text("Name,IP Address\nsrv-1,10.0.0.1\n")
    res = run_cli(
        "--data-dir",
        str(tmp_path / "data"),
        "import",
        str(csv),
        "--client",
        "Acme\u202egnp.exe",
        "--engagement",
        "E",
    )
    assert res.returncode == 2
    assert "control character" in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_the_shipped_programs_are_the_declared_major() -> None:
    """`MAJOR` is what data directories are checked against, so it must be what we really run."""
    out = subprocess.run(
        [str(embedded_binaries.program("postgres")), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith(f"postgres (PostgreSQL) {embedded_binaries.MAJOR}."), out


def test_the_shipped_server_has_the_on_disk_format_of_pgserver_data_directories(
    stopped_data_dir: Path,
) -> None:
    """Laptops set up by earlier versions ran pgserver 0.1.4 (PostgreSQL 16.2), whose binaries are
    gone now. A server reads a data directory when PG_VERSION, the pg_control version and the
    catalog version match: these are the ones PostgreSQL 16.2 wrote (read from such a directory)."""
    control = embedded_commands.run("pg_controldata", ["-D", str(stopped_data_dir / "pgdata")])
    assert (stopped_data_dir / "pgdata" / "PG_VERSION").read_text().strip() == "16"
    assert re.search(r"^pg_control version number:\s+1300$", control, re.MULTILINE), control
    assert re.search(r"^Catalog version number:\s+202307071$", control, re.MULTILINE), control


def test_a_data_directory_left_by_pgserver_keeps_working(stopped_data_dir: Path) -> None:
    """What pgserver's own lifecycle left (its pid bookkeeping, no bulk-import settings) starts, with
    the settings added, and the rows in it are still there."""
    pgdata = stopped_data_dir / "pgdata"
    server = EmbeddedServer(stopped_data_dir)
    server.start()
    url = server.url(database="postgres").replace("+psycopg", "")
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (id int PRIMARY KEY)")
            conn.execute("INSERT INTO kept SELECT generate_series(1, 100)")
    finally:
        server.stop()
    auto = pgdata / "postgresql.auto.conf"
    auto.write_text("# Do not edit this file manually!\n# It will be overwritten by ALTER SYSTEM.\n")
    (pgdata / ".handle_pids.json").write_text(json.dumps([os.getpid()]))

    server = EmbeddedServer(stopped_data_dir)
    server.start()
    try:
        with psycopg.connect(server.url(database="postgres").replace("+psycopg", "")) as conn:
            assert conn.execute("SHOW wal_level").fetchone() == ("minimal",)
            assert conn.execute("SELECT count(*) FROM kept").fetchone() == (100,)
    finally:
        server.stop()
    assert server_pid(pgdata) is None


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("18", "created by PostgreSQL 18, newer than the PostgreSQL 16"),
        ("15", "created by PostgreSQL 15, which this version of Migration Discovery"),
        ("garbage", "names no PostgreSQL version"),
    ],
)
def test_a_data_directory_of_another_major_is_refused_and_left_untouched(
    stopped_data_dir: Path, written: str, message: str
) -> None:
    pgdata = stopped_data_dir / "pgdata"
    (pgdata / "PG_VERSION").write_text(written + "\n")
    before = {p.name: p.read_bytes() for p in pgdata.iterdir() if p.is_file()}
    server = EmbeddedServer(stopped_data_dir)
    with pytest.raises(ConfigurationError, match=message) as caught:
        server.start()
    assert caught.value.file == str(pgdata)
    if written != "garbage":
        assert "nothing was changed" in (caught.value.hint or "")
    assert server_pid(pgdata) is None and not (pgdata / "postmaster.pid").exists()
    assert {p.name: p.read_bytes() for p in pgdata.iterdir() if p.is_file()} == before


def test_the_cli_names_the_data_directory_of_another_major(stopped_data_dir: Path) -> None:
    (stopped_data_dir / "pgdata" / "PG_VERSION").write_text("18\n")
    res = run_cli("--data-dir", str(stopped_data_dir), "db", "upgrade")
    assert res.returncode == 2, res.stderr
    assert "created by PostgreSQL 18" in res.stderr and str(stopped_data_dir / "pgdata") in res.stderr
    assert "Traceback" not in res.stderr
