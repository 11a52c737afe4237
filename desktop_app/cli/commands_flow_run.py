"""`flow run FLOW_ID [--through PHASE] [--rerun] --json`: run a flow's pending phases headless.

Registered into the `flow` group by `commands_flow` (`register_run`). Refuses with exit code 2
while column mappings are pending; prints the flow status of the contract (plus a `run` key
saying which phases ran and any notes, e.g. phases that have no engine yet).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # core loads only when the command runs (fast `--help`)
    from desktop_app.cli.context import CommandContext

PHASE_NAMES = (
    "data_import",
    "field_mapping",
    "data_cleansing",
    "asset_inventory",
    "dependency_analysis",
    "tech_debt_assessment",
)


def register_run(fsub: argparse._SubParsersAction) -> None:
    p = fsub.add_parser("run", help="run the flow's pending phases headless (cleansing, inventory)")
    p.add_argument("flow_id", metavar="FLOW_ID")
    p.add_argument(
        "--through",
        default="asset_inventory",
        choices=PHASE_NAMES,
        metavar="PHASE",
        help="stop after this phase (default asset_inventory)",
    )
    p.add_argument("--rerun", action="store_true", help="also re-run completed cleansing/inventory")
    p.add_argument("--json", action="store_true", help="print the flow status JSON of the contract")
    p.set_defaults(handler=run)


def run(ctx: CommandContext) -> int:
    import threading

    from core.flows import locate_flow
    from core.inventory.phases import run_flow

    core = ctx.core()
    tenant = locate_flow(core, ctx.args.flow_id)
    cancel = threading.Event()
    last: dict[str, int] = {}

    def progress(phase: str, done: int, total: int) -> None:
        if ctx.args.verbose and (done == total or done - last.get(phase, 0) >= 20000):
            last[phase] = done
            print(f"{phase}: {done}/{total}", file=sys.stderr)

    def interrupt(_sig: int, _frame: Any) -> None:
        cancel.set()

    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        result = run_flow(
            core,
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
        json.dump({**result.status, "run": result.to_dict()}, sys.stdout, ensure_ascii=False, default=str)
        sys.stdout.write("\n")
        return 0
    status = result.status
    ran = ", ".join(result.phases_run) or "nothing (no pending phase)"
    print(f"flow {status['flow_id']}: ran {ran}")
    print(f"  status {status['status']}, phase {status['current_phase']}, {status['progress_percentage']:g}%")
    for phase, summary in result.summaries.items():
        print(f"  {phase}: " + ", ".join(f"{k} {v}" for k, v in summary.items() if not isinstance(v, dict)))
    return 0
