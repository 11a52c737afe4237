"""Errors the core raises for callers (GUI, CLI) to show as one clear message.

`UserInputError` is bad input or usage (CLI exit code 2); every other `MigrationDiscoveryError`
is a failure the user cannot fix by changing the input (exit code 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class MigrationDiscoveryError(Exception):
    """Base class for errors the application reports to the user."""


@dataclass
class UserInputError(MigrationDiscoveryError):
    """Bad input: names where it is (file, sheet, row, column) and what to do about it."""

    message: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    hint: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.describe())

    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(f"file {self.file}")
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def describe(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" — {self.hint}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "hint": self.hint,
            **({"details": self.details} if self.details else {}),
        }


class ConfigurationError(UserInputError):
    """Bad configuration (database URL, data directory, credentials)."""


class OperationCancelled(MigrationDiscoveryError):
    """The user cancelled a long operation; nothing it started was kept."""
