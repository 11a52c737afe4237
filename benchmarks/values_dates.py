"""Date parsing speed: the value pipeline's parser (dateutil behind an ISO fast path) vs the old one.

The old parser is cleansing's hand-written one as it was before `core.values` (read from git at
`--baseline`, default cf64726), run in the same process on the same values. Two figures, each
repeated `--rounds` times, median and spread of the ratio new/old:

- per form: distinct values of one spelling (ISO date, ISO timestamp, dotted EU, US with AM/PM,
  day-first slashes, text months, ctime, Excel serials), every value parsed once (no cache);
- a column: `FieldCoercer` over 100,000 cells of an `install_date` column mixing the forms with
  the repetition real exports have (5,000 distinct values), as cleansing runs it (cached per value).

Run: `.venv/bin/python benchmarks/values_dates.py [--rounds 5] [--baseline cf64726]`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.values import FieldCoercer, asset_fields  # noqa: E402
from core.values.dates import parse_date  # noqa: E402

FORMS: dict[str, Callable[[datetime], str]] = {
    "iso date": lambda d: d.strftime("%Y-%m-%d"),
    "iso timestamp Z": lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ"),
    "iso space +02:00": lambda d: d.strftime("%Y-%m-%d %H:%M:%S+02:00"),
    "dotted dd.mm.yyyy": lambda d: d.strftime("%d.%m.%Y"),
    "dotted with time": lambda d: d.strftime("%d.%m.%Y %H:%M"),
    "US m/d/Y h:m AM": lambda d: (
        f"{d.month}/{d.day}/{d.year} {d.hour % 12 or 12}:{d.minute:02d} " + ("PM" if d.hour >= 12 else "AM")
    ),
    "dd/mm/yyyy (dmy col)": lambda d: d.strftime("%d/%m/%Y"),
    "12 Mar 2021": lambda d: d.strftime("%d %b %Y"),
    "ctime UTC": lambda d: d.strftime("%a %b %d %H:%M:%S UTC %Y"),
    "excel serial": lambda d: str((d - datetime(1899, 12, 30)).days),
}


def _old_parser(baseline: str) -> Callable[..., Any]:
    """`parse_date` of cleansing at `baseline`, loaded from git beside the current code."""

    def source(path: str) -> str:
        return subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{baseline}:{path}"], capture_output=True, text=True, check=True
        ).stdout

    rules = types.ModuleType("old_rules")
    exec(compile(source("core/mapping_review/rules.py"), "old_rules", "exec"), rules.__dict__)
    sys.modules["old_rules"] = rules
    coerce_src = source("core/cleansing/coerce.py")
    coerce_src = coerce_src.replace("from core.mapping_review.rules import", "from old_rules import")
    coerce_src = coerce_src.replace("from core.cleansing.fields import", "from core.values.fields import")
    coerce = types.ModuleType("old_coerce")
    sys.modules["old_coerce"] = coerce
    exec(compile(coerce_src, "old_coerce", "exec"), coerce.__dict__)
    return coerce.__dict__["parse_date"], coerce.__dict__["FieldCoercer"]


def _stamps(n: int, rng: random.Random) -> list[datetime]:
    base = datetime(2012, 1, 1)
    return [base + timedelta(minutes=rng.randrange(0, 14 * 365 * 24 * 60)) for _ in range(n)]


def _time(fn: Callable[[str], Any], values: Sequence[str]) -> float:
    start = time.perf_counter()
    for v in values:
        fn(v)
    return time.perf_counter() - start


def _spread(ratios: list[float]) -> str:
    return f"{statistics.median(ratios):5.2f} ({min(ratios):.2f}–{max(ratios):.2f})"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--per-form", type=int, default=4000)
    ap.add_argument("--baseline", default="cf64726")
    args = ap.parse_args(argv)
    old_parse, old_coercer = _old_parser(args.baseline)
    rng = random.Random(7)
    spec = asset_fields()["install_date"]

    print(f"{'form':22} {'old µs':>8} {'new µs':>8}  new/old: median (min–max), {args.rounds} rounds")
    for name, fmt in FORMS.items():
        values = [fmt(d) for d in _stamps(args.per_form, rng)]
        order = "dmy" if "dmy" in name else "mdy" if name.startswith("US") else None
        for v in values[:50]:  # same answers, or the timing compares different work
            a, b = old_parse(v, order), parse_date(v, order)
            assert (a[0], a[1] is None) == (b[0], b[1] is None), (name, v, a, b)
        old_t, new_t, ratios = [], [], []
        for _ in range(args.rounds):
            o = _time(lambda v, o=order: old_parse(v, o), values)
            n = _time(lambda v, o=order: parse_date(v, o), values)
            old_t.append(o)
            new_t.append(n)
            ratios.append(n / o)
        per = 1e6 / len(values)
        print(f"{name:22} {statistics.median(old_t) * per:8.1f} {statistics.median(new_t) * per:8.1f}  "
              f"{_spread(ratios)}")  # fmt: skip

    column_forms = [f for f in FORMS if "dmy" not in f]  # one column, one order: month-first (US)
    stamps = _stamps(5000, rng)
    distinct = [FORMS[f](d) for f, d in zip(rng.choices(column_forms, k=len(stamps)), stamps, strict=True)]
    cells = rng.choices(distinct, k=100_000)
    ratios, old_rate, new_rate = [], [], []
    for _ in range(args.rounds):
        o = _time(old_coercer(spec, date_order="mdy"), cells)  # new coercers: their caches start empty
        n = _time(FieldCoercer(spec, date_order="mdy"), cells)
        ratios.append(n / o)
        old_rate.append(len(cells) / o)
        new_rate.append(len(cells) / n)
    print(
        f"{'column, 100k cells':22} {statistics.median(old_rate):,.0f} cells/s old, "
        f"{statistics.median(new_rate):,.0f} cells/s new; ratio {_spread(ratios)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
