"""Which process really is the embedded server: `postmaster.pid` read, checked and never trusted blindly.

PostgreSQL leaves `postmaster.pid` behind when it is killed, and the PID in it is soon reused by an
unrelated process (or is a zombie not yet reaped, or the file is empty after a crash at start-up).
A PID is taken as *our* postmaster only when the file names this data directory, the process is
alive (not a zombie), its program is `postgres` started on this data directory, and it was started
when the file says. Only such a process is ever waited on or signalled.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

log = logging.getLogger(__name__)

PID_FILE = "postmaster.pid"
#: seconds between the start time in postmaster.pid and the process's creation (fork, shell, exec).
_START_TOLERANCE = 10.0


@dataclass(frozen=True)
class PidFile:
    """The lines of `postmaster.pid` that matter (PostgreSQL's layout since version 10)."""

    pid: int
    data_dir: str
    start_time: int
    port: int | None
    socket_dir: str | None
    listen_address: str | None
    status: str


def read_pid_file(path: Path) -> PidFile | None:
    """The parsed file, or None when it is missing, empty, truncated or garbage."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cannot read %s (%s); treating it as stale", path, exc)
        return None
    lines += [""] * (8 - len(lines))
    try:
        pid, data_dir, start_time = int(lines[0].strip()), lines[1].strip(), int(lines[2].strip())
        port = int(lines[3].strip()) if lines[3].strip() else None
    except ValueError:
        return None
    if pid <= 0 or not data_dir:
        return None
    return PidFile(
        pid=pid,
        data_dir=data_dir,
        start_time=start_time,
        port=port,
        socket_dir=lines[4].strip() or None,
        listen_address=lines[5].strip() or None,
        status=lines[7].strip(),
    )


def _same_path(a: str | Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def alive(pid: int, started: float | None = None) -> psutil.Process | None:
    """The process if it runs (a zombie does not) and, when given, was created at `started`."""
    try:
        proc = psutil.Process(pid)
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return None
    try:
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        if started is not None and abs(proc.create_time() - started) > 1.0:
            return None  # the PID was reused by another process
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return None
    except psutil.AccessDenied:
        pass  # alive, but another user's: callers never trust it as ours
    return proc


def is_postmaster_of(proc: psutil.Process, pgdata: Path, start_time: int | None = None) -> bool:
    """Whether `proc` is a postgres server (not a backend) whose data directory is `pgdata`."""
    try:
        cmdline = proc.cmdline()
        if not cmdline or Path(cmdline[0]).name.lower() not in ("postgres", "postgres.exe", "postmaster"):
            return False  # not postgres, or a backend (their title reads "postgres: ...")
        if "-D" in cmdline[:-1]:
            on_pgdata = _same_path(cmdline[cmdline.index("-D") + 1], pgdata)
        else:
            on_pgdata = _same_path(proc.cwd(), pgdata)  # the postmaster works in its data dir
        started_then = start_time is None or abs(proc.create_time() - start_time) <= _START_TOLERANCE
        return on_pgdata and started_then
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return False


@dataclass(frozen=True)
class Postmaster:
    """A verified running server: its process and where it listens."""

    process: psutil.Process
    pid_file: PidFile

    @property
    def pid(self) -> int:
        return self.pid_file.pid


def verified_postmaster(pgdata: Path) -> Postmaster | None:
    """Our live server for `pgdata` per its pid file, verified; None when no such server runs."""
    info = read_pid_file(pgdata / PID_FILE)
    if info is None or not _same_path(info.data_dir, pgdata):
        return None
    proc = alive(info.pid)
    if proc is None or not is_postmaster_of(proc, pgdata, info.start_time):
        return None
    return Postmaster(proc, info)


def wait_until_ready(pgdata: Path, postmaster: Postmaster, timeout: float) -> Postmaster | None:
    """Wait while the server is starting or recovering; None if it exits or stops instead."""
    deadline = time.monotonic() + timeout
    while True:
        current = verified_postmaster(pgdata)
        if current is None or current.pid != postmaster.pid:
            return None
        if current.pid_file.status in ("ready", "standby") or time.monotonic() > deadline:
            return current
        time.sleep(0.05)


def orphans_of(pgdata: Path) -> Iterator[psutil.Process]:
    """Server processes still working in `pgdata` without a postmaster (after it was killed)."""
    for proc in psutil.process_iter(["name"]):
        try:
            if (proc.info["name"] or "").startswith("postgres") and _same_path(proc.cwd(), pgdata):
                yield proc
        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
            continue


def remove_stale_lock(path: Path, pgdata: Path) -> None:
    """Delete a pid/socket lock file unless it belongs to a verified live server of `pgdata`.

    PostgreSQL refuses to start while such a file names a live process — a zombie, or an unrelated
    process that reused the PID — and stops at an empty one. Only our own lifecycle, holding the
    data directory's lock, calls this, so no server of ours is starting meanwhile.
    """
    info = read_pid_file(path)
    if info is not None:
        proc = alive(info.pid)
        if proc is not None and is_postmaster_of(proc, pgdata):
            raise RuntimeError(f"{path} belongs to a running server (PID {info.pid})")
        if proc is not None and not _same_path(info.data_dir, pgdata) and path.name != PID_FILE:
            return  # a live server of another data directory owns this socket: leave it be
    try:
        path.unlink()
        log.info("removed stale %s", path)
    except FileNotFoundError:
        pass
