"""Import throughput: `migration-discovery import` against psql's `\\copy` floor on the same server.

    .venv/bin/python benchmarks/import_throughput.py              # 1,000,000 rows (~330 MB)
    .venv/bin/python benchmarks/import_throughput.py --rows 100000 --reader-path
    .venv/bin/python benchmarks/import_throughput.py --server postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python benchmarks/import_throughput.py --xlsx 20000   # workbooks: benchmarks/xlsx_workbook.py

One run: generate a CMDB-style CSV of 26 columns, start a fresh embedded server (kept alive by
this process), time (a) psql `\\copy` of the file into a table of 26 text columns — the floor —
and (b) the real CLI in a subprocess, `--data-dir` pointing at the same server; report the
ratio and the import process's peak RSS (from wait4's rusage). Target: ratio <= 3.0 and peak
RSS <= 400 MB. `--reader-path` also times the import with CSV parsed in Python.

`--server URL` (an admin URL of a shared server, e.g. default-configured, `wal_level = replica`)
runs the same rounds there too and prints that ratio next to the embedded one: a scratch database
is created and migrated on it, the CLI imports as an RLS-bound consultant login
(`--database-url`), the floor is psql `\\copy` into the same database; the database is dropped at
the end. Target: ratio <= 3.0 there as well.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEADER = [
    "Hostname",
    "FQDN",
    "IP Address",
    "Operating System",
    "OS Version",
    "CPU Count",
    "Memory (GB)",
    "Disk (GB)",
    "Environment",
    "Application",
    "Owner",
    "Location",
    "Datacenter",
    "Serial Number",
    "Asset Tag",
    "Manufacturer",
    "Model",
    "Status",
    "Install Date",
    "Last Seen",
    "Department",
    "Cost Center",
    "Support Group",
    "Virtualization",
    "Cluster",
    "Description",
]
OS = [
    ("Windows Server", "2019"),
    ("Windows Server", "2016"),
    ("Red Hat Enterprise Linux", "8.6"),
    ("Ubuntu", "22.04"),
    ("SUSE Linux Enterprise", "15 SP4"),
]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """A CMDB export: mostly short values, some quoted (commas, doubled quotes), a few empty."""
    rnd = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for i in range(rows):
            os_name, os_version = rnd.choice(OS)
            host = f"srv-{i:07d}"
            out.writerow(
                [
                    host,
                    f"{host}.corp.example.com",
                    f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}",
                    os_name,
                    os_version,
                    rnd.choice("248"),
                    rnd.choice(["8", "16", "32", "64"]),
                    str(rnd.randint(40, 2000)),
                    rnd.choice(["Production", "Test", "Development"]),
                    f"App-{rnd.randint(1, 500):03d}",
                    f"owner{rnd.randint(1, 300)}@example.com",
                    rnd.choice(["Frankfurt, DE", "Dublin, IE", "Ashburn, US"]),
                    f"DC{rnd.randint(1, 4)}",
                    f"SN{rnd.getrandbits(40):010X}",
                    f"AT-{i:08d}",
                    rnd.choice(["Dell", "HPE", "Lenovo", "VMware"]),
                    rnd.choice(
                        ["PowerEdge R740", "ProLiant DL380", "ThinkSystem SR650", "VMware Virtual Platform"]
                    ),
                    rnd.choice(["In Use", "Retired", "Pending"]),
                    f"20{rnd.randint(15, 23)}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}",
                    "2024-11-02 13:45:10",
                    rnd.choice(["Finance", "HR", "IT Operations", "Sales"]),
                    f"CC-{rnd.randint(1000, 9999)}",
                    rnd.choice(["Wintel Team", "Linux Team", "DB Team", ""]),
                    rnd.choice(["Virtual", "Physical"]),
                    f"CL-{rnd.randint(1, 40):02d}",
                    rnd.choice(
                        ['Generic workload server, "managed" by ops; patched monthly', "", "Legacy app host"]
                    ),
                ]
            )


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (bytes, from wait4's rusage of that child) and stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            message = err.read().decode(errors="replace")[-2000:]
            raise SystemExit(f"{Path(command[0]).name} failed ({proc.returncode}): {message}")
        out.seek(0)
        return elapsed, usage.ru_maxrss * 1024, out.read().decode()


def _floor(psql: Path, psql_args: list[str], dsn: str, csv_path: Path) -> float:
    """psql \\copy of the file into a fresh table of 26 text columns (no keys, no RLS)."""
    import psycopg

    columns = ", ".join(f"c{i} text" for i in range(1, len(HEADER) + 1))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_floor")
        conn.execute(f"CREATE TABLE bench_floor ({columns})")
        conn.execute("CHECKPOINT")
    copy = f"\\copy bench_floor FROM '{csv_path}' WITH (FORMAT csv, HEADER true)"
    seconds, _, _ = timed([str(psql), "-X", "-q", *psql_args, "-c", copy])
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE bench_floor")
        conn.execute("CHECKPOINT")
    return seconds


PYCACHE = Path(tempfile.gettempdir()) / "md-bench-pycache"


def _cli_env() -> dict[str, str]:
    """The CLI's environment, with its bytecode cached as in an installed app: a build machine
    that sets PYTHONDONTWRITEBYTECODE made every run compile the app's modules (~0.3 s of CPU)."""
    env = {**os.environ, "MD_USER": "Benchmark <bench@example.com>", "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    env.pop("MD_DATABASE_URL", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _import(target: list[str], csv_path: Path, engagement: str, extra: list[str], dsn: str) -> dict[str, Any]:
    """The real CLI in a subprocess against the running server (`target`: its `--data-dir DIR` or
    `--database-url URL`); wall time and peak RSS."""
    import psycopg

    env = _cli_env()
    command = [sys.executable, "-m", "desktop_app", *target, "import", str(csv_path)]
    command += ["--client", "Benchmark", "--engagement", engagement, "--json", *extra]
    seconds, peak, out = timed(command, env)
    data = json.loads(out)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(peak / 1e6, 1),
        "rows": data["rows"],
        "write_path": data.get("write_path"),
        "service_seconds": data.get("seconds"),
        "service_phases": data.get("timings"),
    }


