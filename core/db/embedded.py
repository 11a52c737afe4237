"""The embedded PostgreSQL server that makes the app work on a fresh laptop, offline.

The server lives in `<data dir>/pgdata` and listens only on a Unix socket inside it (on Windows, on
a free TCP port of 127.0.0.1). Our own code drives the PostgreSQL programs (`initdb`, `pg_ctl`; see
`embedded_binaries` for where they come from), because every decision about a process is ours:

- set-up, start and stop run under a file lock in the data directory, so concurrent first runs
  initialise and start one server, once;
- a PID is trusted, waited on or signalled only when verified as this data directory's postmaster
  (`embedded_postmaster`); stale, empty or garbage pid files are cleared by themselves, and no
  other process is ever signalled;
- each process holding the server is registered with its start time (`embedded_holders`); dead
  holders are pruned on every start and stop, and the last live holder stops the server (fast
  shutdown, waited for).
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import re
import shlex
import shutil
import signal
import socket
import tempfile
import time
from pathlib import Path

import psutil

from core.db import embedded_binaries, embedded_commands
from core.db.embedded_commands import CommandFailed, ensure_reachable, give_to_server_user
from core.db.embedded_holders import Holder, HolderRegistry
from core.db.embedded_postmaster import (
    PID_FILE,
    Postmaster,
    alive,
    orphans_of,
    remove_stale_lock,
    verified_postmaster,
    wait_until_ready,
)
from core.errors import ConfigurationError

log = logging.getLogger(__name__)

DATABASE_NAME = "migration_discovery"
SUPERUSER = "postgres"
LOCK_FILE = ".embedded-server.lock"
HOLDERS_FILE = ".embedded-server-holders.json"
#: seconds: a start (with crash recovery) or a stop that takes longer is reported, not waited on.
START_TIMEOUT = 120.0
STOP_TIMEOUT = 60.0
#: seconds another process may hold the lock (its initdb, start or stop) before we give up.
LOCK_TIMEOUT = 300.0
_PORT = 5432  # the Unix socket's name (.s.PGSQL.5432); nothing listens on TCP
_SOCKET_PATH_MAX = 103  # bytes in sun_path, the smallest limit of the platforms (macOS: 104 with NUL)

# Laptop-server settings for bulk imports (pg_settings units: kB for memory), written into
# postgresql.auto.conf before a start. `wal_level = minimal`: a table created in the loading
# transaction (each import's raw-rows partition) is written without WAL and fsynced at commit —
# still crash-safe, but no replication or point-in-time recovery, which a single-user embedded
# server never uses. `temp_buffers` keeps an import's staging table in memory;
# `maintenance_work_mem` sorts a partition's index builds in memory.
EMBEDDED_SETTINGS = {
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "temp_buffers": "65536",  # 8 kB pages: 512 MB, allocated only by sessions that use temp tables
    "maintenance_work_mem": "262144",  # kB: 256 MB
}
_SETTING_LINE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*=?\s*'?([^'#]*)'?")


def _check_writable(data_dir: Path) -> None:
    """Fail with one clear message when the data directory cannot hold the server."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise ConfigurationError(
            f"the data directory is not writable ({exc.strerror or exc})",
            file=str(data_dir),
            hint="choose another with --data-dir or MD_DATA_DIR, or fix its permissions",
        ) from exc


