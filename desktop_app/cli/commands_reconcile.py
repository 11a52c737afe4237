"""`reconcile`: find flows whose flags lag behind their stored artefacts; repair with --apply."""

from __future__ import annotations

import argparse

from core.errors import UserInputError
from desktop_app.cli.context import CommandContext
from desktop_app.cli.output import print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "reconcile",
        help="find (and with --apply repair) flows inconsistent with their data; dry run by default",
    )
    p.add_argument("--apply", action="store_true", help="commit the repairs (default: dry run)")
    p.add_argument("--client", default=None, metavar="NAME", help="only this client's engagements")
    p.add_argument("--report", required=True, metavar="FILE.csv", help="CSV: flow, field, old, new, reason")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=run)


def run(ctx: CommandContext) -> int:
    from core.actions.flows import reconcile  # SQLAlchemy: only when run
    from core.flows.reconcile import write_report

    path = ctx.args.report
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise UserInputError(
            f"cannot write the report ({exc.strerror or exc})", file=path, hint="choose another --report path"
        ) from exc
    report = reconcile(ctx.core().uows, apply=ctx.args.apply, client=ctx.args.client).value
    write_report(report, path)
    summary = {**report.summary(), "report": path}
    if ctx.args.json:
        print_json(summary)
        return 0
    mode = "applied" if report.applied else "dry run (pass --apply to repair)"
    print(
        f"{report.flows_checked} flow(s) checked: {summary['fields_fixed']} field(s) in {report.flows_fixed} "
        f"flow(s) {'repaired' if report.applied else 'to repair'}, {summary['skipped']} finding(s) not "
        f"repairable — {mode}; report: {path}"
    )
    return 0
