"""Column profiler speed: `column_profiles` on a 100,000-record × 50-column import.

    .venv/bin/python benchmarks/profiling.py                      # 100,000 × 50
    .venv/bin/python benchmarks/profiling.py --records 20000 --json

Generates a CMDB-like CSV (host names, FQDNs, IPv4/IPv6, UUIDs, MACs, e-mails, dates in three
spellings, integers with planted outliers, decimals, yes/no flags, enumerations, free text, gaps),
imports it through the real import into a fresh embedded server, then times (best of `--rounds`):
reading the records alone (`iter_records`, the floor), the default sampled profile, the
whole-import profile (`sample=None`) and one column of the whole import, and pandas' import in a
fresh interpreter. Wall times are best of the rounds; this process' CPU time and the load average
are printed too, since on a shared machine the wall time mostly measures the neighbours.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ENVS = ("Production", "Test", "Development", "UAT", "DR")
OSES = ("Windows Server 2019", "Windows Server 2022", "RHEL 8.6", "Ubuntu 22.04", "SLES 15 SP4")
SITES = ("FRA1", "AMS2", "LON1", "NYC3", "SGP1")


def _columns(rng: random.Random, i: int) -> list[tuple[str, str]]:
    host = f"{rng.choice(('web', 'app', 'db', 'fs'))}{i:06d}"
    day = f"20{rng.randint(15, 24):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    y, m, d = day.split("-")
    memory = rng.choice((4, 8, 16, 32, 64)) if i % 997 else 4096  # planted outliers
    return [
        ("Hostname", host),
        ("FQDN", f"{host}.corp.example.com"),
        ("IP Address", f"10.{i // 65536}.{(i // 256) % 256}.{i % 256}"),
        ("IPv6", f"fd00::{i // 65536:x}:{i % 65536:x}" if i % 3 else ""),
        ("Serial", f"SN-{rng.randint(100000, 999999)}"),
        ("BIOS UUID", str(uuid.UUID(int=rng.getrandbits(128)))),
        ("MAC", ":".join(f"{rng.randrange(256):02x}" for _ in range(6))),
        ("Owner Email", f"owner{i % 400}@example.com"),
        ("Install Date", day),
        ("Last Seen", f"{day}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"),
        ("Purchase Date", f"{d}/{m}/{y}" if i % 2 else f"{d}.{m}.{y}"),
        ("CPU Count", str(rng.choice((1, 2, 4, 8, 16)))),
        ("Memory GB", str(memory)),
        ("Disk GB", f"{rng.uniform(20, 2000):.1f}"),
        ("CPU Usage %", f"{rng.uniform(0, 100):.2f}"),
        ("Is Virtual", rng.choice(("Yes", "No"))),
        ("Monitored", rng.choice(("true", "false", ""))),
        ("Environment", rng.choice(ENVS)),
        ("Operating System", rng.choice(OSES)),
        ("Site", rng.choice(SITES)),
        ("Rack", f"R{rng.randint(1, 40):02d}-U{rng.randint(1, 42):02d}"),
        ("Asset Tag", f"AT{i:07d}"),
        ("Cost Center", f"CC-{rng.randint(1000, 1099)}"),
        ("Notes", rng.choice(("", "", "", "migrate first", "legacy app, check licence", "n/a"))),
        ("Application", f"App {rng.randint(1, 300)}"),
    ]


def generate(path: Path, records: int, width: int, seed: int) -> list[str]:
    """Write the CSV: the 25 generated columns, repeated with a suffix up to `width` columns."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        header: list[str] | None = None
        for i in range(records):
            base = _columns(rng, i)
            cells = [(name, value) for name, value in base]
            k = 2
            while len(cells) < width:
                cells += [(f"{name} {k}", value) for name, value in base][: width - len(cells)]
                k += 1
            if header is None:
                header = [name for name, _ in cells]
                writer.writerow(header)
            writer.writerow([value for _, value in cells])
    return header or []


CPU: dict[str, float] = {}


