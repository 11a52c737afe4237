"""Scrolling the 100,000-asset inventory table, offscreen: frame times while pages load lazily.

    .venv/bin/python benchmarks/asset_table.py                  # 100,000 assets
    .venv/bin/python benchmarks/asset_table.py --assets 250000 --json

Setup (first run only, kept in benchmarks/output/asset-table-data/): an embedded server, an
engagement and N assets generated set-based in SQL as the admin role (typed fields, per-field
lineage, ~5 % with conflicting sources) — the inventory phase itself is measured by
benchmarks/inventory.py.

Measured, on the real asset screen (model, view, delegates, task manager on the qasync loop):
- a *frame* is one scroll step: `verticalScrollBar().setValue(...)` then a synchronous
  `viewport().repaint()`; its time is that GUI-thread work (what the user waits for before the
  next frame). Steps are small (a wheel notch), page-sized, and far jumps that land on pages not
  fetched yet (the frame then paints placeholders and requests the page in the background).
  Between steps the event loop runs for ~16 ms (a 60 Hz frame budget), so fetched pages arrive as
  they would while a user scrolls. Target: p99 < 50 ms.
- page latency: from a jump to a not-yet-loaded page until its rows are painted (background
  query + delivery), and the size of the SQL page query at that depth. No target; reported.
- the same after a header click sorting by memory (descending) and with a search filter.

Figures are printed against their targets; nothing here asserts.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUTPUT = ROOT / "benchmarks" / "output"
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TARGET_P99_S = 0.050
FRAME_GAP_S = 0.016


# ---------------------------------------------------------------------------------------- setup


def _core(data_dir: Path) -> Any:
    from core.bootstrap import bootstrap
    from core.config import Identity, load_settings

    settings = dataclasses.replace(
        load_settings(data_dir=str(data_dir)), identity=Identity("Bench", "bench@example.com")
    )
    return bootstrap(settings, identity=settings.identity)


_GENERATE = """
INSERT INTO assets (
    id, client_account_id, engagement_id, asset_name, hostname, fqdn, asset_type, ip_address,
    serial_number, operating_system, os_family, environment, cpu_cores, memory_gb, storage_gb,
    is_virtual, power_state, application_name, business_criticality, discovery_source, vcenter,
    cluster, install_date, source_record_ids, field_lineage, field_conflicts, identity_key)
SELECT gen_random_uuid(), :c, :e,
       h, h, h || '.' || d, CASE WHEN g % 4 = 0 THEN 'server' ELSE 'virtual_machine' END,
       '10.' || (g / 65536) % 256 || '.' || (g / 256) % 256 || '.' || g % 256,
       'SN' || lpad(g::text, 8, '0'),
       (ARRAY['Windows Server 2019 Standard','Red Hat Enterprise Linux 8','Ubuntu 22.04 LTS',
              'Windows Server 2016 Datacenter','SUSE Linux Enterprise 15'])[g % 5 + 1],
       (ARRAY['windows','linux','linux','windows','linux'])[g % 5 + 1],
       (ARRAY['production','test','development','uat'])[g % 4 + 1],
       (ARRAY[2,4,8,16,32])[g % 5 + 1], (ARRAY[4,8,16,32,64,128])[g % 6 + 1]::float8,
       ((g % 40) * 25 + 50)::float8, g % 4 <> 0,
       CASE WHEN g % 9 = 0 THEN 'poweredOff' ELSE 'poweredOn' END,
       'app' || (g % 700), (ARRAY['Tier 1','Tier 2','Tier 3','Tier 4'])[g % 4 + 1],
       (ARRAY['RVTools','ServiceNow CMDB','Spreadsheet'])[g % 3 + 1],
       'vc0' || (g % 3 + 1) || '.corp.example.com', 'cl' || (g % 40),
       timestamptz '2015-01-01' + (g % 3000) * interval '1 day',
       jsonb_build_array(gen_random_uuid()::text, gen_random_uuid()::text),
       jsonb_build_object(
         'hostname', jsonb_build_object('import_id', CAST(:i AS text), 'record_id', gen_random_uuid()::text,
             'record_index', g + 1, 'source_column', 'VM', 'raw_value', upper(h), 'rule', 'text: trimmed'),
         'memory_gb', jsonb_build_object('import_id', CAST(:i AS text), 'record_id', gen_random_uuid()::text,
             'record_index', g + 1, 'source_column', 'Memory', 'raw_value',
             ((ARRAY[4,8,16,32,64,128])[g % 6 + 1] * 1024)::text, 'rule', 'number × 0.0009765625')),
       CASE WHEN g % 20 = 0 THEN jsonb_build_object('memory_gb', jsonb_build_object(
             'chosen', (ARRAY[4,8,16,32,64,128])[g % 6 + 1],
             'values', jsonb_build_array(
                 jsonb_build_object('value', (ARRAY[4,8,16,32,64,128])[g % 6 + 1],
                                    'filename', 'rvtools.xlsx'),
                 jsonb_build_object('value', 12, 'filename', 'server_list.xlsx'))))
            ELSE '{}'::jsonb END,
       'fqdn:' || h || '.' || d
  FROM (SELECT g,
               (ARRAY['fra','ams','lon','nyc','sgp','muc'])[g % 6 + 1]
                 || (ARRAY['web','app','db','fs','dc','sql','mq','k8s','etl','bi'])[(g / 6) % 10 + 1]
                 || lpad(g::text, 6, '0') AS h,
               (ARRAY['corp.example.com','dmz.example.com','emea.example.net'])[g % 3 + 1] AS d
          FROM generate_series(1, CAST(:n AS int)) g) s
