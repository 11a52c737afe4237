"""The master flow's stages: discovery → assessment (6R) → planning (waves), on real flows and data.

Two inventories of one engagement go through the real flow machinery; the 6R assessment and the
wave plan complete their stage of every master flow whose earlier stage is complete, a master flow
still in discovery waits (and says why), a reopened mapping makes the later stages stale, and what
the assessment retires can be left out of the waves on request (an override puts it back).
"""

from __future__ import annotations

import pytest
from inventory.builders import Made, make_import  # tests/inventory: the same import set-up
from sqlalchemy import select

from core.actions import mapping as mapping_actions
from core.actions import planning
from core.bootstrap import Core
from core.db.models import FlowEvent, MasterFlow
from core.errors import UserInputError
from core.phases import PHASES
from core.pipeline import flow_status, run_flow
from core.queries.waves import wave_plan
from core.uow import Tenant

MAPPINGS = {"Host": "hostname", "App": "application_name", "Env": "environment", "Power": "power_state"}


def _inventory(core: Core, tenant: Tenant, name: str, rows: list[list[str]]) -> Made:
    return make_import(core, tenant, name, ["Host", "App", "Env", "Power"], rows, MAPPINGS)


def _discover(core: Core, tenant: Tenant, made: Made) -> str:
    """Run the whole discovery flow (all six phases); its status after."""
    return run_flow(core.uows, tenant, made.flow_id, through=PHASES[-1]).status["status"]


def _stages(core: Core, tenant: Tenant, flow_id) -> dict[str, dict]:
    master = flow_status(core.uows, tenant, flow_id)["master"]
    return {s["stage"]: s for s in master["stages"]} | {"_": master}


def test_stages_follow_discovery_then_assessment_then_planning(core: Core, tenant: Tenant) -> None:
    a = _inventory(core, tenant, "dc1.csv", [["web01", "Shop", "production", "poweredOn"],
                                             ["db01", "Shop", "production", "poweredOn"]])  # fmt: skip
    b = _inventory(core, tenant, "dc2.csv", [["old01", "Legacy", "production", "poweredOff"]])
    st = _stages(core, tenant, a.flow_id)
    assert st["_"]["current_stage"] == "discovery" and st["discovery"]["status"] == "ready"
    assert "dc1.csv" in st["discovery"]["reason"] and "field_mapping" in st["discovery"]["reason"]
    assert st["assessment"]["status"] == "waiting"
    assert st["assessment"]["reason"] == "discovery is not complete"

    assert _discover(core, tenant, a) == "completed"
    st = _stages(core, tenant, a.flow_id)
    assert st["discovery"]["status"] == "completed"
    assert st["assessment"]["status"] == "ready" and "plan sixr" in st["assessment"]["reason"]
    assert st["planning"]["status"] == "waiting"

    sixr = planning.run_sixr(core.uows, tenant).value
    # a's master flow is through discovery: its assessment is done; b's waits, saying why
    assert sixr["stage"]["completed"] == [str(st["_"]["master_flow_id"])]
    assert len(sixr["stage"]["waiting"]) == 1 and "discovery" in sixr["stage"]["waiting"][0]["reason"]
    st = _stages(core, tenant, a.flow_id)
    assert st["assessment"]["status"] == "completed" and st["assessment"]["by"]
    assert st["assessment"]["summary"]["recommendations"] >= 1
    assert st["planning"]["status"] == "ready" and st["_"]["current_stage"] == "planning"
    assert _stages(core, tenant, b.flow_id)["assessment"]["status"] == "waiting"

    plan = planning.plan_waves(core.uows, tenant, max_servers=5, time_limit_s=2.0).value
    assert plan["stage"]["completed"] == [str(st["_"]["master_flow_id"])]
    st = _stages(core, tenant, a.flow_id)
    assert st["planning"]["status"] == "completed" and st["_"]["status"] == "completed"
    with core.uow(tenant) as uow:
        row = uow.session.scalar(select(MasterFlow).where(MasterFlow.id == st["_"]["master_flow_id"]))
        assert row is not None and row.status == "completed"
        events = [e.event_type for e in uow.session.scalars(
            select(FlowEvent).where(FlowEvent.flow_id == row.id).order_by(FlowEvent.occurred_at)
        )]  # fmt: skip
    assert events == ["assessment_completed", "planning_completed"]

    # b catches up: its discovery completes, the next assessment covers it too
    _discover(core, tenant, b)
    assert _stages(core, tenant, b.flow_id)["assessment"]["status"] == "ready"
    again = planning.run_sixr(core.uows, tenant).value
    assert len(again["stage"]["completed"]) == 2 and again["stage"]["waiting"] == []
    # a's plan predates this assessment: planning is stale until waves are planned again
    st = _stages(core, tenant, a.flow_id)
    assert st["planning"]["status"] == "stale" and "plan waves" in st["planning"]["reason"]


