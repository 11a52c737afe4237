"""Global assignment: one column per target, solved for the whole table; weak columns stay unmapped."""

from __future__ import annotations

from core.mapping.assignment import assign, assign_sequence

from .helpers import suggest


def test_one_column_per_target_and_the_stronger_column_wins() -> None:
    got = suggest([("# Memory", ["2048", "65536"]), ("vRAM", ["2048", "65536"])])
    assert got["# Memory"].target_field == "memory_gb"
    assert got["vRAM"].target_field is None
    assert "goes to '# Memory'" in got["vRAM"].explanation


def test_global_solution_beats_greedy() -> None:
    # greedy would give A its best (t1) and leave B with nothing
    targets = assign_sequence([{"t1": 0.9, "t2": 0.85}, {"t1": 0.88}], threshold=0.5)
    assert targets == ["t2", "t1"]


def test_below_threshold_stays_unmapped_and_ties_go_to_the_earlier_column() -> None:
    assert assign_sequence([{"t1": 0.4}], threshold=0.5) == [None]
    assert assign_sequence([{"t1": 0.8}, {"t1": 0.8}], threshold=0.5) == ["t1", None]


def test_list_like_targets_take_every_column_that_prefers_them() -> None:
    result = assign(
        {0: {"tags": 0.9}, 1: {"tags": 0.8, "x": 0.6}, 2: {"x": 0.7}}, list_like=frozenset({"tags"})
    )
    assert result.targets == {0: "tags", 1: "tags", 2: "x"}


def test_weak_columns_are_left_unmapped_not_forced() -> None:
    got = suggest([("Favourite colour", ["blue", "red"]), ("Ticket count", ["3", "7"])])
    assert all(s.target_field is None and s.match_type == "none" for s in got.values())
    assert all(s.explanation for s in got.values())


def test_thousands_of_columns_are_all_answered() -> None:
    cols = [(f"Field {i}", [str(i % 97), str(i % 13)]) for i in range(3000)]
    cols[10] = ("Hostname", ["app01", "db02"])
    cols[20] = ("Memory (MB)", ["4096", "8192"])
    got = suggest(cols)  # speed is measured by the scorer/benchmarks, not asserted here
    assert len(got) == 3000
    assert got["Hostname"].target_field == "hostname"
    assert got["Memory (MB)"].target_field == "memory_gb"