class EmbeddedServer:
    """Starts (or attaches to) the embedded server and hands out connection URLs."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).expanduser().absolute()
        self.pgdata = self.data_dir / "pgdata"
        self._holders = HolderRegistry(self.data_dir / HOLDERS_FILE)
        self._holder: Holder | None = None
        self._postmaster: Postmaster | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Make sure this data directory's server runs, and hold it until `stop()`."""
        if self._holder is not None:
            return
        _check_writable(self.data_dir)
        from filelock import FileLock, Timeout

        try:
            with FileLock(str(self.data_dir / LOCK_FILE), timeout=LOCK_TIMEOUT):
                self._holders.live()  # prune the dead first
                self._initialise()
                postmaster = verified_postmaster(self.pgdata)
                if postmaster is not None:
                    postmaster = wait_until_ready(self.pgdata, postmaster, START_TIMEOUT)
                if postmaster is None:
                    postmaster = self._start_postmaster()
                self._holder = Holder.this_process()
                self._holders.add(self._holder)
                self._postmaster = postmaster
        except Timeout as exc:
            raise ConfigurationError(
                f"another process kept the embedded server's lock for over {LOCK_TIMEOUT:.0f} s",
                file=str(self.data_dir / LOCK_FILE),
                hint="wait for the other Migration Discovery process to finish, then try again",
            ) from exc
        except (CommandFailed, OSError, RuntimeError) as exc:
            raise ConfigurationError(
                f"the embedded PostgreSQL server did not start: {exc}{self._log_tail()}",
                file=str(self.pgdata),
                hint="check free disk space and permissions, or delete the folder to start afresh",
            ) from exc
        atexit.register(self.stop)

    def stop(self) -> None:
        """Release this holder; the last live holder stops the server and waits until it has."""
        if self._holder is None:
            return
        atexit.unregister(self.stop)
        holder, self._holder, self._postmaster = self._holder, None, None
        from filelock import FileLock, Timeout

        try:
            with FileLock(str(self.data_dir / LOCK_FILE), timeout=LOCK_TIMEOUT):
                if self._holders.remove(holder):
                    return  # other processes still use it
                postmaster = verified_postmaster(self.pgdata)
                if postmaster is not None:
                    self._shut_down(postmaster)
        except (Timeout, OSError, CommandFailed) as exc:  # leaving must not fail; the next start prunes
            log.warning("could not stop the embedded server cleanly: %s", exc)

    def _initialise(self) -> None:
        """Create the data directory (first run), with the bulk-import settings already in place.

        initdb runs in a staging folder that is renamed into place when complete, so a first run
        that is killed half-way leaves nothing the next run trips over.
        """
        ensure_reachable(self.pgdata)
        if (self.pgdata / "PG_VERSION").exists():
            check_major_version(self.pgdata)
            return
        if self.pgdata.exists():
            leftovers = {p.name for p in self.pgdata.iterdir()} - {".handle_pids.json", "log", PID_FILE}
            if leftovers:
                raise ConfigurationError(
                    "the embedded database folder is not a PostgreSQL data directory (no PG_VERSION)",
                    file=str(self.pgdata),
                    hint="move it away or delete it, then start again",
                )
            shutil.rmtree(self.pgdata)
        staging = self.data_dir / "pgdata.initdb"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(mode=0o700)
        give_to_server_user(staging)
        embedded_commands.run(
            "initdb",
            ["-D", str(staging), "-U", SUPERUSER, "--auth=trust", "--auth-local=trust", "--encoding=utf8"],
        )
        _write_settings(staging)
        os.replace(staging, self.pgdata)
        log.info("initialised the embedded server in %s", self.pgdata)

    def _start_postmaster(self) -> Postmaster:
        """Start the server; first clear what a server that died left behind (never signalling it)."""
        if (self.pgdata / PID_FILE).exists():
            remove_stale_lock(self.pgdata / PID_FILE, self.pgdata)
            self._wait_for_orphans()
        _write_settings(self.pgdata)
        if os.name == "nt":
            options = f"-h 127.0.0.1 -p {_free_port()}"
        else:
            socket_dir = self._socket_dir_for_start()
            remove_stale_lock(socket_dir / f".s.PGSQL.{_PORT}.lock", self.pgdata)
            options = f"-h '' -k {shlex.quote(str(socket_dir))}"
        log_file = self.pgdata / "log"
        embedded_commands.run(
            "pg_ctl",
            [
                "-D",
                str(self.pgdata),
                "-l",
                str(log_file),
                "-w",
                "-t",
                str(int(START_TIMEOUT)),
                "-o",
                options,
                "start",
            ],
        )
        postmaster = verified_postmaster(self.pgdata)
        if postmaster is not None:
            postmaster = wait_until_ready(self.pgdata, postmaster, START_TIMEOUT)
        if postmaster is None:
            raise RuntimeError("the server exited right after it started")
        log.info("embedded server started (PID %d)", postmaster.pid)
        return postmaster

    def _wait_for_orphans(self) -> None:
        """After a postmaster was killed its children exit by themselves; PostgreSQL will not
        start while they still hold the old shared memory."""
        deadline = time.monotonic() + STOP_TIMEOUT
        while any(True for _ in orphans_of(self.pgdata)):
            if time.monotonic() > deadline:
                raise RuntimeError("processes of a killed server still run in the data directory")
            time.sleep(0.05)

    def _socket_dir_for_start(self) -> Path:
        """The data directory itself, unless its path is too long for a Unix socket."""
        if len(os.fsencode(self.pgdata / f".s.PGSQL.{_PORT}.lock")) <= _SOCKET_PATH_MAX:
            return self.pgdata
        digest = hashlib.sha256(os.fsencode(self.pgdata)).hexdigest()[:12]
        folder = Path(tempfile.gettempdir()) / f"md-pg-{digest}"
        folder.mkdir(mode=0o700, exist_ok=True)
        give_to_server_user(folder)
        return folder

    def _shut_down(self, postmaster: Postmaster) -> None:
        """Fast shutdown of the verified postmaster, waited for (never escalated to a kill)."""
        if os.name == "nt":
            embedded_commands.run(
                "pg_ctl", ["-D", str(self.pgdata), "-m", "fast", "-w", "-t", str(int(STOP_TIMEOUT)), "stop"]
            )
            return
        try:
            started = postmaster.process.create_time()
            postmaster.process.send_signal(signal.SIGINT)  # psutil re-checks it is the same process
        except psutil.NoSuchProcess:
            return
        deadline = time.monotonic() + STOP_TIMEOUT
        while alive(postmaster.pid, started) is not None:
            if time.monotonic() > deadline:
                log.warning(
                    "the embedded server (PID %d) did not stop in %.0f s", postmaster.pid, STOP_TIMEOUT
                )
                return
            time.sleep(0.01)
        log.info("embedded server stopped (PID %d)", postmaster.pid)

    def _log_tail(self) -> str:
        log_path = self.pgdata / "log"
        try:
            lines = log_path.read_text(errors="replace").strip().splitlines()[-3:]
        except OSError:
            return ""
        return f" (log: {' | '.join(lines)})" if lines else ""

    # -- connecting --------------------------------------------------------------------------------

    def _running(self) -> Postmaster:
        assert self._postmaster is not None, "start() first"
        return self._postmaster

    @property
    def socket_dir(self) -> str:
        """Where to connect: the socket directory (or 127.0.0.1 where the server uses TCP)."""
        info = self._running().pid_file
        return info.socket_dir or info.listen_address or "127.0.0.1"

    @property
    def port(self) -> int:
        return self._running().pid_file.port or _PORT

    def url(self, user: str = SUPERUSER, database: str = DATABASE_NAME) -> str:
        info = self._running().pid_file
        if info.socket_dir:
            return f"postgresql+psycopg://{user}@/{database}?host={info.socket_dir}"
        return f"postgresql+psycopg://{user}@{self.socket_dir}:{self.port}/{database}"