def test_a_reopened_mapping_makes_the_later_stages_stale(core: Core, tenant: Tenant) -> None:
    a = _inventory(core, tenant, "dc1.csv", [["web01", "Shop", "production", "poweredOn"]])
    _discover(core, tenant, a)
    planning.run_sixr(core.uows, tenant)
    planning.plan_waves(core.uows, tenant, max_servers=5, time_limit_s=2.0)
    assert _stages(core, tenant, a.flow_id)["_"]["status"] == "completed"
    mapping_actions.reopen_mapping(core.uows, tenant, a.flow_id, reason="fix the environment column")
    st = _stages(core, tenant, a.flow_id)
    assert st["discovery"]["status"] == "ready"
    assert st["assessment"]["status"] == "stale" and st["planning"]["status"] == "stale"
    assert st["_"]["status"] == "discovery"
    with core.uow(tenant) as uow:
        assert uow.session.get(MasterFlow, st["_"]["master_flow_id"]).status == "discovery"


def test_retired_assets_are_planned_unless_left_out(core: Core, tenant: Tenant) -> None:
    made = _inventory(core, tenant, "dc1.csv", [
        ["web01", "Shop", "production", "poweredOn"],
        ["old01", "Legacy", "production", "poweredOff"],  # powered off: the rules retire it
    ])  # fmt: skip
    _discover(core, tenant, made)
    sixr = planning.run_sixr(core.uows, tenant).value
    recs = {r["application"]: r["disposition"] for r in sixr["recommendations"]}
    assert recs["Legacy"] == "retire" and recs["Shop"] != "retire"
    # by default every non-infrastructure asset is in exactly one wave (the contract)
    plan = planning.plan_waves(core.uows, tenant, max_servers=5, time_limit_s=2.0).value
    assert sorted(a for w in plan["waves"] for a in w["assets"]) == ["old01", "web01"]
    # asked to, the plan leaves out what is retired, and says so
    plan = planning.plan_waves(core.uows, tenant, max_servers=5, time_limit_s=2, leave_out=("retire",)).value
    assert {a for w in plan["waves"] for a in w["assets"]} == {"web01"}
    assert any("1 asset(s) left out of the waves" in n and "1 retire" in n for n in plan["notes"])
    board = wave_plan(core.uows, tenant)
    assert board["left_out"] == {"old01": "retire"} and board["unplaced"] == []
    # the consultant decides Legacy moves after all: the override puts it back in the plan
    planning.override_disposition(core.uows, tenant, "Legacy", "rehost", "the client keeps it one more year")
    plan = planning.plan_waves(core.uows, tenant, max_servers=5, time_limit_s=2, leave_out=("retire",)).value
    assert {a for w in plan["waves"] for a in w["assets"]} == {"web01", "old01"}
    assert wave_plan(core.uows, tenant)["left_out"] == {}
    with pytest.raises(UserInputError, match="only what does not migrate"):
        planning.plan_waves(core.uows, tenant, max_servers=5, leave_out=("rehost",))
