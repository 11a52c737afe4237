"""AI crew overhead against the scripted local model, and start-up time with and without the [ai] extra.

    .venv/bin/python benchmarks/agents.py                 # 5 rounds, 12 columns under review
    .venv/bin/python benchmarks/agents.py --rounds 10 --columns 30 --json

What it measures (issue 16):
- A crew run's own cost: the model is `tests/agents/scripted_llm.py` on 127.0.0.1, answering at once
  (a tool call, then the task's JSON), so the seconds are CrewAI + our tools + the database, not a
  model. Each round imports a fresh CSV (the columns under review must be undecided and unsure) into
  a fresh embedded server, then runs the mapping crew and the quality crew: seconds, HTTP requests,
  prompt bytes (whole request bodies) and prompt bytes per column under review; min / median / max
  over the rounds. The first run of the process also pays `import crewai` (reported on its own).
- Start-up: `import desktop_app.app` and `migration-discovery --help` in fresh interpreters, with the
  extra installed and with crewai hidden from the import system (what an install without the extra
  sees: `find_spec("crewai")` is None), best and median of the rounds.

Manual step, for anyone with a local model server (not run here, no live model in CI): set
MD_LLM_BASE_URL / MD_LLM_MODEL, import the mapping benchmark's files, run
`migration-discovery agents run FLOW_ID --crew mapping --json` on each flow, then score the grid with
`../shared/benchmarks/mapping/score.py` for the columns the deterministic engine left unmapped.

Measured 2026-12-04 on the shared 2-vCPU dev box (load average ~2-3), crewai 1.15.30, 8 rounds,
12 columns under review (mapping) / 14 columns (quality):
- mapping crew (schema analysis → field mapping): 0.30 / 0.37 / 0.47 s (min / median / max),
  4 requests, 32.4 kB of request bodies per run = 2.7 kB per column under review;
- quality crew (schema analysis → data quality): 0.32 / 0.39 / 0.44 s, 4 requests, 25.4 kB per run
  = 1.8 kB per column; every request stays far below the 64 kB ceiling (`core.agents.budget`);
- `import crewai` in a fresh process (paid once, by the first crew run): 2.67 / 2.91 s (best / median);
- start-up, best / median of 8, interleaved: `import desktop_app.app` 0.77 / 0.88 s with the extra,
  0.74 / 0.99 s with crewai hidden; `--help` 0.098 / 0.106 s with, 0.102 / 0.127 s hidden — no
  difference beyond the noise: crewai is never imported at start (the CLI test in
  tests/foundation/test_cli_and_config.py checks the CLI's modules). Not measured: a venv that never
  had the extra (its ~140 distributions fewer on disk).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

OFFLINE = {
    "CREWAI_DISABLE_TELEMETRY": "true",
    "OTEL_SDK_DISABLED": "true",
    "CREWAI_DISABLE_VERSION_CHECK": "true",
    "CREWAI_TRACING_ENABLED": "false",
}
HIDE_CREWAI = (
    "import sys, importlib.abc\n"
    "class _Hide(importlib.abc.MetaPathFinder):\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name == 'crewai' or name.startswith('crewai.'):\n"
    "            raise ModuleNotFoundError(name)\n"
    "sys.meta_path.insert(0, _Hide())\n"
)


def write_csv(path: Path, unsure: int, rows: int = 200) -> None:
    """Two columns the rules map surely, `unsure` with made-up headers the rules cannot place."""
    header = ["Server Name", "IP Address"] + [f"Zq{i:02d} Flx" for i in range(unsure)]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for r in range(rows):
            ip = f"10.0.{r // 250}.{r % 250 + 1}"
            w.writerow([f"srv{r:04d}", ip] + [f"v{i}-{r % 7}" for i in range(unsure)])


def spread(values: list[float]) -> dict[str, float]:
    return {
        "min": round(min(values), 4),
        "median": round(statistics.median(values), 4),
        "max": round(max(values), 4),
    }


def startup(rounds: int) -> dict[str, Any]:
    """Fresh-interpreter times of the app's import and the CLI's --help, with crewai visible / hidden."""
    cases = {
        "import desktop_app.app": "import desktop_app.app",
        "cli --help": (
            "import contextlib, io, sys\nfrom desktop_app.cli.main import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        main(['--help'])\n    except SystemExit:\n        pass"
        ),
    }
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out: dict[str, Any] = {}
    variants = (("with extra", ""), ("crewai hidden", HIDE_CREWAI))
    for label, code in cases.items():
        times: dict[str, list[float]] = {v: [] for v, _ in variants}
        for i in range(rounds):  # interleaved, order alternating: a busy neighbour or a warm cache
            for variant, prefix in variants if i % 2 == 0 else variants[::-1]:  # favours neither
                t = time.perf_counter()
                subprocess.run([sys.executable, "-c", prefix + code], check=True, cwd=ROOT, env=env)
                times[variant].append(time.perf_counter() - t)
        for variant, found in times.items():
            out[f"{label} ({variant})"] = {
                "best": round(min(found), 3),
                "median": round(statistics.median(found), 3),
            }
    code = (
        "import os; os.environ.update(" + repr(OFFLINE) + "); import time; t = time.perf_counter(); "
        "import crewai; print(time.perf_counter() - t)"
    )
    found = [
        float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                             cwd=ROOT, env=env).stdout.strip().splitlines()[-1])
        for _ in range(max(1, rounds // 2))
    ]  # fmt: skip
    out["import crewai (fresh process)"] = {
        "best": round(min(found), 3),
        "median": round(statistics.median(found), 3),
    }
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--columns", type=int, default=12, help="columns under review per import")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--skip-startup", action="store_true")
    args = parser.parse_args(argv)

    import psycopg
    from agents.conftest import Script
    from agents.scripted_llm import ScriptedLLM
    from sqlalchemy.engine import make_url

    from core import tenancy
    from core.actions.agents import run_crew
    from core.agents.settings import LLMSettings
    from core.bootstrap import Core
    from core.config import Identity, Settings
    from core.db import migrate
    from core.db.database import Database, ensure_login_role
    from core.db.embedded import EmbeddedServer
    from core.imports import import_file

    tmp = Path(tempfile.mkdtemp(prefix="md-agents-bench-"))
    server = EmbeddedServer(tmp / "pg")
    server.start()
    result: dict[str, Any] = {"rounds": args.rounds, "columns_under_review": args.columns}
    try:
        base = server.url(database="postgres")
        with psycopg.connect(base.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute('CREATE DATABASE "md_agents_bench"')
        admin_url = server.url(database="md_agents_bench")
        migrate.upgrade(admin_url)
        role = "md_bench_consultant"
        app_url = make_url(admin_url).set(username=role, password=None).render_as_string(hide_password=False)
        db = Database(mode="shared", app_url=app_url, admin_url=admin_url)
        ensure_login_role(db.admin_engine, role)
        identity = Identity("Bench Consultant", "bench@example.com")
        user_id = tenancy.ensure_user(db.admin_sessions(), identity, role)
        core = Core(Settings(data_dir=tmp, database_url=app_url), db, identity, user_id)
        ref = tenancy.ensure_engagement(db.admin_sessions(), "Bench Client", "Bench Engagement", user_id)
        tenant = core.tenant_for(ref)
        script = Script()
        runs: dict[str, list[dict[str, Any]]] = {"mapping": [], "quality": []}
        with ScriptedLLM(script) as llm:
            settings = LLMSettings(base_url=llm.base_url, model="scripted-model", timeout_s=30)
            for i in range(args.rounds + 1):  # round 0 warms up (first crew build, caches)
                path = tmp / f"servers{i}.csv"
                write_csv(path, args.columns)
                flow_id = import_file(core.uows, tenant, path, allow_duplicate=True).flow_id
                for crew in ("mapping", "quality"):
                    t = time.perf_counter()
                    value = run_crew(core.uows, tenant, flow_id, crew, settings).value
                    seconds = time.perf_counter() - t
                    if i == 0:
                        continue
                    runs[crew].append(
                        {
                            "seconds": seconds,
                            "requests": value.requests,
                            "prompt_bytes": value.prompt_bytes,
                            "columns": value.columns,
                        }
                    )
        for crew, found in runs.items():
            result[crew] = {
                "seconds": spread([r["seconds"] for r in found]),
                "requests": spread([float(r["requests"]) for r in found]),
                "prompt_bytes": spread([float(r["prompt_bytes"]) for r in found]),
                "prompt_bytes_per_column": spread([r["prompt_bytes"] / max(1, r["columns"]) for r in found]),
                "columns": found[0]["columns"] if found else 0,
            }
        core.close()
    finally:
        server.stop()
    if not args.skip_startup:
        result["startup_s"] = startup(args.rounds)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:28} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
