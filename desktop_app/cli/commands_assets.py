"""`assets` commands: export the inventory (XLSX/CSV) of an engagement."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # core loads only when the command runs (fast `--help`)
    from desktop_app.cli.context import CommandContext


def register(sub: argparse._SubParsersAction) -> None:
    assets = sub.add_parser("assets", help="the asset inventory: export")
    asub = assets.add_subparsers(dest="assets_command", metavar="ASSETS_COMMAND", required=True)

    p = asub.add_parser("export", help="write assets, quality report and conflicts to XLSX or CSV")
    p.add_argument("--engagement", required=True, metavar="NAME")
    p.add_argument("--client", default=None, metavar="NAME", help="needed when several clients use the name")
    p.add_argument("--format", choices=("xlsx", "csv"), default=None, help="default: from --out's suffix")
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--search", default=None, help="only assets whose name, host, FQDN or IP contains this")
    p.add_argument("--json", action="store_true", help="print the files and row counts as JSON")
    p.set_defaults(handler=export)


def export(ctx: CommandContext) -> int:
    from core.errors import UserInputError
    from core.export import export_inventory
    from core.services import tenancy

    core = ctx.core()
    args = ctx.args
    if args.client:
        ref = core.engagement(args.client, args.engagement)
    else:
        wanted = args.engagement.strip().casefold()
        refs = [r for r in tenancy.list_engagements(core.sessions) if r.engagement_name.casefold() == wanted]
        if not refs:
            raise UserInputError(
                f"no engagement {args.engagement!r} that you are a member of", hint="check the name"
            )
        if len(refs) > 1:
            clients = ", ".join(sorted(r.client_name for r in refs))
            raise UserInputError(
                f"several clients have an engagement named {args.engagement!r} ({clients})",
                hint="pass --client NAME",
            )
        ref = refs[0]
    fmt = args.format
    if fmt is None and not args.out.lower().endswith((".xlsx", ".csv")):
        raise UserInputError("say --format xlsx or csv (the file name has neither suffix)", file=args.out)
    with core.uow(core.tenant_for(ref)) as uow:
        result = export_inventory(
            uow, args.out, fmt, filters={"search": args.search} if args.search else None
        )
    if args.json:
        json.dump(result.to_dict(), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        for path in result.files:
            print(f"wrote {path}")
        print(", ".join(f"{n} {view.lower()} row(s)" for view, n in result.rows.items()))
    return 0
