"""Offline sync bookkeeping (schema 0010; see `core.sync` for how they are used).

`sync_changes` is written only by the database's statement triggers (`md_log_changes`, schema
0012, and `md_log_records`); the others by `core.sync`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Identity, Index, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantMixin, tenant_table_args


class SyncChange(TenantMixin, Base):
    """One changed row of a synced table, in commit order (`seq`): the outbox and the pull log."""

    __tablename__ = "sync_changes"
    __table_args__ = tenant_table_args(
        CheckConstraint("op IN ('upsert', 'delete')", name="op"),
        UniqueConstraint("seq"),
        Index(None, "engagement_id", "seq"),
        Index(None, "txid"),  # the pull's cursor (schema 0011)
        Index(None, "table_name", "row_id"),  # "deleted there meanwhile?" on a push (schema 0011)
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=False))
    table_name: Mapped[str] = mapped_column(Text)
    row_id: Mapped[uuid.UUID] = mapped_column()
    op: Mapped[str] = mapped_column(Text)
    base_updated_at: Mapped[datetime | None] = mapped_column()
    origin: Mapped[uuid.UUID | None] = mapped_column()
    txid: Mapped[int] = mapped_column(BigInteger, server_default=text("pg_current_xact_id()::text::bigint"))
    #: the login that wrote the change (on the server: the consultant's role; schema 0011)
    changed_by: Mapped[str | None] = mapped_column(Text, server_default=text("session_user"))


class SyncState(TenantMixin, Base):
    """This device's id and cursors for one engagement and server (laptop side)."""

    __tablename__ = "sync_state"
    __table_args__ = tenant_table_args(UniqueConstraint("engagement_id", "server"))

    server: Mapped[str] = mapped_column(Text)
    device_id: Mapped[uuid.UUID] = mapped_column()
    pushed_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")
    pulled_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")
    pulled_xid: Mapped[int] = mapped_column(BigInteger, server_default="0")
    last_push_at: Mapped[datetime | None] = mapped_column()
    last_pull_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    pending_batch: Mapped[dict[str, Any] | None] = mapped_column()
    """the batch being pushed (key and seq range), kept until the server has it: a retry reuses the key"""


class SyncBatch(TenantMixin, Base):
    """A push batch the server applied; `id` is the batch's idempotency key (server side)."""

    __tablename__ = "sync_batches"

    device_id: Mapped[uuid.UUID] = mapped_column()
    first_seq: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    counts: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    applied_by: Mapped[str] = mapped_column(Text, server_default=text("session_user"))


class SyncConflict(TenantMixin, Base):
    """A local change to a row the server had changed too: the server's value stands, this keeps ours."""

    __tablename__ = "sync_conflicts"

    server: Mapped[str] = mapped_column(Text)
    table_name: Mapped[str] = mapped_column(Text)
    row_id: Mapped[uuid.UUID] = mapped_column()
    local_row: Mapped[dict[str, Any]] = mapped_column()
    server_row: Mapped[dict[str, Any] | None] = mapped_column()
    server_updated_at: Mapped[datetime | None] = mapped_column()
    changed_by: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolution: Mapped[str | None] = mapped_column(Text)


class SyncRejection(TenantMixin, Base):
    """A push batch the server refused, with its reason; shown until the consultant acts."""

    __tablename__ = "sync_rejections"

    server: Mapped[str] = mapped_column(Text)
    batch_key: Mapped[uuid.UUID] = mapped_column()
    first_seq: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    changes: Mapped[list[Any]] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    error_class: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolution: Mapped[str | None] = mapped_column(Text)


class SyncUpload(TenantMixin, Base):
    """An import's records being pushed in chunks (server side): how far, from which laptop version."""

    __tablename__ = "sync_uploads"
    __table_args__ = tenant_table_args(UniqueConstraint("data_import_id"))

    data_import_id: Mapped[uuid.UUID] = mapped_column()
    source_version: Mapped[str] = mapped_column(Text)
    last_record_index: Mapped[int] = mapped_column(BigInteger, server_default="-1")
    rows: Mapped[int] = mapped_column(BigInteger, server_default="0")
