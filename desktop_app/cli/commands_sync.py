"""`sync [--server URL] [--client NAME --engagement NAME] [--push-only | --pull-only] --json`.

Pushes the laptop's offline work (every engagement with changes, or the one named) to the shared
server and pulls what others changed there; prints the contract's shape
`{"pushed": {...counts}, "pulled": {...counts}, "conflicts": [...], "rejected": [...]}` plus
`engagements` (per engagement: synced or refused, and why), `batches`, `bytes_pushed`,
`bytes_pulled`. The server URL names the consultant's own login; its password comes from the URL
(then kept in the OS keyring, never in a file), the keyring, `PGPASSWORD` or `~/.pgpass`. Without
`--server`, each engagement syncs with the server it last synced with.
`sync conflicts` / `sync rejected` list what needs the consultant; `sync resolve ID reapply|drop`
and `sync retry ID` / `sync drop ID` settle them. Exit 2 when the server refuses or cannot be
reached (nothing is lost: run it again).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from desktop_app.cli.output import print_json

if TYPE_CHECKING:  # core loads only when the command runs (fast `--help`)
    from desktop_app.cli.context import CommandContext


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sync", help="push offline work to the shared server and pull what is new")
    p.add_argument("--server", metavar="URL", help="postgresql://YOUR_ROLE@HOST:5432/DATABASE")
    p.add_argument("--client", metavar="NAME", help="only this client's engagement (with --engagement)")
    p.add_argument(
        "--engagement", metavar="NAME", help="only this engagement (pulled first if only the server has it)"
    )
    way = p.add_mutually_exclusive_group()
    way.add_argument("--push-only", action="store_true", help="send local changes, pull nothing")
    way.add_argument("--pull-only", action="store_true", help="pull changes, send nothing")
    p.add_argument("--batch-size", type=int, default=500, metavar="N", help="changes per batch (default 500)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(handler=sync)
    ssub = p.add_subparsers(dest="sync_command", metavar="{conflicts,rejected,resolve,retry,drop}")
    for name, help_text in (
        ("conflicts", "rows changed here and on the server: both values, the server's standing"),
        ("rejected", "batches the server refused, with the reason"),
    ):
        q = ssub.add_parser(name, help=help_text)
        q.add_argument("--client", metavar="NAME", required=True)
        q.add_argument("--engagement", metavar="NAME", required=True)
        q.add_argument("--json", action="store_true")
        q.set_defaults(handler=listing)
    q = ssub.add_parser("resolve", help="settle a conflict: reapply our value, or drop it")
    q.add_argument("conflict_id", metavar="ID")
    q.add_argument("action", choices=("reapply", "drop"))
    q.add_argument("--client", metavar="NAME", required=True)
    q.add_argument("--engagement", metavar="NAME", required=True)
    q.set_defaults(handler=resolve)
    for name, help_text in (("retry", "queue a refused batch again"), ("drop", "give a refused batch up")):
        q = ssub.add_parser(name, help=help_text)
        q.add_argument("rejection_id", metavar="ID")
        q.add_argument("--client", metavar="NAME", required=True)
        q.add_argument("--engagement", metavar="NAME", required=True)
        q.set_defaults(handler=settle_rejection)


def _server_url(url: str | None) -> str | None:
    """The URL with its password: from the URL (then kept in the keyring), or the keyring."""
    if url is None:
        return None
    from desktop_app import credentials

    bare, password = credentials.split_password(url)
    if password:
        credentials.store_password(bare, password)
        return url
    return credentials.with_password(bare, credentials.load_password(bare))


@contextlib.contextmanager
def _progress_bar(enabled: bool) -> Iterator[Callable[[Any], None] | None]:
    """A bar on stderr while pushing and pulling (only for a terminal: pipes and logs stay clean)."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("{task.description:<16}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.completed:>10,.0f} {task.fields[unit]}"),
        TextColumn("{task.fields[mb]}"),
        TimeRemainingColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("connecting", total=None, unit="", mb="")

    def update(p: Any) -> None:
        mb = f"{p.bytes_done / 1e6:,.1f} MB" if p.bytes_done else ""
        bar.update(task, description=p.stage, completed=p.done, total=p.total, unit=p.unit, mb=mb)

    with bar:
        yield update