def _rounds(
    repeat: int,
    labels: dict[str, list[str]],
    psql_args: list[str],
    dsn: str,
    target: list[str],
    csv_path: Path,
    engagement: Callable[[str], str],
) -> list[dict[str, Any]]:
    """`repeat` rounds of the floor, then each import variant, on one server."""
    from core.db import embedded_binaries

    psql = embedded_binaries.program("psql")
    rounds: list[dict[str, Any]] = []
    for n in range(max(repeat, 1)):
        floor = _floor(psql, psql_args, dsn, csv_path)
        runs = {
            label: _import(target, csv_path, engagement(f"Throughput {n} {label}"), extra, dsn)
            for label, extra in labels.items()
        }
        for r in runs.values():
            r["ratio"] = round(r["seconds"] / floor, 2)
        rounds.append({"floor_seconds": round(floor, 2), "runs": runs, "load": os.getloadavg()[0]})
    return rounds


def _server_rounds(
    admin_url: str, repeat: int, labels: dict[str, list[str]], csv_path: Path
) -> list[dict[str, Any]]:
    """The rounds on a shared server: a scratch database, migrated, imported into by a consultant
    login that leads one engagement per import (made here, as a lead would with `db grant`)."""
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    from core import tenancy
    from core.config import Identity
    from core.db import migrate
    from core.db.database import Database, ensure_login_role, normalise_url

    base = make_url(normalise_url(admin_url))
    name = f"md_bench_{uuid.uuid4().hex[:10]}"
    maintenance = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    bench_admin = base.set(database=name)
    role = "md_bench_consultant"
    app_url = bench_admin.set(username=role, password=None).render_as_string(hide_password=False)
    admin = bench_admin.render_as_string(hide_password=False)
    db = Database(mode="shared", app_url=app_url, admin_url=admin)
    try:
        migrate.upgrade(admin)
        ensure_login_role(db.admin_engine, role)
        user = tenancy.ensure_user(db.admin_sessions(), Identity("Benchmark", "bench@example.com"), role)

        def engagement(label: str) -> str:
            tenancy.ensure_engagement(db.admin_sessions(), "Benchmark", label, user)
            return label

        dsn = bench_admin.set(drivername="postgresql").render_as_string(hide_password=False)
        psql_args = ["-d", dsn]
        return _rounds(repeat, labels, psql_args, dsn, ["--database-url", app_url], csv_path, engagement)
    finally:
        db.close()
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _summary(rounds: list[dict[str, Any]], labels: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """Per variant: medians of time and ratio, the ratio's spread (min-max), the peak RSS."""
    return {
        label: {
            "seconds": statistics.median(r["runs"][label]["seconds"] for r in rounds),
            "ratio": statistics.median(r["runs"][label]["ratio"] for r in rounds),
            "ratio_min": min(r["runs"][label]["ratio"] for r in rounds),
            "ratio_max": max(r["runs"][label]["ratio"] for r in rounds),
            "peak_rss_mb": max(r["runs"][label]["peak_rss_mb"] for r in rounds),
        }
        for label in labels
    }


def _print_rounds(title: str, rounds: list[dict[str, Any]]) -> None:
    for n, r in enumerate(rounds):
        print(
            f"{title} round {n + 1}: floor (psql \\copy, 26 text columns) {r['floor_seconds']:.2f} s"
            f"  (load {r['load']:.1f})"
        )
        for label, run in r["runs"].items():
            print(
                f"  {label:<22} {run['seconds']:6.2f} s  ratio {run['ratio']:.2f}  peak RSS"
                f" {run['peak_rss_mb']:.0f} MB  rows {run['rows']:,}  {run['write_path']}"
                f"  phases {run['service_phases']}"
            )


def _print_summary(title: str, summary: dict[str, dict[str, Any]], floor: float) -> None:
    for label, m in summary.items():
        verdict = "OK" if m["ratio"] <= 3.0 and m["peak_rss_mb"] <= 400 else "MISSED"
        print(
            f"{title} {label}: median {m['seconds']:.2f} s vs floor {floor:.2f} s, ratio"
            f" {m['ratio']:.2f} ({m['ratio_min']:.2f}-{m['ratio_max']:.2f}), peak RSS"
            f" {m['peak_rss_mb']:.0f} MB  (target ratio <= 3.0, RSS <= 400 MB)  {verdict}"
        )


def main() -> int:
    if "--xlsx" in sys.argv[1:]:  # an RVTools workbook against calamine's read: its own options
        from benchmarks.xlsx_workbook import main as workbook_main

        return workbook_main(sys.argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--work-dir", type=Path, default=None, help="keep the CSV and server here")
    parser.add_argument("--reader-path", action="store_true", help="also time the Python-parsing path")
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds of floor + import (medians reported; for busy machines)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--server", metavar="URL", default=None, help="also measure on this shared server (an admin URL)"
    )
    args = parser.parse_args()

    from core.bootstrap import bootstrap

    scratch = args.work_dir is None  # a temporary work dir (CSV, server) is removed at the end
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="md-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    os.chmod(work, 0o755)  # the embedded server runs as another OS user under root
    csv_path = work / f"cmdb_{args.rows}.csv"
    if not csv_path.exists():
        t = time.perf_counter()
        generate(csv_path, args.rows)
        size = csv_path.stat().st_size / 1e6
        print(f"generated {csv_path} ({size:.0f} MB) in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    os.chmod(csv_path, 0o644)

    file_mb = round(csv_path.stat().st_size / 1e6, 1)
    compile_app = [sys.executable, "-m", "compileall", "-q", "core", "desktop_app", "migrations", "resources"]
    subprocess.run(compile_app, env=_cli_env(), cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    data_dir = work / f"data-{int(time.time())}"
    core = bootstrap(data_dir=str(data_dir))  # fresh server, migrated; this process keeps it running
    labels = {"import": []} | ({"import --reader-path": ["--reader-path"]} if args.reader_path else {})
    server_rounds: list[dict[str, Any]] = []
    try:
        assert core.db.embedded is not None
        socket_dir = core.db.embedded.socket_dir
        dsn = f"host={socket_dir} dbname=migration_discovery user=postgres"
        psql_args = ["-h", socket_dir, "-U", "postgres", "-d", "migration_discovery"]
        rounds = _rounds(
            args.repeat, labels, psql_args, dsn, ["--data-dir", str(data_dir)], csv_path, lambda label: label
        )
        if args.server:
            server_rounds = _server_rounds(args.server, args.repeat, labels, csv_path)
    finally:
        core.close()
        if scratch:
            shutil.rmtree(work, ignore_errors=True)

    summary = _summary(rounds, labels)
    figures: dict[str, Any] = {
        "rows": args.rows,
        "file_mb": file_mb,
        "floor_seconds": statistics.median(r["floor_seconds"] for r in rounds),
        "median": summary,
        "rounds": rounds,
        "cpus": os.cpu_count(),
        "self_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3, 1),
    }
    if server_rounds:
        figures["server"] = {
            "floor_seconds": statistics.median(r["floor_seconds"] for r in server_rounds),
            "median": _summary(server_rounds, labels),
            "rounds": server_rounds,
        }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"rows {args.rows:,}  file {figures['file_mb']} MB  cpus {figures['cpus']}")
    _print_rounds("embedded", rounds)
    if server_rounds:
        _print_rounds("server", server_rounds)
    _print_summary("embedded", summary, figures["floor_seconds"])
    if server_rounds:
        _print_summary("server", figures["server"]["median"], figures["server"]["floor_seconds"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
