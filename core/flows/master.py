"""The master flow's stages: discovery (its discovery flows), assessment (6R), planning (waves).

Why part derived, part recorded: discovery is complete when the master flow's discovery flows are
(read from those flows, never copied). The 6R assessment and the wave plan work on the whole
engagement, so one run completes that stage of every master flow whose discovery was complete when
it ran; the run is recorded on the master flow (`master_state["stages"][stage]`: when, who, a
summary) with a `<stage>_completed` event in the audit log. A read compares it with when discovery
last completed, so an assessment made before a reopened mapping ran again shows as `stale`, and a
later stage waits for the one before it.

This module is the one writer of `master_flows.status` and `master_state["stages"]`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from core.changes import OpChanges
from core.db.models import DiscoveryFlow, FlowEvent, MasterFlow
from core.flows.store import require_tenant
from core.phases import MASTER_STAGE_COMMANDS, MASTER_STAGES
from core.uow import UnitOfWork

#: stage statuses, in the order a stage goes through them
STAGE_STATUSES = ("waiting", "ready", "stale", "completed")


@dataclass(frozen=True)
class StageState:
    """One stage of a master flow as it stands now, with what to do next when it is not done."""

    stage: str
    status: str
    completed_at: str | None = None
    by: str | None = None
    reason: str | None = None
    command: str = ""
    summary: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "status": self.status,
            "completed_at": self.completed_at,
            "by": self.by,
            "reason": self.reason,
            "command": self.command,
            "summary": self.summary,
        }


@dataclass(frozen=True)
class MasterState:
    """A master flow's stages; `current_stage` is the first not completed (`completed` when none)."""

    master_flow_id: uuid.UUID
    status: str
    current_stage: str
    stages: tuple[StageState, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "master_flow_id": str(self.master_flow_id),
            "status": self.status,
            "current_stage": self.current_stage,
            "stages": [s.to_dict() for s in self.stages],
        }


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _discovery(uow: UnitOfWork, master_id: uuid.UUID) -> tuple[StageState, dt.datetime | None]:
    query = select(DiscoveryFlow).where(DiscoveryFlow.master_flow_id == master_id)
    flows = list(uow.session.scalars(query.order_by(DiscoveryFlow.created_at)))
    command = MASTER_STAGE_COMMANDS["discovery"]
    live = [f for f in flows if f.status != "cancelled"]
    if not live:
        reason = "its discovery flow was cancelled" if flows else "it has no discovery flow"
        return StageState("discovery", "waiting", reason=reason, command=command), None
    open_flows = [f for f in live if f.status != "completed"]
    if open_flows:
        f = open_flows[0]
        reason = f"discovery flow {f.flow_name!r} is at {f.current_phase} ({f.status})"
        return StageState("discovery", "ready", reason=reason, command=command), None
    done = max((_aware(f.completed_at) for f in live if f.completed_at), default=None)
    state = StageState(
        "discovery",
        "completed",
        completed_at=done.isoformat() if done else None,
        command=command,
        summary={"flows": len(live)},
    )
    return state, done


def _recorded(master: MasterFlow) -> dict[str, dict[str, Any]]:
    stages = (master.master_state or {}).get("stages")
    return stages if isinstance(stages, dict) else {}


def master_state(uow: UnitOfWork, master_id: uuid.UUID | str) -> MasterState:
    """The stages of one master flow as they stand (reads only)."""
    mid = master_id if isinstance(master_id, uuid.UUID) else uuid.UUID(str(master_id))
    master = uow.session.get(MasterFlow, mid)
    if master is None:
        raise LookupError(f"master flow {mid} not found in this engagement")
    return _state(uow, master)


