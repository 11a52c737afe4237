"""Terminating the app (SIGTERM, e.g. at logout) closes it properly and stops the embedded server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_stops_the_app_and_its_embedded_server(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "MD_USER": "Test Consultant <tester@example.com>", "QT_QPA_PLATFORM": "offscreen"}
    env.pop("MD_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "desktop_app", "--data-dir", str(data)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    pid_file = data / "pgdata" / "postmaster.pid"
    try:
        deadline = time.monotonic() + 60
        while not pid_file.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pid_file.exists(), "the embedded server never started"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) is not None
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not pid_file.exists(), "the embedded server was left running"
    assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")
