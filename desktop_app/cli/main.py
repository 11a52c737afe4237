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
from types import ModuleType

from core.errors import MigrationDiscoveryError, UserInputError
from desktop_app.cli import commands_db, commands_gui
from desktop_app.cli.context import CommandContext

COMMAND_MODULES: tuple[ModuleType, ...] = (commands_gui, commands_db)


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
    finally:
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