def _state(uow: UnitOfWork, master: MasterFlow) -> MasterState:
    discovery, done_at = _discovery(uow, master.id)
    stages = [discovery]
    recorded = _recorded(master)
    previous_done, previous_at = discovery.status == "completed", done_at
    for stage in MASTER_STAGES[1:]:
        command = MASTER_STAGE_COMMANDS[stage]
        mark = recorded.get(stage)
        at = _aware(dt.datetime.fromisoformat(mark["completed_at"])) if mark else None
        before = stages[-1].stage
        if not previous_done:
            state = StageState(stage, "waiting", reason=f"{before} is not complete", command=command)
            if mark:
                state = StageState(
                    stage, "stale", completed_at=mark["completed_at"], by=mark.get("by"),
                    reason=f"{before} is not complete since this ran", command=command,
                    summary=mark.get("summary", {}),
                )  # fmt: skip
        elif mark is None:
            state = StageState(stage, "ready", reason=f"run `{command}`", command=command)
        elif previous_at is not None and at is not None and at < previous_at:
            state = StageState(
                stage, "stale", completed_at=mark["completed_at"], by=mark.get("by"),
                reason=f"{before} changed after this ran: run `{command}` again", command=command,
                summary=mark.get("summary", {}),
            )  # fmt: skip
        else:
            state = StageState(
                stage, "completed", completed_at=mark["completed_at"], by=mark.get("by"),
                command=command, summary=mark.get("summary", {}),
            )  # fmt: skip
        stages.append(state)
        previous_done, previous_at = state.status == "completed", at
    current = next((s.stage for s in stages if s.status != "completed"), "completed")
    return MasterState(master.id, current, current, tuple(stages))


def refresh_status(uow: UnitOfWork, master_id: uuid.UUID | None) -> None:
    """Store the master flow's derived status (its current stage, or `completed`); never commits."""
    if master_id is None:
        return
    master = uow.session.get(MasterFlow, master_id)
    if master is None:
        return
    status = _state(uow, master).status
    if master.status != status:
        master.status = status
        uow.session.flush()


def complete_stage(uow: UnitOfWork, stage: str, summary: dict[str, Any]) -> dict[str, Any]:
    """Record an engagement-wide `stage` run on every master flow ready for it; never commits.

    A master flow is ready when the stage before is completed. The value says which master flows
    the run completed the stage of and which wait, with why:
    `{"stage", "completed": [ids], "waiting": [{"master_flow_id", "reason"}]}`.
    """
    if stage not in MASTER_STAGES[1:]:
        raise ValueError(f"{stage!r} is not a recorded stage; stages are {', '.join(MASTER_STAGES[1:])}")
    tenant = require_tenant(uow)
    index = MASTER_STAGES.index(stage)
    now = dt.datetime.now(dt.UTC).isoformat()
    completed: list[str] = []
    waiting: list[dict[str, str]] = []
    masters = list(uow.session.scalars(select(MasterFlow).order_by(MasterFlow.created_at, MasterFlow.id)))
    for master in masters:
        before = _state(uow, master).stages[index - 1]
        if before.status != "completed":
            waiting.append({"master_flow_id": str(master.id), "reason": f"{before.stage}: {before.reason}"})
            continue
        state = dict(master.master_state or {})
        stages = dict(_recorded(master))
        stages[stage] = {"completed_at": now, "by": tenant.actor, "summary": summary}
        state["stages"] = stages
        master.master_state = state
        uow.session.add(
            FlowEvent(
                flow_id=master.id,
                master_flow_id=master.id,
                event_type=f"{stage}_completed",
                phase=stage,
                data={"summary": summary},
                actor=tenant.actor,
                actor_user_id=tenant.user_id,
                client_account_id=master.client_account_id,
                engagement_id=master.engagement_id,
            )
        )
        uow.session.flush()
        master.status = _state(uow, master).status
        completed.append(str(master.id))
    uow.session.flush()
    if completed:
        uow.note(OpChanges(flows=True))  # the timelines of every flow of those masters
    return {"stage": stage, "completed": completed, "waiting": waiting}


def master_of_flow(uow: UnitOfWork, flow_id: uuid.UUID) -> uuid.UUID | None:
    """The master flow a discovery flow belongs to."""
    return uow.session.scalar(select(DiscoveryFlow.master_flow_id).where(DiscoveryFlow.id == flow_id))
