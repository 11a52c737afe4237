"""Header normalisation and unit decisions: what the matchers see of a header."""

from __future__ import annotations

import pytest

from core.mapping.normalize import normalize
from core.mapping.schema import load_target_schema
from core.mapping.units import decide_unit
from core.mapping.values import profile_values
from core.mapping.vocabulary import load_vocabulary


@pytest.mark.parametrize(
    ("header", "core", "unit", "stat"),
    [
        ("RAM.TotalSizeInMB", {"memory", "total", "size"}, "mb", None),
        ("CPU.UsagePct.Max", {"cpu", "utilization"}, "pct", "peak"),
        ("# Cores", {"count", "core"}, None, None),
        ("cpu_core_count", {"cpu", "core", "count"}, None, None),
        ("DiskReadsPerSecondInKB.Avg", {"disk", "read"}, "kb/s", "avg"),
        ("Disk Reads/sec", {"disk", "read"}, "ops/s", None),
        ("NTP Server(s)", {"ntp", "server"}, None, None),
        ("Arbeitsspeicher (GB)", {"memory"}, "gb", None),
        ("Mémoire (Go)", {"memory"}, "go", None),
        ("Système d'exploitation", {"os"}, None, None),
        ("Network In (Mbps)", {"network", "in"}, "mbitps", None),
        ("IPAddress", {"ip"}, None, None),
    ],
)
def test_headers_reduce_to_core_tokens_unit_and_statistic(
    header: str, core: set[str], unit: str | None, stat: str | None
) -> None:
    form = normalize(header)
    assert set(form.core) == core
    assert (form.unit.label if form.unit else None) == unit
    assert form.statistic == stat


def test_instance_numbers_and_dotted_context_are_qualifiers() -> None:
    assert normalize("Network #1").index == 1
    assert normalize("Disk 2 size (In GB)").index == 2
    assert normalize("Netbios_Name0").index == 0
    assert "vmware" in normalize("VMware.VCenterId").context


def test_german_compounds_split_into_known_words() -> None:
    assert {"memory", "size"} <= set(normalize("Hauptspeichergröße").core)
    assert {"disk", "capacity"} <= set(normalize("Plattenkapazität").core)
    assert "os" in normalize("Betriebssystem").core


def _unit(target: str, header: str, values: list[str]) -> tuple[bool, float | None]:
    field = load_target_schema()[target]
    decision = decide_unit(field, normalize(header), profile_values(values), load_vocabulary())
    return decision.compatible, decision.scale


@pytest.mark.parametrize(
    ("target", "header", "values", "scale"),
    [
        ("memory_gb", "Memory (MB)", ["4096", "8192"], 1 / 1024),
        ("memory_gb", "RAM (GiB)", ["4", "8"], None),
        ("storage_gb", "Disk (TB)", ["1", "2"], 1024),
        ("storage_gb", "Capacity KB", ["104857600"], 1 / 1048576),
        ("cpu_speed_mhz", "Clock (GHz)", ["2.4", "3.0"], 1000),
        ("disk_read_kbps_avg", "Disk read (MB/s)", ["1.5"], 1024),
        ("network_in_kbps_avg", "Network in (Mbps)", ["100"], 1e6 / 8 / 1024),  # megabits to KiB/s
        ("network_out_kbps_avg", "NetworkBytesPerSecSent", ["2048"], 1 / 1024),
    ],
)
def test_header_units_give_the_scale_to_the_target_unit(
    target: str, header: str, values: list[str], scale: float | None
) -> None:
    compatible, got = _unit(target, header, values)
    assert compatible
    assert got == pytest.approx(scale) if scale is not None else got is None


@pytest.mark.parametrize(
    ("target", "values", "scale"),
    [
        ("memory_gb", ["2048", "4096", "16384", "524288"], 1 / 1024),  # MB
        ("memory_gb", ["2", "16", "64", "512"], None),  # GB
        ("memory_gb", ["16776692", "8388000"], 1 / 1048576),  # KB (WMI / SCCM)
        ("cpu_speed_mhz", ["2100", "2600"], None),  # MHz
        ("cpu_speed_mhz", ["2.1", "2.6"], 1000),  # GHz
        ("cpu_utilization_avg_pct", ["0.25", "0.5", "0.07"], 100),  # fractions
    ],
)
def test_value_magnitudes_give_the_unit_when_the_header_has_none(
    target: str, values: list[str], scale: float | None
) -> None:
    compatible, got = _unit(target, "x", values)
    assert compatible
    assert got == pytest.approx(scale) if scale is not None else got is None


def test_unit_of_another_dimension_is_incompatible() -> None:
    assert _unit("cpu_utilization_avg_pct", "CPU usage (MHz)", ["2100"])[0] is False
    assert _unit("memory_gb", "Memory %", ["12.5"])[0] is False
    assert _unit("disk_read_iops_avg", "Disk read KB/s", ["12"])[0] is False