"""


def ensure_assets(core: Any, n: int) -> Any:
    """The benchmark engagement with `n` assets (generated on first use)."""
    from sqlalchemy import text

    from core import tenancy
    from core.inventory import count_assets

    ref = tenancy.ensure_engagement(
        core.db.admin_sessions(), "Benchmark Client", f"Asset table {n}", core.user_id
    )
    with core.uow(core.tenant_for(ref)) as uow:
        have = count_assets(uow)
    if have == n:
        return ref
    print(f"setup: generating {n:,} assets in SQL (first run only)…", flush=True)
    t0 = time.perf_counter()
    with core.db.admin_engine.begin() as conn:
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        conn.execute(text("DELETE FROM assets WHERE engagement_id = :e"), {"e": ref.engagement_id})
        conn.execute(
            text(_GENERATE),
            {"c": ref.client_account_id, "e": ref.engagement_id, "i": str(ref.engagement_id), "n": n},
        )
    with core.db.admin_engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE assets"))
    print(f"setup: generated in {time.perf_counter() - t0:.1f} s", flush=True)
    return ref


# -------------------------------------------------------------------------------------- measuring


def _app() -> Any:
    from PySide6.QtCore import QCoreApplication, QSettings

    from desktop_app.app import application
    from desktop_app.theme import apply_theme

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp(prefix="md-bench-qs-")
    )
    app = application()  # also the GUI's GIL switch interval
    QCoreApplication.setOrganizationName("md-benchmark")
    apply_theme(app, "light")  # the stylesheet the app runs with (it costs some painting)
    return app


def _pump(app: Any, seconds: float, until: Any = None) -> bool:
    """Run the Qt event loop for `seconds` (or until `until()`); True when `until` became true."""
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.perf_counter() + seconds
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(2)

    def check() -> None:
        if (until is not None and until()) or time.perf_counter() >= deadline:
            loop.quit()

    timer.timeout.connect(check)
    timer.start()
    loop.exec()
    timer.stop()
    return bool(until and until())


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class Stalls:
    """Largest gap between ticks of a 10 ms timer: how long the GUI thread was busy at a stretch."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.gaps: list[float] = []
        self.where: list[tuple[float, str]] = []
        self.phase = ""
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self.where.append((now - self._last, self.phase))
        self._last = now

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return max(self.gaps, default=0.0)


