"""`assets` commands: export the inventory (XLSX/CSV) of an engagement; show one asset.

`assets show ASSET` prints one asset (by id, or by its exact name or host name) with the file, row,
column and raw cell behind each value, and its details from a whole RVTools export (disks,
partitions, NICs, snapshots, tools, host, cluster) with the sheet and row of each.
"""

from __future__ import annotations

import argparse
import uuid
from typing import TYPE_CHECKING, Any

from desktop_app.cli.output import print_json

if TYPE_CHECKING:  # core loads only when the command runs (fast `--help`)
    from desktop_app.cli.context import CommandContext


def register(sub: argparse._SubParsersAction) -> None:
    assets = sub.add_parser("assets", help="the asset inventory: export, show one asset")
    asub = assets.add_subparsers(dest="assets_command", metavar="ASSETS_COMMAND", required=True)

    p = asub.add_parser("export", help="write assets, quality report and conflicts to XLSX or CSV")
    p.add_argument("--engagement", required=True, metavar="NAME")
    p.add_argument("--client", default=None, metavar="NAME", help="needed when several clients use the name")
    p.add_argument("--format", choices=("xlsx", "csv"), default=None, help="default: from --out's suffix")
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--search", default=None, help="only assets whose name, host, FQDN or IP contains this")
    p.add_argument("--json", action="store_true", help="print the files and row counts as JSON")
    p.set_defaults(handler=export)

    p = asub.add_parser("show", help="one asset: every field with its source cell, and its details")
    p.add_argument("asset", metavar="ASSET", help="the asset's id, or its exact name or host name")
    p.add_argument("--engagement", required=True, metavar="NAME")
    p.add_argument("--client", default=None, metavar="NAME", help="needed when several clients use the name")
    p.add_argument("--json", action="store_true", help="print fields, lineage, sources and details as JSON")
    p.set_defaults(handler=show)


def _engagement(ctx: CommandContext) -> Any:
    """The engagement named by --engagement (and --client when the name is not unique)."""
    from core.errors import UserInputError
    from core.queries import navigation

    core = ctx.core()
    args = ctx.args
    if args.client:
        ref = core.engagement(args.client, args.engagement)
    else:
        wanted = args.engagement.strip().casefold()
        refs = [r for r in navigation.engagements(core.uows) if r.engagement_name.casefold() == wanted]
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
    return ref


def export(ctx: CommandContext) -> int:
    from core.errors import UserInputError
    from core.export import export_assets

    core = ctx.core()
    args = ctx.args
    ref = _engagement(ctx)
    fmt = args.format
    if fmt is None and not args.out.lower().endswith((".xlsx", ".csv")):
        raise UserInputError("say --format xlsx or csv (the file name has neither suffix)", file=args.out)
    filters = {"search": args.search} if args.search else None
    result = export_assets(core.uows, core.tenant_for(ref), args.out, fmt, filters=filters)
    if args.json:
        print_json(result.to_dict())
    else:
        for path in result.files:
            print(f"wrote {path}")
        print(", ".join(f"{n} {view.lower()} row(s)" for view, n in result.rows.items()))
    return 0


def show(ctx: CommandContext) -> int:
    from core.errors import UserInputError
    from core.queries import assets as asset_queries

    core = ctx.core()
    args = ctx.args
    tenant = core.tenant_for(_engagement(ctx))
    try:
        asset_id = uuid.UUID(args.asset)
    except ValueError:
        wanted = args.asset.strip().casefold()
        rows = asset_queries.asset_page(
            core.uows,
            tenant,
            columns=("asset_name", "hostname", "fqdn"),
            page=0,
            page_size=50,
            filters={"search": args.asset.strip()},
        )
        hits = [
            r
            for r in rows
            if wanted in {str(r.get(k) or "").casefold() for k in ("asset_name", "hostname", "fqdn")}
        ]
        if not hits:
            raise UserInputError(
                f"no asset named {args.asset!r} in this engagement", hint="check the name or give its id"
            ) from None
        if len(hits) > 1:
            raise UserInputError(
                f"{len(hits)} assets are named {args.asset!r}: " + ", ".join(str(h["id"]) for h in hits[:10]),
                hint="give the asset's id",
            ) from None
        asset_id = hits[0]["id"]
    detail = asset_queries.asset_with_cells(core.uows, tenant, asset_id)
    if args.json:
        print_json(detail)
        return 0
    print(f"{detail['asset_name'] or detail['id']}  {detail['asset_type'] or ''}  (asset {detail['id']})")
    for name, info in detail["fields"].items():
        where = ", ".join(
            str(x)
            for x in (
                info.get("file"),
                f"sheet {info['sheet']}" if info.get("sheet") else None,
                f"row {info['row']}" if info.get("row") is not None else None,
                f"column {info['source_column']!r} = {info['raw_value']!r}"
                if info.get("source_column")
                else None,
            )
            if x
        )
        print(
            f"  {name} = {info['value']}"
            + (f"  <- {where}" if where else "")
            + (f"  [{info['rule']}]" if info.get("rule") else "")
        )
    details = detail.get("details") or []
    if details:
        print(f"details ({len(details)}):")
        for d in details:
            values = ", ".join(f"{k}={v}" for k, v in d["attributes"].items())
            name = d["keys"].get(d["kind"]) if d["kind"] in ("host", "cluster") else None
            print(f"  {d['kind']:<9} {d['sheet']} row {d['row']}: " + (f"{name}; " if name else "") + values)
    return 0
