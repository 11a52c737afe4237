"""Client accounts, engagements, consultants and membership.

Creating tenants and granting access are owner (admin) operations: the application role can
read only the engagements its login role is a member of and cannot write these tables at all.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from core.config import Identity
from core.db.models import MEMBER_ROLES, ClientAccount, Engagement, EngagementMember, User
from core.errors import UserInputError

_ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$.-]{0,62}$")


@dataclass(frozen=True)
class EngagementRef:
    client_account_id: uuid.UUID
    client_name: str
    engagement_id: uuid.UUID
    engagement_name: str


@dataclass(frozen=True)
class MemberInfo:
    engagement: EngagementRef
    db_role: str
    role: str
    user_id: uuid.UUID


def ensure_user(admin: sessionmaker[Session], identity: Identity, db_role: str) -> uuid.UUID:
    """Register (or refresh) a consultant and the PostgreSQL role they log in with."""
    with admin() as s, s.begin():
        user = s.scalar(select(User).where(User.email == identity.email))
        if user is None:
            user = User(display_name=identity.display_name, email=identity.email, db_role=db_role)
            s.add(user)
        else:
            user.display_name = identity.display_name
            user.db_role = db_role
        s.flush()
        return user.id


def _get_or_create_client(s: Session, name: str) -> ClientAccount:
    client = s.scalar(select(ClientAccount).where(func.lower(ClientAccount.name) == name.lower()))
    if client is None:
        client = ClientAccount(name=name)
        s.add(client)
        s.flush()
    return client


def _validate_name(kind: str, name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise UserInputError(f"the {kind} name is empty", hint=f"pass --{kind} NAME")
    if len(name) > 200:
        raise UserInputError(f"the {kind} name is longer than 200 characters", hint="shorten it")
    return name


def ensure_engagement(
    admin: sessionmaker[Session], client_name: str, engagement_name: str, lead_user_id: uuid.UUID | None
) -> EngagementRef:
    """Create the client and engagement on first use; make `lead_user_id` its lead."""
    client_name = _validate_name("client", client_name)
    engagement_name = _validate_name("engagement", engagement_name)
    with admin() as s, s.begin():
        client = _get_or_create_client(s, client_name)
        eng = s.scalar(
            select(Engagement).where(
                Engagement.client_account_id == client.id,
                func.lower(Engagement.name) == engagement_name.lower(),
            )
        )
        if eng is None:
            eng = Engagement(client_account_id=client.id, name=engagement_name)
            s.add(eng)
            s.flush()
        if lead_user_id is not None:
            _upsert_member(s, client.id, eng.id, lead_user_id, "lead", only_if_missing=True)
        return EngagementRef(client.id, client.name, eng.id, eng.name)


def _upsert_member(
    s: Session,
    client_id: uuid.UUID,
    eng_id: uuid.UUID,
    user_id: uuid.UUID,
    role: str,
    *,
    only_if_missing: bool,
) -> None:
    member = s.scalar(
        select(EngagementMember).where(
            EngagementMember.engagement_id == eng_id, EngagementMember.user_id == user_id
        )
    )
    if member is None:
        s.add(EngagementMember(client_account_id=client_id, engagement_id=eng_id, user_id=user_id, role=role))
    elif not only_if_missing:
        member.role = role
    s.flush()


def find_engagement(
    sessions: sessionmaker[Session], client_name: str, engagement_name: str
) -> EngagementRef | None:
    """Look an engagement up by names, as the current role sees it (RLS hides the others)."""
    with sessions() as s:
        row = s.execute(
            select(ClientAccount.id, ClientAccount.name, Engagement.id, Engagement.name)
            .join(Engagement, Engagement.client_account_id == ClientAccount.id)
            .where(
                func.lower(ClientAccount.name) == client_name.strip().lower(),
                func.lower(Engagement.name) == engagement_name.strip().lower(),
            )
        ).first()
        return EngagementRef(*row) if row else None


def list_engagements(sessions: sessionmaker[Session]) -> list[EngagementRef]:
    """Every engagement the current role may see, by client then engagement name."""
    with sessions() as s:
        rows = s.execute(
            select(ClientAccount.id, ClientAccount.name, Engagement.id, Engagement.name)
            .join(Engagement, Engagement.client_account_id == ClientAccount.id)
            .order_by(ClientAccount.name, Engagement.name)
        ).all()
        return [EngagementRef(*r) for r in rows]


def user_for_session_role(sessions: sessionmaker[Session]) -> tuple[uuid.UUID, Identity] | None:
    """The consultant registered for the PostgreSQL role this connection logged in as."""
    with sessions() as s:
        row = s.execute(
            select(User.id, User.display_name, User.email).where(User.db_role == func.session_user())
        ).first()
        return (row[0], Identity(row[1], row[2])) if row else None


def _resolve_engagement_by_name(s: Session, engagement_name: str, client_name: str | None) -> EngagementRef:
    stmt = (
        select(ClientAccount.id, ClientAccount.name, Engagement.id, Engagement.name)
        .join(Engagement, Engagement.client_account_id == ClientAccount.id)
        .where(func.lower(Engagement.name) == engagement_name.strip().lower())
    )
    if client_name:
        stmt = stmt.where(func.lower(ClientAccount.name) == client_name.strip().lower())
    rows = s.execute(stmt).all()
    if not rows:
        raise UserInputError(
            f"no engagement named {engagement_name!r}"
            + (f" for client {client_name!r}" if client_name else ""),
            hint="check the name, or pass --client NAME to create it",
        )
    if len(rows) > 1:
        clients = ", ".join(sorted(r[1] for r in rows))
        raise UserInputError(
            f"several clients have an engagement named {engagement_name!r} ({clients})",
            hint="pass --client NAME",
        )
    return EngagementRef(*rows[0])


def grant(
    admin: sessionmaker[Session],
    *,
    engagement_name: str,
    db_role: str,
    role: str = "member",
    client_name: str | None = None,
    email: str | None = None,
    display_name: str | None = None,
) -> MemberInfo:
    """Let the PostgreSQL login role `db_role` work on an engagement (creating it with --client)."""
    if role not in MEMBER_ROLES:
        raise UserInputError(f"unknown role {role!r}", hint=f"use one of {', '.join(MEMBER_ROLES)}")
    if not _ROLE_NAME.match(db_role):
        raise UserInputError(
            f"{db_role!r} is not a valid PostgreSQL role name", hint="use letters, digits, _"
        )
    with admin() as s, s.begin():
        if not s.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": db_role}).first():
            raise UserInputError(
                f"there is no PostgreSQL login role {db_role!r} on this server",
                hint=f"create it first: CREATE ROLE \"{db_role}\" LOGIN PASSWORD '...'",
            )
        if client_name:
            client = _get_or_create_client(s, _validate_name("client", client_name))
            eng = s.scalar(
                select(Engagement).where(
                    Engagement.client_account_id == client.id,
                    func.lower(Engagement.name) == engagement_name.strip().lower(),
                )
            )
            if eng is None:
                eng = Engagement(
                    client_account_id=client.id, name=_validate_name("engagement", engagement_name)
                )
                s.add(eng)
                s.flush()
            ref = EngagementRef(client.id, client.name, eng.id, eng.name)
        else:
            ref = _resolve_engagement_by_name(s, engagement_name, None)
        user = s.scalar(select(User).where(User.db_role == db_role).order_by(User.created_at))
        if user is None:
            user = User(
                display_name=display_name or db_role,
                email=(email or f"{db_role}@{ref.client_name.lower().replace(' ', '-')}.invalid").lower(),
                db_role=db_role,
            )
            s.add(user)
            s.flush()
        s.execute(text(f'GRANT md_app TO "{db_role}"'))
        _upsert_member(s, ref.client_account_id, ref.engagement_id, user.id, role, only_if_missing=False)
        return MemberInfo(ref, db_role, role, user.id)


def revoke(
    admin: sessionmaker[Session], *, engagement_name: str, db_role: str, client_name: str | None
) -> int:
    """Remove a role's membership of an engagement; returns how many memberships were removed."""
    with admin() as s, s.begin():
        ref = _resolve_engagement_by_name(s, engagement_name, client_name)
        members = s.scalars(
            select(EngagementMember)
            .join(User, User.id == EngagementMember.user_id)
            .where(EngagementMember.engagement_id == ref.engagement_id, User.db_role == db_role)
        ).all()
        for m in members:
            s.delete(m)
        return len(members)
