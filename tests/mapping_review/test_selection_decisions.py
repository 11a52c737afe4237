"""Deciding a selection of rows in one transaction, and leaving every unmatched column unmapped."""

from __future__ import annotations

import pytest

from core.actions import mapping as mapping_actions
from core.actions.mapping import Decision
from core.bootstrap import Core
from core.mapping_review import DuplicateTargetError, MappingConflictError
from core.uow import Tenant

from .conftest import MakeImport
from .helpers import events, rows, suggested

APPROVE, REJECT = Decision("approved"), Decision("rejected")


def test_a_selection_is_decided_in_one_transaction_and_undone_row_by_row(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = make_import()
    s = suggested(core, tenant, ref.import_id)
    mapping_actions.reject(core.uows, tenant, s["IP Address"].id, 1, auto_finish=False)
    now = rows(core, tenant, ref.import_id)
    picked = ["Server Name", "IP Address", "RAM (MB)"]
    items = [(now[n].id, now[n].version, APPROVE) for n in picked] + [
        (now["Zorglub"].id, now["Zorglub"].version, REJECT)
    ]
    done = mapping_actions.set_decisions(core.uows, tenant, items)
    after = rows(core, tenant, ref.import_id)
    assert {n: after[n].status for n in [*picked, "Zorglub"]} == {
        "Server Name": "approved",
        "IP Address": "approved",  # the rejected row of the selection is approved like the others
        "RAM (MB)": "approved",
        "Zorglub": "rejected",
    }
    assert set(done.value.states) == {i[0] for i in items}
    assert done.value.priors[now["IP Address"].id].status == "rejected"
    assert done.value.priors[now["Server Name"].id].status == "suggested"
    assert done.changes.mapping_ids == {i[0] for i in items}
    undo = [(mid, done.value.states[mid].version, done.value.priors[mid]) for mid, _, _ in items]
    restored = mapping_actions.restore_decisions(core.uows, tenant, undo)
    back = rows(core, tenant, ref.import_id)
    assert {n: back[n].status for n in [*picked, "Zorglub"]} == {
        "Server Name": "suggested",
        "IP Address": "rejected",
        "RAM (MB)": "suggested",
        "Zorglub": "suggested",
    }
    assert restored.value[now["IP Address"].id].status == "rejected"


def test_a_selection_is_all_or_nothing(core: Core, tenant: Tenant, make_import: MakeImport) -> None:
    ref = make_import()
    s = suggested(core, tenant, ref.import_id)
    target = s["Server Name"].target_field
    assert target
    # another column already holds the target "Server Name" suggests
    mapping_actions.modify(core.uows, tenant, s["Zorglub"].id, 1, target_field=target, auto_finish=False)
    before = len(events(core, tenant, ref.flow_id))
    items = [(s["IP Address"].id, 1, APPROVE), (s["Server Name"].id, 1, APPROVE)]
    with pytest.raises(DuplicateTargetError):
        mapping_actions.set_decisions(core.uows, tenant, items)
    now = rows(core, tenant, ref.import_id)
    assert now["IP Address"].status == "suggested"  # nothing of the selection was written
    assert len(events(core, tenant, ref.flow_id)) == before
    with pytest.raises(MappingConflictError):  # a stale version refuses the whole selection too
        mapping_actions.set_decisions(
            core.uows, tenant, [(s["IP Address"].id, 1, REJECT), (s["Zorglub"].id, 1, REJECT)]
        )
    assert rows(core, tenant, ref.import_id)["IP Address"].status == "suggested"


def test_a_selection_may_move_a_target_between_its_rows(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = make_import()
    s = suggested(core, tenant, ref.import_id)
    target = s["Server Name"].target_field
    mapping_actions.approve(core.uows, tenant, s["Server Name"].id, 1, auto_finish=False)
    held = rows(core, tenant, ref.import_id)["Server Name"]
    items = [
        (s["Zorglub"].id, 1, Decision("modified", target)),  # takes the target ...
        (held.id, held.version, REJECT),  # ... that this row gives up
    ]
    done = mapping_actions.set_decisions(core.uows, tenant, items)
    assert done.value.states[s["Zorglub"].id].target_field == target
    undo = [(mid, done.value.states[mid].version, done.value.priors[mid]) for mid, _, _ in items]
    mapping_actions.restore_decisions(core.uows, tenant, undo)
    back = rows(core, tenant, ref.import_id)
    assert back["Server Name"].status == "approved" and back["Server Name"].target_field == target
    assert back["Zorglub"].status == "suggested"


def test_leave_unmatched_unmapped_rejects_only_pending_rows_without_a_target(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = make_import(
        columns=["Server Name", "Zorglub", "Quux", "IP Address"],
        rows=[["web01", "a1", "x", "10.0.0.1"], ["db01", "b2", "y", "10.0.0.2"]],
    )
    s = suggested(core, tenant, ref.import_id)
    unmatched = {n for n, r in s.items() if r.target_field is None}
    assert {"Zorglub", "Quux"} <= unmatched and s["Server Name"].target_field
    mapping_actions.approve(core.uows, tenant, s["Server Name"].id, 1, auto_finish=False)
    done = mapping_actions.leave_unmatched_unmapped(core.uows, tenant, ref.import_id)
    now = rows(core, tenant, ref.import_id)
    assert {n for n, r in now.items() if r.status == "rejected"} == unmatched
    assert now["Server Name"].status == "approved" and now["IP Address"].status == "suggested"
    assert done.value.result.rejected == len(unmatched)
    assert set(done.value.states) == {now[n].id for n in unmatched}
    assert all(now[n].approved_by == "Test Consultant" for n in unmatched)
    assert done.changes.mapping_ids == {now[n].id for n in unmatched}
    assert not done.value.result.phase_advanced  # the consultant finishes explicitly
    rejected = [e for e in events(core, tenant, ref.flow_id) if e.event_type == "mapping_rejected"]
    assert {e.data["source_field"] for e in rejected} == unmatched
    # nothing left to do: a second call changes nothing
    again = mapping_actions.leave_unmatched_unmapped(core.uows, tenant, ref.import_id)
    assert again.value.result.rejected == 0 and not again.changes.mapping_ids
    # undo is the bulk revert
    versions = {mid: st.version for mid, st in done.value.states.items()}
    mapping_actions.revert_many(core.uows, tenant, versions)
    assert all(rows(core, tenant, ref.import_id)[n].status == "suggested" for n in unmatched)
