"""`map` subcommands that work on stored mappings: accept, generate, list, finish.

`map suggest` (no database) lives in `commands_map.py`, which calls `register_review` to add these
to the same `map` group. Database modules load inside the handlers (fast `--help`).

`map accept FLOW_ID --min-confidence X --json` approves, as the current consultant, every
pending suggestion of the flow's import at or above X (generating the suggestions first when the
import has none yet) and prints the counts:

    {"flow_id", "import_id", "approved", "modified", "pending", "rejected", "total",
     "newly_approved", "skipped": [{"source_field", "reason"}], "generated",
     "field_mapping_completed"}

approved / modified / pending / rejected / total count the import's columns after the command
(they add up to total); newly_approved is what this run approved. When nothing is left pending
the field-mapping phase completes (`field_mapping_completed`).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import uuid

    from core.uow import UnitOfWork
    from desktop_app.cli.context import CommandContext


def register_review(map_subparsers: argparse._SubParsersAction) -> None:
    """Add accept / generate / list / finish to the `map` group's subparsers."""
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
        "finish", help="complete the field mapping of a flow (refuses while columns are undecided)"
    )
    p.add_argument("flow_id", metavar="FLOW_ID")
    p.add_argument(
        "--auto",
        action="store_true",
        help="first decide the undecided columns: approve free targets, leave the rest unmapped",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=finish)


def _print_json(data: object) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def _open(ctx: CommandContext) -> tuple[Any, Any]:
    """(core, tenant) of the flow named on the command line (exit 2 when there is none)."""
    from core.flows import locate_flow

    core = ctx.core()
    return core, locate_flow(core, ctx.args.flow_id)


def _import_of(uow: UnitOfWork, flow_id: str) -> tuple[uuid.UUID, uuid.UUID]:
    from core.mapping_review import MappingDecisionError, import_for_flow

    fid, import_id = import_for_flow(uow, flow_id)
    if import_id is None:
        raise MappingDecisionError(
            message=f"flow {fid} has no data import to map", hint="import a file into it first"
        )
    return fid, import_id


def accept(ctx: CommandContext) -> int:
    from core.mapping_review import MappingDecisionError, bulk_approve, generate_suggestions, mapping_counts

    x = ctx.args.min_confidence
    if not 0.0 <= x <= 1.0:
        raise MappingDecisionError(message=f"--min-confidence {x} is outside 0..1", hint="pass e.g. 0.9")
    core, tenant = _open(ctx)
    with core.uow(tenant) as uow:
        fid, import_id = _import_of(uow, ctx.args.flow_id)
        generated = mapping_counts(uow, import_id).total == 0
        if generated:
            generate_suggestions(uow, import_id, commit=False)
        result = bulk_approve(uow, import_id, x, commit=False)
        uow.commit()
    counts = result.counts
    data = {
        "flow_id": str(fid),
        "import_id": str(import_id),
        "approved": counts.approved,
        "modified": counts.modified,
        "pending": counts.pending,
        "rejected": counts.rejected,
        "total": counts.total,
        "newly_approved": result.approved,
        "skipped": [{"source_field": f, "reason": why} for f, why in result.skipped],
        "generated": generated,
        "field_mapping_completed": result.field_mapping_completed,
    }
    if ctx.args.json:
        _print_json(data)
    else:
        print(
            f"approved {result.approved} suggestion(s) at confidence ≥ {x:g}; "
            f"{counts.approved + counts.modified} accepted, {counts.rejected} rejected, "
            f"{counts.pending} pending of {counts.total} column(s)"
        )
        for field, why in result.skipped:
            print(f"  skipped {field!r}: {why}")
        if result.field_mapping_completed:
            print("field mapping complete")
    return 0


def generate(ctx: CommandContext) -> int:
    from core.mapping_review import generate_suggestions

    core, tenant = _open(ctx)
    with core.uow(tenant) as uow:
        fid, import_id = _import_of(uow, ctx.args.flow_id)
        rows = generate_suggestions(uow, import_id)
    if ctx.args.json:
        _print_json(
            {
                "flow_id": str(fid),
                "import_id": str(import_id),
                "total": len(rows),
                "with_target": sum(1 for r in rows if r.target_field),
                "mappings": [r.to_dict() for r in rows],
            }
        )
    else:
        _print_rows(rows)
    return 0


def list_mappings(ctx: CommandContext) -> int:
    from core.mapping_review import mapping_counts, mapping_rows

    core, tenant = _open(ctx)
    with core.uow(tenant) as uow:
        fid, import_id = _import_of(uow, ctx.args.flow_id)
        rows = mapping_rows(uow, import_id)
        counts = mapping_counts(uow, import_id)
    if ctx.args.json:
        _print_json(
            {
                "flow_id": str(fid),
                "import_id": str(import_id),
                "counts": counts.to_dict(),
                "mappings": [r.to_dict() for r in rows],
            }
        )
    else:
        _print_rows(rows)
    return 0


def finish(ctx: CommandContext) -> int:
    from core.mapping_review import auto_map_remaining, finish_mapping

    core, tenant = _open(ctx)
    with core.uow(tenant) as uow:
        fid, import_id = _import_of(uow, ctx.args.flow_id)
        if ctx.args.auto:
            auto_map_remaining(uow, import_id, commit=False)
        result = finish_mapping(uow, import_id, commit=False)
        uow.commit()
    data = {
        "flow_id": str(fid),
        "import_id": str(import_id),
        **result.counts.to_dict(),
        "field_mapping_completed": result.field_mapping_completed,
    }
    if ctx.args.json:
        _print_json(data)
    else:
        print(f"field mapping complete: {result.counts.decided} of {result.counts.total} column(s) decided")
    return 0


def _print_rows(rows: list[Any]) -> None:
    for r in rows:
        target = r.target_field or "(unmapped)"
        print(f"{r.position:>3} {r.source_field[:30]:<30} → {target:<28} {r.confidence:4.2f} {r.status}")
