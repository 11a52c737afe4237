"""`db` commands: upgrade, validate, seed-demo, grant, revoke."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from desktop_app.cli.output import print_json

if TYPE_CHECKING:  # database modules load only when a db command runs (fast `--help`, `map suggest`)
    from desktop_app.cli.context import CommandContext


def register(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="database schema and membership administration")
    dbsub = db.add_subparsers(dest="db_command", metavar="DB_COMMAND", required=True)

    p = dbsub.add_parser("upgrade", help="bring the schema to the newest revision")
    p.set_defaults(handler=upgrade)

    p = dbsub.add_parser("validate", help="compare the live schema with the models (exit 1 on differences)")
    p.set_defaults(handler=validate)

    p = dbsub.add_parser("seed-demo", help="fill two demo client accounts (idempotent)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=seed_demo)

    p = dbsub.add_parser("grant", help="let a PostgreSQL login role work on an engagement")
    p.add_argument("--engagement", required=True)
    p.add_argument("--user", required=True, help="the consultant's PostgreSQL login role")
    p.add_argument("--role", choices=("lead", "member", "viewer"), default="member")
    p.add_argument("--client", default=None, help="client account (creates client/engagement if missing)")
    p.add_argument("--email", default=None)
    p.add_argument("--name", default=None, help="the consultant's display name")
    p.set_defaults(handler=grant)

    p = dbsub.add_parser("revoke", help="remove a login role's membership of an engagement")
    p.add_argument("--engagement", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--client", default=None)
    p.set_defaults(handler=revoke)


def upgrade(ctx: CommandContext) -> int:
    from core.db import migrate
    from core.db.database import masked

    db = ctx.database(check_schema=False)  # embedded: opening already migrates
    if db.mode == "shared":
        migrate.upgrade(db.admin_url)
    print(f"schema at revision {migrate.head_revision()} on {masked(db.admin_url)}")
    return 0


def validate(ctx: CommandContext) -> int:
    from core.db.validate import schema_differences

    db = ctx.database(check_schema=False)
    problems = schema_differences(db.admin_engine)
    if problems:
        for p in problems:
            print(f"- {p}")
        print(f"{len(problems)} difference(s) between the live schema and the models", file=sys.stderr)
        return 1
    print("schema matches the models; row-level security is enabled and forced on every table")
    return 0


def seed_demo(ctx: CommandContext) -> int:
    from core.actions.admin import seed_demo as run

    core = ctx.core()
    added = run(core.db, core.uows)
    if ctx.args.json:
        print_json({"added": added})
    else:
        print("demo data: " + ", ".join(f"{v} {k} added" for k, v in added.items()))
    return 0


def grant(ctx: CommandContext) -> int:
    from core.actions.admin import grant_membership

    info = grant_membership(
        ctx.database(),
        engagement_name=ctx.args.engagement,
        db_role=ctx.args.user,
        role=ctx.args.role,
        client_name=ctx.args.client,
        email=ctx.args.email,
        display_name=ctx.args.name,
    )
    where = f"{info.engagement.client_name} / {info.engagement.engagement_name}"
    print(f"{info.db_role} is now {info.role} of {where}")
    return 0


def revoke(ctx: CommandContext) -> int:
    from core.actions.admin import revoke_membership

    n = revoke_membership(
        ctx.database(),
        engagement_name=ctx.args.engagement,
        db_role=ctx.args.user,
        client_name=ctx.args.client,
    )
    print(f"removed {n} membership(s) of {ctx.args.user}")
    return 0
