"""One log file for both front ends: `<data dir>/logs/migration-discovery.log`, rotating.

Why: a failure is told to the user once — one line on stderr (CLI) or one dialog (GUI) — and what
it takes to understand it (tracebacks, the records leading up to it) goes to this file, which the
message names. `-v` also shows every record, tracebacks included, on stderr. Without `-v` nothing
from `logging` reaches stderr, so a failure is never followed by a page of tracebacks.

The file is opened on the first record (a command that logs nothing leaves no file behind). If the
data directory cannot hold it, the log goes to the temp directory instead; if that fails too, it is
dropped rather than breaking the command. Several processes may append to the same file; rotation
is per process (a process that rotated keeps writing to the new file, others may finish a record
in the old one), which loses nothing.
"""

from __future__ import annotations

import getpass
import logging
import logging.handlers
import os
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

LOG_DIR = "logs"
LOG_NAME = "migration-discovery.log"
MAX_BYTES = 5 * 1024 * 1024
BACKUP_COUNT = 3
FILE_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"
STDERR_FORMAT = "%(levelname)s %(name)s: %(message)s"
QUIET_LOGGERS = ("sqlalchemy",)


def log_path(data_dir: Path) -> Path:
    """Where the app logs for this data directory."""
    return Path(data_dir) / LOG_DIR / LOG_NAME


def _fallback_path() -> Path:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"migration-discovery-{user}" / LOG_NAME


class _AppLogFile(logging.handlers.RotatingFileHandler):
    """A rotating file opened on first use, in the data directory or else the temp directory."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8", delay=True)

    def _open(self) -> IO[Any]:
        for candidate in (Path(self.baseFilename), _fallback_path()):
            try:
                candidate.parent.mkdir(parents=True, exist_ok=True)
                self.baseFilename = str(candidate)
                return super()._open()
            except OSError:
                continue
        self.maxBytes = 0  # nowhere to write: drop records, never fail the command over its log
        return open(os.devnull, "a", encoding="utf-8")  # the handler owns and closes it

    @property
    def path(self) -> Path:
        return Path(self.baseFilename)


class _Watch(logging.Handler):
    """Notes whether anything worth reading (a warning or worse) was logged in this process."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen = False

    def emit(self, record: logging.LogRecord) -> None:
        self.seen = True


_OURS = "_md_log_handler"
_file: _AppLogFile | None = None
_watch = _Watch()


def configure_logging(data_dir: Path | None, *, verbose: bool | None = None) -> Path | None:
    """Send the app's log to the data directory's file (and to stderr when `verbose`); idempotent.

    `verbose=None` keeps what an earlier call chose (the desktop app, started by the CLI, keeps `-v`).
    Returns the log file's path (None without a data directory).
    """
    global _file
    root = logging.getLogger()
    had_stderr = any(getattr(h, _OURS, "") == "stderr" for h in root.handlers)
    for handler in [h for h in root.handlers if getattr(h, _OURS, None)]:
        if handler is _file and data_dir is not None and _file.path == log_path(data_dir):
            continue
        root.removeHandler(handler)
        if handler is _file:
            handler.close()
            _file = None
    if data_dir is not None and _file is None:
        _file = _AppLogFile(log_path(data_dir))
        _file.setFormatter(logging.Formatter(FILE_FORMAT))
        _file.setLevel(logging.INFO)
        setattr(_file, _OURS, "file")
        root.addHandler(_file)
    if _watch not in root.handlers:
        setattr(_watch, _OURS, "watch")
        root.addHandler(_watch)
    if verbose if verbose is not None else had_stderr:
        stderr = logging.StreamHandler(sys.stderr)
        stderr.setFormatter(logging.Formatter(STDERR_FORMAT))
        stderr.setLevel(logging.INFO)
        setattr(stderr, _OURS, "stderr")
        root.addHandler(stderr)
    root.setLevel(logging.INFO)
    for noisy in QUIET_LOGGERS:  # SQLAlchemy logs every statement at INFO unless told otherwise
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return _file.path if _file is not None else None


def details_file() -> Path | None:
    """The log file, when this process wrote a warning or an error to it (for "details: PATH")."""
    if _file is None or not _watch.seen:
        return None
    _file.flush()
    return _file.path if _file.path.exists() else None
