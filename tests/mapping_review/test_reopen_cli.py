"""`migration-discovery map reopen FLOW_ID [--reason TEXT] --json` (issue 12, item 2), as a subprocess."""

from __future__ import annotations

import json

from core.actions import mapping as mapping_actions
from core.bootstrap import Core
from core.uow import Tenant

from .conftest import MakeImport
from .helpers import events, flow
from .test_cli import run_cli

REASON = "Criticality labels were not known"


def test_map_reopen_makes_a_finished_mapping_editable_and_says_who_and_why(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = make_import()
    assert ref.flow_id is not None
    mapping_actions.generate_suggestions(core.uows, tenant, ref.import_id, use_semantic=False)
    mapping_actions.finish_flow_mapping(core.uows, tenant, ref.flow_id, auto=True)
    assert flow(core, tenant, ref.flow_id).current_phase == "data_cleansing"

    res = run_cli(core, "map", "reopen", str(ref.flow_id), "--reason", REASON, "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert (out["flow_id"], out["import_id"]) == (str(ref.flow_id), str(ref.import_id))
    assert (out["previous_phase"], out["current_phase"], out["status"]) == (
        "data_cleansing",
        "field_mapping",
        "waiting_for_review",
    )
    assert out["reset_phases"] == ["field_mapping"] and out["reason"] == REASON
    stored = flow(core, tenant, ref.flow_id)
    assert stored.current_phase == "field_mapping" and not stored.field_mapping_completed
    assert stored.version == out["version"]
    (event,) = events(core, tenant, ref.flow_id, "mapping_reopened")
    assert event.actor and "Test Consultant" in event.actor and event.data["reason"] == REASON

    again = run_cli(core, "map", "reopen", str(ref.flow_id))
    assert again.returncode == 2, (again.stdout, again.stderr)
    assert "not finished" in again.stderr and "mapping review" in again.stderr  # the reason and the hint
    assert again.stdout == "" and "Traceback" not in again.stderr
    status = run_cli(core, "flow", "status", str(ref.flow_id), "--json")
    assert status.returncode == 0, status.stderr
    reopen = json.loads(status.stdout)["actions"]["reopen_mapping"]
    assert reopen["allowed"] is False and "not finished" in reopen["reason"]
