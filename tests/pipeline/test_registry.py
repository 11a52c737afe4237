"""The phase registry and the allowed actions: one list of phases, a reason for every refusal."""

from __future__ import annotations

from typing import Any

from core.phases import FLAG_FIELDS, PHASES
from core.pipeline import FLOW_ACTIONS, REGISTRY, flow_actions


def _status(status: str, phase: str, error_phase: str | None = None) -> dict[str, Any]:
    return {
        "status": status,
        "current_phase": phase,
        "flags": dict.fromkeys(FLAG_FIELDS, False),
        "error": {"phase": error_phase, "message": "x"} if error_phase else None,
    }


def test_the_registry_describes_exactly_the_phases_in_order() -> None:
    assert tuple(REGISTRY) == PHASES
    for spec in REGISTRY.values():
        # a phase either completes without an engine, has one, or says why it cannot be run
        assert spec.completion != "engine" or spec.runner is not None or spec.unavailable


def test_every_refused_action_says_why() -> None:
    for status in (
        "initializing",
        "running",
        "waiting_for_review",
        "paused",
        "failed",
        "cancelled",
        "completed",
    ):
        for phase in (*PHASES, "completed"):
            actions = flow_actions(_status(status, phase, "asset_inventory" if status == "failed" else None))
            assert set(actions) == set(FLOW_ACTIONS)
            for name, state in actions.items():
                assert state.allowed or (state.reason and len(state.reason) > 10), (status, phase, name)


def test_a_flow_after_inventory_runs_its_dependency_analysis_next() -> None:
    actions = flow_actions(_status("running", "dependency_analysis"))
    assert actions["run_next"].allowed
    assert actions["pause"].allowed and actions["cancel"].allowed


def test_mapping_review_and_failures_name_what_to_do() -> None:
    pending = flow_actions(_status("waiting_for_review", "field_mapping"), pending_mappings=3)["run_next"]
    assert not pending.allowed and "3 column(s) still undecided" in (pending.reason or "")
    failed = flow_actions(_status("failed", "asset_inventory", "asset_inventory"))
    assert failed["retry"].allowed and failed["recover"].allowed and not failed["run_next"].allowed
    assert "Asset inventory failed" in (failed["run_next"].reason or "")
    paused = flow_actions(_status("paused", "data_cleansing"))
    assert paused["resume"].allowed and "resume it first" in (paused["run_next"].reason or "")
