"""Which processes use the embedded server, so the last one to leave stops it.

A JSON list in the data directory, changed only under the data directory's lock. Each entry is one
`EmbeddedServer.start()`: its PID, the process's creation time (so a reused PID is not mistaken for
a live holder) and a token (one process may hold the server more than once). Entries of processes
that died without `stop()` (killed, crashed) are pruned whenever the list is read.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from core.db.embedded_postmaster import alive

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Holder:
    pid: int
    started: float
    token: str

    @classmethod
    def this_process(cls) -> Holder:
        return cls(os.getpid(), psutil.Process().create_time(), uuid.uuid4().hex)

    def is_alive(self) -> bool:
        return alive(self.pid, self.started) is not None


class HolderRegistry:
    """The holders of one data directory's server. Call only while holding its lock."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> list[Holder]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return [Holder(int(h["pid"]), float(h["started"]), str(h["token"])) for h in raw]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, TypeError, KeyError) as exc:  # a torn or foreign file: start afresh
            log.warning("ignoring unreadable holder list %s (%s)", self.path, exc)
            return []

    def _write(self, holders: list[Holder]) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps([asdict(h) for h in holders]), encoding="utf-8")
        os.replace(tmp, self.path)

    def live(self) -> list[Holder]:
        """The live holders, after pruning (and forgetting) the dead ones."""
        holders = self._read()
        live = [h for h in holders if h.is_alive()]
        if len(live) != len(holders):
            log.info("pruned %d dead holder(s) of the embedded server", len(holders) - len(live))
            self._write(live)
        return live

    def add(self, holder: Holder) -> None:
        self._write([*self.live(), holder])

    def remove(self, holder: Holder) -> list[Holder]:
        """Forget `holder`; returns the live holders that remain."""
        remaining = [h for h in self.live() if h.token != holder.token]
        self._write(remaining)
        return remaining

    def clear(self) -> None:
        self._write([])
