"""Desktop GUI responsiveness, offscreen: start-up, opening a big mapping grid, GUI-thread stalls.

    .venv/bin/python benchmarks/gui.py                 # all three
    .venv/bin/python benchmarks/gui.py start grid      # some of them
    .venv/bin/python benchmarks/gui.py --rows 200000 --grid-rows 1000000 --grid-columns 200

start  Cold start to the first painted main window *with the database open* (embedded server
       started, migrated, sidebar loaded), in a fresh subprocess: first ever (a fresh data dir,
       so initdb runs) and warm (the same data dir again). Target < 3 s each.
grid   Opening the mapping review of an import with 1,000,000 raw rows × 200 columns: from
       selecting the import to the grid's rows painted, first open (fresh server, cold caches)
       and the median of four more. The import is generated set-based in SQL as the admin role
       (first run only; kept in benchmarks/output/). Target < 1 s.
stall  The GUI thread's longest stall while a 200,000-row CSV import runs through the task
       manager (the wizard's import path, progress shown): a 10 ms QTimer records the largest gap
       between ticks. Target < 100 ms.

The optional semantic matcher is switched off (MD_NO_SEMANTIC=1): suggestions are not what is
measured here. Figures are printed against their targets; nothing here asserts.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUTPUT = ROOT / "benchmarks" / "output"
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MD_NO_SEMANTIC", "1")

TARGETS = {"start": 3.0, "grid": 1.0, "stall": 0.100}


# ---------------------------------------------------------------------------------------- helpers


def _app() -> Any:
    from PySide6.QtCore import QCoreApplication, QSettings

    from desktop_app.app import application

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp(prefix="md-bench-qs-")
    )
    app = application()
    QCoreApplication.setOrganizationName("md-benchmark")
    return app


def _wait(app: Any, predicate: Any, timeout: float = 600.0) -> None:
    """Run the Qt event loop until `predicate()` (checked every 5 ms), like qtbot.waitUntil."""
    from PySide6.QtCore import QEventLoop, QTimer

    if predicate():
        return
    deadline = time.perf_counter() + timeout
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(5)

    def check() -> None:
        if predicate() or time.perf_counter() > deadline:
            loop.quit()

    timer.timeout.connect(check)
    timer.start()
    loop.exec()
    timer.stop()
    if not predicate():
        raise TimeoutError("benchmark step timed out")


def _verdict(value: float, target: float) -> str:
    return "OK " if value < target else "SLOW"


# ------------------------------------------------------------------------------------------ start


def child_start(data_dir: str, spawned_at: float) -> None:
    """In the subprocess: build the window, open the embedded database, report paint times."""
    t_import = time.time()
    from core.config import Identity, load_settings
    from desktop_app.app import build_window
    from desktop_app.main_window import FirstPaintWatcher
    from desktop_app.settings_store import SettingsStore

    app = _app()
    settings = dataclasses.replace(
        load_settings(data_dir=data_dir), identity=Identity("Bench", "bench@example.com")
    )
    marks: dict[str, float] = {"imports_done": time.time()}
    window, tasks = build_window(settings, SettingsStore())
    FirstPaintWatcher(window, lambda: marks.setdefault("first_paint", time.time()))

    def ready() -> None:
        window.repaint()  # the frame that shows the open database
        marks["ready_paint"] = time.time()

    window.ready.connect(ready)
    _wait(app, lambda: "ready_paint" in marks, timeout=120)
    print(
        json.dumps(
            {
                "python_start": t_import - spawned_at,
                "first_paint": marks.get("first_paint", marks["ready_paint"]) - spawned_at,
                "ready_paint": marks["ready_paint"] - spawned_at,
                "mode": tasks.core.db.mode if tasks.core else None,
            }
        )
    )
    sys.stdout.flush()
    tasks.shutdown()
    tasks.wait_for_workers(10)
    if tasks.core is not None:
        tasks.core.close()


def bench_start() -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="md-bench-start-"))
    results: dict[str, Any] = {}
    try:
        for label in ("first_ever", "warm"):
            spawned = time.time()
            proc = subprocess.run(
                [sys.executable, __file__, "--child-start", str(data_dir / "data"), repr(spawned)],
                capture_output=True,
                text=True,
                timeout=300,
                env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
            )
            if proc.returncode != 0:
                raise RuntimeError(proc.stderr[-2000:])
            line = [x for x in proc.stdout.splitlines() if x.startswith("{")][-1]
            results[label] = json.loads(line)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    for label, r in results.items():
        print(
            f"start {label:10s}: window painted {r['first_paint']:.2f} s, database open and painted "
            f"{r['ready_paint']:.2f} s (target < {TARGETS['start']:.0f} s) "
            f"{_verdict(r['ready_paint'], TARGETS['start'])}"
            f"  [interpreter + imports {r['python_start']:.2f} s, {r['mode']}]"
        )
    return results


# ------------------------------------------------------------------------------------------- grid


def _grid_core(data_dir: Path) -> Any:
    from core.bootstrap import bootstrap
    from core.config import Identity, load_settings

    settings = dataclasses.replace(
        load_settings(data_dir=str(data_dir)), identity=Identity("Bench", "bench@example.com")
    )
    return bootstrap(settings, identity=settings.identity)


def ensure_big_import(core: Any, rows: int, columns: int) -> tuple[Any, Any, Any]:
    """(engagement ref, import id, flow id) of the big import, generating it on first use."""
    from sqlalchemy import text

    from core import tenancy
    from core.actions import mapping as mapping_actions
    from core.flows import create_discovery_flow, mark_import_completed

    name = f"big-{rows}x{columns}.csv"
    ref = tenancy.ensure_engagement(core.db.admin_sessions(), "Benchmark Client", "Big estate", core.user_id)
    tenant = core.tenant_for(ref)
    with core.uow(tenant) as uow:
        found = uow.session.execute(
            text(
                "SELECT i.id, f.id FROM data_imports i JOIN discovery_flows f ON f.data_import_id = i.id "
                "WHERE i.filename = :n AND i.status = 'completed'"
            ),
            {"n": name},
        ).first()
    if found is not None:
        return ref, found[0], found[1]
    print(f"grid: generating {rows:,} rows × {columns} columns in SQL (first run only)…", flush=True)
    t0 = time.perf_counter()
    header = [f"Column {i:03d}" for i in range(columns)]
    for i, h in enumerate(
        ("Hostname", "IP Address", "Operating System", "RAM (MB)", "CPU Cores", "Environment")
    ):
        header[i] = h
    from core.db.models import DataImport

    with core.uow(tenant) as uow:
        imp = DataImport(
            filename=name,
            status="completed",
            columns=header,
            total_records=rows,
            processed_records=rows,
            client_account_id=ref.client_account_id,
            engagement_id=ref.engagement_id,
        )
        uow.session.add(imp)
        uow.session.flush()
        flow = create_discovery_flow(uow, data_import_id=imp.id, flow_name=f"Discovery of {name}")
        mark_import_completed(uow, flow.id)
        uow.commit()
        import_id, flow_id = imp.id, flow.id
    realistic = min(rows, 2000)
    with core.db.admin_engine.begin() as conn:
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        # the first records vary per column (they feed samples and suggestions) …
        conn.execute(
            text(f"""
            INSERT INTO raw_import_records
                (id, client_account_id, engagement_id, data_import_id, record_index, cells)
            SELECT gen_random_uuid(), :c, :e, :i, g + 1, ARRAY[
                'srv' || lpad(g::text, 7, '0'),
                '10.' || (g / 65536) % 256 || '.' || (g / 256) % 256 || '.' || g % 256,
                (ARRAY['Windows Server 2019','RHEL 8.6','Ubuntu 22.04'])[g % 3 + 1],
                ((g % 8 + 1) * 4096)::text,
                (g % 16 + 1)::text, (ARRAY['prod','test','dev'])[g % 3 + 1]]
              || ARRAY(SELECT 'v' || c || '-' || (g % 97) FROM generate_series(7, {columns}) c)
            FROM generate_series(1, :n) g"""),
            {"c": ref.client_account_id, "e": ref.engagement_id, "i": import_id, "n": realistic},
        )
        # … the bulk repeats one value per row (it is only stored and counted, never shown)
        conn.execute(
            text(f"""
            INSERT INTO raw_import_records
                (id, client_account_id, engagement_id, data_import_id, record_index, cells)
            SELECT gen_random_uuid(), :c, :e, :i, g + 1, array_fill(('r' || g)::text, ARRAY[{columns}])
            FROM generate_series(:start, :n) g"""),
            {
                "c": ref.client_account_id,
                "e": ref.engagement_id,
                "i": import_id,
                "start": realistic + 1,
                "n": rows,
            },
        )
    mapping_actions.generate_suggestions(core.uows, tenant, import_id, use_semantic=False)
    print(f"grid: generated in {time.perf_counter() - t0:.0f} s", flush=True)
    return ref, import_id, flow_id


def bench_grid(rows: int, columns: int, repeats: int = 5) -> dict[str, Any]:
    from desktop_app.event_loop import install_event_loop
    from desktop_app.screens.mapping_review.widget import MappingReviewScreen
    from desktop_app.screens.registry import ScreenContext, Selection
    from desktop_app.settings_store import SettingsStore
    from desktop_app.task_manager import TaskManager

    data_dir = OUTPUT / "gui-grid-data"
    app = _app()
    core = _grid_core(data_dir)
    try:
        ref, import_id, flow_id = ensure_big_import(core, rows, columns)
        tasks = TaskManager(install_event_loop(app))
        tasks.set_core(core)
        from desktop_app.warmup import warm_up

        warm_up()  # as the app does in the background right after the database opens
        times: list[float] = []
        for _ in range(repeats):
            screen = MappingReviewScreen(ScreenContext(tasks, SettingsStore(), lambda *_: None))
            screen.resize(1440, 860)
            screen.show()
            app.processEvents()
            t0 = time.perf_counter()
            screen.set_selection(
                Selection(
                    ref.client_account_id,
                    ref.client_name,
                    ref.engagement_id,
                    ref.engagement_name,
                    import_id,
                    "big.csv",
                    flow_id,
                )
            )
            screen.on_shown()
            _wait(app, lambda s=screen: s.is_loaded() and s.model.rowCount() == columns, timeout=60)
            screen.view.viewport().repaint()
            times.append(time.perf_counter() - t0)
            _wait(app, tasks.is_idle, timeout=60)
            screen.close()
            screen.deleteLater()
        tasks.shutdown()
        tasks.wait_for_workers(10)
    finally:
        core.close()
    first, warm = times[0], statistics.median(times[1:]) if len(times) > 1 else times[0]
    print(
        f"grid {rows:,}×{columns}: first open {first * 1000:.0f} ms, then median {warm * 1000:.0f} ms "
        f"(target < {TARGETS['grid'] * 1000:.0f} ms) {_verdict(max(first, warm), TARGETS['grid'])}"
    )
    return {"first_s": first, "median_s": warm, "all_s": times}


# ------------------------------------------------------------------------------------------ stall


def _write_csv(path: Path, rows: int) -> None:
    rnd = random.Random(7)
    header = [
        "Hostname",
        "FQDN",
        "IP Address",
        "Operating System",
        "CPU Count",
        "Memory (GB)",
        "Disk (GB)",
        "Environment",
        "Application",
        "Owner",
        "Location",
        "Serial Number",
        "Status",
        "Cluster",
    ]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for i in range(rows):
            w.writerow(
                [
                    f"srv{i:06d}",
                    f"srv{i:06d}.corp.example.com",
                    f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
                    rnd.choice(["Windows Server 2019", "RHEL 8.6", "Ubuntu 22.04"]),
                    rnd.choice([2, 4, 8, 16]),
                    rnd.choice([8, 16, 32, 64]),
                    rnd.choice([100, 250, 500]),
                    rnd.choice(["prod", "test", "dev"]),
                    f"app{i % 300}",
                    f"owner{i % 50}@example.com",
                    rnd.choice(["FRA", "AMS", "DUB"]),
                    f"SN{i:08d}",
                    "active",
                    f"cl{i % 20}",
                ]
            )


def bench_stall(rows: int) -> dict[str, Any]:
    from PySide6.QtCore import QTimer

    from core.config import Identity, load_settings
    from desktop_app.app import build_window
    from desktop_app.settings_store import SettingsStore
    from desktop_app.wizard.import_wizard import ImportWizard
    from desktop_app.wizard.service import Target

    work = Path(tempfile.mkdtemp(prefix="md-bench-stall-"))
    csv_path = work / "servers.csv"
    _write_csv(csv_path, rows)
    app = _app()
    settings = dataclasses.replace(
        load_settings(data_dir=str(work / "data")), identity=Identity("Bench", "b@example.com")
    )
    window, tasks = build_window(settings, SettingsStore())
    window.resize(1440, 860)
    _wait(app, lambda: window._ready_emitted, timeout=120)
    _wait(app, tasks.is_idle, timeout=120)  # start-up work (warm-up) done, as when a file is picked
    wizard = ImportWizard(tasks, window.store, None, window)
    wizard.show()
    wizard.path = str(csv_path)
    wizard.target = Target("Stall Client", "Stall Engagement", None)
    gaps: list[float] = []
    last = [time.perf_counter()]

    where: list[tuple[float, float, str]] = []  # (gap, at, import phase) for the report

    def tick() -> None:
        now = time.perf_counter()
        gap = now - last[0]
        gaps.append(gap)
        handle = wizard.import_task
        phase = handle.progress.text if handle is not None and handle.progress else "-"
        where.append((gap, now - t0, phase))
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    app.processEvents()
    t0 = time.perf_counter()
    last[0] = t0
    timer.start()
    wizard.start_import()
    _wait(app, lambda: wizard.import_task is None, timeout=600)
    timer.stop()
    elapsed = time.perf_counter() - t0
    outcome = wizard.outcome
    tasks.shutdown()
    app.processEvents()
    tasks.wait_for_workers(10)
    if tasks.core is not None:
        tasks.core.close()
    shutil.rmtree(work, ignore_errors=True)
    worst = max(gaps) if gaps else 0.0
    p99 = statistics.quantiles(gaps, n=100)[98] if len(gaps) >= 100 else worst
    rows_done = outcome.rows if outcome else 0
    print(
        f"stall during a {rows:,}-row import ({rows_done:,} imported in {elapsed:.1f} s, "
        f"{len(gaps):,} ticks): "
        f"longest GUI-thread gap {worst * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms "
        f"(target < {TARGETS['stall'] * 1000:.0f} ms) {_verdict(worst, TARGETS['stall'])}"
    )
    top = sorted(where, reverse=True)[:3]
    print(
        "  longest gaps: " + ", ".join(f"{g * 1000:.0f} ms at {at:.2f} s ({phase})" for g, at, phase in top)
    )
    return {"max_gap_s": worst, "p99_gap_s": p99, "ticks": len(gaps), "import_s": elapsed, "rows": rows_done}


def main() -> None:
    if len(sys.argv) >= 2 and sys.argv[1] == "--child-start":
        child_start(sys.argv[2], float(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="*", choices=["start", "grid", "stall", []], default=[])
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the stall import")
    parser.add_argument("--grid-rows", type=int, default=1_000_000)
    parser.add_argument("--grid-columns", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="also print all figures as JSON")
    args = parser.parse_args()
    which = args.which or ["start", "grid", "stall"]
    OUTPUT.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    if "start" in which:
        results["start"] = bench_start()
    if "grid" in which:
        results["grid"] = bench_grid(args.grid_rows, args.grid_columns)
    if "stall" in which:
        results["stall"] = bench_stall(args.rows)
    if args.json:
        print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
