"""What a parser says about a value it could not accept: a rule name and a sentence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a value was not accepted: a stable rule name and a sentence for the consultant."""

    rule: str
    message: str


Coerced = tuple[Any, Problem | None]
"""A converted value and None, or None and the Problem: parsers never raise for bad data."""