def best(rounds: int, fn: Callable[[], Any], label: str = "") -> tuple[float, Any]:
    """Best wall time of `rounds` calls (and, in `CPU`, this process' CPU time of that call)."""
    times, result = [], None
    for _ in range(rounds):
        t, c = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - t)
        if times[-1] == min(times) and label:
            CPU[label] = round(time.process_time() - c, 2)
    return min(times), result


def pandas_import_seconds() -> float:
    code = "import time; t = time.perf_counter(); import pandas; print(time.perf_counter() - t)"
    runs = [float(subprocess.check_output([sys.executable, "-c", code], text=True)) for _ in range(3)]
    return min(runs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--columns", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    import psycopg
    from sqlalchemy.engine import make_url

    from core import tenancy
    from core.bootstrap import Core
    from core.config import Identity, Settings
    from core.db import migrate
    from core.db.database import Database, ensure_login_role
    from core.db.embedded import EmbeddedServer
    from core.imports import import_file, iter_records
    from core.profiling import DEFAULT_SAMPLE
    from core.queries.profiles import column_profiles

    tmp = Path(tempfile.mkdtemp(prefix="md-profiling-bench-"))
    csv_path = tmp / "wide.csv"
    generate(csv_path, args.records, args.columns, args.seed)
    server = EmbeddedServer(tmp / "pg")
    server.start()
    try:
        base = server.url(database="postgres")
        with psycopg.connect(base.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute('CREATE DATABASE "md_profiling_bench"')
        admin_url = server.url(database="md_profiling_bench")
        migrate.upgrade(admin_url)
        role = "md_bench_consultant"
        app_url = make_url(admin_url).set(username=role, password=None).render_as_string(hide_password=False)
        db = Database(mode="shared", app_url=app_url, admin_url=admin_url)
        ensure_login_role(db.admin_engine, role)
        identity = Identity("Bench Consultant", "bench@example.com")
        user_id = tenancy.ensure_user(db.admin_sessions(), identity, role)
        core = Core(Settings(data_dir=tmp, database_url=app_url), db, identity, user_id)
        ref = tenancy.ensure_engagement(db.admin_sessions(), "Bench Client", "Bench Engagement", user_id)
        tenant = core.tenant_for(ref)
        t = time.perf_counter()
        import_id = import_file(core.uows, tenant, csv_path).import_id
        import_s = time.perf_counter() - t

        def read_all() -> int:
            with core.uow(tenant) as uow:
                return sum(1 for _ in iter_records(uow, import_id))

        read_s, _ = best(args.rounds, read_all, "read_all_records")
        sample_s, sampled = best(
            args.rounds, lambda: column_profiles(core.uows, tenant, import_id), "profile_sample"
        )
        whole_s, whole = best(
            args.rounds, lambda: column_profiles(core.uows, tenant, import_id, sample=None), "profile_all"
        )
        one_s, _ = best(
            args.rounds,
            lambda: column_profiles(core.uows, tenant, import_id, sample=None, columns=["Memory GB"]),
            "profile_all_one_column",
        )
        memory = whole.column("Memory GB")
        result = {
            "records": args.records,
            "columns": args.columns,
            "import_s": round(import_s, 2),
            "read_all_records_s": round(read_s, 2),
            f"profile_sample_{DEFAULT_SAMPLE}_s": round(sample_s, 2),
            "profile_all_records_s": round(whole_s, 2),
            "profile_all_records_one_column_s": round(one_s, 2),
            "profiling_share_beyond_reading_s": round(whole_s - read_s, 2),
            "sampled": [sampled.sampled, sampled.records, sampled.of],
            "whole": [whole.sampled, whole.records, whole.of],
            "memory_gb_iqr_outliers": memory.numeric.iqr_outliers.count
            if memory and memory.numeric
            else None,
            "types": {c.name: c.inferred_type for c in whole.columns[:25]},
            "cpu_s_of_this_process": CPU,
            "load_average_1min": round(os.getloadavg()[0], 2),
            "pandas_import_s": round(pandas_import_seconds(), 3),
        }
        db.close()
    finally:
        server.stop()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:40} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
