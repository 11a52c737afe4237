"""Decisions become the client's mapping memory; the next similar import is suggested from it."""

from __future__ import annotations

from core.actions import mapping as mapping_actions
from core.bootstrap import Core
from core.mapping_review import learned_for
from core.uow import Tenant

from .conftest import MakeImport
from .helpers import memory, suggested

BOX = ["Box Label", "Memory"]
BOX_ROWS = [["web01", "4096"], ["db01", "8192"], ["app03", "2048"]]


def test_a_modification_is_suggested_first_on_the_next_import(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    first = make_import(columns=BOX, rows=BOX_ROWS)
    before = suggested(core, tenant, first.import_id)["Box Label"]
    assert before.target_field != "hostname"
    mapping_actions.modify(
        core.uows, tenant, before.id, 1, target_field="hostname", transformation_rules={"case": "lower"}
    )
    mem = memory(core, tenant)
    learned = next(m for m in mem if m["target"] == "hostname")
    assert (learned["header"], learned["approved"], learned["rejected"]) == ("Box Label", 1, 0)
    assert learned["rules"] == {"case": "lower"} and learned["fingerprint"]
    if before.target_field:  # the replaced suggestion counts as rejected
        assert any(m["target"] == before.target_field and m["rejected"] == 1 for m in mem)

    second = make_import(columns=BOX, rows=[["mail02", "1024"], ["web07", "4096"]], filename="servers2.csv")
    after = suggested(core, tenant, second.import_id)["Box Label"]
    assert (after.target_field, after.match_type) == ("hostname", "learned")
    assert after.transformation_rules == {"case": "lower"}  # the rules the consultant settled on
    assert "approved 1 time" in (after.explanation or "")


def test_a_rejection_suppresses_the_pairing(core: Core, tenant: Tenant, make_import: MakeImport) -> None:
    first = make_import()
    name = suggested(core, tenant, first.import_id)["Server Name"]
    target = name.target_field
    assert target  # asset_name or hostname, whatever the suggester prefers today
    mapping_actions.reject(core.uows, tenant, name.id, 1)
    assert any(m["target"] == target and m["rejected"] == 1 for m in memory(core, tenant))
    second = make_import(filename="servers2.csv")
    assert suggested(core, tenant, second.import_id)["Server Name"].target_field != target


def test_revert_forgets_what_the_decision_taught(core: Core, tenant: Tenant, make_import: MakeImport) -> None:
    ref = make_import()
    ip = suggested(core, tenant, ref.import_id)["IP Address"]
    mapping_actions.approve(core.uows, tenant, ip.id, 1)
    assert [(m["target"], m["approved"]) for m in memory(core, tenant)] == [("ip_address", 1)]
    mapping_actions.revert(core.uows, tenant, ip.id, 2)
    assert memory(core, tenant) == []
    # change of mind: reject, then approve after all
    mapping_actions.reject(core.uows, tenant, ip.id, 3)
    mapping_actions.approve(core.uows, tenant, ip.id, 4)
    assert [(m["target"], m["approved"], m["rejected"]) for m in memory(core, tenant)] == [
        ("ip_address", 1, 0)
    ]


def test_memory_is_shared_by_the_client_and_invisible_to_other_clients(
    core: Core,
    tenant: Tenant,
    other_client: Tenant,
    same_client_other_engagement: Tenant,
    make_import: MakeImport,
) -> None:
    first = make_import(columns=BOX, rows=BOX_ROWS)
    box = suggested(core, tenant, first.import_id)["Box Label"]
    mapping_actions.modify(core.uows, tenant, box.id, 1, target_field="hostname")

    sibling = make_import(columns=BOX, rows=BOX_ROWS, tenant_=same_client_other_engagement)
    assert (
        suggested(core, same_client_other_engagement, sibling.import_id)["Box Label"].match_type == "learned"
    )
    with core.uow(same_client_other_engagement) as uow:
        assert any(d.target_field == "hostname" for d in learned_for(uow))

    stranger = make_import(columns=BOX, rows=BOX_ROWS, tenant_=other_client)
    theirs = suggested(core, other_client, stranger.import_id)["Box Label"]
    assert theirs.match_type != "learned" and theirs.target_field == box.target_field
    assert memory(core, other_client) == []  # row-level security: not even readable
    with core.uow(other_client) as uow:
        assert learned_for(uow) == []
