"""`profile IMPORT_ID [--column NAME ...] [--all-rows | --sample N] [--json]`: profile an import's columns.

Reads the import's raw records (the first `core.profiling.DEFAULT_SAMPLE` by default, every one with
`--all-rows`) and prints per column: inferred type, nulls and blanks, distinct values and
cardinality, top values, patterns, lengths, numeric summary with IQR and z-score outliers, date
range; then candidate keys and duplicates. `--json` prints `ImportProfile.to_dict()`:

    {"import_id", "filename", "sampled", "records", "of", "sample_limit", "sample_method",
     "seconds", "columns": [{"name", "position", "inferred_type", "type_share", "kinds", "filled",
     "nulls", "blanks", "distinct", "cardinality", "top_values", "patterns", "lengths", "numeric",
     "dates", "nonconforming", ...}], "checks": {"candidate_keys", "duplicate_keys",
     "duplicate_rows", "duplicate_row_groups"}}

Nothing is written. The same function (`core.queries.profiles.column_profiles`) feeds the review's
Profile pane and the AI agents' tools.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from desktop_app.cli.output import print_json

if TYPE_CHECKING:  # core loads only when the command runs (fast `--help`)
    from desktop_app.cli.context import CommandContext


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "profile", help="profile an import's columns: types, gaps, values, patterns, numbers, keys"
    )
    p.add_argument("import_id", metavar="IMPORT_ID", help="the import's id (`import --json` prints it)")
    p.add_argument(
        "--column",
        action="append",
        default=None,
        metavar="NAME",
        help="only this column (its header exactly); repeatable",
    )
    rows = p.add_mutually_exclusive_group()
    rows.add_argument("--all-rows", action="store_true", help="read every record, not the first ones")
    rows.add_argument(
        "--sample", type=int, default=None, metavar="N", help="read the first N records (default: 10000)"
    )
    p.add_argument("--json", action="store_true", help="print the profile as one JSON object")
    p.set_defaults(handler=profile)


def profile(ctx: CommandContext) -> int:
    from core.profiling import DEFAULT_SAMPLE
    from core.queries.profiles import column_profiles, locate_import

    args = ctx.args
    core = ctx.core()
    tenant = locate_import(core.uows, args.import_id)
    sample = None if args.all_rows else (args.sample if args.sample is not None else DEFAULT_SAMPLE)
    result = column_profiles(core.uows, tenant, args.import_id, sample=sample, columns=args.column)
    if args.json:
        print_json(result.to_dict())
    else:
        for line in describe(result.to_dict()):
            print(line)
    return 0


def _pct(share: float) -> str:
    return f"{100 * share:.1f} %"


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:g}"


def describe(data: dict[str, Any]) -> list[str]:
    """The profile as text: a heading, a few lines per column, then the checks."""
    read = (
        f"first {data['records']:,} of {data['of']:,} records"
        if data["sampled"]
        else f"all {data['records']:,} records"
    )
    lines = [f"{data['filename']} — {read} ({data['seconds']:.2f} s)"]
    for c in data["columns"]:
        lines.append("")
        lines.append(
            f"{c['name']}: {c['inferred_type']} ({_pct(c['type_share'])} fit), {c['filled']:,} filled, "
            f"{c['nulls']:,} null, {c['blanks']:,} blank, {c['distinct']:,} distinct ({c['cardinality']})"
        )
        if c["top_values"]:
            top = ", ".join(f"{v['value']!r} ×{v['count']}" for v in c["top_values"][:5])
            lines.append(f"  top: {top}")
        if c["patterns"]:
            shapes = ", ".join(f"{p['pattern']} {_pct(p['share'])}" for p in c["patterns"][:5])
            lines.append(f"  patterns: {shapes}")
        if c["lengths"]:
            n = c["lengths"]
            lines.append(f"  length: {n['min']}–{n['max']}, mean {n['mean']:g}")
        if c["numeric"]:
            n = c["numeric"]
            lines.append(
                f"  numbers: min {_num(n['min'])}, q1 {_num(n['q1'])}, median {_num(n['median'])}, "
                f"q3 {_num(n['q3'])}, max {_num(n['max'])}, mean {_num(n['mean'])}, std {_num(n['std'])}"
            )
            for out in (n["iqr_outliers"], n["zscore_outliers"]):
                if out["count"]:
                    where = ", ".join(f"row {e['record_index']}: {e['value']}" for e in out["examples"][:3])
                    lines.append(f"  {out['method']} outliers: {out['count']} ({where})")
        if c["dates"]:
            d = c["dates"]
            lines.append(f"  dates: {d['min']} … {d['max']} ({d['count']:,} read, order {d['date_order']})")
            if d["unreadable"]:
                lines.append(f"  ambiguous dates: {d['unreadable']}")
        if c["nonconforming"] and c["inferred_type"] != "string":
            where = ", ".join(
                f"row {e['record_index']}: {e['value']!r}" for e in c["nonconforming_examples"][:3]
            )
            lines.append(f"  not {c['inferred_type']}: {c['nonconforming']} ({where})")
    checks = data["checks"]
    lines.append("")
    keys = [" + ".join(k["columns"]) for k in checks["candidate_keys"]]
    lines.append(f"candidate keys: {', '.join(keys) if keys else 'none'}")
    for d in checks["duplicate_keys"]:
        first = d["examples"][0] if d["examples"] else None
        where = f" (e.g. {first['value']!r} in rows {first['record_indexes']})" if first else ""
        lines.append(f"repeated values in {d['column']}: {d['duplicate_values']}{where}")
    if checks["duplicate_rows"]:
        groups = "; ".join(str(g["record_indexes"]) for g in checks["duplicate_row_groups"][:3])
        lines.append(f"duplicate records: {checks['duplicate_rows']} (rows {groups})")
    return lines
