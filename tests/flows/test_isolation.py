"""Every flow-state query is tenant-scoped: another engagement's flow does not exist for you."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from core import tenancy
from core.actions.flows import correct_derived_flags
from core.bootstrap import Core
from core.config import Identity
from core.db.database import Database, ensure_login_role
from core.flows import (
    FlowNotFoundError,
    FlowReadOnlyError,
    advance_phase,
    create_discovery_flow,
    flow_status,
    flow_timeline,
    lifecycle,
    locate_flow,
    mark_import_completed,
    recovery,
    run_phase,
    save_flow_state,
)
from core.flows.derived import refresh_derived_flags
from core.flows.reconcile import reconcile
from core.flows.retention import cleanup_flows
from core.uow import Tenant

from .helpers import add_import, admin_sql, flow_factory, get_flow

CALLS: dict[str, Callable[[Any, uuid.UUID], object]] = {
    "flow_status": lambda uow, f: flow_status(uow, f),
    "flow_timeline": lambda uow, f: flow_timeline(uow, f),
    "advance_phase": lambda uow, f: advance_phase(uow, f, "field_mapping"),
    "mark_import_completed": lambda uow, f: mark_import_completed(uow, f),
    "save_flow_state": lambda uow, f: save_flow_state(uow, f, 1, {"flow_state": {"x": 1}}),
    "pause_flow": lambda uow, f: lifecycle.pause(uow, f),
    "resume_flow": lambda uow, f: lifecycle.resume(uow, f),
    "cancel_flow": lambda uow, f: lifecycle.cancel(uow, f),
    "recover_flow": lambda uow, f: recovery.recover(uow, f),
    "refresh_derived_flags": lambda uow, f: refresh_derived_flags(uow, f),
}


@pytest.fixture
def other(core: Core) -> tuple[Tenant, uuid.UUID]:
    """A flow in a second engagement of another client."""
    suffix = uuid.uuid4().hex[:8]
    ref = tenancy.ensure_engagement(core.db.admin_sessions(), f"Other {suffix}", f"E {suffix}", core.user_id)
    tenant = core.tenant_for(ref)
    return tenant, flow_factory(core, tenant)()


@pytest.mark.parametrize("call", sorted(CALLS))
def test_a_flow_of_another_engagement_is_not_found_from_yours(
    core: Core, tenant: Tenant, other: tuple[Tenant, uuid.UUID], call: str
) -> None:
    other_tenant, flow_id = other
    with core.uow(tenant) as uow, pytest.raises(FlowNotFoundError):
        CALLS[call](uow, flow_id)
    assert get_flow(core, other_tenant, flow_id).version == 1  # untouched


def test_run_phase_on_another_engagements_flow_is_not_found(
    core: Core, tenant: Tenant, other: tuple[Tenant, uuid.UUID]
) -> None:
    _, flow_id = other
    ran: list[bool] = []
    with pytest.raises(FlowNotFoundError):
        run_phase(core.uows, tenant, flow_id, "data_import", lambda uow, p: ran.append(True))
    assert not ran


@pytest.mark.parametrize("call", sorted(CALLS))
def test_without_membership_even_the_right_tenant_sees_nothing(
    core: Core, other: tuple[Tenant, uuid.UUID], call: str
) -> None:
    other_tenant, flow_id = other
    admin_sql(core, "DELETE FROM engagement_members WHERE engagement_id = :e", e=other_tenant.engagement_id)
    with pytest.raises(FlowNotFoundError):
        locate_flow(core.uows, flow_id)
    with core.uow(other_tenant) as uow, pytest.raises(FlowNotFoundError):  # RLS: not a member
        CALLS[call](uow, flow_id)


def test_reconcile_and_cleanup_only_see_member_engagements(
    core: Core, other: tuple[Tenant, uuid.UUID]
) -> None:
    other_tenant, _ = other
    admin_sql(core, "DELETE FROM engagement_members WHERE engagement_id = :e", e=other_tenant.engagement_id)
    visible = {e.engagement_id for e in tenancy.list_engagements(core.sessions)}
    assert other_tenant.engagement_id not in visible
    with core.db.admin_engine.connect() as conn:
        client = conn.exec_driver_sql(
            f"SELECT name FROM client_accounts WHERE id = '{other_tenant.client_account_id}'"
        ).scalar_one()
    with pytest.raises(Exception, match="no client"):
        reconcile(core.uows, client=client)
    with pytest.raises(Exception, match="no client"):
        cleanup_flows(core.uows, older_than_days=0, client=client)


def test_locate_flow_finds_the_owning_engagement(core: Core, other: tuple[Tenant, uuid.UUID]) -> None:
    other_tenant, flow_id = other
    assert locate_flow(core.uows, flow_id).engagement_id == other_tenant.engagement_id
    with pytest.raises(FlowNotFoundError):
        locate_flow(core.uows, uuid.uuid4())
    with pytest.raises(FlowNotFoundError, match="not a flow id"):
        locate_flow(core.uows, "not-a-uuid")


VIEWER = "md_test_flow_viewer"


@pytest.fixture
def viewer(core: Core, engagement: tenancy.EngagementRef) -> Iterator[tuple[Core, Tenant]]:
    """A second consultant who may only read the test engagement."""
    ensure_login_role(core.db.admin_engine, VIEWER)
    info = tenancy.grant(
        core.db.admin_sessions(),
        engagement_name=engagement.engagement_name,
        client_name=engagement.client_name,
        db_role=VIEWER,
        role="viewer",
        email="viewer@example.com",
    )
    url = make_url(core.db.app_url).set(username=VIEWER).render_as_string(hide_password=False)
    db = Database(mode="shared", app_url=url, admin_url=core.db.admin_url)
    viewer_core = Core(
        settings=core.settings, db=db, identity=Identity("Viewer", "viewer@example.com"), user_id=info.user_id
    )
    yield viewer_core, viewer_core.tenant_for(engagement)
    db.close()


def test_a_viewer_reads_but_cannot_change_flow_state(
    core: Core, tenant: Tenant, engagement: tenancy.EngagementRef, viewer: tuple[Core, Tenant]
) -> None:
    viewer_core, viewer_tenant = viewer
    with core.uow(tenant) as uow:  # an import whose flag was never set: a write-through candidate
        flow_id = create_discovery_flow(uow, data_import_id=add_import(uow, 2), flow_name="viewed").id
        uow.commit()
    with viewer_core.uow(viewer_tenant) as uow:
        status = flow_status(uow, flow_id)  # the read works; the correction is not the viewer's to make
    assert status["version"] == 1 and not status["flags"]["data_import_completed"]
    for call in ("advance_phase", "save_flow_state", "pause_flow", "recover_flow", "refresh_derived_flags"):
        with viewer_core.uow(viewer_tenant) as uow, pytest.raises(FlowReadOnlyError):
            CALLS[call](uow, flow_id)
    with pytest.raises(FlowReadOnlyError):  # the explicit correction is a write: not the viewer's
        correct_derived_flags(viewer_core.uows, viewer_tenant, flow_id)
    report = reconcile(viewer_core.uows, apply=True, client=engagement.client_name)
    assert not report.fixes and [r.field for r in report.rows] == ["*"]
    assert get_flow(core, tenant, flow_id).version == 1
