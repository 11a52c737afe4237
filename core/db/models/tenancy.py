"""Tenant roots: client accounts, engagements, consultants and who may work on what."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base

MEMBER_ROLES = ("lead", "member", "viewer")


class ClientAccount(Base):
    """A client organisation whose estate is being discovered."""

    __tablename__ = "client_accounts"
    __table_args__ = (UniqueConstraint("name"),)

    name: Mapped[str] = mapped_column(String(200))
    industry: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)


class Engagement(Base):
    """One migration engagement for a client; the unit of access control."""

    __tablename__ = "engagements"
    __table_args__ = (UniqueConstraint("client_account_id", "name"),)

    client_account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("client_accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(30), default="active", server_default="active")


class User(Base):
    """A consultant. `db_role` ties the person to the PostgreSQL role they log in with."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("email"),)

    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    db_role: Mapped[str] = mapped_column(String(63), index=True)


class EngagementMember(Base):
    """Grants one consultant a role (lead, member, viewer) on one engagement."""

    __tablename__ = "engagement_members"
    __table_args__ = (
        UniqueConstraint("engagement_id", "user_id"),
        CheckConstraint("role IN ('lead', 'member', 'viewer')", name="role"),
    )

    client_account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("client_accounts.id", ondelete="CASCADE"), index=True
    )
    engagement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("engagements.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
