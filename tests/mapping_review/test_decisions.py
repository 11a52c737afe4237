"""Approve / reject / modify / revert: versions, who and when, events, validation, duplicates."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from core import tenancy
from core.actions import mapping as mapping_actions
from core.bootstrap import Core
from core.mapping_review import (
    DuplicateTargetError,
    MappingConflictError,
    MappingDecisionError,
    approve,
    mapping_rows,
)
from core.uow import Tenant, UnitOfWork

from .conftest import MakeImport
from .helpers import events, rows, suggested


def test_each_decision_bumps_version_records_actor_and_logs_an_event(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = make_import()
    s = suggested(core, tenant, ref.import_id)
    ip, ram, zorg = s["IP Address"], s["RAM (MB)"], s["Zorglub"]

    res = mapping_actions.approve(core.uows, tenant, ip.id, 1).value
    assert (res.changed, res.status, res.version, res.new_target) == (True, "approved", 2, "ip_address")
    assert res.mapping_ids == {ip.id} and res.versions == {ip.id: 2} and res.memory_changed

    res = mapping_actions.reject(core.uows, tenant, zorg.id, 1, reason="internal code").value
    assert (res.status, res.version) == ("rejected", 2)

    res = mapping_actions.modify(
        core.uows, tenant, ram.id, 1, target_field="memory_gb", transformation_rules={"scale": 0.001}
    ).value
    assert (res.status, res.version, res.old_target, res.new_target) == (
        "modified",
        2,
        "memory_gb",
        "memory_gb",
    )

    now = rows(core, tenant, ref.import_id)
    for name in ("IP Address", "Zorglub", "RAM (MB)"):
        assert now[name].approved_by == "Test Consultant" and now[name].approved_by_id == core.user_id
        assert now[name].approved_at is not None
    assert now["RAM (MB)"].transformation_rules == {"scale": 0.001}
    assert now["RAM (MB)"].suggested_target == "memory_gb"

    # undo: back to the original suggestion
    res = mapping_actions.revert(core.uows, tenant, ram.id, 2).value
    assert (res.status, res.version) == ("suggested", 3)
    back = rows(core, tenant, ref.import_id)["RAM (MB)"]
    assert back.transformation_rules == ram.transformation_rules and back.approved_by is None

    evs = events(core, tenant, ref.flow_id)
    kinds = [e.event_type for e in evs if e.event_type != "mapping_suggested"]
    assert kinds == ["mapping_approved", "mapping_rejected", "mapping_modified", "mapping_reverted"]
    approved_ev = next(e for e in evs if e.event_type == "mapping_approved")
    assert approved_ev.actor == core.identity.label and approved_ev.actor_user_id == core.user_id
    assert approved_ev.data["source_field"] == "IP Address"
    assert approved_ev.data["new_target"] == "ip_address" and approved_ev.data["mapping_version"] == 2
    assert next(e for e in evs if e.event_type == "mapping_rejected").data["reason"] == "internal code"


def test_repeating_a_decision_changes_nothing(core: Core, tenant: Tenant, make_import: MakeImport) -> None:
    ref = make_import()
    ip = suggested(core, tenant, ref.import_id)["IP Address"]
    mapping_actions.approve(core.uows, tenant, ip.id, 1)
    again = mapping_actions.approve(core.uows, tenant, ip.id, 2).value
    assert not again.changed and again.version == 2
    assert len([e for e in events(core, tenant, ref.flow_id) if e.event_type == "mapping_approved"]) == 1


def test_stale_version_raises_conflict_with_the_current_decision(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = make_import()
    ip = suggested(core, tenant, ref.import_id)["IP Address"]
    mapping_actions.reject(core.uows, tenant, ip.id, 1)
    with pytest.raises(MappingConflictError) as err:
        mapping_actions.approve(core.uows, tenant, ip.id, 1)
    current = err.value.current
    assert (current.status, current.version, current.decided_by) == ("rejected", 2, "Test Consultant")
    assert "rejected" in str(err.value) and "version 1" in str(err.value)
    assert rows(core, tenant, ref.import_id)["IP Address"].status == "rejected"


def test_modify_is_validated(core: Core, tenant: Tenant, make_import: MakeImport) -> None:
    ref = make_import()
    zorg = suggested(core, tenant, ref.import_id)["Zorglub"]
    bad = [
        {"target_field": "no_such_field"},
        {"target_field": "hostname", "data_type": "decimal"},
        {"target_field": "memory_gb", "transformation_rules": {"scale": "1/1024"}},
        {"target_field": "memory_gb", "transformation_rules": {"case": "shout"}},
        {"target_field": None},
    ]
    for kwargs in bad:
        with pytest.raises(MappingDecisionError) as err:
            mapping_actions.modify(core.uows, tenant, zorg.id, 1, **kwargs)  # type: ignore[arg-type]
        assert err.value.column == "Zorglub"
    res = mapping_actions.modify(
        core.uows, tenant, zorg.id, 1, target_field="cost_center", data_type="integer"
    ).value
    assert res.new_target == "cost_center"
    assert rows(core, tenant, ref.import_id)["Zorglub"].transformation_rules == {"data_type": "integer"}


def test_second_column_onto_a_single_target_is_refused(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = make_import(
        columns=["Hostname", "Computer Name", "Labels", "Tags"],
        rows=[["web01", "WEB01", "a:b", "x:y"], ["db01", "DB01", "c:d", "z:w"]],
    )
    s = suggested(core, tenant, ref.import_id)
    mapping_actions.approve(core.uows, tenant, s["Hostname"].id, 1)
    with pytest.raises(DuplicateTargetError) as err:
        mapping_actions.modify(
            core.uows, tenant, s["Computer Name"].id, s["Computer Name"].version, target_field="hostname"
        )
    assert "Hostname" in str(err.value) and err.value.other.source_field == "Hostname"
    assert rows(core, tenant, ref.import_id)["Computer Name"].status == "suggested"
    # list-like targets take several columns
    mapping_actions.modify(core.uows, tenant, s["Labels"].id, s["Labels"].version, target_field="tags")
    mapping_actions.modify(core.uows, tenant, s["Tags"].id, s["Tags"].version, target_field="tags")
    assert {
        r.target_field for r in rows(core, tenant, ref.import_id).values() if r.status != "suggested"
    } == {
        "hostname",
        "tags",
    }


def test_a_viewer_can_read_but_not_decide(
    core: Core,
    tenant: Tenant,
    engagement: tenancy.EngagementRef,
    make_import: MakeImport,
    role_url: Callable[[str, str], str],
) -> None:
    ref = make_import()
    ip = suggested(core, tenant, ref.import_id)["IP Address"]
    role = f"md_t_viewer_{uuid.uuid4().hex[:6]}"
    with core.db.admin_engine.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    engine = create_engine(role_url(core.db.admin_url, role))
    try:
        tenancy.grant(
            core.db.admin_sessions(),
            engagement_name=engagement.engagement_name,
            client_name=engagement.client_name,
            db_role=role,
            role="viewer",
        )
        viewer = Tenant(tenant.client_account_id, tenant.engagement_id, None, "Vera Viewer")
        with UnitOfWork(sessionmaker(engine), viewer) as uow:
            assert len(mapping_rows(uow, ref.import_id)) == 6
            with pytest.raises(MappingDecisionError, match="not decide"):
                approve(uow, ip.id, 1)
    finally:
        engine.dispose()
        with core.db.admin_engine.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
    assert rows(core, tenant, ref.import_id)["IP Address"].status == "suggested"
