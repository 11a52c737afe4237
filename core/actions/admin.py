"""Administration use cases: memberships on a shared server, demo data. They run as the owner role.

Why here: the CLI holds no database plumbing; it hands the opened `Database` to these functions,
which pick the owner's sessions themselves.
"""

from __future__ import annotations

from core import tenancy
from core.db.database import Database
from core.uow import UnitOfWorkFactory


def grant_membership(
    db: Database,
    *,
    engagement_name: str,
    db_role: str,
    role: str = "member",
    client_name: str | None = None,
    email: str | None = None,
    display_name: str | None = None,
) -> tenancy.MemberInfo:
    """Let a PostgreSQL login role work on an engagement (creating the engagement with a client name)."""
    return tenancy.grant(
        db.admin_sessions(),
        engagement_name=engagement_name,
        db_role=db_role,
        role=role,
        client_name=client_name,
        email=email,
        display_name=display_name,
    )


def revoke_membership(db: Database, *, engagement_name: str, db_role: str, client_name: str | None) -> int:
    """Remove a role's memberships of an engagement; how many were removed."""
    return tenancy.revoke(
        db.admin_sessions(), engagement_name=engagement_name, db_role=db_role, client_name=client_name
    )


def seed_demo(db: Database, uows: UnitOfWorkFactory) -> dict[str, int]:
    """The demo clients and engagements, made through the real import, mapping and flow paths."""
    from core.demo.seed import seed_demo as seed

    return seed(uows, db.admin_sessions())
