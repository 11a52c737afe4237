"""`flow run FLOW_ID [--through PHASE] [--rerun] --json`: run a flow's pending phases headless.

Registered into the `flow` group by `commands_flow` (`register_run`). Refuses with exit code 2
while column mappings are pending; prints the flow status of the contract (plus a `run` key
saying which phases ran and any notes, e.g. phases that have no engine yet). Cleansing's summary
counts the invalid records per rule (`invalid_by_rule`, also printed as a line of the text output).
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import TYPE_CHECKING, Any

from desktop_app.cli.output import print_json

if TYPE_CHECKING:  # core loads only when the command runs (fast `--help`)
    from desktop_app.cli.context import CommandContext

from core.phases import PHASES as PHASE_NAMES  # no database layer: `--help` stays fast


def register_run(fsub: argparse._SubParsersAction) -> None:
    p = fsub.add_parser(
        "run", help="run the flow's pending phases headless (cleansing, inventory, dependencies, tech debt)"
    )
    p.add_argument("flow_id", metavar="FLOW_ID")
    p.add_argument(
        "--through",
        default=PHASE_NAMES[-1],
        choices=PHASE_NAMES,
        metavar="PHASE",
        help=f"stop after this phase (default {PHASE_NAMES[-1]}: the whole discovery flow)",
    )
    p.add_argument("--rerun", action="store_true", help="also re-run completed cleansing/inventory")
    p.add_argument("--json", action="store_true", help="print the flow status JSON of the contract")
    p.set_defaults(handler=run)


def run(ctx: CommandContext) -> int:
    from core.flows import locate_flow
    from core.pipeline import run_flow
    from core.progress import CancelToken, Progress

    core = ctx.core()
    tenant = locate_flow(core.uows, ctx.args.flow_id)
    cancel = CancelToken()
    last: dict[str, int] = {}

    def progress(p: Progress) -> None:
        if ctx.args.verbose and (p.done == p.total or p.done - last.get(p.stage, 0) >= 20000):
            last[p.stage] = p.done
            print(f"{p.stage}: {p.done}/{p.total}", file=sys.stderr)

    def interrupt(_sig: int, _frame: Any) -> None:
        cancel.cancel()

    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        result = run_flow(
            core.uows,
            tenant,
            ctx.args.flow_id,
            through=ctx.args.through,
            rerun=ctx.args.rerun,
            progress=progress,
            cancel=cancel,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if ctx.args.json:
        print_json({**result.status, "run": result.to_dict()})
        return 0
    status = result.status
    if result.phases_run:
        print(f"flow {status['flow_id']}: ran {', '.join(result.phases_run)}")
    else:
        why = status["actions"]["run_next"]["reason"] or "no pending phase"
        print(f"flow {status['flow_id']}: ran nothing ({why})")
    print(f"  status {status['status']}, phase {status['current_phase']}, {status['progress_percentage']:g}%")
    for phase, summary in result.summaries.items():
        print(f"  {phase}: " + ", ".join(f"{k} {v}" for k, v in summary.items() if not isinstance(v, dict)))
        by_rule = summary.get("invalid_by_rule") or {}
        if by_rule:
            print("    invalid records by rule: " + ", ".join(f"{rule} {n:,}" for rule, n in by_rule.items()))
    return 0
