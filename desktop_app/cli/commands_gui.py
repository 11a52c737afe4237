"""`gui` (the default): open the desktop application."""

from __future__ import annotations

import argparse

from desktop_app.cli.context import CommandContext


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gui", help="open the desktop application (the default)")
    p.set_defaults(handler=run_gui)


def run_gui(ctx: CommandContext) -> int:
    from core.errors import UserInputError
    from desktop_app.platform_check import PlatformUnavailable, check_platform

    try:
        check_platform()  # before Qt: it aborts the process when it cannot open a window
    except PlatformUnavailable as exc:
        raise UserInputError(
            str(exc),
            hint="the README lists what the app needs on Linux; everything else works from the command line"
            " (`migration-discovery --help`)",
        ) from None
    from desktop_app.app import run  # Qt is imported only when the window is wanted

    return run(ctx.settings)
