"""Entry point of the packaged app: the same `main` as the `migration-discovery` console script.

No arguments open the desktop application; arguments run the CLI subcommands. Three things only
a frozen build needs, kept here so the application code stays unaware of packaging:

- macOS: Finder may pass a `-psn_…` process-serial argument to an .app; it is not ours, drop it.
- Windows: the executable is a console program (so `migration-discovery db upgrade` prints in a
  terminal). Started from the Start menu with no arguments it would keep an empty console window
  open next to the GUI; when this process is the console's only user, the console is released.
- Linux: the bootloader points LD_LIBRARY_PATH at the bundle for this process; programs we start
  (PostgreSQL's initdb/pg_ctl/postgres, xdg-open behind "open file") must see the user's original
  value instead, or they load the bundle's copies of system libraries.
- `MD_SMOKE_EXIT_AFTER_S=N` (packaging smoke test only): quit the GUI's event loop after N
  seconds, so the normal shutdown path (stop background work, stop the embedded server) runs.
"""

from __future__ import annotations

import multiprocessing
import os
import sys


def _drop_process_serial_number(argv: list[str]) -> list[str]:
    return [a for a in argv if not a.startswith("-psn_")]


def _opens_gui(argv: list[str]) -> bool:
    """True when these arguments open the desktop app (no subcommand, or `gui`)."""
    import contextlib
    import io

    from desktop_app.cli import commands_gui
    from desktop_app.cli.main import build_parser

    if any(a in ("-h", "--help") for a in argv):
        return False
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            args, _rest = build_parser().parse_known_args(argv)
    except SystemExit:  # a usage error: main() reports it on the console
        return False
    return getattr(args, "handler", None) in (None, commands_gui.run_gui)


def _release_console_if_own() -> None:
    """Windows, GUI start: close the console window Windows opened just for this process."""
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    processes = (ctypes.c_uint * 4)()
    if kernel32.GetConsoleProcessList(processes, 4) == 1:  # nobody else (no cmd/PowerShell) is attached
        kernel32.FreeConsole()
        devnull = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
        sys.stdout = sys.stderr = devnull


def _restore_library_path_for_children() -> None:
    """Give child processes the LD_LIBRARY_PATH the user had (this process already has its libraries)."""
    original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if original is not None:
        os.environ["LD_LIBRARY_PATH"] = original
    else:
        os.environ.pop("LD_LIBRARY_PATH", None)


def _install_smoke_exit(seconds: float) -> None:
    """Schedule QApplication.quit() once the application object exists (smoke tests only)."""
    from PySide6.QtCore import QTimer

    from desktop_app import app as app_module

    original = app_module.application
    scheduled = []

    def application():  # type: ignore[no-untyped-def]
        qapp = original()
        if not scheduled:
            scheduled.append(True)
            QTimer.singleShot(int(seconds * 1000), qapp.quit)
        return qapp

    app_module.application = application  # build_window() and run() look it up at call time


def run() -> int:
    multiprocessing.freeze_support()
    argv = _drop_process_serial_number(sys.argv[1:])
    if sys.platform.startswith("linux") and getattr(sys, "frozen", False):
        _restore_library_path_for_children()
    if sys.platform == "win32" and getattr(sys, "frozen", False) and _opens_gui(argv):
        _release_console_if_own()
    smoke = os.environ.get("MD_SMOKE_EXIT_AFTER_S")
    if smoke:
        _install_smoke_exit(float(smoke))

    from desktop_app.cli.main import main

    return main(argv)


if __name__ == "__main__":
    sys.exit(run())
