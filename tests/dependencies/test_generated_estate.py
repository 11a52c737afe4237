"""The benchmark's estate generator at a small size: deterministic, and the engine's quality holds on it.

A regression guard for the grouping, not a timing: `benchmarks/planning.py` measures the 20,000-server
estate. The engine only gets servers and connections; the truth stays with the test.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from core.dependencies import analyse


@pytest.fixture(scope="module")
def planning() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "planning.py"
    spec = importlib.util.spec_from_file_location("benchmark_planning", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_generator_is_deterministic(planning: ModuleType) -> None:
    a = planning.generate(800, 8_000, seed=3)
    b = planning.generate(800, 8_000, seed=3)
    assert a.servers == b.servers
    assert a.connections == b.connections
    assert a.truth_group == b.truth_group
    assert planning.generate(800, 8_000, seed=4).connections != a.connections


@pytest.mark.parametrize("seed", [1, 7])  # time-slot and flow counts
def test_grouping_and_infrastructure_quality_on_a_generated_estate(planning: ModuleType, seed: int) -> None:
    estate = planning.generate(1_500, 15_000, seed=seed)
    result = analyse(estate.servers, estate.connections)
    predicted = {sid: g.id for g in result.groups for sid in g.server_ids}
    scores = planning.grouping_scores(estate.truth_group, predicted)
    infra = planning.infrastructure_scores(estate.truth_infra, {s.server_id for s in result.infrastructure})
    assert scores["pair_f1"] >= 0.95, scores
    assert scores["exact_groups"] >= 0.88, scores
    assert infra["infra_precision"] >= 0.95 and infra["infra_recall"] >= 0.95, infra
    baseline, _hubs = planning.louvain_baseline(estate, seed=1)
    assert planning.grouping_scores(estate.truth_group, baseline)["pair_f1"] < scores["pair_f1"]
