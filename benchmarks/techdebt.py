"""Tech-debt matcher speed: assets per second through `core.techdebt.assess`.

An estate of `--assets` (default 20,000) assets, each with an OS name + version and, for a third
of them, a database name + version, drawn from the spellings exports write (VMware guest names,
/etc/*-release banners, @@VERSION, CMDB short forms) with per-asset version numbers mixed in
(patch levels, builds), so an estate has a few thousand distinct strings, as real ones do. Two
figures, median of `--rounds`, per wall-clock second and per CPU second (on a shared machine the
CPU figure is the steadier one):

- cold: the matcher's cache cleared before the run (every distinct string parsed once);
- all distinct: every asset's strings made unique (a build/patch suffix per asset), cache
  cleared — the worst case, no repetition at all.

Run: `.venv/bin/python benchmarks/techdebt.py [--assets 20000] [--rounds 5]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.techdebt import assess, lifecycle_table  # noqa: E402
from core.techdebt.assess import _finding  # noqa: E402
from core.techdebt.matcher import _identify  # noqa: E402

OS = [
    ("Microsoft Windows Server 2019 (64-bit)", "10.0.17763"),
    ("Microsoft Windows Server 2016 (64-bit)", "10.0.14393"),
    ("Microsoft Windows Server 2012 R2 Standard", "6.3.9600"),
    ("Microsoft Windows Server 2008 R2 (64-bit)", "6.1.7601"),
    ("Windows Server 2022 Datacenter", "10.0.20348"),
    ("Win2019", ""),
    ("Red Hat Enterprise Linux 8 (64-bit)", "8.{n}"),
    ("Red Hat Enterprise Linux Server release 7.{n} (Maipo)", ""),
    ("RHEL", "9.{n}"),
    ("CentOS Linux release 7.9.2009 (Core)", ""),
    ("CentOS 4/5/6/7 (64-bit)", ""),
    ("Ubuntu 22.04.{n} LTS", ""),
    ("Ubuntu Linux (64-bit)", ""),
    ("SUSE Linux Enterprise Server 15 SP{n}", ""),
    ("Debian GNU/Linux 11 (bullseye)", "11.{n}"),
    ("Oracle Linux Server release 8.{n}", ""),
    ("AIX 7.2", "7200-0{n}-01-2038"),
    ("Oracle Solaris 11.4", ""),
    ("Other 3.x or later Linux (64-bit)", ""),
    ("Microsoft Windows 10 (64-bit)", "10.0.19045"),
]
DB = [
    ("Microsoft SQL Server 2019 Standard", "15.0.4{n}00.1"),
    ("SQL Server", "11.0.7{n}01.0"),
    ("Oracle Database 19c Enterprise Edition Release 19.0.0.0.0 - Production", ""),
    ("Oracle Database 11g Enterprise Edition Release 11.2.0.4.0 - 64bit Production", ""),
    ("postgres", "12.1{n}"),
    ("MySQL", "5.7.4{n}"),
    ("MySQL", "5.5.5-10.6.1{n}-MariaDB"),
    ("DB2/LINUXX8664 11.5.{n}.0", ""),
]


def estate(n: int, *, distinct: bool, seed: int = 7) -> list[tuple[str, str, str | None, str | None]]:
    rng = random.Random(seed)
    assets = []
    for i in range(n):
        os_text, os_ver = rng.choice(OS)
        digit = str(rng.randint(0, 9))
        os_text, os_ver = os_text.replace("{n}", digit), os_ver.replace("{n}", digit)
        if distinct:
            os_ver = f"{os_ver or '1'}.{i}"
        db_text = db_ver = None
        if i % 3 == 0:
            db_text, db_ver = rng.choice(DB)
            db_text, db_ver = db_text.replace("{n}", digit), db_ver.replace("{n}", digit)
            if distinct:
                db_text = f"{db_text} #{i}"
        assets.append((os_text, os_ver, db_text, db_ver))
    return assets


def run(assets: list, as_of: dt.date) -> tuple[float, float]:
    """(assets per wall-clock second, assets per CPU second), caches cleared first."""
    _identify.cache_clear()
    _finding.cache_clear()
    wall, cpu = time.perf_counter(), time.process_time()
    for os_text, os_ver, db_text, db_ver in assets:
        assess(os_text, os_ver, db_text, db_ver, as_of)
    return len(assets) / (time.perf_counter() - wall), len(assets) / (time.process_time() - cpu)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--assets", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    lifecycle_table()  # loading the table once is not part of the per-asset figure
    as_of = dt.date(2026, 12, 2)
    for label, distinct in (("cold (realistic repetition)", False), ("all distinct strings", True)):
        assets = estate(args.assets, distinct=distinct)
        strings = len({(a[0], a[1]) for a in assets} | {(a[2], a[3]) for a in assets if a[2]})
        runs = [run(assets, as_of) for _ in range(args.rounds)]
        wall, cpu = [r[0] for r in runs], [r[1] for r in runs]
        print(
            f"{label:28} {args.assets} assets, {strings} distinct strings: "
            f"{statistics.median(wall):,.0f} assets/s wall (min {min(wall):,.0f}), "
            f"{statistics.median(cpu):,.0f} assets/CPU-s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
