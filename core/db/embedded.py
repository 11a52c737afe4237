"""The embedded PostgreSQL server (pgserver) that makes the app work on a fresh laptop, offline.

The server lives in `<data dir>/pgdata`, listens only on a Unix socket inside it, and is stopped
when the last process using it exits (pgserver counts the handles).
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
import warnings
from pathlib import Path

from core.errors import ConfigurationError

log = logging.getLogger(__name__)

DATABASE_NAME = "migration_discovery"
SUPERUSER = "postgres"


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


# Laptop-server settings for bulk imports (pg_settings units: kB for memory). `temp_buffers` keeps
# an import's staging table in memory; `maintenance_work_mem` sorts a partition's index builds in
# memory.
EMBEDDED_SETTINGS = {
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "temp_buffers": "65536",  # 8 kB pages: 512 MB, allocated only by sessions that use temp tables
    "maintenance_work_mem": "262144",  # kB: 256 MB
}


class EmbeddedServer:
    """Starts (or attaches to) the embedded server and hands out connection URLs."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.pgdata = data_dir / "pgdata"
        self._server: object | None = None

    def start(self) -> None:
        _check_writable(self.data_dir)
        # pgserver keeps its lock in the runtime dir; without XDG_RUNTIME_DIR platformdirs warns.
        warnings.filterwarnings("ignore", module="platformdirs")
        import pgserver

        self._initialise()
        try:
            try:
                self._server = pgserver.get_server(self.pgdata, cleanup_mode="stop")
            except Exception as first:  # a previous server may still be shutting down: one more try
                log.warning("embedded server did not start (%s); retrying once", first)
                time.sleep(1.0)
                self._server = pgserver.get_server(self.pgdata, cleanup_mode="stop")
        except Exception as exc:
            log_path = self.pgdata / "log"
            tail = ""
            if log_path.exists():
                tail = " | ".join(log_path.read_text(errors="replace").strip().splitlines()[-3:])
            raise ConfigurationError(
                f"the embedded PostgreSQL server did not start: {exc}" + (f" (log: {tail})" if tail else ""),
                file=str(self.pgdata),
                hint="check free disk space and permissions, or delete the folder to start afresh",
            ) from exc

        self._tune()

    def _initialise(self) -> None:
        """Create a new server's data directory with the bulk-import settings already in place.

        Uses pgserver's own initialisation (system user and permissions when run as root), then
        writes the settings before the first start, so a first run needs no restart.
        """
        if (self.pgdata / "PG_VERSION").exists():
            return
        from types import SimpleNamespace

        from pgserver.postgres_server import PostgresServer

        try:
            self.pgdata.mkdir(parents=False, exist_ok=True)
            system_user = None
            if os.name != "nt" and os.geteuid() == 0:
                from pgserver.utils import ensure_user_exists

                system_user = "pgserver"
                ensure_user_exists(system_user)
            with PostgresServer._lock:
                if (self.pgdata / "PG_VERSION").exists():
                    return
                PostgresServer.ensure_pgdata_inited(  # type: ignore[arg-type]
                    SimpleNamespace(pgdata=self.pgdata, system_user=system_user, postgres_user=SUPERUSER)
                )
                with (self.pgdata / "postgresql.auto.conf").open("a", encoding="utf-8") as conf:
                    for name, value in EMBEDDED_SETTINGS.items():
                        conf.write(f"{name} = '{value}'\n")
        except Exception as exc:  # pgserver.get_server reports a real failure with its log
            log.warning("could not pre-initialise the embedded server (%s); pgserver will", exc)

    def _tune(self) -> None:
        """Configure the laptop server for bulk imports, once (takes effect after one restart).

        `wal_level = minimal`: a table created in the loading transaction (each import's raw-rows
        partition) is written without WAL and fsynced at commit — still crash-safe, but no
        replication or point-in-time recovery, which a single-user embedded server never uses.
        """
        import psycopg

        with psycopg.connect(self.url(database="postgres").replace("+psycopg", ""), autocommit=True) as conn:
            current = dict(
                conn.execute(
                    "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", (list(EMBEDDED_SETTINGS),)
                ).fetchall()
            )
            if all(current.get(k) == v for k, v in EMBEDDED_SETTINGS.items()):
                return
            for name, value in EMBEDDED_SETTINGS.items():
                conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        # Restart now if no other process uses the server; otherwise it applies on its next start.
        import pgserver

        assert self._server is not None
        self._server.cleanup()  # type: ignore[attr-defined]
        self._server = pgserver.get_server(self.pgdata, cleanup_mode="stop")

    @property
    def socket_dir(self) -> str:
        assert self._server is not None, "start() first"
        info = self._server.get_postmaster_info()  # type: ignore[attr-defined]
        return str(info.socket_dir)

    def url(self, user: str = SUPERUSER, database: str = DATABASE_NAME) -> str:
        return f"postgresql+psycopg://{user}@/{database}?host={self.socket_dir}"

    def stop(self) -> None:
        """Release this process's handle; the server stops when no process holds one."""
        if self._server is not None:
            self._server.cleanup()  # type: ignore[attr-defined]
            self._server = None


def server_pid(pgdata: Path) -> int | None:
    """PID of a running embedded server, from postmaster.pid (for tests and diagnostics)."""
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return None
    try:
        pid = int(pid_file.read_text().splitlines()[0])
        os.kill(pid, 0)
    except (ValueError, IndexError, OSError):
        return None
    return pid
