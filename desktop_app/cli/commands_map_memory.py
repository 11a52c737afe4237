"""`map forget FLOW_ID COLUMN [--json]`: forget what the client's mapping memory learned for a column.

Why a command: a wrong guess a consultant once approved comes back as `learned` on every later
import of the client; forgetting it is a decision of its own (logged with who made it). Added to
the `map` group by `commands_map.register`, like `commands_map_review.register_review`.

With `--json` it prints

    {"flow_id", "import_id", "source_field",
     "forgotten": [{"source_header", "target_field", "approved_count", "rejected_count", "learned",
                    "taught_by", "taught_at"}],
     "mapping": the column's row as suggested afterwards (as `map list` prints it) or null}

Nothing learned for the column is not an error (exit 0, `forgotten` empty); an unknown flow or
column exits 2.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from desktop_app.cli.output import print_json

if TYPE_CHECKING:
    from desktop_app.cli.context import CommandContext


def register_memory(map_subparsers: argparse._SubParsersAction) -> None:
    """Add `forget` to the `map` group's subparsers."""
    p = map_subparsers.add_parser(
        "forget", help="forget what the client's mapping memory learned for one column of a flow's import"
    )
    p.add_argument("flow_id", metavar="FLOW_ID")
    p.add_argument("column", metavar="COLUMN", help="the column's header as `map list` shows it")
    p.add_argument("--json", action="store_true", help="print what was forgotten as one JSON object")
    p.set_defaults(handler=forget)


def forget(ctx: CommandContext) -> int:
    from core.actions.mapping import forget_flow_learned
    from core.flows import locate_flow

    core = ctx.core()
    tenant = locate_flow(core.uows, ctx.args.flow_id)
    done = forget_flow_learned(core.uows, tenant, ctx.args.flow_id, ctx.args.column).value
    if ctx.args.json:
        print_json(
            {
                "flow_id": str(done.flow_id) if done.flow_id else None,
                "import_id": str(done.import_id),
                "source_field": done.source_field,
                "forgotten": [e.to_dict() for e in done.forgotten],
                "mapping": done.row.to_dict() if done.row is not None else None,
            }
        )
        return 0
    if not done.forgotten:
        print(f"nothing was learned for column {done.source_field!r}")
        return 0
    print(f"forgot what was learned for column {done.source_field!r}:")
    for e in done.forgotten:
        how = f"approved {e.approved_count}×, rejected {e.rejected_count}×"
        who = f", taught by {e.taught_by}" if e.taught_by else ""
        when = f" on {e.taught_at:%Y-%m-%d}" if e.taught_at else ""
        print(f"  {e.source_header!r} → {e.target_field} ({how}{who}{when})")
    if done.row is not None and done.row.is_pending:
        target = done.row.target_field or "(unmapped)"
        print(f"now suggested: {target} ({done.row.confidence:.2f}, {done.row.match_type})")
    return 0
