"""Issue 16: an AI crew's suggestion is approved only by an explicit decision on its row — never by a
threshold (`bulk_approve`, `map accept --min-confidence`) or by auto-finish (`map finish --auto`)."""

from __future__ import annotations

import json
import uuid

from core.actions import mapping as mapping_actions
from core.actions.mapping import Decision
from core.agents.outputs import MappingProposal, MappingReview
from core.agents.store import apply_mapping_review
from core.bootstrap import Core
from core.uow import Tenant

from .conftest import ImportRef, MakeImport
from .helpers import memory, rows
from .test_auto_finish import COLUMNS, ROWS, force_guesses
from .test_cli import run_cli


def ai_suggests(core: Core, tenant: Tenant, import_id: uuid.UUID, column: str, target: str) -> None:
    """Store a confident AI crew proposal the way the mapping crew's results are stored."""
    review = MappingReview(
        proposals=[MappingProposal(column=column, target_field=target, confidence=0.95, reasoning="looks so")]
    )
    with core.uow(tenant) as uow:
        stored, skipped = apply_mapping_review(uow, import_id, review, "scripted-model")
        uow.commit()
    assert (stored, skipped) == (1, [])
    row = rows(core, tenant, import_id)[column]
    assert (row.suggested_by, row.status, row.target_field) == ("ai_agent", "suggested", target)


def _prepared(core: Core, tenant: Tenant, make_import: MakeImport) -> ImportRef:
    ref = make_import(columns=COLUMNS, rows=ROWS)
    force_guesses(core, tenant, ref.import_id)
    ai_suggests(core, tenant, ref.import_id, "Overall Cpu Readiness", "cpu_cores")  # 0.95 > every threshold
    return ref


def test_bulk_approve_leaves_ai_suggestions_pending_and_says_so(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = _prepared(core, tenant, make_import)
    res = mapping_actions.bulk_approve(core.uows, tenant, ref.import_id, 0.5, auto_finish=False).value
    after = rows(core, tenant, ref.import_id)
    assert after["Overall Cpu Readiness"].status == "suggested"
    assert {n for n, r in after.items() if r.status == "approved"} == {"Hostname", "IP Address"}
    assert res.ai_skipped == ("Overall Cpu Readiness",)
    why = dict(res.skipped)["Overall Cpu Readiness"]
    assert "AI suggestion cpu_cores" in why and "never approved by a threshold" in why


def test_grid_approve_all_and_auto_map_remaining_never_approve_ai(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = _prepared(core, tenant, make_import)
    grid = mapping_actions.approve_confident(core.uows, tenant, ref.import_id, 0.5).value
    assert grid.result.ai_skipped == ("Overall Cpu Readiness",)
    auto = mapping_actions.auto_map_remaining(core.uows, tenant, ref.import_id, min_confidence=0.5).value
    after = rows(core, tenant, ref.import_id)
    assert after["Overall Cpu Readiness"].status == "rejected"  # left unmapped, not approved
    assert auto.ai_skipped == ("Overall Cpu Readiness",)
    assert "AI suggestion cpu_cores" in dict(auto.left_unmapped)["Overall Cpu Readiness"]
    assert auto.field_mapping_completed


def test_an_explicit_decision_on_the_row_still_approves_ai(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = _prepared(core, tenant, make_import)
    row = rows(core, tenant, ref.import_id)["Overall Cpu Readiness"]
    mapping_actions.set_decisions(core.uows, tenant, [(row.id, row.version, Decision("approved"))])
    after = rows(core, tenant, ref.import_id)["Overall Cpu Readiness"]
    assert (after.status, after.target_field) == ("approved", "cpu_cores")


def test_map_accept_json_counts_the_ai_suggestions_it_skipped(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = _prepared(core, tenant, make_import)
    res = run_cli(core, "map", "accept", str(ref.flow_id), "--min-confidence", "0.5", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["newly_approved"] == 2 and out["pending"] == 3
    assert (out["ai_skipped"], out["ai_skipped_columns"]) == (1, ["Overall Cpu Readiness"])
    reasons = {s["source_field"]: s["reason"] for s in out["skipped"]}
    assert "never approved by a threshold" in reasons["Overall Cpu Readiness"]
    assert rows(core, tenant, ref.import_id)["Overall Cpu Readiness"].status == "suggested"
    text = run_cli(core, "map", "accept", str(ref.flow_id), "--min-confidence", "0.5")
    assert "left 1 AI suggestion(s) pending" in text.stdout


def test_map_finish_auto_never_approves_ai(core: Core, tenant: Tenant, make_import: MakeImport) -> None:
    ref = _prepared(core, tenant, make_import)
    res = run_cli(core, "map", "finish", str(ref.flow_id), "--auto", "--min-confidence", "0.5", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["field_mapping_completed"] is True
    assert (out["ai_skipped"], out["ai_skipped_columns"]) == (1, ["Overall Cpu Readiness"])
    left = {item["source_field"]: item["reason"] for item in out["left_unmapped"]}
    assert "AI suggestion cpu_cores" in left["Overall Cpu Readiness"]
    assert rows(core, tenant, ref.import_id)["Overall Cpu Readiness"].status == "rejected"
    assert memory(core, tenant) == []
