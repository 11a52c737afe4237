"""Right-sizing findings from utilisation fields, with the thresholds of resources/rightsizing.yaml.

Why: a downsize or undersized finding feeds the 6R and target sizing; it must come from a rule a
consultant can read (which field, which threshold), and an asset without utilisation must get none.
"""

from __future__ import annotations

import pytest

from core.techdebt import rightsizing
from core.techdebt.rightsizing import build_rules, sizing_rules
from core.techdebt.table import LifecycleTableError


def _kinds(fields: dict) -> list[tuple[str, str, str]]:
    return [(f.resource, f.kind, f.measure) for f in rightsizing(fields)]


def test_no_utilisation_fields_no_finding() -> None:
    assert rightsizing({}) == []
    assert rightsizing({"hostname": "srv01", "cpu_cores": 8, "memory_gb": 32}) == []
    assert rightsizing({"cpu_utilization_avg_pct": None, "memory_utilization_peak_pct": ""}) == []


def test_idle_at_its_peak_is_a_downsize_candidate() -> None:
    fields = {
        "cpu_utilization_avg_pct": 4.0,
        "cpu_utilization_peak_pct": 15.0,
        "memory_utilization_avg_pct": 20.0,
        "memory_utilization_peak_pct": 25.0,
    }
    assert _kinds(fields) == [("cpu", "downsize", "peak"), ("memory", "downsize", "peak")]
    cpu = rightsizing(fields)[0]
    assert (cpu.field, cpu.value, cpu.threshold) == ("cpu_utilization_peak_pct", 15.0, 20.0)
    assert cpu.rule == "downsize candidate: cpu peak 15 % < 20 %"
    assert cpu.to_dict()["kind"] == "downsize"


def test_a_busy_peak_is_not_a_downsize_even_with_a_low_average() -> None:
    assert _kinds({"cpu_utilization_avg_pct": 5, "cpu_utilization_peak_pct": 60}) == []


def test_an_average_alone_is_used_and_said_to_be_weaker() -> None:
    found = rightsizing({"cpu_utilization_avg_pct": "12,5 %", "memory_utilization_avg_pct": 80})
    assert [(f.resource, f.kind, f.measure, f.value) for f in found] == [("cpu", "downsize", "average", 12.5)]
    assert "peak not given" in found[0].rule


def test_a_sustained_high_load_is_undersized() -> None:
    fields = {
        "cpu_utilization_avg_pct": 91,
        "cpu_utilization_peak_pct": 100,
        "memory_utilization_avg_pct": 70,
        "memory_utilization_peak_pct": 99,
    }
    assert _kinds(fields) == [("cpu", "undersized", "average")]  # memory's average is fine
    assert _kinds({"memory_utilization_peak_pct": 97}) == [("memory", "undersized", "peak")]


def test_values_that_are_not_percentages_are_ignored() -> None:
    assert rightsizing({"cpu_utilization_peak_pct": 250, "memory_utilization_peak_pct": -1}) == []
    assert rightsizing({"cpu_utilization_peak_pct": "n/a", "memory_utilization_peak_pct": True}) == []


def test_thresholds_come_from_the_resource_file() -> None:
    rules = sizing_rules()
    down = next(r for r in rules.rules if r.kind == "downsize")
    assert dict(down.limits) == {"cpu": 20, "memory": 30}
    stricter = build_rules(
        {
            "resources": {"cpu": {"average": "a", "peak": "p"}},
            "downsize": {"use": ["peak"], "below": {"cpu": 50}},
            "undersized": {"use": ["average"], "above": {"cpu": 60}},
        }
    )
    assert [(f.kind, f.value) for f in rightsizing({"p": 40, "a": 65}, stricter)] == [
        ("downsize", 40.0),
        ("undersized", 65.0),
    ]


def test_a_broken_threshold_file_fails_loudly() -> None:
    with pytest.raises(LifecycleTableError, match=r"rightsizing\.yaml"):
        build_rules({"resources": {}})
    with pytest.raises(LifecycleTableError, match="unknown measure 'p95'"):
        build_rules(
            {
                "resources": {"cpu": {"average": "a"}},
                "downsize": {"use": ["p95"], "below": {"cpu": 20}},
                "undersized": {"use": ["average"], "above": {"cpu": 85}},
            }
        )
