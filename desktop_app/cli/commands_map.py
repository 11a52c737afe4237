"""`map suggest FILE [--sheet NAME] --json [--no-semantic]`: suggest a target field for every column.

Needs no database and works offline: it reads the file through `core.ingest`, runs the
Qt-free suggester in `core.mapping` and prints the contract's JSON object (one entry per
source column, in file order). Bad input exits 2 with one message on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.errors import UserInputError
from desktop_app.cli.output import print_json

SAMPLE_ROWS = 200


def _subcommands(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The `map` group's own subcommands, shared with other modules that add `map ...` commands."""
    parser = sub.choices.get("map")
    if parser is None:
        parser = sub.add_parser("map", help="column mapping: suggest targets for a file's columns")
    for action in parser._actions:  # another module may already have created the group
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest="map_command", metavar="MAP_COMMAND", required=True)


def register(sub: argparse._SubParsersAction) -> None:
    msub = _subcommands(sub)
    p = msub.add_parser(
        "suggest", help="suggest a target field (or none) for every column of FILE; no database"
    )
    p.add_argument("file", metavar="FILE", help="CSV/TSV, XLSX, JSON or ZIP inventory export")
    p.add_argument(
        "--sheet", default=None, metavar="NAME", help="worksheet (XLSX), member (ZIP) or array (JSON)"
    )
    p.add_argument("--json", action="store_true", help="print the contract's JSON object")
    p.add_argument("--no-semantic", action="store_true", help="do not use the optional embedding model")
    p.set_defaults(handler=suggest)
    from desktop_app.cli.commands_map_review import register_review  # accept/generate/list/finish

    register_review(msub)
    from desktop_app.cli.commands_map_memory import register_memory  # forget

    register_memory(msub)


def read_columns(path: str, sheet: str | None) -> list[tuple[str, list[str]]]:
    """(header exactly as in the file, up to SAMPLE_ROWS sample values) per column, in file order."""
    from core.ingest import open_table

    if not Path(path).exists():
        raise UserInputError("file not found", file=path, hint="check the path")
    with open_table(path, sheet=sheet) as table:
        columns = table.info.columns
        rows = table.sample(n=SAMPLE_ROWS)
    if not columns:
        raise UserInputError("no columns found", file=path, sheet=sheet, hint="is the header row empty?")
    return [
        (col.original, [row[col.position] if col.position < len(row) else "" for row in rows])
        for col in columns
    ]


def suggest_for_file(
    path: str, *, sheet: str | None = None, use_semantic: bool | None = None
) -> dict[str, Any]:
    """The `map suggest` JSON object for a file."""
    from core.mapping import suggest_mappings

    columns = read_columns(path, sheet)
    suggestions = suggest_mappings(columns, use_semantic=use_semantic)
    return {"source": path, "mappings": [s.contract_dict() for s in suggestions]}


def _text(result: dict[str, Any]) -> str:
    lines = [f"{result['source']}: {len(result['mappings'])} columns"]
    width = max((len(m["source_field"]) for m in result["mappings"]), default=10)
    for m in result["mappings"]:
        target = m["target_field"] or "—"
        rules = m["transformation_rules"] or {}
        extra = f" ×{rules['scale']:g}" if "scale" in rules else ""
        extra += " (inverted)" if rules.get("invert") else ""
        lines.append(
            f"  {m['source_field']:<{width}}  {target:<28} {m['confidence']:.2f} {m['match_type']:<13}{extra}"
        )
        lines.append(f"  {'':<{width}}  {m['explanation']}")
    return "\n".join(lines)


def suggest(ctx: Any) -> int:
    """Handler: accepts the CLI's CommandContext or a bare argparse.Namespace."""
    args = getattr(ctx, "args", ctx)
    try:
        result = suggest_for_file(
            args.file, sheet=args.sheet, use_semantic=False if args.no_semantic else None
        )
    except UserInputError as exc:
        print(f"error: {exc.describe()}", file=sys.stderr)
        return 2
    if args.json:
        print_json(result)
    else:
        print(_text(result))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone entry (`python -m desktop_app.cli.commands_map map suggest FILE --json`)."""
    parser = argparse.ArgumentParser(prog="migration-discovery")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
