"""The plan's one-line summary says what the solver did, also when it chose fewer broken
dependencies over a lower objective (it read '-5.09 % better' before)."""

from __future__ import annotations

from core.actions.planning import plan_summary

SOLVER = {"status": "optimal", "seconds": 0.1, "time_limit_s": 10.0, "taken": True}


def test_a_lower_objective_reads_as_better() -> None:
    stats = {
        "greedy": {"objective": 200, "broken_weight": 0},
        "final": {"objective": 150, "broken_weight": 0},
        "improvement_pct": 25.0,
        "solver": SOLVER,
    }
    line = plan_summary(stats, [])
    assert line.startswith("greedy objective 200 → 150 (25.00 % better)")
    assert "broken" not in line and "0 groups split, 0 links cut" in line


def test_fewer_broken_dependencies_at_a_higher_objective_say_so() -> None:
    stats = {
        "greedy": {"objective": 1671, "broken_weight": 140},
        "final": {"objective": 1756, "broken_weight": 104},
        "improvement_pct": -5.087,
        "solver": SOLVER,
    }
    splits = [{"group": "Payroll (uat)", "links_cut": 11}]
    line = plan_summary(stats, splits)
    assert "greedy objective 1,671 → 1,756 (5.09 % higher)" in line
    assert "better" not in line
    assert "broken dependency weight 140 → 104 (fewer broken dependencies are worth" in line
    assert "1 group split, 11 links cut: Payroll (uat) (11)" in line
