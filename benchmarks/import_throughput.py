"""Import throughput: `migration-discovery import` against psql's `\\copy` floor on the same server.

    .venv/bin/python benchmarks/import_throughput.py              # 1,000,000 rows (~330 MB)
    .venv/bin/python benchmarks/import_throughput.py --rows 100000 --reader-path

One run: generate a CMDB-style CSV of 26 columns, start a fresh embedded server (kept alive by
this process), time (a) psql `\\copy` of the file into a table of 26 text columns — the floor —
and (b) the real CLI in a subprocess, `--data-dir` pointing at the same server; report the
ratio and the import process's peak RSS (from wait4's rusage). Target: ratio <= 3.0 and peak
RSS <= 400 MB. `--reader-path` also times the import with CSV parsed in Python.
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


def _floor(psql: Path, socket_dir: str, dsn: str, csv_path: Path) -> float:
    """psql \\copy of the file into a fresh table of 26 text columns (no keys, no RLS)."""
    import psycopg

    columns = ", ".join(f"c{i} text" for i in range(1, len(HEADER) + 1))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_floor")
        conn.execute(f"CREATE TABLE bench_floor ({columns})")
        conn.execute("CHECKPOINT")
    copy = f"\\copy bench_floor FROM '{csv_path}' WITH (FORMAT csv, HEADER true)"
    psql_args = ["-X", "-q", "-h", socket_dir, "-U", "postgres", "-d", "migration_discovery", "-c", copy]
    seconds, _, _ = timed([str(psql), *psql_args])
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE bench_floor")
        conn.execute("CHECKPOINT")
    return seconds


def _import(data_dir: Path, csv_path: Path, engagement: str, extra: list[str], dsn: str) -> dict[str, Any]:
    """The real CLI in a subprocess against the running server; wall time and peak RSS."""
    import psycopg

    env = {**os.environ, "MD_USER": "Benchmark <bench@example.com>"}
    env.pop("MD_DATABASE_URL", None)
    command = [sys.executable, "-m", "desktop_app", "--data-dir", str(data_dir), "import", str(csv_path)]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--work-dir", type=Path, default=None, help="keep the CSV and server here")
    parser.add_argument("--reader-path", action="store_true", help="also time the Python-parsing path")
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds of floor + import (medians reported; for busy machines)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    import pgserver

    from core.bootstrap import bootstrap

    scratch = args.work_dir is None  # a temporary work dir (CSV, server) is removed at the end
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="md-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    os.chmod(work, 0o755)  # the server may run as another OS user (pgserver does, under root)
    csv_path = work / f"cmdb_{args.rows}.csv"
    if not csv_path.exists():
        t = time.perf_counter()
        generate(csv_path, args.rows)
        size = csv_path.stat().st_size / 1e6
        print(f"generated {csv_path} ({size:.0f} MB) in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    os.chmod(csv_path, 0o644)

    file_mb = round(csv_path.stat().st_size / 1e6, 1)
    data_dir = work / f"data-{int(time.time())}"
    core = bootstrap(data_dir=str(data_dir))  # fresh server, migrated; this process keeps it running
    labels = {"import": []} | ({"import --reader-path": ["--reader-path"]} if args.reader_path else {})
    rounds: list[dict[str, Any]] = []
    try:
        assert core.db.embedded is not None
        socket_dir = core.db.embedded.socket_dir
        psql = Path(pgserver.__file__).parent / "pginstall" / "bin" / "psql"
        dsn = f"host={socket_dir} dbname=migration_discovery user=postgres"
        for n in range(max(args.repeat, 1)):
            floor = _floor(psql, socket_dir, dsn, csv_path)
            runs = {
                label: _import(data_dir, csv_path, f"Throughput {n} {label}", extra, dsn)
                for label, extra in labels.items()
            }
            for r in runs.values():
                r["ratio"] = round(r["seconds"] / floor, 2)
            rounds.append({"floor_seconds": round(floor, 2), "runs": runs, "load": os.getloadavg()[0]})
    finally:
        core.close()
        if scratch:
            shutil.rmtree(work, ignore_errors=True)

    summary = {
        label: {
            "seconds": statistics.median(r["runs"][label]["seconds"] for r in rounds),
            "ratio": statistics.median(r["runs"][label]["ratio"] for r in rounds),
            "peak_rss_mb": max(r["runs"][label]["peak_rss_mb"] for r in rounds),
        }
        for label in labels
    }
    figures = {
        "rows": args.rows,
        "file_mb": file_mb,
        "floor_seconds": statistics.median(r["floor_seconds"] for r in rounds),
        "median": summary,
        "rounds": rounds,
        "cpus": os.cpu_count(),
        "self_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3, 1),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"rows {args.rows:,}  file {figures['file_mb']} MB  cpus {figures['cpus']}")
    for n, r in enumerate(rounds):
        print(
            f"round {n + 1}: floor (psql \\copy, 26 text columns) {r['floor_seconds']:.2f} s"
            f"  (load {r['load']:.1f})"
        )
        for label, run in r["runs"].items():
            print(
                f"  {label:<22} {run['seconds']:6.2f} s  ratio {run['ratio']:.2f}  peak RSS"
                f" {run['peak_rss_mb']:.0f} MB  rows {run['rows']:,}  {run['write_path']}"
                f"  phases {run['service_phases']}"
            )
    for label, m in summary.items():
        verdict = "OK" if m["ratio"] <= 3.0 and m["peak_rss_mb"] <= 400 else "MISSED"
        print(
            f"{label}: median {m['seconds']:.2f} s vs floor {figures['floor_seconds']:.2f} s, ratio"
            f" {m['ratio']:.2f}, peak RSS {m['peak_rss_mb']:.0f} MB  (target ratio <= 3.0, RSS <= 400 MB)"
            f"  {verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
