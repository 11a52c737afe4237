"""`migration-discovery`: the desktop app by default, plus the scripted commands of the CLI contract.

Exit codes: 0 success, 2 bad input or usage (one message naming file/sheet/row/column and what
to do), 1 any other failure. No tracebacks for expected failures.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

from core.errors import MigrationDiscoveryError, UserInputError
from desktop_app.cli import (
    commands_assets,
    commands_db,
    commands_flow,
    commands_gui,
    commands_import,
    commands_map,
    commands_reconcile,
)
from desktop_app.cli.context import CommandContext

COMMAND_MODULES: tuple[ModuleType, ...] = (
    commands_gui,
    commands_db,
    commands_flow,
    commands_reconcile,
    commands_assets,
    commands_import,
    commands_map,
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors exit 2 with one line, like bad input
        self.print_usage(sys.stderr)
        print(f"migration-discovery: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="migration-discovery", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="PostgreSQL server URL (env MD_DATABASE_URL)")
    parser.add_argument("--data-dir", default=None, help="where the embedded server lives (env MD_DATA_DIR)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def print_json(data: object) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def describe_unexpected(exc: BaseException) -> str:
    """A readable line for database and other unexpected errors (no SQL dump, no traceback)."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    if "permission denied" in first or "must be owner" in first:
        return f"{first} — this command needs the database owner's login (--database-url)"
    return f"{type(orig or exc).__name__}: {first}"


def write_crash_log(ctx: CommandContext) -> str | None:
    import tempfile
    import traceback

    try:
        directory = ctx.settings.data_dir if ctx.settings.data_dir.is_dir() else Path(tempfile.gettempdir())
        path = directory / "migration-discovery-error.log"
        path.write_text(traceback.format_exc(), encoding="utf-8")
        return str(path)
    except Exception:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr)
    handler: Callable[[CommandContext], int] | None = getattr(args, "handler", None)
    if handler is None:  # no subcommand: open the desktop application
        handler = commands_gui.run_gui
    ctx = CommandContext(args)
    try:
        return handler(ctx)
    except UserInputError as exc:
        print(f"error: {exc.describe()}", file=sys.stderr)
        return 2
    except MigrationDiscoveryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # unexpected: one line for the user, the traceback in a log file
        print(f"error: {describe_unexpected(exc)}", file=sys.stderr)
        log_path = write_crash_log(ctx)
        if log_path:
            print(f"details: {log_path}", file=sys.stderr)
        return 1
    finally:
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
