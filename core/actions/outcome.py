"""The value every use case returns: its result and what its commit changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from core.changes import NOTHING, OpChanges

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """`value` for the caller to show; `changes` for screens to refresh (empty when nothing was written)."""

    value: T
    changes: OpChanges = NOTHING
