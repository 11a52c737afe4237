"""docs/cli.md is the parser's own reference: it fails here when a command changed and it did not."""

from __future__ import annotations

from pathlib import Path

from desktop_app.cli.reference import reference

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_the_cli_reference_matches_the_parser() -> None:
    assert DOC.read_text(encoding="utf-8") == reference(), (
        "docs/cli.md is stale: run `python -m desktop_app.cli.reference > docs/cli.md`"
    )
