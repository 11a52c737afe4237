"""`map` subcommands that work on stored mappings: accept, generate, list, set, finish.

`map suggest` (no database) lives in `commands_map.py`, which calls `register_review` to add these
to the same `map` group. Database modules load inside the handlers (fast `--help`).

`map accept FLOW_ID --min-confidence X --json` approves, as the current consultant, every
pending suggestion of the flow's import at or above X (generating the suggestions first when the
import has none yet) and prints the counts:

    {"flow_id", "import_id", "approved", "modified", "pending", "rejected", "total",
     "newly_approved", "skipped": [{"source_field", "reason"}], "generated",
     "field_mapping_completed", "ai_skipped": <int>, "ai_skipped_columns": [<column>, ...]}

approved / modified / pending / rejected / total count the import's columns after the command
(they add up to total); newly_approved is what this run approved. When nothing is left pending
the field-mapping phase completes (`field_mapping_completed`). An AI crew's suggestion is never
approved by the threshold: it stays pending, listed in `skipped` with why and counted in
`ai_skipped` (approve it yourself with `map set` or in the grid).

`map set FLOW_ID COLUMN --target FIELD [--rule KEY=VALUE ...] | --unmapped --json` decides one
column by its header (the suggested target without rules is an approval, anything else a change)
and prints the column as stored with the import's counts; it does not finish the phase.

`map finish FLOW_ID [--auto [--min-confidence X]] --json` prints the counts,
`field_mapping_completed`, `already_finished` (the mapping was finished before this run; exit 0,
nothing changes) and `left_unmapped`: [{"source_field", "reason"}], every column `--auto` left
unmapped instead of approving — it approves only free targets at or above X (default: the grid's
bulk-approval default, `core.mapping_review.types.DEFAULT_MIN_CONFIDENCE`) whose preview does not
fail for most sampled values, never an AI crew's suggestion (those are left unmapped too, counted
in `ai_skipped` and named in `ai_skipped_columns`).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from desktop_app.cli.output import print_json

if TYPE_CHECKING:
    from desktop_app.cli.context import CommandContext


def register_review(map_subparsers: argparse._SubParsersAction) -> None:
    """Add accept / generate / list / set / finish to the `map` group's subparsers."""
    p = map_subparsers.add_parser(
        "accept", help="approve every pending suggestion of a flow's import at or above a confidence"
    )
    p.add_argument("flow_id", metavar="FLOW_ID")
    p.add_argument(
        "--min-confidence", type=float, required=True, metavar="X", help="0..1; e.g. 0.9 for sure matches"
    )
    p.add_argument("--json", action="store_true", help="print the counts as one JSON object")
    p.set_defaults(handler=accept)

    p = map_subparsers.add_parser(
        "generate", help="store suggestions for every column of a flow's import (keeps decided ones)"
    )
    p.add_argument("flow_id", metavar="FLOW_ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=generate)

    p = map_subparsers.add_parser("list", help="the stored mappings of a flow's import, in column order")
    p.add_argument("flow_id", metavar="FLOW_ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=list_mappings)

    p = map_subparsers.add_parser(
        "set", help="decide one column of a flow's import: map it onto a target field, or leave it unmapped"
    )
    p.add_argument("flow_id", metavar="FLOW_ID")
    p.add_argument("column", metavar="COLUMN", help="the column's header as `map list` shows it")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--target", metavar="FIELD", help="the target field (e.g. memory_gb)")
    what.add_argument("--unmapped", action="store_true", help="leave the column unmapped")
    p.add_argument(
        "--rule",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a transformation rule, repeatable: scale=1/1024, invert=true, case=lower, split=';', "
        "first_of_list=true, data_type=integer, date_order=dmy, value_map='{\"Y\": true}'",
    )
    p.add_argument("--reason", default=None, metavar="TEXT", help="why the column is left unmapped")
    p.add_argument("--json", action="store_true", help="print the column as stored, and the counts")
    p.set_defaults(handler=set_column)

    p = map_subparsers.add_parser(
        "finish", help="complete the field mapping of a flow (refuses while columns are undecided)"
    )
    p.add_argument("flow_id", metavar="FLOW_ID")
    p.add_argument(
        "--auto",
        action="store_true",
        help="first decide the undecided columns: approve free targets at or above --min-confidence "
        "whose values fit them, leave the rest unmapped",
    )
    p.add_argument(
        "--min-confidence",
        type=float,
        default=None,
        metavar="X",
        help="with --auto: the confidence (0..1) a suggestion needs to be approved (default: the "
        "grid's bulk-approval default)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=finish)

    p = map_subparsers.add_parser(
        "reopen",
        help="reopen a finished field mapping so its decisions can change; cleansing, inventory and "
        "the later phases then run again",
    )
    p.add_argument("flow_id", metavar="FLOW_ID")
    p.add_argument("--reason", default=None, metavar="TEXT", help="why, for the flow's audit log")
    p.add_argument("--json", action="store_true", help="print what was reopened as one JSON object")
    p.set_defaults(handler=reopen)


def _open(ctx: CommandContext) -> tuple[Any, Any]:
    """(core, tenant) of the flow named on the command line (exit 2 when there is none)."""
    from core.flows import locate_flow

    core = ctx.core()
    return core, locate_flow(core.uows, ctx.args.flow_id)


def accept(ctx: CommandContext) -> int:
    from core.actions.mapping import accept_suggestions

    x = ctx.args.min_confidence
    core, tenant = _open(ctx)
    accepted = accept_suggestions(core.uows, tenant, ctx.args.flow_id, x).value
    result, counts = accepted.result, accepted.result.counts
    data = {
        "flow_id": str(accepted.flow_id),
        "import_id": str(accepted.import_id),
        "approved": counts.approved,
        "modified": counts.modified,
        "pending": counts.pending,
        "rejected": counts.rejected,
        "total": counts.total,
        "newly_approved": result.approved,
        "skipped": [{"source_field": f, "reason": why} for f, why in result.skipped],
        "generated": accepted.generated,
        "field_mapping_completed": result.field_mapping_completed,
        "ai_skipped": len(result.ai_skipped),
        "ai_skipped_columns": list(result.ai_skipped),
    }
    if ctx.args.json:
        print_json(data)
    else:
        print(
            f"approved {result.approved} suggestion(s) at confidence ≥ {x:g}; "
            f"{counts.approved + counts.modified} accepted, {counts.rejected} rejected, "
            f"{counts.pending} pending of {counts.total} column(s)"
        )
        if result.ai_skipped:
            print(
                f"left {len(result.ai_skipped)} AI suggestion(s) pending: a threshold never approves "
                "them; review and approve each yourself"
            )
        for field, why in result.skipped:
            print(f"  skipped {field!r}: {why}")
        if result.field_mapping_completed:
            print("field mapping complete")
    return 0


def generate(ctx: CommandContext) -> int:
    from core.actions.mapping import generate_suggestions
    from core.queries.mapping import flow_mappings

    core, tenant = _open(ctx)
    found = flow_mappings(core.uows, tenant, ctx.args.flow_id)
    rows = generate_suggestions(core.uows, tenant, found.import_id).value
    if ctx.args.json:
        print_json(
            {
                "flow_id": str(found.flow_id),
                "import_id": str(found.import_id),
                "total": len(rows),
                "with_target": sum(1 for r in rows if r.target_field),
                "mappings": [r.to_dict() for r in rows],
            }
        )
    else:
        _print_rows(rows)
    return 0


def list_mappings(ctx: CommandContext) -> int:
    from core.queries.mapping import flow_mappings

    core, tenant = _open(ctx)
    found = flow_mappings(core.uows, tenant, ctx.args.flow_id)
    if ctx.args.json:
        print_json(
            {
                "flow_id": str(found.flow_id),
                "import_id": str(found.import_id),
                "counts": found.counts.to_dict(),
                "mappings": [r.to_dict() for r in found.rows],
            }
        )
    else:
        _print_rows(found.rows)
    return 0


def finish(ctx: CommandContext) -> int:
    from core.actions.mapping import finish_flow_mapping
    from core.errors import UserInputError
    from core.mapping_review.types import DEFAULT_MIN_CONFIDENCE

    x = ctx.args.min_confidence
    if x is not None and not ctx.args.auto:
        raise UserInputError("--min-confidence needs --auto", hint="add --auto, or leave it out")
    if x is not None and not 0.0 <= x <= 1.0:
        raise UserInputError(f"--min-confidence {x:g} is outside 0..1", hint="pass e.g. 0.9")
    threshold = DEFAULT_MIN_CONFIDENCE if x is None else x
    core, tenant = _open(ctx)
    finished = finish_flow_mapping(
        core.uows, tenant, ctx.args.flow_id, auto=ctx.args.auto, min_confidence=threshold
    ).value
    result, already = finished.result, finished.already_finished
    left = finished.left_unmapped
    ai_skipped = finished.auto.ai_skipped if finished.auto is not None else ()
    data = {
        "flow_id": str(finished.flow_id),
        "import_id": str(finished.import_id),
        **result.counts.to_dict(),
        "field_mapping_completed": result.field_mapping_completed,
        "already_finished": already,
        "left_unmapped": [{"source_field": f, "reason": why} for f, why in left],
        "ai_skipped": len(ai_skipped),
        "ai_skipped_columns": list(ai_skipped),
    }
    if ctx.args.json:
        print_json(data)
    else:
        what = "field mapping already finished" if already else "field mapping complete"
        print(f"{what}: {result.counts.decided} of {result.counts.total} column(s) decided")
        if finished.auto is not None and finished.auto.changed:
            print(f"approved {finished.auto.approved} column(s) at confidence ≥ {threshold:g}")
        if ai_skipped:
            print(
                f"did not approve {len(ai_skipped)} AI suggestion(s) (only you approve those, row by "
                "row; `migration-discovery map reopen FLOW_ID` to revisit them)"
            )
        if left:
            print(f"left {len(left)} column(s) unmapped:")
        for field, why in left:
            print(f"  {field!r}: {why}")
    return 0


def set_column(ctx: CommandContext) -> int:
    from core.actions.mapping import set_column as set_one_column
    from core.mapping_review.rule_args import parse_rule_args

    args = ctx.args
    rules = parse_rule_args(args.rule, column=args.column)
    core, tenant = _open(ctx)
    done = set_one_column(
        core.uows,
        tenant,
        args.flow_id,
        args.column,
        target=args.target,
        unmapped=args.unmapped,
        rules=rules,
        reason=args.reason,
    ).value
    state, counts = done.state, done.counts
    if args.json:
        print_json(
            {
                "flow_id": str(done.flow_id),
                "import_id": str(done.import_id),
                "source_field": done.source_field,
                "status": state.status,
                "target_field": None if state.status == "rejected" else state.target_field,
                "transformation_rules": None if state.status == "rejected" else state.transformation_rules,
                "version": state.version,
                "previous_status": done.previous_status,
                "previous_target": done.previous_target,
                "changed": done.changed,
                "generated": done.generated,
                "counts": counts.to_dict(),
            }
        )
        return 0
    if state.status == "rejected":
        what = "left unmapped"
    else:
        rules_text = ", ".join(f"{k}={v}" for k, v in (state.transformation_rules or {}).items())
        what = f"→ {state.target_field} ({state.status}{'; ' + rules_text if rules_text else ''})"
    print(
        f"column {done.source_field!r} {what}{'' if done.changed else ' (already so)'}; "
        f"{counts.decided} of {counts.total} column(s) decided"
    )
    if counts.pending == 0:
        print(f"nothing left to decide: `migration-discovery map finish {done.flow_id}` finishes the mapping")
    return 0


def _print_rows(rows: list[Any]) -> None:
    for r in rows:
        target = r.target_field or "(unmapped)"
        print(f"{r.position:>3} {r.source_field[:30]:<30} → {target:<28} {r.confidence:4.2f} {r.status}")


def reopen(ctx: CommandContext) -> int:
    """`map reopen FLOW_ID [--reason TEXT]`: the flow goes back to field mapping (exit 2 if refused)."""
    from core.actions.mapping import reopen_mapping

    core, tenant = _open(ctx)
    done = reopen_mapping(core.uows, tenant, ctx.args.flow_id, reason=ctx.args.reason).value
    data = {
        "flow_id": str(done.flow_id),
        "import_id": str(done.import_id) if done.import_id else None,
        "previous_phase": done.previous_phase,
        "previous_status": done.previous_status,
        "current_phase": "field_mapping",
        "status": done.status,
        "reset_phases": list(done.reset_phases),
        "reason": done.reason,
        "version": done.version,
    }
    if ctx.args.json:
        print_json(data)
    else:
        redo = ", ".join(p.replace("_", " ") for p in done.reset_phases[1:])
        was = done.previous_phase.replace("_", " ")
        print(f"field mapping reopened (the flow was at {was}); change the decisions, then:")
        print(f"  migration-discovery map finish {done.flow_id}")
        print(f"  migration-discovery flow run {done.flow_id}" + (f"   (runs {redo} again)" if redo else ""))
    return 0
