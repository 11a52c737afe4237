"""Accuracy over whole exports: our own held-out cases and (when present) the shared benchmark."""

from __future__ import annotations

import pytest

from .helpers import CASES, SHARED_CASES, score_dir, suggest


def test_own_cases_score_well() -> None:
    m = score_dir(CASES)
    assert m["columns"] > 500
    assert m["accuracy"] >= 0.97
    assert m["mappable"] >= 0.97
    assert m["false_maps"] <= 0.03
    assert m["units"] >= 0.95


@pytest.mark.skipif(not SHARED_CASES.is_dir(), reason="shared benchmark not checked out beside the project")
def test_shared_benchmark_scores_well() -> None:
    m = score_dir(SHARED_CASES)
    assert m["accuracy"] >= 0.97 and m["mappable"] >= 0.97
    assert m["false_maps"] <= 0.03 and m["units"] >= 0.95


def test_empty_header_and_empty_column_are_handled() -> None:
    got = suggest([("", ["10.0.0.1", "10.0.0.2"]), ("Notes", ["", ""]), ("Hostname", [])])
    assert got[""].target_field == "ip_address"
    assert "empty" in got[""].explanation
    assert got["Notes"].target_field == "description"
    assert got["Hostname"].target_field == "hostname"


def test_absurd_headers_and_values_stay_unmapped() -> None:
    got = suggest([("x" * 20000, ["1"]), ("\x00\x01\ufffd", ["\x00"] * 5), ("%%%", ["%"])])
    assert all(s.target_field is None for s in got.values())
