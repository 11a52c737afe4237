"""Value profiling: the detectors behind value-pattern evidence, and the learned-decision fingerprint.

The number parser profiling uses is the value pipeline's (tests/values/test_numbers.py).
"""

from __future__ import annotations

import pytest

from core.mapping import value_fingerprint
from core.mapping.values import profile_values


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["10.1.2.3", "192.168.0.10"], "ipv4"),
        (["fe80::1", "2001:db8::8a2e:370:7334"], "ipv6"),
        (["10.1.2.3, 10.1.2.4", "10.0.0.1;10.0.0.2"], "ip_list"),
        (["00:50:56:9a:12:34", "00-50-56-9A-12-35"], "mac"),
        (["app01.corp.example.com", "db02.prod.local"], "fqdn"),
        (["vm-123", "vm-98765"], "moref"),
        (["4c4c4544-0051-3010-8052-b4c04f4b4e32"], "uuid"),
        (["VMware-42 2d 8e 0f f5 97 77 5b-5b 01 02 03 04 05 06 07"], "vmware_serial"),
        (["Microsoft Windows Server 2019 Datacenter", "Red Hat Enterprise Linux 8 (64-bit)"], "os_name"),
        (["Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz"], "cpu_model"),
        (["2026-09-24 18:29:00", "2025-01-02 03:04:05"], "datetime"),
        (["20.04.2026", "01.12.2025"], "date"),
        (["yes", "no", "Yes"], "boolean"),
        (["zone:dmz, backup:gold", "owner:finance"], "tags"),
        (["35d236de9b2db0693867888330be2d2a"], "hex_id"),
    ],
)
def test_detectors_recognise_inventory_values(values: list[str], kind: str) -> None:
    assert profile_values(values).frac(kind) >= 0.99


def test_hostnames_are_not_fqdns_and_placeholders_are_empty() -> None:
    prof = profile_values(["app01", "db02", "n/a", "", "-"])
    assert prof.nonempty == 2
    assert prof.frac("hostname") == 1.0
    assert prof.frac("fqdn") == 0.0


def test_percentages_and_memory_sizes_are_told_apart() -> None:
    assert profile_values(["12.5", "63.1", "88.0", "7.25"]).looks_like_percent()
    assert not profile_values(["2", "4", "8", "16", "32"]).looks_like_percent()
    assert not profile_values(["15.5", "31.4", "7.8", "63.9"]).looks_like_percent()  # GiB near powers of two


def test_fingerprint_is_stable_across_exports_of_the_same_shape() -> None:
    a = value_fingerprint(["4096", "8192", "16384"])
    b = value_fingerprint(["2048", "8192", "32768"])
    assert a == b
    assert value_fingerprint(["10.0.0.1", "10.0.0.2"]) == "ipv4"
    assert value_fingerprint([]) == "empty"
    assert value_fingerprint(["4", "8", "16"]) != a  # GB-sized memory is another shape than MB


def test_database_engines_named_with_their_release_are_engines() -> None:
    """CMDBs put engine and release in one column ("SQL Server 2016 Standard", "Oracle 19c")."""
    from .helpers import suggest

    values = [
        "SQL Server 2016 Standard",
        "Oracle 19c",
        "PostgreSQL 9.6",
        "MySQL 5.7",
        "Microsoft SQL Server 2012",
    ]
    assert profile_values(values).enums.get("database_engine") == 1.0
    assert profile_values(["Oracle Linux 8", "Oracle Corporation"]).enums.get("database_engine", 0.0) == 0.0
    got = suggest([("Host", ["a1", "a2"]), ("DB", values)])
    assert got["DB"].target_field == "database_engine", got["DB"].explanation
