"""`agents run FLOW_ID --crew mapping|quality|schema [--json]`: an AI second opinion (issue 16).

Runs one crew of `core.agents` on the flow's import against the configured OpenAI-compatible
endpoint (`MD_LLM_BASE_URL`, `MD_LLM_MODEL`, `MD_LLM_API_KEY`, else the app's settings and the
keyring). `--json` prints (contract):

    {"crew", "model", "tasks": [{"name", "status", "tokens"}, ...], "suggestions": <int>, "findings": <int>,
     "columns": {"reviewed": <int>, "left_out": <int>, "reviewed_columns": [...], "left_out_columns": [...],
                 "kept_decided_columns": [...], "limit": <int>}}

A run reviews at most `core.agents.budget.MAX_COLUMNS` columns: those named with `--column NAME`
(repeatable), else the first candidates in file order (every column for schema/quality, the columns
the rules are unsure about for mapping); `columns` says which were reviewed and which candidates were
left out (run again with `--column` for those).
`mapping` stores its proposals as `ai_agent` suggestions on undecided rows (never approved, never
over a consultant's decision); `quality` records findings; every run is kept in `crew_outputs`.
Exit 2 when no model is configured or the `[ai]` extra is missing; exit 1 when the model failed
(timeout, HTTP error, refused, malformed answer) — the message says what to do.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from desktop_app.cli.output import print_json

if TYPE_CHECKING:  # core (and crewai) load only when the command runs
    from core.agents.settings import LLMSettings
    from desktop_app.cli.context import CommandContext

CREWS = ("mapping", "quality", "schema")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("agents", help="AI crews on any OpenAI-compatible model: a second opinion")
    agents = p.add_subparsers(dest="agents_command", metavar="ACTION", required=True)
    run = agents.add_parser(
        "run",
        help="run a crew on a flow's import (env MD_LLM_BASE_URL, MD_LLM_MODEL, MD_LLM_API_KEY)",
    )
    run.add_argument("flow_id", metavar="FLOW_ID", help="the discovery flow (`import --json` prints it)")
    run.add_argument(
        "--crew",
        choices=CREWS,
        required=True,
        help="mapping: targets for unsure columns; quality: data-quality findings; schema: column analysis",
    )
    run.add_argument(
        "--column",
        action="append",
        default=None,
        dest="columns",
        metavar="NAME",
        help="review this column (repeatable; at most 40 per run); default: the first 40 candidates, "
        "and the output names the ones left out",
    )
    run.add_argument("--json", action="store_true", help="print the result as one JSON object")
    run.set_defaults(handler=run_agents)


def llm_settings(ctx: CommandContext) -> LLMSettings:
    """The endpoint from the environment, else the settings file, with the key from the keyring."""
    from desktop_app import ai_settings

    return ai_settings.current(ctx.settings.data_dir)


def run_agents(ctx: CommandContext) -> int:
    from core.actions.agents import run_crew
    from core.agents.runtime import CrewFailed
    from core.agents.settings import require_configured
    from core.flows import locate_flow
    from core.progress import Progress

    args = ctx.args
    settings = llm_settings(ctx)
    require_configured(settings)  # exit 2 before the database opens
    uows = ctx.core().uows
    tenant = locate_flow(uows, args.flow_id)

    def progress(p: Progress) -> None:
        if not args.json:
            print(f"  [{p.done}/{p.total}] {p.text}", file=sys.stderr, flush=True)

    try:
        result = run_crew(
            uows, tenant, args.flow_id, args.crew, settings, progress=progress, columns=args.columns
        ).value
    except CrewFailed as failure:
        message = f"the {args.crew} crew failed: {failure}"
        if args.json:
            data = {
                "error": message,
                "hint": failure.recovery_hint,
                "error_code": failure.error_code,
                "error_class": failure.error_class,
                "exit_code": 1,
            }
            json.dump(data, sys.stderr, ensure_ascii=False)
            sys.stderr.write("\n")
        else:
            print(f"error: {message} — {failure.recovery_hint}", file=sys.stderr)
        return 1
    if args.json:
        print_json(result.to_dict())
        return 0
    print(f"{result.crew} crew on {result.model}: {result.seconds:.1f} s, {result.requests} request(s)")
    for t in result.tasks:
        print(f"  {t['name']:<16} {t['status']:<10} {t['tokens']:>7} tokens")
    print(f"  {result.suggestions} AI suggestion(s) to review, {result.findings} finding(s)")
    reviewed, left_out = result.columns_reviewed, result.columns_left_out
    print(f"  reviewed {len(reviewed)} column(s), left out {len(left_out)}")
    if left_out:
        print(f"  left out: {', '.join(left_out)}")
        again = f"migration-discovery agents run {args.flow_id} --crew {args.crew} --column NAME"
        print(f"  review them with: {again}")
    if result.skipped_decided:
        print(f"  kept your decisions on: {', '.join(result.skipped_decided)}")
    return 0
