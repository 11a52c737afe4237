"""`flow` commands: status, timeline, cleanup; `flow run` (headless phases) lives in `commands_flow_run`."""

from __future__ import annotations

import argparse
from typing import Any

from desktop_app.cli.commands_flow_run import register_run
from desktop_app.cli.context import CommandContext
from desktop_app.cli.output import print_json

# core.flows (SQLAlchemy) is imported inside the handlers: `--help` and other commands stay fast.


def register(sub: argparse._SubParsersAction) -> None:
    flow = sub.add_parser("flow", help="discovery flow state: status, timeline, clean-up")
    fsub = flow.add_subparsers(dest="flow_command", metavar="FLOW_COMMAND", required=True)
    register_run(fsub)

    p = fsub.add_parser("status", help="the flow's state (phases, flags, progress, version, error)")
    p.add_argument("flow_id", metavar="FLOW_ID")
    p.add_argument("--json", action="store_true", help="print the contract's JSON object")
    p.set_defaults(handler=status)

    p = fsub.add_parser("timeline", help="per phase: status, start/end, duration, counts, errors")
    p.add_argument("flow_id", metavar="FLOW_ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=timeline)

    p = fsub.add_parser(
        "cleanup", help="archive old completed flows and remove abandoned ones (dry run unless --apply)"
    )
    p.add_argument("--older-than", type=int, required=True, metavar="DAYS", help="age cut-off in days")
    p.add_argument("--apply", action="store_true", help="archive/remove; without it only list")
    p.add_argument("--client", default=None, metavar="NAME", help="only this client's engagements")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cleanup)


def _status_text(data: dict[str, Any]) -> str:
    from core.phases import PHASE_FLAG_MAP, PHASES

    lines = [
        f"flow {data['flow_id']}",
        f"  status {data['status']}, phase {data['current_phase']}, "
        f"{data['progress_percentage']:g}% complete, version {data['version']}",
    ]
    for phase in PHASES:
        done = data["flags"][PHASE_FLAG_MAP[phase]]
        mark = "x" if done else (">" if phase == data["current_phase"] else " ")
        lines.append(f"  [{mark}] {phase}")
    if data["error"]:
        err = data["error"]
        details = err.get("details") or {}
        lines.append(f"  error in {err.get('phase') or '?'}: {err.get('message')}")
        if details.get("recovery_hint"):
            lines.append(f"    {details.get('error_class', '')}: {details['recovery_hint']}")
    crew = data.get("ai_crew_error")
    if crew:  # advice only: shown, never blocking the flow
        lines.append(
            f"  AI {crew.get('crew')} crew failed ({crew.get('error_code')}, {crew.get('model')}): "
            f"{crew.get('message')} (does not block the flow)"
        )
        if crew.get("recovery_hint"):
            lines.append(f"    {crew.get('error_class') or ''}: {crew['recovery_hint']}")
    master = data.get("master")
    if master:
        lines.append(f"  master flow {master['master_flow_id']}: {master['status']}")
        for st in master["stages"]:
            here = ">" if st["stage"] == master["current_stage"] else " "
            mark = {"completed": "x", "stale": "!"}.get(st["status"], here)
            why = f" - {st['reason']}" if st["reason"] and st["status"] != "completed" else ""
            lines.append(f"  [{mark}] {st['stage']:<12} {st['status']}{why}")
    run_next = (data.get("actions") or {}).get("run_next") or {}
    if run_next and not run_next.get("allowed"):
        lines.append(f"  next: {run_next.get('reason')}")
    elif run_next:
        lines.append("  next: `migration-discovery flow run FLOW_ID` runs the next phase")
    return "\n".join(lines)


def status(ctx: CommandContext) -> int:
    from core.flows import locate_flow
    from core.pipeline import flow_status

    uows = ctx.core().uows
    data = flow_status(uows, locate_flow(uows, ctx.args.flow_id), ctx.args.flow_id)
    if ctx.args.json:
        print_json(data)
    else:
        print(_status_text(data))
    return 0


def timeline(ctx: CommandContext) -> int:
    from core.flows import locate_flow
    from core.pipeline import flow_timeline

    uows = ctx.core().uows
    data = flow_timeline(uows, locate_flow(uows, ctx.args.flow_id), ctx.args.flow_id)
    if ctx.args.json:
        print_json(data)
        return 0
    print(f"{data['flow_name']} ({data['flow_id']}): {data['status']}, {data['progress_percentage']:g}%")
    for ph in data["phases"]:
        took = f"{ph['duration_seconds']:.1f}s" if ph["duration_seconds"] is not None else ""
        counts = ph["counts"] or {}
        done = f"{counts.get('processed')} processed" if counts.get("processed") is not None else ""
        print(f"  {ph['phase']:<22} {ph['status']:<12} {ph['started_at'] or '':<34} {took:>8} {done}")
        for err in ph["errors"]:
            print(f"      failed {err['at']}: {err['message']} ({err['error_class']})")
    return 0


def cleanup(ctx: CommandContext) -> int:
    from core.actions.flows import cleanup_flows
    from core.flows.retention import cleanup_summary

    report = cleanup_flows(
        ctx.core().uows, older_than_days=ctx.args.older_than, apply=ctx.args.apply, client=ctx.args.client
    ).value
    if ctx.args.json:
        print_json({**cleanup_summary(report), "flows": [vars(i) for i in report.items]})
        return 0
    verb = {
        "archive": "archived" if report.applied else "would archive",
        "remove": "removed" if report.applied else "would remove",
    }
    for item in report.items:
        print(
            f"{verb[item.action]:<14} {item.flow_id}  {item.client} / {item.engagement}  "
            f"{item.flow_name} ({item.status}, last change {item.last_change[:10]})"
        )
    counts = report.counts()
    if report.applied:
        print(
            f"{counts['archived']} archived, {counts['removed']} removed "
            f"(with {counts['imports_removed']} import(s))"
        )
    else:
        print(
            f"dry run: {counts['archived']} to archive, {counts['removed']} to remove; pass --apply to do it"
        )
    return 0
