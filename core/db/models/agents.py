"""What the AI crews store (issue 16; schema 0009).

`crew_outputs`: one row per run of a crew (core/agents) — which model at which endpoint host,
its tasks with their status and tokens, the validated outputs, counts of suggestions and findings,
tokens, requests, prompt bytes and duration, or the error and its recovery hint. The mapping
suggestions themselves are `import_field_mappings` rows with `suggested_by = 'ai_agent'`.
Tenant-scoped with forced row-level security like every other table; the row stays when its flow
or import goes (SET NULL).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantMixin, tenant_table_args

CREWS = ("schema", "quality", "mapping")
CREW_STATUSES = ("running", "completed", "failed", "cancelled")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class CrewOutput(TenantMixin, Base):
    """One crew run: what it produced, what it cost, and why it failed if it did."""

    __tablename__ = "crew_outputs"
    __table_args__ = tenant_table_args(
        CheckConstraint(_in("crew", CREWS), name="crew"),
        CheckConstraint(_in("status", CREW_STATUSES), name="status"),
    )

    discovery_flow_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("discovery_flows.id", ondelete="SET NULL"), index=True
    )
    data_import_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("data_imports.id", ondelete="SET NULL"), index=True
    )
    crew: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(Text)
    # the endpoint's host:port (never the key), so a reader knows where the prompts went
    endpoint: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    # [{"name", "status", "tokens", "seconds"}] in run order
    tasks: Mapped[list[Any]] = mapped_column(default=list)
    # validated task outputs by task name (the Pydantic models' JSON)
    output: Mapped[dict[str, Any]] = mapped_column(default=dict)
    suggestions: Mapped[int] = mapped_column(Integer, default=0)
    findings: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    prompt_bytes: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
    hint: Mapped[str | None] = mapped_column(Text)
    started_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column()
