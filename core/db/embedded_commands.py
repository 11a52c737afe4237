"""Running the PostgreSQL programs for the embedded server, as an unprivileged user when we are root.

PostgreSQL refuses to run as root. When the app runs as root (CI, containers) the server runs as
the system user `pgserver` — the name the `pgserver` package (our programs' earlier source) used,
so data directories it made keep their owner — which needs to traverse the data directory's
parents and read the programs.
"""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core.db import embedded_binaries

log = logging.getLogger(__name__)

SYSTEM_USER = "pgserver"


@dataclass(frozen=True)
class SystemUser:
    name: str
    uid: int
    gid: int


class CommandFailed(RuntimeError):
    """A PostgreSQL program exited non-zero; the message carries the last lines it printed."""


@cache
def system_user() -> SystemUser | None:
    """The user the server runs as when we are root (created if missing); None otherwise."""
    if os.name == "nt" or os.geteuid() != 0:
        return None
    import pwd

    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(SYSTEM_USER)
    return SystemUser(SYSTEM_USER, entry.pw_uid, entry.pw_gid)


def give_to_server_user(path: Path) -> None:
    """Make `path` the server user's (when running as root) — PostgreSQL insists on owning its files."""
    user = system_user()
    if user is not None:
        os.chown(path, user.uid, user.gid)


def ensure_reachable(path: Path) -> None:
    """Let the server user traverse every parent of `path` (adds only the search bit)."""
    if system_user() is None:
        return
    for parent in path.parents:
        mode = parent.stat().st_mode
        if mode & (stat.S_IXGRP | stat.S_IXOTH) != stat.S_IXGRP | stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXGRP | stat.S_IXOTH)


@cache
def _programs_usable() -> None:
    """Once per process: the server user can run the programs and read their libraries."""
    if system_user() is None:
        return
    bin_dir = embedded_binaries.bin_dir()
    ensure_reachable(bin_dir / "x")
    search = stat.S_IXGRP | stat.S_IXOTH
    read = stat.S_IRGRP | stat.S_IROTH
    for folder, flag in ((bin_dir, search | read), (bin_dir.parent / "lib", read)):
        if not folder.is_dir():
            continue
        for root, dirs, files in os.walk(folder):
            for name in dirs:
                p = Path(root, name)
                if p.stat().st_mode & (search | read) != search | read:
                    p.chmod(p.stat().st_mode | search | read)
            for name in files:
                p = Path(root, name)
                if not p.is_symlink() and p.stat().st_mode & flag != flag:
                    p.chmod(p.stat().st_mode | flag)


def run(name: str, args: list[str], *, timeout: float | None = None) -> str:
    """Run one PostgreSQL program (as the server user when root); its output, or CommandFailed.

    Output goes through temporary files, not pipes: `pg_ctl start` leaves the server running, and
    a server that inherited a pipe would keep a reader waiting for ever. Without `timeout` the wait
    blocks in waitpid (a timed wait polls, adding up to 50 ms); pg_ctl bounds itself with `-t`.
    """
    _programs_usable()
    command = [str(embedded_binaries.program(name)), *args]
    user = system_user()
    extra: dict[str, object] = {}
    if user is not None:
        extra = {"user": user.uid, "group": user.gid, "extra_groups": [], "cwd": "/"}
    with tempfile.TemporaryFile("w+") as out:
        log.debug("running %s", command)
        try:
            result = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
                check=False,
                **extra,  # type: ignore[arg-type]
            )
        except subprocess.TimeoutExpired as exc:
            raise CommandFailed(f"{name} did not finish within {exc.timeout:.0f} s") from exc
        out.seek(0)
        output = out.read()
    if result.returncode != 0:
        tail = " | ".join(line.strip() for line in output.strip().splitlines()[-3:])
        raise CommandFailed(f"{name} failed (exit {result.returncode}){': ' + tail if tail else ''}")
    return output