def check_major_version(pgdata: Path) -> None:
    """Refuse, with what to do, a data directory of another PostgreSQL major than our programs.

    PostgreSQL itself would refuse it too, but only in its log ("database files are incompatible
    with server"). Minor versions share the on-disk format: directories made by pgserver 0.1.4
    (16.2) start on the 16.x we ship. A directory of another major is left untouched.
    """
    text = (pgdata / "PG_VERSION").read_text(encoding="ascii", errors="replace").strip()
    ours = embedded_binaries.MAJOR
    try:
        major = int(text.split(".")[0])
    except ValueError:
        raise ConfigurationError(
            f"the embedded database folder names no PostgreSQL version (PG_VERSION reads {text[:20]!r})",
            file=str(pgdata),
            hint="restore the folder from a backup, or move it away to start afresh",
        ) from None
    if major == ours:
        return
    if major > ours:
        message = (
            f"the embedded database was created by PostgreSQL {major}, newer than the PostgreSQL"
            f" {ours} of this version of Migration Discovery"
        )
        hint = "use the version of Migration Discovery that created it (or a newer one); nothing was changed"
    else:
        message = (
            f"the embedded database was created by PostgreSQL {major}, which this version of"
            f" Migration Discovery (PostgreSQL {ours}) cannot upgrade"
        )
        hint = (
            "open it with the version of Migration Discovery that created it and export what you need,"
            " or move the folder away to start afresh; nothing was changed"
        )
    raise ConfigurationError(message, file=str(pgdata), hint=hint)


def _write_settings(pgdata: Path) -> None:
    """Put EMBEDDED_SETTINGS into postgresql.auto.conf (only while no server runs on it)."""
    conf = pgdata / "postgresql.auto.conf"
    try:
        lines = conf.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = ["# Do not edit this file manually!", "# It will be overwritten by the ALTER SYSTEM command."]
    current = {m.group(1): m.group(2).strip() for line in lines if (m := _SETTING_LINE.match(line))}
    if all(current.get(k) == v for k, v in EMBEDDED_SETTINGS.items()):
        return
    kept = [
        line for line in lines if not ((m := _SETTING_LINE.match(line)) and m.group(1) in EMBEDDED_SETTINGS)
    ]
    kept += [f"{name} = '{value}'" for name, value in EMBEDDED_SETTINGS.items()]
    tmp = conf.with_name(conf.name + ".md-tmp")
    tmp.write_text("\n".join(kept) + "\n", encoding="utf-8")
    tmp.chmod(0o600)
    give_to_server_user(tmp)
    os.replace(tmp, conf)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_pid(pgdata: Path) -> int | None:
    """PID of this data directory's running server, verified (for tests and diagnostics)."""
    postmaster = verified_postmaster(Path(pgdata).absolute())
    return postmaster.pid if postmaster is not None else None
