"""Composition root: the app, the CLI and the tests all build their `Core` here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from core import tenancy
from core.config import Identity, Settings, fallback_identity, load_settings
from core.db.database import LOCAL_ROLE, Database, open_database
from core.errors import ConfigurationError, UserInputError
from core.uow import Tenant, UnitOfWork, UnitOfWorkFactory


@dataclass
class Core:
    """What every front end needs: the database, who is acting, and tenant-scoped units of work."""

    settings: Settings
    db: Database
    identity: Identity
    user_id: uuid.UUID
    _app_sessions: sessionmaker[Session] | None = field(default=None, repr=False)
    _uows: UnitOfWorkFactory | None = field(default=None, repr=False)

    @property
    def sessions(self) -> sessionmaker[Session]:
        """Session factory bound to the RLS-restricted application role."""
        if self._app_sessions is None:
            self._app_sessions = self.db.app_sessions()
        return self._app_sessions

    @property
    def uows(self) -> UnitOfWorkFactory:
        """Units of work on the application role, with the process's commit hooks: what services take."""
        if self._uows is None:
            self._uows = UnitOfWorkFactory(self.sessions, user_id=self.user_id, actor=self.identity.label)
        return self._uows

    def tenant_for(self, ref: tenancy.EngagementRef) -> Tenant:
        return self.uows.tenant_for(ref)

    def uow(self, tenant: Tenant | None = None) -> UnitOfWork:
        return self.uows(tenant)

    def engagement(
        self, client_name: str, engagement_name: str, *, create: bool = False
    ) -> tenancy.EngagementRef:
        """Resolve an engagement by names; on the embedded database create it on first use."""
        ref = tenancy.find_engagement(self.sessions, client_name, engagement_name)
        if ref is not None:
            return ref
        if create and self.db.mode == "embedded":
            return tenancy.ensure_engagement(
                self.db.admin_sessions(), client_name, engagement_name, self.user_id
            )
        hint = (
            "a lead can create it with "
            "`migration-discovery db grant --client NAME --engagement NAME --user ROLE`"
            if self.db.mode == "shared"
            else "check the names"
        )
        raise UserInputError(
            f"no engagement {engagement_name!r} of client {client_name!r} that you are a member of", hint=hint
        )

    def close(self) -> None:
        self.db.close()


def bootstrap(
    settings: Settings | None = None,
    *,
    database_url: str | None = None,
    data_dir: str | None = None,
    identity: Identity | None = None,
) -> Core:
    """Open the database for these settings and establish who is acting."""
    settings = settings or load_settings(database_url=database_url, data_dir=data_dir)
    db = open_database(settings)
    try:
        if db.mode == "embedded":
            who = identity or settings.identity or fallback_identity()
            user_id = tenancy.ensure_user(db.admin_sessions(), who, LOCAL_ROLE)
        else:
            found = tenancy.user_for_session_role(db.app_sessions())
            if found is None:
                raise ConfigurationError(
                    "your database login is not registered as a consultant on this server",
                    hint="ask an engagement lead to run `migration-discovery db grant --engagement NAME "
                    "--user YOUR_ROLE`",
                )
            user_id, who = found
        return Core(settings=settings, db=db, identity=who, user_id=user_id)
    except BaseException:
        db.close()
        raise
