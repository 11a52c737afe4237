"""Bulk approval by threshold, auto-mapping the rest, and completing the field-mapping phase."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.actions import mapping as mapping_actions
from core.bootstrap import Core
from core.db.models import ImportFieldMapping
from core.mapping_review import (
    MappingIncompleteError,
    MappingLockedError,
)
from core.uow import Tenant

from .conftest import MakeImport
from .helpers import events, flow, rows, suggested


def test_bulk_approve_takes_pending_suggestions_at_or_above_the_threshold(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = make_import()
    s = suggested(core, tenant, ref.import_id)
    threshold = 0.95
    expected = {n for n, r in s.items() if r.target_field and r.confidence >= threshold}
    assert expected and expected != {n for n, r in s.items() if r.target_field}
    mapping_actions.reject(core.uows, tenant, s["IP Address"].id, 1)  # decided rows are left alone
    expected.discard("IP Address")
    res = mapping_actions.bulk_approve(core.uows, tenant, ref.import_id, threshold).value
    assert res.approved == len(expected) and res.rejected == 0
    now = rows(core, tenant, ref.import_id)
    assert {n for n, r in now.items() if r.status == "approved"} == expected
    assert now["IP Address"].status == "rejected"
    assert res.counts.pending == len(s) - len(expected) - 1 and res.counts.total == len(s)
    assert res.mapping_ids == {now[n].id for n in expected}
    assert all(now[n].approved_by == "Test Consultant" for n in expected)
    assert not res.field_mapping_completed and not res.phase_advanced
    assert len([e for e in events(core, tenant, ref.flow_id) if e.event_type == "mapping_approved"]) == len(
        expected
    )
    # again: nothing left at that threshold
    assert mapping_actions.bulk_approve(core.uows, tenant, ref.import_id, threshold).value.approved == 0


def test_bulk_approve_never_gives_one_target_two_columns(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = make_import(columns=["Hostname", "Host Name"], rows=[["web01", "web01"], ["db01", "db01"]])
    suggested(core, tenant, ref.import_id)
    with core.uow(tenant) as uow:
        for m in uow.session.scalars(
            select(ImportFieldMapping).where(ImportFieldMapping.data_import_id == ref.import_id)
        ):
            m.target_field, m.confidence_score, m.match_type = "hostname", 0.9, "exact"  # both want it
        uow.commit()
    res = mapping_actions.bulk_approve(core.uows, tenant, ref.import_id, 0.5).value
    assert res.approved == 1 and len(res.skipped) == 1
    assert "already mapped from column" in res.skipped[0][1]
    assert sorted(r.status for r in rows(core, tenant, ref.import_id).values()) == ["approved", "suggested"]


def test_last_decision_completes_the_phase_and_locks_the_decisions(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = make_import()
    s = suggested(core, tenant, ref.import_id)
    res = mapping_actions.bulk_approve(core.uows, tenant, ref.import_id, 0.0).value
    assert not res.field_mapping_completed  # Zorglub has no target: still pending
    with pytest.raises(MappingIncompleteError) as err:
        mapping_actions.finish_mapping(core.uows, tenant, ref.import_id)
    assert err.value.pending == ["Zorglub"] and "Zorglub" in str(err.value)
    assert flow(core, tenant, ref.flow_id).current_phase == "field_mapping"

    last = mapping_actions.reject(core.uows, tenant, s["Zorglub"].id, 1).value
    assert last.field_mapping_completed and last.phase_advanced
    f = flow(core, tenant, ref.flow_id)
    assert f.field_mapping_completed and f.current_phase == "data_cleansing"
    assert any(e.data.get("to") == "data_cleansing" for e in events(core, tenant, ref.flow_id, "phase_"))

    with pytest.raises(MappingLockedError):
        mapping_actions.revert(core.uows, tenant, s["Zorglub"].id, 2)
    # finishing again is harmless
    again = mapping_actions.finish_mapping(core.uows, tenant, ref.import_id).value
    assert again.field_mapping_completed and not again.phase_advanced


def test_explicit_finish_when_auto_finish_is_off(core: Core, tenant: Tenant, make_import: MakeImport) -> None:
    ref = make_import(columns=["Hostname"], rows=[["web01"]])
    host = suggested(core, tenant, ref.import_id)["Hostname"]
    res = mapping_actions.approve(core.uows, tenant, host.id, 1, auto_finish=False).value
    assert not res.field_mapping_completed
    assert not flow(core, tenant, ref.flow_id).field_mapping_completed
    # undo is still possible before finishing
    mapping_actions.revert(core.uows, tenant, host.id, 2)
    mapping_actions.approve(core.uows, tenant, host.id, 3, auto_finish=False)
    done = mapping_actions.finish_mapping(core.uows, tenant, ref.import_id).value
    assert done.phase_advanced and flow(core, tenant, ref.flow_id).current_phase == "data_cleansing"


def test_auto_map_remaining_decides_everything(core: Core, tenant: Tenant, make_import: MakeImport) -> None:
    ref = make_import()
    s = suggested(core, tenant, ref.import_id)
    res = mapping_actions.auto_map_remaining(core.uows, tenant, ref.import_id).value
    with_target = {n for n, r in s.items() if r.target_field}
    assert res.approved == len(with_target) and res.rejected == len(s) - len(with_target)
    now = rows(core, tenant, ref.import_id)
    assert now["Zorglub"].status == "rejected" and now["Zorglub"].target_field is None
    assert res.counts.pending == 0 and res.field_mapping_completed and res.phase_advanced
    ev = next(e for e in events(core, tenant, ref.flow_id) if e.data.get("source_field") == "Zorglub")
    assert ev.data["via"] == "auto_map_remaining" and "left unmapped" in ev.data["reason"]


def test_import_without_a_flow_can_be_reviewed(core: Core, tenant: Tenant, make_import: MakeImport) -> None:
    ref = make_import(flow=False)
    s = suggested(core, tenant, ref.import_id)
    res = mapping_actions.auto_map_remaining(core.uows, tenant, ref.import_id).value
    assert res.flow_id is None and not res.field_mapping_completed and res.counts.pending == 0
    assert events(core, tenant, ref.import_id)  # logged under the import id
    assert len(s) == res.counts.total
