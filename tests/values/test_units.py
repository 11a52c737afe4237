"""One unit table: what the vocabulary knows about a unit is what cleansing converts a cell by.

Before the table was one, cleansing had its own list without the French octets (Go/Mo/To/Ko),
the spelled-out units (gigabytes) or bits per second, so "12 Go" in a memory column was an
"unknown unit" although the suggester read the same "Go" in the header.
"""

from __future__ import annotations

import pytest

from core.mapping import suggest_mappings
from core.mapping.vocabulary import load_vocabulary
from core.values import FieldCoercer, asset_fields, unit_table
from core.values.units import COUNT_WORDS, read_unit

#: one field per dimension of the contract, and its unit's label in `target_units`
FIELD_OF_DIMENSION = {
    "data_size": "memory_gb",
    "frequency": "cpu_speed_mhz",
    "percent": "cpu_utilization_avg_pct",
    "data_rate": "disk_read_kbps_avg",
    "ops_rate": "disk_read_iops_avg",
}


def coerce(field: str, raw: str) -> tuple[object, str | None]:
    value, problem = FieldCoercer(asset_fields()[field])(raw)
    return value, (problem.rule if problem else None)


def test_the_vocabulary_has_no_units_of_its_own() -> None:
    vocab = load_vocabulary()
    assert vocab.units is unit_table().units
    assert vocab.target_units is unit_table().target_units
    for spec in asset_fields().values():
        if spec.unit:
            assert spec.dimension == vocab.target_units[spec.unit].dimension


def test_every_unit_of_the_vocabulary_converts_in_cleansing_by_its_factor() -> None:
    vocab = load_vocabulary()
    checked = 0
    for token, unit in vocab.units.items():
        field = FIELD_OF_DIMENSION.get(unit.dimension)
        if field is None:  # durations: no contract field is in seconds
            continue
        spec = asset_fields()[field]
        expected = 3 * unit.factor / vocab.target_units[spec.unit or ""].factor
        value, problem = FieldCoercer(spec)(f"3 {token}")
        assert problem is None, (token, problem)
        assert value == pytest.approx(expected, rel=1e-6, abs=1e-6), token
        checked += 1
    assert checked > 60


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12 Go", 12.0),
        ("512 Mo", 0.5),
        ("1 To", 1024.0),
        ("1048576 Ko", 1.0),
        ("1073741824 octets", 1.0),
        ("8 gigabytes", 8.0),
        ("16 GB", 16.0),
        ("16384 MB", 16.0),
        ("4096 M", 4.0),  # a cell-only spelling (value_units)
        ("2 TBytes", 2048.0),
    ],
)
def test_sizes_in_every_spelling(raw: str, expected: float) -> None:
    assert coerce("memory_gb", raw) == (pytest.approx(expected), None)


def test_rates_read_bytes_and_bits_as_headers_do() -> None:
    assert coerce("disk_read_kbps_avg", "2 MB/s") == (2048.0, None)
    assert coerce("disk_read_kbps_avg", "100 KBps") == (100.0, None)  # capital B: bytes
    assert coerce("disk_read_kbps_avg", "10 MBps") == (10240.0, None)
    assert coerce("network_in_kbps_avg", "8 Mbps") == (pytest.approx(8 * 125000 / 1024), None)  # bits
    assert coerce("network_in_kbps_avg", "1 Gbit/s") == (pytest.approx(125000000 / 1024), None)
    assert coerce("disk_read_iops_avg", "800 io/s") == (800.0, None)
    assert coerce("disk_read_iops_avg", "800 ops/s") == (800.0, None)


def test_a_unit_of_another_dimension_is_reported() -> None:
    assert coerce("memory_gb", "2 MB/s") == (None, "unit")
    assert coerce("memory_gb", "5 ms") == (None, "unit")
    assert coerce("cpu_cores", "12 Go") == (None, "unit")
    assert coerce("memory_gb", "16 parsecs") == (None, "unit")


def test_count_words_carry_no_unit() -> None:
    assert all(read_unit(w) is None for w in COUNT_WORDS)
    assert coerce("cpu_cores", "4 vCPUs") == (4, None)


@pytest.mark.parametrize(("header", "cell"), [("Mémoire (Mo)", "512 Mo"), ("Mémoire (Go)", "12 Go")])
def test_header_scale_and_cell_unit_agree(header: str, cell: str) -> None:
    """The suggester's scale for a "(Mo)" header times the bare number = cleansing of "512 Mo"."""
    number = float(cell.split()[0])
    values = [str(int(number * k)) for k in (1, 2, 4, 8)]
    (suggestion,) = suggest_mappings([(header, values)], use_semantic=False)
    assert suggestion.target_field == "memory_gb"
    scale = (suggestion.transformation_rules or {}).get("scale", 1.0)
    assert coerce("memory_gb", cell) == (pytest.approx(number * scale), None)


def test_profiles_read_cell_units_from_the_same_table() -> None:
    from core.mapping.values import profile_values

    prof = profile_values(["2 MB/s", "4 MB/s", "8 MB/s"])
    assert prof.frac("number") == 1.0
    label = prof.value_units.most_common(1)[0][0]
    assert unit_table().read(label) == unit_table().read("MB/s")
    assert profile_values(["4 m", "8 m"]).frac("number") == 0.0  # cell-only letters are not guessed
