"""Dedup quality on the benchmark's generator at small scale: merges match the truth (>= 0.99)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from core.bootstrap import Core
from core.pipeline import run_flow
from core.uow import Tenant

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("inventory_bench", ROOT / "benchmarks" / "inventory.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_three_overlapping_exports_deduplicate_to_the_truth(core: Core, tenant: Tenant) -> None:
    bench = _bench()
    sources = bench.generate(total_records=2500, seed=11)
    loaded = []
    for src in sources:
        import_id, flow_id = bench.load_source(core, tenant, src)
        loaded.append((import_id, src))
        result = run_flow(core.uows, tenant, flow_id)
        assert result.status["flags"]["asset_inventory_completed"]
    quality = bench.dedup_quality(core, tenant, loaded)
    assert quality["records_in_assets"] == quality["records"]  # nothing lost
    assert quality["precision"] >= 0.99 and quality["recall"] >= 0.99, quality
    assert abs(quality["assets"] - quality["machines"]) <= quality["machines"] * 0.01
