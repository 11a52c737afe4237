"""Client accounts, engagements, consultants and membership.

Creating tenants and granting access are owner (admin) operations: the application role can
read only the engagements its login role is a member of and cannot write these tables at all.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from core.config import Identity
from core.db.models import MEMBER_ROLES, ClientAccount, Engagement, EngagementMember, User
from core.errors import UserInputError

_ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$.-]{0,62}$")
#: C0 and C1 controls (line breaks, tabs, escapes, DEL), line/paragraph separators, and the
#: invisible direction marks, embeddings, overrides and isolates that make a name display as
#: something else (U+202E turns "Acme\u202egnp.exe" into "Acmeexe.png").
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


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
    """Register (or refresh) a consultant and the PostgreSQL role they log in with.

    One upsert, so processes registering the same consultant at once all get the same row.
    """
    stmt = insert(User).values(
        id=uuid.uuid4(), display_name=identity.display_name, email=identity.email, db_role=db_role
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[User.email],
        set_={
            "display_name": stmt.excluded.display_name,
            "db_role": stmt.excluded.db_role,
            "updated_at": func.now(),
        },
    ).returning(User.id)
    with admin() as s, s.begin():
        return s.execute(stmt).scalar_one()


def _lock_name(s: Session, kind: str, key: str) -> None:
    """Serialise creators of one name (case-insensitively) until this transaction ends.

    The unique constraints compare names exactly while lookups ignore case, so `ON CONFLICT`
    alone would let "Acme" and "ACME" created at the same moment become two clients.
    """
    s.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"md:{kind}:{key.lower()}"}
    )


def _get_or_create_client(s: Session, name: str) -> ClientAccount:
    """The client named `name` (any case), created if missing; safe when others race to create it."""
    by_name = select(ClientAccount).where(func.lower(ClientAccount.name) == name.lower())
    client = s.scalar(by_name)
    if client is None:
        _lock_name(s, "client", name)
        client = s.scalar(by_name)
    if client is None:
        s.execute(insert(ClientAccount).values(id=uuid.uuid4(), name=name).on_conflict_do_nothing())
        client = s.scalars(by_name).one()
    return client


def _get_or_create_engagement(s: Session, client: ClientAccount, name: str) -> Engagement:
    """The client's engagement named `name` (any case), created if missing; race-safe likewise."""
    by_name = select(Engagement).where(
        Engagement.client_account_id == client.id, func.lower(Engagement.name) == name.lower()
    )
    eng = s.scalar(by_name)
    if eng is None:
        _lock_name(s, f"engagement:{client.id}", name)
        eng = s.scalar(by_name)
    if eng is None:
        s.execute(
            insert(Engagement)
            .values(id=uuid.uuid4(), client_account_id=client.id, name=name)
            .on_conflict_do_nothing()
        )
        eng = s.scalars(by_name).one()
    return eng


def _validate_name(kind: str, name: str) -> str:
    """A name fit to store and show: not empty, not too long, no control or direction characters."""
    bad = _CONTROL.search(name or "")
    if bad:
        char = bad.group()
        label = unicodedata.name(char, "") or {"\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\t": "TAB"}.get(
            char, "control"
        )
        raise UserInputError(
            f"the {kind} name contains a control character (U+{ord(char):04X} {label}) "
            f"at position {bad.start() + 1}",
            hint="type the name on one line, without tabs, line breaks or invisible direction marks",
        )
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
        eng = _get_or_create_engagement(s, client, engagement_name)
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
    """Make the user a member of the engagement (one statement, so concurrent grants do not clash)."""
    stmt = insert(EngagementMember).values(
        id=uuid.uuid4(), client_account_id=client_id, engagement_id=eng_id, user_id=user_id, role=role
    )
    conflict = [EngagementMember.engagement_id, EngagementMember.user_id]
    if only_if_missing:
        stmt = stmt.on_conflict_do_nothing(index_elements=conflict)
    else:
        stmt = stmt.on_conflict_do_update(
            index_elements=conflict, set_={"role": stmt.excluded.role, "updated_at": func.now()}
        )
    s.execute(stmt)


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
    if client_name:  # names are checked before anything is written
        client_name = _validate_name("client", client_name)
        engagement_name = _validate_name("engagement", engagement_name)
    with admin() as s, s.begin():
        if not s.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": db_role}).first():
            raise UserInputError(
                f"there is no PostgreSQL login role {db_role!r} on this server",
                hint=f"create it first: CREATE ROLE \"{db_role}\" LOGIN PASSWORD '...'",
            )
        if client_name:
            client = _get_or_create_client(s, client_name)
            eng = _get_or_create_engagement(s, client, engagement_name)
            ref = EngagementRef(client.id, client.name, eng.id, eng.name)
        else:
            ref = _resolve_engagement_by_name(s, engagement_name, None)
        by_role = select(User.id).where(User.db_role == db_role).order_by(User.created_at).limit(1)
        user_id = s.scalar(by_role)
        if user_id is None:
            _lock_name(s, "user", db_role)
            user_id = s.scalar(by_role)
        if user_id is None:
            mail = (email or f"{db_role}@{ref.client_name.lower().replace(' ', '-')}.invalid").lower()
            s.execute(
                insert(User)
                .values(id=uuid.uuid4(), display_name=display_name or db_role, email=mail, db_role=db_role)
                .on_conflict_do_nothing()
            )
            user_id = s.scalar(by_role)
            if user_id is None:
                raise UserInputError(
                    f"the e-mail address {mail!r} belongs to another consultant", hint="pass another --email"
                )
        s.execute(text(f'GRANT md_app TO "{db_role}"'))
        _upsert_member(s, ref.client_account_id, ref.engagement_id, user_id, role, only_if_missing=False)
        return MemberInfo(ref, db_role, role, user_id)


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