class GcPauses:
    """Durations of the interpreter's garbage collections (a full one can stall a frame)."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._t0 = 0.0

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.pauses.append((int(info.get("generation", 0)), time.perf_counter() - self._t0))

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *_exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def longest(self, generation: int | None = None) -> float:
        return max((d for g, d in self.pauses if generation is None or g == generation), default=0.0)


def _scroll(app: Any, screen: Any, targets: list[int], *, wait_loaded: bool) -> dict[str, Any]:
    """Scroll to each target row; time each frame (setValue + synchronous repaint)."""
    view, model = screen.view, screen.model
    bar = view.verticalScrollBar()
    frames: list[float] = []
    latencies: list[float] = []
    misses = 0
    for target in targets:
        t0 = time.perf_counter()
        bar.setValue(target)
        view.viewport().repaint()
        frames.append(time.perf_counter() - t0)
        top = max(0, view.rowAt(0))
        if not model.is_row_loaded(top):
            misses += 1
            if wait_loaded:
                loaded = _pump(app, 10.0, lambda t=top: model.is_row_loaded(t))
                t1 = time.perf_counter()
                view.viewport().repaint()  # the frame that shows the page
                frames.append(time.perf_counter() - t1)
                if loaded:
                    latencies.append(t1 - t0)
                continue
        _pump(app, FRAME_GAP_S)
    return {"frames": frames, "latencies": latencies, "misses": misses}


def _report(label: str, result: dict[str, Any]) -> dict[str, Any]:
    frames = result["frames"]
    out = {
        "frames": len(frames),
        "p50_ms": _pct(frames, 50) * 1000,
        "p95_ms": _pct(frames, 95) * 1000,
        "p99_ms": _pct(frames, 99) * 1000,
        "max_ms": max(frames, default=0) * 1000,
        "steps_on_unloaded_pages": result["misses"],
    }
    line = (
        f"  {label:<34s} {len(frames):4d} frames: p50 {out['p50_ms']:5.1f} ms · p95 {out['p95_ms']:5.1f} ms"
        f" · p99 {out['p99_ms']:5.1f} ms · max {out['max_ms']:5.1f} ms · {result['misses']} on unloaded pages"
    )
    if result["latencies"]:
        lat = result["latencies"]
        out["page_latency_p50_ms"] = _pct(lat, 50) * 1000
        out["page_latency_p95_ms"] = _pct(lat, 95) * 1000
        line += (
            f" · page filled after p50 {out['page_latency_p50_ms']:.0f}"
            f" / p95 {out['page_latency_p95_ms']:.0f} ms"
        )
    print(line, flush=True)
    return out


def _sql_timings(core: Any, ref: Any, columns: list[str], n: int) -> dict[str, float]:
    from core.inventory import count_assets
    from core.queries import asset_pages

    out: dict[str, float] = {}
    with core.uow(core.tenant_for(ref)) as uow:
        t0 = time.perf_counter()
        count_assets(uow)
        out["count_ms"] = (time.perf_counter() - t0) * 1000
        for offset in (0, n // 2, max(0, n - 200)):
            t0 = time.perf_counter()
            asset_pages.fetch_page(uow, columns=columns, offset=offset, limit=200)
            out[f"page_at_{offset}_ms"] = (time.perf_counter() - t0) * 1000
    return out


def bench(n: int, seed: int) -> dict[str, Any]:
    from desktop_app.event_loop import install_event_loop
    from desktop_app.screens.assets.screen import AssetsScreen
    from desktop_app.screens.registry import ScreenContext, Selection
    from desktop_app.settings_store import SettingsStore
    from desktop_app.task_manager import TaskManager
    from desktop_app.warmup import warm_up

    app = _app()
    core = _core(OUTPUT / "asset-table-data")
    results: dict[str, Any] = {"assets": n}
    try:
        ref = ensure_assets(core, n)
        tasks = TaskManager(install_event_loop(app))
        tasks.set_core(core)
        warm_up()
        screen = AssetsScreen(ScreenContext(tasks, SettingsStore(), lambda *_: None))
        screen.resize(1440, 900)
        screen.show()
        selection = Selection(ref.client_account_id, ref.client_name, ref.engagement_id, ref.engagement_name)
        t0 = time.perf_counter()
        screen.set_selection(selection)
        screen.on_shown()
        _pump(app, 60, lambda: screen.model.is_loaded)
        screen.view.viewport().repaint()
        results["open_ms"] = (time.perf_counter() - t0) * 1000
        _pump(app, 60, tasks.is_idle)
        model, view = screen.model, screen.view
        assert model.rowCount() == n, (model.rowCount(), n)
        bar = view.verticalScrollBar()
        rows_visible = max(1, view.viewport().height() // view.verticalHeader().defaultSectionSize())
        print(
            f"[load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs] "
            f"asset table: {n:,} assets, {len(model.columns)} columns, {rows_visible} rows visible, "
            f"first rows painted {results['open_ms']:.0f} ms after opening",
            flush=True,
        )
        rng = random.Random(seed)
        stalls = Stalls()
        gc_pauses = GcPauses().__enter__()
        stalls.start()
        scenarios: dict[str, dict[str, Any]] = {}
        # a wheel notch is 3 rows: 400 notches from the top cross 6 page boundaries
        stalls.phase = "wheel"
        scenarios["wheel (3 rows a step)"] = _scroll(
            app, screen, [3 * i for i in range(1, 401)], wait_loaded=False
        )
        start = bar.value()
        stalls.phase = "page down"
        scenarios["page down (a screen a step)"] = _scroll(
            app, screen, [start + rows_visible * i for i in range(1, 151)], wait_loaded=False
        )
        stalls.phase = "jumps"
        jumps = [rng.randrange(0, bar.maximum()) for _ in range(60)]
        scenarios["random jumps (drag / Ctrl+End)"] = _scroll(app, screen, jumps, wait_loaded=True)
        stalls.phase = "fast drag"
        flings = [min(bar.maximum(), 40_000 + 600 * i) for i in range(100)]  # a fast drag: 600 rows a frame
        scenarios["fast drag (600 rows a frame)"] = _scroll(app, screen, flings, wait_loaded=False)
        stalls.phase = "sorting"
        model.sort(model.column_of("memory_gb"), 1)  # Qt.SortOrder.DescendingOrder
        _pump(app, 60, lambda: model.is_loaded and model.query.sort == "memory_gb")
        stalls.phase = "sorted jumps"
        sorted_jumps = [rng.randrange(0, bar.maximum()) for _ in range(30)]
        scenarios["sorted by memory: jumps"] = _scroll(app, screen, sorted_jumps, wait_loaded=True)
        stalls.phase = "filtering"
        screen.filters.search.setText("web")
        screen.filters._emit()
        _pump(app, 60, lambda: model.is_loaded and model.query.search == "web")
        results["filtered_rows"] = model.rowCount()
        fmax = max(1, bar.maximum())
        stalls.phase = "filtered scrolling"
        filtered = [rng.randrange(0, fmax) for _ in range(30)] + [3 * i for i in range(100)]
        scenarios["search 'web': jumps + wheel"] = _scroll(app, screen, filtered, wait_loaded=True)
        longest = stalls.stop()
        gc_pauses.__exit__()
        _pump(app, 60, tasks.is_idle)
        results["pages_requested"] = model.pages_requested
        results["pages_skipped"] = model.pages_skipped
        results["scenarios"] = {label: _report(label, r) for label, r in scenarios.items()}
        every = [f for r in scenarios.values() for f in r["frames"]]
        p99 = _pct(every, 99)
        results["p99_ms"] = p99 * 1000
        results["max_frame_ms"] = max(every) * 1000
        results["longest_gui_stall_ms"] = longest * 1000
        results["gc"] = {
            "collections": len(gc_pauses.pauses),
            "full_collections": sum(1 for g, _d in gc_pauses.pauses if g == 2),
            "longest_ms": gc_pauses.longest() * 1000,
            "longest_full_ms": gc_pauses.longest(2) * 1000,
        }
        slow = sorted((f for f in every if f >= TARGET_P99_S), reverse=True)
        verdict = "OK " if p99 < TARGET_P99_S else "SLOW"
        print(
            f"all {len(every)} frames: p50 {_pct(every, 50) * 1000:.1f} ms · p99 {p99 * 1000:.1f} ms "
            f"(target < {TARGET_P99_S * 1000:.0f} ms) {verdict} · max {max(every) * 1000:.1f} ms",
            flush=True,
        )
        print(
            "longest GUI-thread stall while scrolling (10 ms timer, incl. page delivery):"
            f" {longest * 1000:.0f} ms"
            f" ({', '.join(f'{g * 1000:.0f} ms in {w}' for g, w in sorted(stalls.where, reverse=True)[:3])});"
            f" pages requested {model.pages_requested}, skipped as stale {model.pages_skipped}",
            flush=True,
        )
        g = results["gc"]
        print(
            f"frames ≥ {TARGET_P99_S * 1000:.0f} ms: {len(slow)}"
            f" ({', '.join(f'{f * 1000:.0f}' for f in slow[:6])});"
            f" Python GC meanwhile: {g['collections']} collections, {g['full_collections']} full,"
            f" longest {g['longest_ms']:.0f} ms (full {g['longest_full_ms']:.0f} ms)",
            flush=True,
        )
        results["sql"] = _sql_timings(core, ref, list(model.columns), n)
        sql = results["sql"]
        print(
            "SQL (background, per query): count "
            + f"{sql['count_ms']:.0f} ms · "
            + " · ".join(
                f"page at row {k[8:-3]} {v:.0f} ms" for k, v in sql.items() if k.startswith("page_at_")
            ),
            flush=True,
        )
        screen.close()
        screen.deleteLater()
        tasks.shutdown()
        _pump(app, 0.2)  # deliver the deferred delete and the cancelled tasks
        tasks.wait_for_workers(10)
    finally:
        core.close()
    return results


def _pyside_emit_leaks_true() -> bool:
    """PySide6 6.12.0: `SignalInstance.emit()` returns True without a reference (each emit drops
    True's refcount by one), which ends in "Fatal Python error: bool_dealloc" once enough signals
    were emitted — here at interpreter exit. Detected, reported, and then the process exits hard."""
    from PySide6.QtCore import QObject, Signal

    class Probe(QObject):
        ping = Signal()

    probe = Probe()
    before = sys.getrefcount(True)
    for _ in range(10):
        probe.ping.emit()
    return sys.getrefcount(True) < before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="also print all figures as JSON")
    args = parser.parse_args()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    results = bench(args.assets, args.seed)
    if args.json:
        print(json.dumps(results, default=str))
    if _pyside_emit_leaks_true():
        import PySide6

        print(
            f"note: PySide6 {PySide6.__version__} drops a reference to True on every Signal.emit(); "
            "exiting without interpreter teardown, which would crash (bool_dealloc). See the report.",
            flush=True,
        )
        sys.stdout.flush()
        os._exit(0)


if __name__ == "__main__":
    main()
