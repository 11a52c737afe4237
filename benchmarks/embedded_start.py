"""Start-up time of the embedded PostgreSQL server: cold first run, warm start, attach, stop.

Each figure is measured in a fresh Python process (nothing cached in-process), `--repeat` times,
on a new temporary data directory per round:

- `server cold`: `EmbeddedServer(dir).start()` on an empty directory (initdb + first start);
- `server warm`: `start()` again on the now initialised, stopped directory;
- `server attach`: `start()` while another process holds the running server;
- `server stop`: `stop()` of the last holder (fast shutdown, waited for);
- `open cold` / `open warm`: `open_database()` as the app does it (server, database, migrations,
  login role) on a fresh / an existing data directory.

Run: `.venv/bin/python benchmarks/embedded_start.py [--repeat 3] [--json]`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from core.db.embedded import EmbeddedServer
from core.config import Settings
from core.db.database import open_database
what, data = sys.argv[1], Path(sys.argv[2])
out = {{}}
if what == "server":
    s = EmbeddedServer(data)
    t = time.perf_counter(); s.start(); out["start"] = time.perf_counter() - t
    t = time.perf_counter(); s.stop(); out["stop"] = time.perf_counter() - t
elif what == "hold":
    s = EmbeddedServer(data); s.start(); print("ready", flush=True); sys.stdin.read(); s.stop()
else:
    t = time.perf_counter(); db = open_database(Settings(data_dir=data))
    out["open"] = time.perf_counter() - t
    db.close()
print(json.dumps(out), flush=True)
"""


def _child(what: str, data: Path) -> dict[str, float]:
    code = _CHILD.format(root=str(ROOT))
    res = subprocess.run(
        [sys.executable, "-c", code, what, str(data)], capture_output=True, text=True, check=True
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def _attach(data: Path) -> float:
    code = _CHILD.format(root=str(ROOT))
    holder = subprocess.Popen(
        [sys.executable, "-c", code, "hold", str(data)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        return _child("server", data)["start"]
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures: dict[str, list[float]] = {
        k: []
        for k in ("server cold", "server warm", "server attach", "server stop", "open cold", "open warm")
    }
    for _ in range(args.repeat):
        work = Path(tempfile.mkdtemp(prefix="md-embedded-bench-"))
        work.chmod(0o755)  # the server runs as another OS user when this runs as root
        try:
            cold = _child("server", work / "a")
            figures["server cold"].append(cold["start"])
            warm = _child("server", work / "a")
            figures["server warm"].append(warm["start"])
            figures["server stop"].append(warm["stop"])
            figures["server attach"].append(_attach(work / "a"))
            figures["open cold"].append(_child("open", work / "b")["open"])
            figures["open warm"].append(_child("open", work / "b")["open"])
        finally:
            shutil.rmtree(work, ignore_errors=True)
    medians = {k: round(statistics.median(v), 3) for k, v in figures.items()}
    if args.json:
        print(json.dumps({"median_s": medians, "runs_s": figures}))
        return
    for name, values in figures.items():
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"{name:14s} median {medians[name]:.2f} s   ({runs})")


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"(total {time.perf_counter() - start:.0f} s)", file=sys.stderr)
