"""Write the command-line reference (`docs/cli.md`) from the parser itself, so it cannot go stale.

    python -m desktop_app.cli.reference > docs/cli.md

A test regenerates it and compares; the contract in `../shared/contracts/cli.md` stays the source
of truth for the names, JSON shapes and exit codes scripts rely on.
"""

from __future__ import annotations

import argparse
import sys

from desktop_app.cli.main import build_parser

HEADER = """# Command-line reference

`migration-discovery` (in `.venv/bin/` after `python dev.py run`, or `python -m desktop_app`) is the
app's command line; with no command it opens the desktop application. Every command that takes
`--json` prints one JSON object on stdout (and, with `--json`, errors as JSON on stderr).

Exit codes: **0** success; **2** bad input or usage — one message on stderr naming the file, sheet,
row and column where it applies, and what to do; **1** any other failure.

This page is generated from the parser (`python -m desktop_app.cli.reference > docs/cli.md`).
"""


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, tuple[argparse.ArgumentParser, str]]:
    """Each subcommand with the one-line help it was registered with."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            return {name: (sub, helps.get(name, "")) for name, sub in action.choices.items()}
    return {}


def _section(name: str, parser: argparse.ArgumentParser, depth: int, summary: str = "") -> list[str]:
    subs = _subparsers(parser)
    lines: list[str] = []
    if not subs:
        usage = " ".join(parser.format_usage().split())
        usage = usage.removeprefix("usage: ")
        lines += [f"{'#' * depth} `{name}`", ""]
        if summary or parser.description:
            lines += [summary or parser.description or "", ""]
        lines += ["```", usage, "```", ""]
        options = [a for a in parser._actions if not isinstance(a, argparse._HelpAction)]
        for a in options:
            names = ", ".join(a.option_strings) or a.metavar or a.dest
            help_text = (a.help or "").replace("%(default)s", str(a.default))
            lines.append(f"- `{names}`: {help_text}".rstrip(": "))
        lines.append("")
        return lines
    for sub_name, (sub, help_text) in subs.items():
        lines += _section(f"{name} {sub_name}", sub, depth, help_text)
    return lines


def reference() -> str:
    """The whole reference as Markdown."""
    parser = build_parser()
    parser.prog = "migration-discovery"
    lines = [HEADER, "## Global options", ""]
    for a in parser._actions:
        if a.option_strings and not isinstance(a, argparse._HelpAction):
            lines.append(f"- `{', '.join(a.option_strings)}`: {a.help or ''}")
    lines += ["", "## Commands", ""]
    for name, (sub, help_text) in _subparsers(parser).items():
        lines += _section(f"migration-discovery {name}", sub, 3, help_text)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    sys.stdout.write(reference())
