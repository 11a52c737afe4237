"""`analysis` commands: what the analysis phases find in an engagement.

`analysis techdebt --client NAME --engagement NAME [--as-of YYYY-MM-DD] --json` prints the
end-of-support findings of the engagement's assets on the as-of date (default today), in the
shape of ../shared/contracts/cli.md:

    {"as_of": "YYYY-MM-DD",
     "findings": [{"asset", "component": "os" | "database", "product", "version",
                   "status": "eol" | "eol_12m" | "supported" | "unknown",
                   "end_of_support": "YYYY-MM-DD" | null, "rule"}, ...],
     "rightsizing": [{"asset", "resource", "kind", "measure", "field", "value", "threshold", "rule"}, ...]}

One finding per asset and component it has. The findings are computed from the assets as they
are now, for the date asked, and nothing is written (`core.queries.techdebt.techdebt_report`);
the flow's tech-debt phase stores the same findings for the date it ran on.

`analysis groups --client NAME --engagement NAME --json` prints the engagement's move groups and
infrastructure services in the contract's shape

    {"groups": [{"name", "applications": [...], "assets": [<hostname>, ...]}, ...],
     "infrastructure": [<hostname>, ...], "unresolved_endpoints": <int>}

with every non-infrastructure asset in exactly one group, computed from the assets and
connections as they are now with the consultant's overrides (`core.queries.dependencies`).
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING

from desktop_app.cli.output import print_json

if TYPE_CHECKING:  # core loads only when the command runs (fast `--help`)
    from desktop_app.cli.context import CommandContext


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write YYYY-MM-DD, e.g. 2026-12-31"
        ) from None


def register(sub: argparse._SubParsersAction) -> None:
    analysis = sub.add_parser("analysis", help="what the analysis phases find: move groups, tech debt")
    asub = analysis.add_subparsers(dest="analysis_command", metavar="ANALYSIS_COMMAND", required=True)

    p = asub.add_parser("techdebt", help="end-of-support findings per asset and component (OS, database)")
    p.add_argument("--client", required=True, metavar="NAME", help="the client account's name")
    p.add_argument("--engagement", required=True, metavar="NAME", help="the engagement's name")
    p.add_argument(
        "--as-of",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="the date to assess for (default: today)",
    )
    p.add_argument("--json", action="store_true", help="print the findings as one JSON object")
    p.set_defaults(handler=techdebt)

    p = asub.add_parser("groups", help="move groups and infrastructure services of the engagement")
    p.add_argument("--client", required=True, metavar="NAME", help="the client account's name")
    p.add_argument("--engagement", required=True, metavar="NAME", help="the engagement's name")
    p.add_argument("--json", action="store_true", help="print the groups as one JSON object")
    p.set_defaults(handler=groups)


def groups(ctx: CommandContext) -> int:
    from core.queries.dependencies import groups_report

    core = ctx.core()
    args = ctx.args
    tenant = core.tenant_for(core.engagement(args.client, args.engagement))
    report = groups_report(core.uows, tenant)
    if args.json:
        print_json(report)
        return 0
    print(
        f"{len(report['groups'])} move group(s), {len(report['infrastructure'])} infrastructure server(s), "
        f"{report['unresolved_endpoints']} unresolved endpoint(s)"
    )
    for g in report["groups"]:
        apps = ", ".join(g["applications"]) or "-"
        print(f"  {g['name']:<40} {len(g['assets']):>5} asset(s)  applications: {apps}")
    if report["infrastructure"]:
        print("  infrastructure: " + ", ".join(report["infrastructure"]))
    return 0


def techdebt(ctx: CommandContext) -> int:
    from core.queries.techdebt import techdebt_report

    core = ctx.core()
    args = ctx.args
    tenant = core.tenant_for(core.engagement(args.client, args.engagement))
    report = techdebt_report(core.uows, tenant, as_of=args.as_of)
    if args.json:
        print_json(report)
        return 0
    findings = report["findings"]
    print(f"tech debt as of {report['as_of']}: {len(findings)} finding(s)")
    for f in findings:
        what = " ".join(str(v) for v in (f["product"], f["version"]) if v) or "-"
        until = f["end_of_support"] or "-"
        print(f"  {f['asset']:<30} {f['component']:<8} {f['status']:<9} {what:<40} {until}")
    for s in report["rightsizing"]:
        print(f"  {s['asset']:<30} {s['resource']:<8} {s['kind']:<9} {s['rule']}")
    return 0
