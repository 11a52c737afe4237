"""`plan` commands: the 6R assessment and the migration waves of an engagement.

- `plan sixr --client NAME --engagement NAME [--as-of DATE] --json` assesses every application (and
  asset without one), stores the recommendations and prints `{"recommendations": [{"application",
  "assets", "disposition", "confidence", "reasons", "overridden_by"}, ...]}` (../shared/contracts/cli.md);
- `plan override NAME --disposition D --reason TEXT` / `plan clear-override NAME`: the consultant's
  disposition for an application (or an asset without one), recorded with who and why;
- `plan waves [--max-servers N] [--max-storage-gb G] [--time-limit S] --json` re-plans keeping
  locked waves and manual moves, stores the plan and prints `{"waves": [{"name", "order", "start",
  "end", "locked", "applications", "assets"}, ...], "broken_dependencies": [{"from", "to",
  "from_wave", "to_wave", "reason"}, ...], "max_servers"}` plus the added keys `stage`, `summary` (one
  line: greedy objective → final, the improvement, the solver's status and time, groups split and
  links cut; also the text output's `plan:` line), `stats` (the planner's figures) and `splits`
  (`[{"group", "cause", "parts", "links_cut", "cut_weight"}, ...]`); notes (e.g. groups taken from
  application names while no move groups are stored) go to stderr. A limit below a group that may
  not be split exits 2 naming it and the smallest limit that works. `--max-servers` defaults to the
  stored plan's limit, else 50; the solver's time limit to the `wave_time_limit_s` setting, else 10 s;
- `plan show --json`: the stored plan with its broken dependencies recomputed;
- `plan move APPLICATION WAVE`, `plan lock WAVE`, `plan unlock WAVE`, `plan rename WAVE NAME`,
  `plan date WAVE START END`: the consultant's edits (WAVE is a name or an order number);
- `plan export FILE` (.xlsx or .csv, one row per asset with its Wave) and `plan apply FILE` (an
  edited export: applications whose Wave changed move there by hand).

The 6R assessment and the wave plan are engagement-wide analyses (the master flow has no runnable
assessment or planning phase), run by these commands through `core.actions.planning`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import TYPE_CHECKING, Any

from desktop_app.cli.output import print_json

if TYPE_CHECKING:  # core loads only when the command runs (fast `--help`)
    from desktop_app.cli.context import CommandContext

DISPOSITIONS = ("rehost", "replatform", "refactor", "repurchase", "retire", "retain", "relocate")
WAVE_KEYS = ("waves", "broken_dependencies", "max_servers")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write YYYY-MM-DD") from None


def _dispositions(text: str) -> tuple[str, ...]:
    names = tuple(t.strip().lower() for t in text.split(",") if t.strip())
    wrong = [n for n in names if n not in ("retire", "retain")]
    if wrong or not names:
        raise argparse.ArgumentTypeError(f"{text!r}: name retire and/or retain, comma-separated")
    return names


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of servers, at least 1")
    return value


def _engagement(p: argparse.ArgumentParser, *, json_flag: bool = True) -> None:
    p.add_argument("--client", required=True, metavar="NAME", help="the client account's name")
    p.add_argument("--engagement", required=True, metavar="NAME", help="the engagement's name")
    if json_flag:
        p.add_argument("--json", action="store_true", help="print the result as one JSON object")


def register(sub: argparse._SubParsersAction) -> None:
    plan = sub.add_parser("plan", help="assessment and planning: 6R dispositions and migration waves")
    psub = plan.add_subparsers(dest="plan_command", metavar="PLAN_COMMAND", required=True)

    p = psub.add_parser("sixr", help="the 6R recommendation per application (or asset without one)")
    _engagement(p)
    p.add_argument("--as-of", type=_date, default=None, metavar="YYYY-MM-DD", help="date the rules hold for")
    p.set_defaults(handler=sixr)

    p = psub.add_parser("override", help="set the consultant's disposition of an application or asset")
    p.add_argument(
        "target", metavar="NAME", help="an application name, or the hostname of an asset without one"
    )
    _engagement(p)
    p.add_argument("--disposition", required=True, choices=DISPOSITIONS)
    p.add_argument("--reason", required=True, help="why the rules are wrong here (recorded)")
    p.set_defaults(handler=override)

    p = psub.add_parser("clear-override", help="forget an override: the rules decide again")
    p.add_argument("target", metavar="NAME")
    _engagement(p)
    p.set_defaults(handler=clear_override)

    p = psub.add_parser("waves", help="(re-)plan the migration waves, keeping locked waves and manual moves")
    _engagement(p)
    p.add_argument("--max-servers", type=_positive, default=None, metavar="N", help="servers per wave")
    p.add_argument("--max-storage-gb", type=float, default=None, metavar="GB", help="storage per wave")
    p.add_argument("--time-limit", type=float, default=None, metavar="SECONDS", help="solver time limit")
    p.add_argument(
        "--start",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="first day of wave 1; re-dates every unlocked wave (default: keep the plan's calendar; "
        "a first plan starts the Monday after today)",
    )
    p.add_argument(
        "--wave-days", type=_positive, default=None, metavar="N", help="days per wave (default 14)"
    )
    p.add_argument(
        "--leave-out",
        type=_dispositions,
        default=(),
        metavar="retire,retain",
        help="6R dispositions whose assets are not planned (default: every asset is planned)",
    )
    p.set_defaults(handler=waves)

    p = psub.add_parser("show", help="the stored wave plan, broken dependencies recomputed")
    _engagement(p)
    p.set_defaults(handler=show)

    p = psub.add_parser("move", help="move an application to a wave by hand (kept on re-plan)")
    p.add_argument("application", metavar="APPLICATION")
    p.add_argument("wave", metavar="WAVE", help="the wave's name or order")
    _engagement(p)
    p.set_defaults(handler=move)

    for name, text in (("lock", "lock a wave (kept on re-plan)"), ("unlock", "unlock a wave")):
        p = psub.add_parser(name, help=text)
        p.add_argument("wave", metavar="WAVE", help="the wave's name or order")
        _engagement(p)
        p.set_defaults(handler=lock if name == "lock" else unlock)

    p = psub.add_parser("rename", help="rename a wave")
    p.add_argument("wave", metavar="WAVE")
    p.add_argument("name", metavar="NAME")
    _engagement(p)
    p.set_defaults(handler=rename)

    p = psub.add_parser("date", help="set a wave's start and end dates")
    p.add_argument("wave", metavar="WAVE")
    p.add_argument("start", type=_date, metavar="START")
    p.add_argument("end", type=_date, metavar="END")
    _engagement(p)
    p.set_defaults(handler=date)

    p = psub.add_parser("export", help="write the wave plan to .xlsx or .csv (one row per asset)")
    p.add_argument("file", metavar="FILE")
    _engagement(p)
    p.set_defaults(handler=export)

    p = psub.add_parser("apply", help="apply an edited export: changed Wave cells become manual moves")
    p.add_argument("file", metavar="FILE")
    _engagement(p)
    p.set_defaults(handler=apply)


def _scope(ctx: CommandContext) -> tuple[Any, Any]:
    core = ctx.core()
    return core, core.tenant_for(core.engagement(ctx.args.client, ctx.args.engagement))


def _print_sixr(value: dict[str, Any]) -> None:
    for r in value["recommendations"]:
        who = f" (overridden by {r['overridden_by']})" if r["overridden_by"] else ""
        name = r["application"] or r["assets"][0]
        print(f"  {name:<30} {r['disposition']:<11} {r['confidence']:.2f}{who}")


def sixr(ctx: CommandContext) -> int:
    from core.actions.planning import run_sixr

    core, tenant = _scope(ctx)
    value = run_sixr(core.uows, tenant, as_of=ctx.args.as_of).value
    if ctx.args.json:
        print_json(value)
    else:
        print(f"6R: {len(value['recommendations'])} recommendation(s)")
        _print_sixr(value)
        _print_stage(value["stage"])
    return 0


def _print_stage(stage: dict[str, Any]) -> None:
    """Which master flows this run completed the stage of, and which wait (and why)."""
    done, waiting = stage["completed"], stage["waiting"]
    print(f"{stage['stage']} stage completed for {len(done)} master flow(s)")
    for w in waiting[:5]:
        print(f"  waiting: master flow {w['master_flow_id']}: {w['reason']}")
    if len(waiting) > 5:
        print(f"  ... and {len(waiting) - 5} more waiting")


def override(ctx: CommandContext) -> int:
    from core.actions.planning import override_disposition

    core, tenant = _scope(ctx)
    a = ctx.args
    rec = override_disposition(core.uows, tenant, a.target, a.disposition, a.reason).value
    print_json(rec) if a.json else _print_sixr({"recommendations": [rec]})
    return 0


def clear_override(ctx: CommandContext) -> int:
    from core.actions.planning import clear_override as clear

    core, tenant = _scope(ctx)
    rec = clear(core.uows, tenant, ctx.args.target).value
    print_json(rec) if ctx.args.json else _print_sixr({"recommendations": [rec]})
    return 0


def _print_plan(value: dict[str, Any]) -> None:
    for w in value["waves"]:
        lock = " [locked]" if w["locked"] else ""
        when = f" {w['start']}..{w['end']}" if w["start"] or w["end"] else ""
        apps = ", ".join(w["applications"])
        print(f"  {w['order']:>3} {w['name']}{lock}{when}: {len(w['assets'])} asset(s), {apps}")
    print(f"broken dependencies: {len(value['broken_dependencies'])}")
    for b in value["broken_dependencies"]:
        print(f"  {b['from']} -> {b['to']} ({b['from_wave']} / {b['to_wave']}): {b['reason']}")


def _notes(notes: list[str]) -> None:
    for n in notes:
        print(f"note: {n}", file=sys.stderr)


def waves(ctx: CommandContext) -> int:
    from core.actions.planning import plan_waves
    from core.analysis.waves import DEFAULT_TIME_LIMIT_S, TIME_LIMIT_SETTING

    core, tenant = _scope(ctx)
    a = ctx.args
    limit = a.time_limit if a.time_limit is not None else ctx.settings.extra.get(TIME_LIMIT_SETTING)
    value = plan_waves(
        core.uows,
        tenant,
        max_servers=a.max_servers,
        max_storage_gb=a.max_storage_gb,
        time_limit_s=float(limit) if limit is not None else DEFAULT_TIME_LIMIT_S,  # type: ignore[arg-type]
        start=a.start,
        wave_days=a.wave_days,
        leave_out=a.leave_out,
    ).value
    _notes(value["notes"])
    if a.json:
        added = ("stage", "summary", "stats", "splits")  # added keys (the contract's come first)
        print_json({**{k: value[k] for k in WAVE_KEYS}, **{k: value[k] for k in added}})
    else:
        print(f"{len(value['waves'])} wave(s) of at most {value['max_servers']} servers")
        print(f"plan: {value['summary']}")
        _print_plan(value)
        _print_stage(value["stage"])
    return 0


def show(ctx: CommandContext) -> int:
    from core.queries.waves import wave_plan

    core, tenant = _scope(ctx)
    value = wave_plan(core.uows, tenant)
    _notes(value["notes"])
    if ctx.args.json:
        print_json({k: value[k] for k in WAVE_KEYS})
    else:
        _print_plan(value)
    return 0


def _broken(ctx: CommandContext, broken: list[dict[str, Any]]) -> int:
    if ctx.args.json:
        print_json({"broken_dependencies": broken})
        return 0
    print(f"broken dependencies caused: {len(broken)}")
    for b in broken:
        print(f"  {b['from']} -> {b['to']}: {b['reason']}")
    return 0


def move(ctx: CommandContext) -> int:
    from core.actions.planning import move_application
    from core.queries.waves import find_wave

    core, tenant = _scope(ctx)
    wave_id = find_wave(core.uows, tenant, ctx.args.wave)
    return _broken(ctx, move_application(core.uows, tenant, ctx.args.application, wave_id).value)


def _edit(ctx: CommandContext, action: Any, *args: Any) -> int:
    from core.queries.waves import find_wave

    core, tenant = _scope(ctx)
    value = action(core.uows, tenant, find_wave(core.uows, tenant, ctx.args.wave), *args).value
    print_json(value) if ctx.args.json else print(f"wave {value['order']} {value['name']!r}: done")
    return 0


def lock(ctx: CommandContext) -> int:
    from core.actions.planning import lock_wave

    return _edit(ctx, lock_wave)


def unlock(ctx: CommandContext) -> int:
    from core.actions.planning import unlock_wave

    return _edit(ctx, unlock_wave)


def rename(ctx: CommandContext) -> int:
    from core.actions.planning import rename_wave

    return _edit(ctx, rename_wave, ctx.args.name)


def date(ctx: CommandContext) -> int:
    from core.actions.planning import date_wave

    return _edit(ctx, date_wave, ctx.args.start, ctx.args.end)


def export(ctx: CommandContext) -> int:
    from core.actions.planning import export_waves

    core, tenant = _scope(ctx)
    value = export_waves(core.uows, tenant, ctx.args.file).value
    print_json(value) if ctx.args.json else print(f"wrote {value['rows']} row(s) to {value['files'][0]}")
    return 0


def apply(ctx: CommandContext) -> int:
    from core.actions.planning import apply_wave_sheet

    core, tenant = _scope(ctx)
    value = apply_wave_sheet(core.uows, tenant, ctx.args.file).value
    if ctx.args.json:
        print_json(value)
        return 0
    print(f"moved {len(value['moved'])} application(s)")
    for m in value["moved"]:
        print(f"  {m['application'] or m['assets'][0]}: {', '.join(m['from']) or '-'} -> {m['to']}")
    return _broken(ctx, value["broken_dependencies"]) if value["broken_dependencies"] else 0
