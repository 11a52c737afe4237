"""`migration-discovery`: the desktop app by default, plus the scripted commands of the CLI contract.

Exit codes: 0 success, 2 bad input or usage (one message naming file/sheet/row/column and what
to do), 1 any other failure. One message per failure on stderr, never a traceback: the details go
to the log file in the data directory (`desktop_app.logging_setup`), named on a `details:` line
when there are any; `-v` shows the log on stderr as well. With `--json` the failure is one JSON
object on stderr instead: `{"error", "hint", "file", "row", "column", "sheet", "exit_code",
"log_file"}` (plus `details` when the error carries any), the exit code unchanged.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from core.errors import MigrationDiscoveryError, UserInputError
from desktop_app.cli import (
    commands_agents,
    commands_analysis,
    commands_assets,
    commands_db,
    commands_flow,
    commands_gui,
    commands_import,
    commands_map,
    commands_plan,
    commands_profile,
    commands_reconcile,
    commands_sync,
)
from desktop_app.cli.context import CommandContext
from desktop_app.logging_setup import configure_logging, details_file

log = logging.getLogger("desktop_app.cli")

COMMAND_MODULES: tuple[ModuleType, ...] = (
    commands_gui,
    commands_db,
    commands_flow,
    commands_reconcile,
    commands_assets,
    commands_analysis,
    commands_import,
    commands_map,
    commands_profile,
    commands_agents,
    commands_plan,
    commands_sync,
)


class UsageError(SystemExit):
    """A command line argparse refused (exit code 2); `main` prints it as text or JSON."""

    def __init__(self, message: str, usage: str, prog: str) -> None:
        super().__init__(2)
        self.message, self.usage, self.prog = message, usage, prog


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors exit 2 with one line, like bad input
        raise UsageError(message, self.format_usage(), self.prog)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="migration-discovery", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="PostgreSQL server URL (env MD_DATABASE_URL)")
    parser.add_argument("--data-dir", default=None, help="where the embedded server lives (env MD_DATA_DIR)")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="also show the log (progress, error details) on stderr"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def describe_unexpected(exc: BaseException) -> str:
    """A readable line for database and other unexpected errors (no SQL dump, no traceback)."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    if "permission denied" in first or "must be owner" in first:
        return f"{first} — this command needs the database owner's login (--database-url)"
    return f"{type(orig or exc).__name__}: {first}"


def _data_dir(ctx: CommandContext) -> Path | None:
    """The data directory for the log file; None when the configuration itself is broken (the
    command then fails with that message)."""
    try:
        return ctx.settings.data_dir
    except MigrationDiscoveryError:
        return None


def error_json(exc: BaseException | None, message: str, code: int) -> dict[str, Any]:
    """A failure as the one JSON object `--json` commands write to stderr.

    `error` is the message itself; where it applies (file, sheet, row, column) and what to do
    (`hint`) are fields of their own, as the text line puts them together.
    """
    data: dict[str, Any] = {"error": message, "hint": None, "file": None, "row": None, "column": None}
    data["sheet"] = None
    if isinstance(exc, UserInputError):
        data.update(
            error=exc.message, hint=exc.hint, file=exc.file, row=exc.row, column=exc.column, sheet=exc.sheet
        )
        if exc.details:
            data["details"] = exc.details
    data["exit_code"] = code
    details = details_file()
    data["log_file"] = str(details) if details is not None else None
    return data


def _fail(message: str, code: int, *, as_json: bool = False, exc: BaseException | None = None) -> int:
    """The one message of a failure, plus where its details are when something was logged; with
    `--json` one JSON object on stderr instead (scripts parse it)."""
    if as_json:
        json.dump(error_json(exc, message, code), sys.stderr, ensure_ascii=False, default=str)
        sys.stderr.write("\n")
        sys.stderr.flush()
        return code
    print(f"error: {message}", file=sys.stderr)
    details = details_file()
    if details is not None:
        print(f"details: {details}", file=sys.stderr)
    return code


def _usage_failure(exc: UsageError, as_json: bool) -> int:
    if as_json:
        data = {
            "error": exc.message,
            "hint": f"see `{exc.prog} --help`",
            "file": None,
            "row": None,
            "column": None,
            "sheet": None,
            "exit_code": 2,
            "usage": exc.usage.strip(),
        }
        json.dump(data, sys.stderr, ensure_ascii=False)
        sys.stderr.write("\n")
    else:
        sys.stderr.write(exc.usage)
        print(f"migration-discovery: error: {exc.message}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(words)
    except UsageError as exc:
        return _usage_failure(exc, "--json" in words)
    as_json = bool(getattr(args, "json", False))
    handler: Callable[[CommandContext], int] | None = getattr(args, "handler", None)
    if handler is None:  # no subcommand: open the desktop application
        handler = commands_gui.run_gui
    global _ran_gui
    _ran_gui = handler is commands_gui.run_gui
    ctx = CommandContext(args)
    configure_logging(_data_dir(ctx), verbose=args.verbose)
    try:
        return handler(ctx)
    except UserInputError as exc:
        log.info("%s failed: %s", args.command or "gui", exc.describe(), exc_info=True)
        return _fail(exc.describe(), 2, as_json=as_json, exc=exc)
    except MigrationDiscoveryError as exc:
        log.info("%s failed: %s", args.command or "gui", exc, exc_info=True)
        return _fail(str(exc), 1, as_json=as_json, exc=exc)
    except BrokenPipeError:  # `… | head`: the reader has all it wanted; as other Unix tools, stop
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush
        return 141 if os.name == "posix" else 1  # 128 + SIGPIPE, what a shell reports for such a tool
    except KeyboardInterrupt:
        log.info("%s interrupted", args.command or "gui", exc_info=True)
        if as_json:
            return _fail("interrupted", 130, as_json=True)
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # unexpected: one line for the user, the traceback in the log file
        log.error("%s failed unexpectedly", args.command or "gui", exc_info=True)
        return _fail(describe_unexpected(exc), 1, as_json=as_json, exc=exc)
    finally:
        try:
            ctx.close()
        except Exception:  # closing must not replace the command's own outcome with a traceback
            log.warning("closing the database failed", exc_info=True)


_ran_gui = False


def entry() -> None:
    """The process entry point (`migration-discovery`, `python -m desktop_app`).

    Why not plain `sys.exit(main())`: a command has closed its database and written its output
    when `main` returns, yet about one CLI process in 35 was then killed by SIGABRT ("FATAL:
    exception not rethrown") while the interpreter tore down its native extensions — the JSON was
    out, but the exit status said "crashed". So a command flushes its streams and logs and ends the
    process with its own exit code right away. The desktop app exits the usual way (Qt's own
    teardown).
    """
    code = main()
    if _ran_gui:
        sys.exit(code)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more can be said
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
