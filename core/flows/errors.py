"""Errors of the flow-state layer; all are `MigrationDiscoveryError`s the CLI and GUI can show."""

from __future__ import annotations

import uuid

from core.errors import MigrationDiscoveryError, UserInputError


class FlowStateError(MigrationDiscoveryError):
    """Base class for flow-state failures."""


class ConcurrentModificationError(FlowStateError):
    """A save was based on a version someone else has since replaced; nothing was overwritten."""

    def __init__(self, flow_id: uuid.UUID, expected_version: int, actual_version: int | None) -> None:
        self.flow_id = flow_id
        self.expected_version = expected_version
        self.actual_version = actual_version
        now = f"version {actual_version}" if actual_version is not None else "a newer version"
        super().__init__(
            f"flow {flow_id} was changed by someone else (you edited version {expected_version}, "
            f"it is now {now}); reload it and apply your change again"
        )


class InvalidTransitionError(FlowStateError):
    """The requested phase or status change is not allowed from the flow's current state."""

    def __init__(self, flow_id: uuid.UUID, from_state: str, to_state: str, reason: str) -> None:
        self.flow_id = flow_id
        self.from_state = from_state
        self.to_state = to_state
        self.reason = reason
        super().__init__(f"flow {flow_id}: cannot go from {from_state} to {to_state}: {reason}")


class StateValidationError(FlowStateError):
    """A save would have written a state that breaks the flow-state schema or its invariants."""

    def __init__(self, flow_id: uuid.UUID | None, problems: list[str]) -> None:
        self.flow_id = flow_id
        self.problems = problems
        super().__init__(f"flow {flow_id}: invalid state: " + "; ".join(problems))


class FlowNotFoundError(UserInputError):
    """No such flow in the engagements the consultant can see (bad input: exit code 2)."""

    @classmethod
    def for_id(cls, flow_id: uuid.UUID | str) -> FlowNotFoundError:
        return cls(
            message=f"no discovery flow {flow_id} in the engagements you are a member of",
            hint="check the flow id (the `import` command prints it)",
            details={"flow_id": str(flow_id)},
        )


class FlowReadOnlyError(UserInputError):
    """The consultant may read the flow's engagement but not change it (viewer): exit code 2."""

    @classmethod
    def for_id(cls, flow_id: uuid.UUID | str) -> FlowReadOnlyError:
        return cls(
            message=f"you may only read the engagement of flow {flow_id}; it cannot be changed by you",
            hint="ask an engagement lead to make you a member",
            details={"flow_id": str(flow_id)},
        )


class ReopenRefusedError(UserInputError):
    """A finished phase cannot be reopened now (never finished, cancelled, paused): exit code 2."""
