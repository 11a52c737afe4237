"""Sync throughput: pushing one big offline import to a shared server, against psql's `\\copy` floor.

    .venv/bin/python benchmarks/sync.py                      # 1,000,000 rows, the server on 127.0.0.1:5432
    .venv/bin/python benchmarks/sync.py --rows 200000 --repeat 3
    .venv/bin/python benchmarks/sync.py --server postgresql://postgres@db.example:5432/postgres

One run: generate the CMDB CSV of `benchmarks/import_throughput.py`, import it on a laptop (an
embedded server in a temp dir, the app's own import), then on the shared server (`--server`, an
admin URL reached over TCP: a scratch database is created, migrated and dropped) with a
consultant login that leads the engagement there:
- floor: psql `\\copy` of the same CSV into a table of 26 text columns on that server;
- push: `core.sync.service.run` of the engagement (push only) as the consultant — the import's raw
  records, its mapping decisions and flow rows; the ratio push / floor (target <= 3);
- resume: the same push of a second import through a TCP proxy that cuts the connection once half
  of the bytes the first push sent have passed, then the sync's own retry; bytes sent in all
  against one push, and the time after the cut;
- pull: `run` (pull only) of the engagement onto a second laptop database.
Each figure is the median of `--repeat` rounds with the spread.

Measured (1,000,000 rows, `--repeat 2`, PostgreSQL 15 on 127.0.0.1:5432, 2-core machine shared
with test runs, load ~2.1): floor 3.5 / 4.6 s, push 8.9 / 11.3 s (531 MB on the wire) → ratio
**2.49 (2.43-2.54)**; the push cut at 50 % finished 4.6 / 7.3 s after the cut having sent 0.2 MB
more than one push (it resumes at the next 100,000-record chunk, it does not start over); pull of
both imports (2,000,000 records) onto a second laptop 21.2 / 21.6 s. Before relaying COPY in
~1 MB blocks the push was 3.8-4.2x the floor; with the records as one unsent transaction a cut at
50 % re-sent the half (804 MB in all).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.import_throughput import generate  # noqa: E402

ROLE = "md_bench_sync"


class CuttingProxy:
    """127.0.0.1 → the server, counting client→server bytes; drops every connection once `cut_at`
    bytes have passed (once), then forwards again."""

    def __init__(self, target: tuple[str, int], cut_at: int | None) -> None:
        self.target, self.cut_at = target, cut_at
        self.sent = 0
        self.cut = False
        self.cut_time: float | None = None
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.open += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, counted: bool) -> None:
        try:
            while data := src.recv(65536):
                if counted:
                    self.sent += len(data)
                    if self.cut_at is not None and not self.cut and self.sent >= self.cut_at:
                        self.cut, self.cut_time = True, time.perf_counter()
                        for s in list(self.open):
                            with contextlib.suppress(OSError):
                                s.shutdown(socket.SHUT_RDWR)
                        return
                dst.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self.sock.close()


def _libpq(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _server(args: argparse.Namespace, work: Path) -> tuple[str, Any]:
    """An admin URL of a scratch database on the shared server, and what to stop at the end."""
    import psycopg
    from sqlalchemy.engine import make_url

    stop: Any = None
    base = args.server
    name = f"md_sync_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_libpq(base), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(base).set(drivername="postgresql+psycopg", database=name).render_as_string(
        hide_password=False
    ), (stop, base, name)


def _floor(admin_url: str, csv_path: Path) -> float:
    """psql \\copy of the CSV into 26 text columns on the server (import_throughput's floor)."""
    from benchmarks.import_throughput import _floor as copy_floor
    from core.db import embedded_binaries

    dsn = _libpq(admin_url)
    return copy_floor(embedded_binaries.program("psql"), ["-d", dsn], dsn, csv_path)


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 2),
        "min": round(min(values), 2),
        "max": round(max(values), 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--server",
        metavar="URL",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="an admin URL of a shared server reached over TCP (default: the one on 127.0.0.1:5432)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import psycopg
    from sqlalchemy.engine import make_url

    from core import tenancy
    from core.bootstrap import bootstrap
    from core.config import Identity
    from core.db import migrate
    from core.db.database import Database, ensure_login_role
    from core.db.models import ClientAccount, Engagement, EngagementMember
    from core.imports import import_file
    from core.sync.service import SyncOptions, adopt_engagement, run

    work = Path(tempfile.mkdtemp(prefix="md-sync-bench-"))
    os.chmod(work, 0o755)
    csv_path = work / f"cmdb_{args.rows}.csv"
    generate(csv_path, args.rows)
    os.chmod(csv_path, 0o644)
    laptop = bootstrap(data_dir=str(work / "laptop"))
    second = bootstrap(data_dir=str(work / "laptop2"))
    admin_url, (stop, base, name) = _server(args, work)
    rounds: list[dict[str, Any]] = []
    try:
        migrate.upgrade(admin_url)
        shared = Database(
            mode="shared",
            app_url=make_url(admin_url)
            .set(username=ROLE, password=None)
            .render_as_string(hide_password=False),
            admin_url=admin_url,
        )
        ensure_login_role(shared.admin_engine, ROLE)
        server_user = tenancy.ensure_user(
            shared.admin_sessions(), Identity("Bench", "bench@example.com"), ROLE
        )
        host = make_url(admin_url).host or "127.0.0.1"
        port = make_url(admin_url).port or 5432
        for n in range(max(1, args.repeat)):
            ref = laptop.engagement("Sync bench", f"Round {n}", create=True)
            tenant = laptop.tenant_for(ref)
            with shared.admin_sessions()() as s:
                if s.get(ClientAccount, ref.client_account_id) is None:
                    s.add(ClientAccount(id=ref.client_account_id, name=ref.client_name))
                    s.flush()
                s.add(
                    Engagement(
                        id=ref.engagement_id,
                        client_account_id=ref.client_account_id,
                        name=ref.engagement_name,
                    )
                )
                s.flush()
                s.add(EngagementMember(client_account_id=ref.client_account_id,
                                       engagement_id=ref.engagement_id, user_id=server_user,
                                       role="lead"))  # fmt: skip
                s.commit()
            import_file(laptop.uows, tenant, csv_path)
            floor = _floor(admin_url, csv_path)
            direct = CuttingProxy((host, port), None)
            url = (
                make_url(shared.app_url)
                .set(host="127.0.0.1", port=direct.port)
                .render_as_string(hide_password=False)
            )
            started = time.perf_counter()
            report = run(laptop.db, tenant, url, options=SyncOptions(pull=False))
            push_s = time.perf_counter() - started
            one_push = direct.sent
            direct.close()
            # resume: a second import, the connection cut once half of one push's bytes have passed
            import_file(laptop.uows, tenant, csv_path, allow_duplicate=True)
            cutting = CuttingProxy((host, port), one_push // 2)
            url = (
                make_url(shared.app_url)
                .set(host="127.0.0.1", port=cutting.port)
                .render_as_string(hide_password=False)
            )
            started = time.perf_counter()
            resumed = run(laptop.db, tenant, url, options=SyncOptions(pull=False), sleep=lambda _s: None)
            total_s = time.perf_counter() - started
            after_cut = time.perf_counter() - (cutting.cut_time or started)
            resent = cutting.sent - one_push
            cutting.close()
            # pull both imports onto a second laptop that has never seen the engagement ("pull it first")
            second_ref = adopt_engagement(second.db, shared.app_url, ref.client_name, ref.engagement_name,
                                          second.user_id)  # fmt: skip
            started = time.perf_counter()
            pull_only = SyncOptions(push=False)
            pulled = run(second.db, second.tenant_for(second_ref), shared.app_url, options=pull_only)
            pull_s = time.perf_counter() - started
            with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
                server_rows = conn.execute(
                    "SELECT count(*) FROM raw_import_records WHERE engagement_id = %s", (ref.engagement_id,)
                ).fetchone()[0]
            rounds.append(
                {
                    "floor_s": round(floor, 2),
                    "push_s": round(push_s, 2),
                    "ratio": round(push_s / floor, 2),
                    "pushed_records": report.pushed.get("raw_import_records", 0),
                    "push_mb": round(one_push / 1e6, 1),
                    "resume": {
                        "cut_at_mb": round(one_push / 2e6, 1),
                        "cut": cutting.cut,
                        "total_s": round(total_s, 2),
                        "after_cut_s": round(after_cut, 2),
                        "bytes_sent_mb": round(cutting.sent / 1e6, 1),
                        "re_sent_mb": round(resent / 1e6, 1),
                        "batches_already_applied": resumed.batches_already_applied,
                    },
                    "pull_s": round(pull_s, 2),
                    "pulled_records": pulled.pulled.get("raw_import_records", 0),
                    "server_records": server_rows,
                    "load": round(os.getloadavg()[0], 2),
                }
            )
        shared.close()
    finally:
        laptop.close()
        second.close()
        with psycopg.connect(_libpq(base), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if stop is not None:
            stop.stop()
        shutil.rmtree(work, ignore_errors=True)
    figures = {
        "rows": args.rows,
        "rounds": rounds,
        "ratio": _spread([r["ratio"] for r in rounds]),
        "push_s": _spread([r["push_s"] for r in rounds]),
        "floor_s": _spread([r["floor_s"] for r in rounds]),
        "resume_after_cut_s": _spread([r["resume"]["after_cut_s"] for r in rounds]),
        "pull_s": _spread([r["pull_s"] for r in rounds]),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    for i, r in enumerate(rounds, 1):
        z = r["resume"]
        print(
            f"round {i}: floor (psql \\copy) {r['floor_s']} s, push {r['push_s']} s ({r['push_mb']} MB)"
            f" → ratio {r['ratio']}; resume: cut at {z['cut_at_mb']} MB, done {z['after_cut_s']} s after"
            " the cut,"
            f" {z['bytes_sent_mb']} MB sent in all ({z['re_sent_mb']} MB more than one push); pull"
            f" {r['pull_s']} s ({r['pulled_records']:,} records); server holds {r['server_records']:,}"
        )
    print(f"ratio median {figures['ratio']['median']} [{figures['ratio']['min']}-{figures['ratio']['max']}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
