"""Issue 12.5: memory learns only what a person decided, says who taught it and when, and forgets."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.actions import mapping as mapping_actions
from core.bootstrap import Core
from core.db.models import MappingMemory
from core.uow import Tenant

from .conftest import MakeImport
from .helpers import events, memory, rows, suggested

BOX = ["Box Label", "Memory"]
BOX_ROWS = [["web01", "4096"], ["db01", "8192"], ["app03", "2048"]]
TEACHER = "Test Consultant <tester@example.com>"


def teach_box_label(core: Core, tenant: Tenant, make_import: MakeImport) -> None:
    """A consultant maps "Box Label" onto hostname by hand (a person's decision)."""
    first = make_import(columns=BOX, rows=BOX_ROWS)
    box = suggested(core, tenant, first.import_id)["Box Label"]
    assert box.target_field != "hostname"
    mapping_actions.modify(core.uows, tenant, box.id, box.version, target_field="hostname")


def test_auto_finish_teaches_nothing(core: Core, tenant: Tenant, make_import: MakeImport) -> None:
    first = make_import()
    suggested(core, tenant, first.import_id)
    done = mapping_actions.finish_flow_mapping(
        core.uows, tenant, first.flow_id, auto=True, min_confidence=0.0
    ).value
    assert done.auto is not None and done.auto.approved >= 4
    assert all(r.decided_via == "auto" for r in rows(core, tenant, first.import_id).values())
    assert memory(core, tenant) == []

    second = make_import(filename="servers2.csv")
    assert not any(r.match_type == "learned" for r in suggested(core, tenant, second.import_id).values())


def test_undoing_an_auto_decision_takes_nothing_from_what_a_person_taught(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    taught = make_import(columns=["IP Address"], rows=[["10.0.0.1"]])
    ip = suggested(core, tenant, taught.import_id)["IP Address"]
    mapping_actions.approve(core.uows, tenant, ip.id, ip.version)
    assert [(m["target"], m["approved"]) for m in memory(core, tenant)] == [("ip_address", 1)]

    auto = make_import(columns=["IP Address"], rows=[["10.0.0.2"]], flow=False)  # stays editable
    suggested(core, tenant, auto.import_id)
    mapping_actions.auto_map_remaining(core.uows, tenant, auto.import_id, min_confidence=0.0)
    assert [(m["target"], m["approved"]) for m in memory(core, tenant)] == [("ip_address", 1)]
    row = rows(core, tenant, auto.import_id)["IP Address"]
    assert (row.status, row.decided_via) == ("approved", "auto")
    mapping_actions.revert(core.uows, tenant, row.id, row.version)
    assert [(m["target"], m["approved"]) for m in memory(core, tenant)] == [("ip_address", 1)]
    # a person's decision on the same row teaches again
    row = rows(core, tenant, auto.import_id)["IP Address"]
    mapping_actions.approve(core.uows, tenant, row.id, row.version)
    assert [(m["target"], m["approved"]) for m in memory(core, tenant)] == [("ip_address", 2)]
    assert rows(core, tenant, auto.import_id)["IP Address"].decided_via == "person"


def test_bulk_approval_at_a_chosen_threshold_teaches(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = make_import()
    suggested(core, tenant, ref.import_id)
    res = mapping_actions.bulk_approve(core.uows, tenant, ref.import_id, 0.95, auto_finish=False).value
    assert res.approved > 0
    learned = {m["header"] for m in memory(core, tenant) if m["approved"]}
    approved = {n for n, r in rows(core, tenant, ref.import_id).items() if r.status == "approved"}
    assert learned == approved
    assert {r.decided_via for r in rows(core, tenant, ref.import_id).values() if r.status == "approved"} == {
        "bulk"
    }


def test_a_learned_mapping_says_who_taught_it_and_when(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    teach_box_label(core, tenant, make_import)
    with core.uow(tenant) as uow:
        entry = uow.session.scalars(
            select(MappingMemory).where(MappingMemory.target_field == "hostname")
        ).one()
        assert (entry.taught_by, entry.taught_by_name) == (tenant.user_id, TEACHER)
        assert entry.taught_at is not None
        day = entry.taught_at.astimezone(dt.UTC).date().isoformat()

    second = make_import(columns=BOX, rows=BOX_ROWS, filename="servers2.csv")
    box = suggested(core, tenant, second.import_id)["Box Label"]
    assert (box.target_field, box.match_type) == ("hostname", "learned")
    assert f"taught by {TEACHER} on {day}" in (box.explanation or "")


def test_forgetting_a_learned_mapping(core: Core, tenant: Tenant, make_import: MakeImport) -> None:
    teach_box_label(core, tenant, make_import)
    second = make_import(columns=BOX, rows=BOX_ROWS, filename="servers2.csv")
    assert suggested(core, tenant, second.import_id)["Box Label"].match_type == "learned"

    done = mapping_actions.forget_learned(core.uows, tenant, second.import_id, "Box Label")
    result = done.value
    assert {e.target_field for e in result.forgotten} >= {"hostname"}
    hostname = next(e for e in result.forgotten if e.target_field == "hostname")
    assert (hostname.approved_count, hostname.taught_by) == (1, TEACHER)
    assert not any(m["header"] == "Box Label" for m in memory(core, tenant))
    # the pending row is suggested afresh, without what was forgotten
    assert result.row is not None and result.row.match_type != "learned"
    assert rows(core, tenant, second.import_id)["Box Label"].match_type != "learned"
    assert done.changes.mappings and second.import_id in done.changes.import_ids
    forgot = [e for e in events(core, tenant, second.flow_id) if e.event_type == "mapping_memory_forgotten"]
    assert len(forgot) == 1 and forgot[0].actor == TEACHER
    assert forgot[0].data["source_field"] == "Box Label"

    third = make_import(columns=BOX, rows=BOX_ROWS, filename="servers3.csv")
    assert suggested(core, tenant, third.import_id)["Box Label"].match_type != "learned"
    # forgetting again is harmless
    again = mapping_actions.forget_learned(core.uows, tenant, third.import_id, "Box Label").value
    assert again.forgotten == () and not again.memory_changed
