"""Pull it first: an engagement that exists only on the server comes onto a fresh laptop, same ids."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core import tenancy
from core.actions.mapping import finish_flow_mapping
from core.bootstrap import Core
from core.config import Settings
from core.db import migrate
from core.db.database import Database, ensure_login_role
from core.db.models import DataImport, RawImportRecord
from core.errors import UserInputError
from core.imports import import_file
from core.sync.engine import SyncRefused
from core.sync.service import adopt_engagement, run
from core.uow import Tenant

from .conftest import IDENTITY, ROLE, SharedServer


def _fresh_laptop(make_database: Callable[[], str], role_url: Callable[[str, str], str], tmp: Path) -> Core:
    admin_url = make_database()
    migrate.upgrade(admin_url)
    db = Database(mode="shared", app_url=role_url(admin_url, ROLE), admin_url=admin_url)
    ensure_login_role(db.admin_engine, ROLE)
    user_id = tenancy.ensure_user(db.admin_sessions(), IDENTITY, ROLE)
    settings = Settings(data_dir=tmp, database_url=db.app_url)
    return Core(settings=settings, db=db, identity=IDENTITY, user_id=user_id)


def test_an_engagement_only_the_server_has_is_pulled_onto_a_fresh_laptop(
    core: Core, tenant: Tenant, shared: SharedServer, engagement: tenancy.EngagementRef, make_database,
    role_url, tmp_path: Path,
) -> None:  # fmt: skip
    csv = tmp_path / "servers.csv"
    csv.write_text("Server Name,IP Address\n" + "".join(f"h{i},10.0.0.{i}\n" for i in range(1, 41)), "utf-8")
    made = import_file(core.uows, tenant, csv)
    finish_flow_mapping(core.uows, tenant, made.flow_id, auto=True)
    run(core.db, tenant, shared.consultant_url)  # laptop A pushes

    fresh = _fresh_laptop(make_database, role_url, tmp_path / "b")
    assert tenancy.find_engagement(fresh.sessions, engagement.client_name, engagement.engagement_name) is None
    ref = adopt_engagement(fresh.db, shared.consultant_url, engagement.client_name.upper(),
                           engagement.engagement_name, fresh.user_id)  # fmt: skip
    assert ref.client_account_id == engagement.client_account_id
    assert ref.engagement_id == engagement.engagement_id
    assert ref.client_name == engagement.client_name  # the server's spelling
    report = run(fresh.db, fresh.tenant_for(ref), shared.consultant_url)
    assert report.pulled["raw_import_records"] == 40
    with fresh.uow(fresh.tenant_for(ref)) as uow:
        assert uow.session.scalar(select(func.count()).select_from(DataImport)) == 1
        assert uow.session.scalar(select(func.count()).select_from(RawImportRecord)) == 40
    # adopting again changes nothing
    again = adopt_engagement(
        fresh.db, shared.consultant_url, engagement.client_name, engagement.engagement_name, fresh.user_id
    )
    assert again == ref
    fresh.db.close()


def test_pull_first_is_refused_for_an_engagement_the_login_may_not_see(
    core: Core, shared_server: SharedServer, make_database, role_url, tmp_path: Path
) -> None:
    other = tenancy.ensure_engagement(core.db.admin_sessions(), "Elsewhere Ltd", "Private", core.user_id)
    with shared_server.db.admin_sessions()() as s:  # on the server, but this login is no member
        from core.db.models import ClientAccount, Engagement

        s.add(ClientAccount(id=other.client_account_id, name=other.client_name))
        s.flush()
        s.add(Engagement(id=other.engagement_id, client_account_id=other.client_account_id, name="Private"))
        s.commit()
    fresh = _fresh_laptop(make_database, role_url, tmp_path / "c")
    with pytest.raises((UserInputError, SyncRefused), match="Private"):
        adopt_engagement(fresh.db, shared_server.consultant_url, "Elsewhere Ltd", "Private", fresh.user_id)
    assert tenancy.find_engagement(fresh.sessions, "Elsewhere Ltd", "Private") is None
    fresh.db.close()


def _offline_engagement(core: Core, client: str, name: str, tmp_path: Path) -> Tenant:
    ref = tenancy.ensure_engagement(core.db.admin_sessions(), client, name, core.user_id)
    tenant = core.tenant_for(ref)
    csv = tmp_path / f"{name}.csv"
    csv.write_text("Server Name,IP Address\n" + "".join(f"n{i},10.1.0.{i}\n" for i in range(1, 11)), "utf-8")
    import_file(core.uows, tenant, csv)
    return tenant


def test_an_engagement_made_offline_is_pushed_when_the_login_leads_the_client_there(
    core: Core, shared: SharedServer, engagement: tenancy.EngagementRef, tmp_path: Path
) -> None:
    tenant = _offline_engagement(core, engagement.client_name, "Made offline", tmp_path)
    report = run(core.db, tenant, shared.consultant_url)
    assert report.pushed["engagements"] == 1 and report.pushed["raw_import_records"] == 10
    with shared.db.admin_sessions()() as s:
        from core.db.models import Engagement, EngagementMember

        made = s.get(Engagement, tenant.engagement_id)
        assert made is not None and made.name == "Made offline"
        roles = [m.role for m in s.query(EngagementMember).filter_by(engagement_id=tenant.engagement_id)]
    assert roles == ["lead"]


def test_an_engagement_made_offline_is_refused_with_the_reason_when_the_login_does_not_lead_there(
    core: Core, shared_server: SharedServer, engagement: tenancy.EngagementRef, tmp_path: Path
) -> None:
    from .conftest import mirror

    mirror(shared_server, engagement, role="member")  # a member, not a lead, of the client there
    tenant = _offline_engagement(core, engagement.client_name, "Not allowed", tmp_path)
    with pytest.raises(SyncRefused, match="only a lead"):
        run(core.db, tenant, shared_server.consultant_url)
    new_client = _offline_engagement(core, f"Brand new {engagement.client_name}", "E", tmp_path)
    with pytest.raises(SyncRefused, match="client is not on the server"):
        run(core.db, new_client, shared_server.consultant_url)
    with shared_server.db.admin_sessions()() as s:
        from core.db.models import Engagement

        assert s.get(Engagement, tenant.engagement_id) is None
        assert s.get(Engagement, new_client.engagement_id) is None
