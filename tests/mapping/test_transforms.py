"""Transformation rules that travel with suggestions: scale, invert and value normalisations."""

from __future__ import annotations

import pytest

from .helpers import suggest


def test_scale_from_header_unit_and_from_magnitude() -> None:
    got = suggest(
        [
            ("Memory (MB)", ["4096", "8192"]),
            ("Storage (TB)", ["1", "2"]),
            ("CPU speed (GHz)", ["2.4", "3.0"]),
            ("Disk read throughput (MB/s)", ["1.5", "20"]),
        ]
    )
    got |= suggest([("ram", ["4096", "16384", "32768"])]) | suggest([("Memory GB", ["16", "32"])])
    assert got["Memory (MB)"].transformation_rules["scale"] == pytest.approx(1 / 1024)
    assert got["ram"].transformation_rules["scale"] == pytest.approx(1 / 1024)
    assert "look like MB" in got["ram"].explanation
    assert got["Storage (TB)"].transformation_rules["scale"] == pytest.approx(1024)
    assert got["CPU speed (GHz)"].transformation_rules["scale"] == pytest.approx(1000)
    assert got["Disk read throughput (MB/s)"].transformation_rules["scale"] == pytest.approx(1024)
    assert "scale" not in (got["Memory GB"].transformation_rules or {})


def test_flipped_boolean_is_inverted() -> None:
    s = suggest([("IsPhysical", ["true", "false", "false"])])["IsPhysical"]
    assert s.target_field == "is_virtual"
    assert s.transformation_rules["invert"] is True


def test_value_maps_for_power_states_and_yes_no() -> None:
    got = suggest([("Powerstate", ["poweredOn", "poweredOff"]), ("Virtuell", ["ja", "nein"])])
    assert got["Powerstate"].transformation_rules["value_map"] == {"poweredon": "on", "poweredoff": "off"}
    assert got["Powerstate"].transformation_rules["case"] == "lower"
    assert got["Virtuell"].transformation_rules["value_map"] == {"ja": True, "nein": False}


def test_ip_lists_keep_the_first_and_tags_are_split() -> None:
    got = suggest(
        [
            ("IP Addresses", ["10.0.0.1, 10.0.0.2", "10.0.0.3"]),
            ("Tags", ["zone:dmz, backup:gold", "owner:it"]),
        ]
    )
    ip_rules = got["IP Addresses"].transformation_rules
    assert ip_rules["first_of_list"] is True and ip_rules["split"] == ","
    assert got["Tags"].transformation_rules["split"] == ","
    assert got["Tags"].transformation_rules["key_value"] == ":"


def test_strings_are_trimmed_and_dates_keep_their_format() -> None:
    got = suggest([("Hostname", [" app01 ", "db02"]), ("Installationsdatum", ["20.04.2026", "01.12.2025"])])
    assert got["Hostname"].transformation_rules["trim"] is True
    assert got["Installationsdatum"].target_field == "install_date"
    assert got["Installationsdatum"].transformation_rules["date_format"] == "%d.%m.%Y"