def _print(value: dict[str, Any]) -> None:
    for e in value["engagements"]:
        print(f"{e['engagement']}: {e['status']}" + (f" ({e['reason']})" if e.get("reason") else ""))
    for side in ("pushed", "pulled"):
        counts = value[side]
        print(f"{side}: " + (", ".join(f"{t} {n:,}" for t, n in counts.items()) or "nothing"))
    if value["conflicts"]:
        print(f"{len(value['conflicts'])} conflict(s): the server's values stand; see `sync conflicts`")
    for r in value["rejected"]:
        print(f"refused: {r.get('engagement', '')}: {r['reason']}", file=sys.stderr)
        if r.get("hint"):
            print(f"  {r['hint']}", file=sys.stderr)


def sync(ctx: CommandContext) -> int:
    from core.actions.sync import sync_all
    from core.errors import UserInputError

    a = ctx.args
    core = ctx.core()
    only = None
    server = _server_url(a.server)
    if a.engagement:
        if not a.client:
            raise UserInputError(
                "--engagement needs --client", hint="name both, e.g. --client Acme --engagement Move"
            )
        from core import tenancy

        only = tenancy.find_engagement(core.sessions, a.client, a.engagement)
        if only is None and server is not None:  # only the server has it: pull it first
            from core.sync.service import adopt_engagement

            only = adopt_engagement(core.db, server, a.client, a.engagement, core.user_id)
        elif only is None:
            only = core.engagement(a.client, a.engagement)  # says it is not here, with the fix
    if a.batch_size < 1:
        raise UserInputError(f"--batch-size {a.batch_size} must be at least 1", hint="e.g. --batch-size 500")
    from core.progress import CancelToken

    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())  # Ctrl+C stops cleanly
    try:
        with _progress_bar(sys.stderr.isatty()) as on_progress:
            value = sync_all(
                core.db,
                core.uows,
                core.tenant_for,
                server,
                only=only,
                push=not a.pull_only,
                pull=not a.push_only,
                batch_size=a.batch_size,
                progress=on_progress,
                cancel=cancel,
            ).value
    finally:
        signal.signal(signal.SIGINT, previous)
    if a.json:
        print_json(value)
    else:
        _print(value)
    refused = [e for e in value["engagements"] if e["status"] == "refused"]
    return 2 if refused and len(refused) == len(value["engagements"]) else 0


def _tenant(ctx: CommandContext) -> Any:
    core = ctx.core()
    return core, core.tenant_for(core.engagement(ctx.args.client, ctx.args.engagement))


def listing(ctx: CommandContext) -> int:
    from core.actions.sync import list_conflicts, list_rejections

    core, tenant = _tenant(ctx)
    rows = (list_conflicts if ctx.args.sync_command == "conflicts" else list_rejections)(core.uows, tenant)
    if ctx.args.json:
        print_json({ctx.args.sync_command: rows})
        return 0
    if not rows:
        print(f"no open {'conflicts' if ctx.args.sync_command == 'conflicts' else 'rejections'}")
    for r in rows:
        if ctx.args.sync_command == "conflicts":
            print(f"{r['id']}  {r['table']} {r['row_id']}  server changed {r['server_updated_at'] or '?'}")
        else:
            print(f"{r['id']}  {len(r['changes'])} change(s): {r['reason']}")
    return 0


def resolve(ctx: CommandContext) -> int:
    from core.actions.sync import resolve_conflict

    core, tenant = _tenant(ctx)
    resolve_conflict(core.uows, tenant, uuid.UUID(ctx.args.conflict_id), ctx.args.action)
    print(f"conflict {ctx.args.conflict_id}: {ctx.args.action}")
    return 0


def settle_rejection(ctx: CommandContext) -> int:
    from core.actions.sync import resolve_rejection

    core, tenant = _tenant(ctx)
    resolve_rejection(core.uows, tenant, uuid.UUID(ctx.args.rejection_id), ctx.args.sync_command)
    print(f"rejection {ctx.args.rejection_id}: {ctx.args.sync_command}")
    return 0
