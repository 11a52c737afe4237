"""Plain values the timeline paints, adapted from `core.flows.flow_timeline`'s dict.

Why: the painter and its tests work on small frozen values with parsed times, whatever extra keys
the core adds to its dict.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.pipeline.registry import title


@dataclass(frozen=True)
class ActionView:
    """Whether a flow action is allowed now, and the core's reason when it is not."""

    allowed: bool
    reason: str | None = None


@dataclass(frozen=True)
class PhaseError:
    message: str
    phase: str
    at: datetime | None = None
    error_code: str | None = None
    recovery_hint: str | None = None


@dataclass(frozen=True)
class PhaseView:
    phase: str
    status: str  # completed | in_progress | failed | paused | cancelled | pending
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_seconds: float | None = None
    counts: dict[str, Any] | None = None
    errors: tuple[PhaseError, ...] = ()
    attempts: int = 0

    @property
    def label(self) -> str:
        return title(self.phase)


@dataclass(frozen=True)
class StageView:
    """One stage of the flow's master flow (discovery, assessment, planning) as the core derives it."""

    stage: str
    status: str
    reason: str | None = None
    completed_at: datetime | None = None
    by: str | None = None


@dataclass(frozen=True)
class TimelineView:
    flow_id: uuid.UUID
    flow_name: str
    status: str
    current_phase: str
    progress_percentage: float
    version: int
    phases: tuple[PhaseView, ...]
    error: dict[str, Any] | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    actions: dict[str, ActionView] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    master: tuple[StageView, ...] = ()

    def action(self, name: str) -> ActionView:
        """The core's verdict on a flow action (`core.pipeline.FLOW_ACTIONS`); unknown means not allowed."""
        return self.actions.get(name) or ActionView(False, "not known for this flow")

    def phase(self, name: str) -> PhaseView | None:
        return next((p for p in self.phases if p.phase == name), None)

    @property
    def errors(self) -> list[PhaseError]:
        return [e for p in self.phases for e in p.errors]

    @property
    def next_phase(self) -> str | None:
        """The phase to run next (the current one unless the flow is finished)."""
        return None if self.current_phase == "completed" else self.current_phase


def _dt(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def timeline_from_core(data: dict[str, Any]) -> TimelineView:
    phases = []
    for p in data.get("phases", []):
        errors = tuple(
            PhaseError(
                message=str(e.get("message") or "failed"),
                phase=str(p.get("phase")),
                at=_dt(e.get("at")),
                error_code=e.get("error_code"),
                recovery_hint=e.get("recovery_hint"),
            )
            for e in p.get("errors") or []
        )
        phases.append(
            PhaseView(
                phase=str(p.get("phase")),
                status=str(p.get("status") or "pending"),
                started_at=_dt(p.get("started_at")),
                ended_at=_dt(p.get("ended_at")),
                duration_seconds=p.get("duration_seconds"),
                counts=p.get("counts"),
                errors=errors,
                attempts=int(p.get("attempts") or 0),
            )
        )
    return TimelineView(
        flow_id=uuid.UUID(str(data["flow_id"])),
        flow_name=str(data.get("flow_name") or ""),
        status=str(data.get("status") or ""),
        current_phase=str(data.get("current_phase") or ""),
        progress_percentage=float(data.get("progress_percentage") or 0.0),
        version=int(data.get("version") or 0),
        phases=tuple(phases),
        error=data.get("error"),
        started_at=_dt(data.get("started_at")),
        completed_at=_dt(data.get("completed_at")),
        actions={
            str(name): ActionView(bool(a.get("allowed")), a.get("reason"))
            for name, a in (data.get("actions") or {}).items()
        },
        master=tuple(
            StageView(
                stage=str(st.get("stage")),
                status=str(st.get("status")),
                reason=st.get("reason"),
                completed_at=_dt(st.get("completed_at")),
                by=st.get("by"),
            )
            for st in (data.get("master") or {}).get("stages") or []
        ),
    )


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 90:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(int(seconds), 60)
    if minutes < 90:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def format_counts(counts: dict[str, Any] | None) -> str:
    if not counts:
        return ""
    parts = []
    for key in ("processed", "total", "failed"):
        value = counts.get(key)
        if value is not None and not (key == "failed" and not value):
            parts.append(f"{value:,} {key}" if isinstance(value, int) else f"{value} {key}")
    return " · ".join(parts)
