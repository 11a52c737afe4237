"""Use cases: one function per user action, each owning its unit of work and saying what changed.

A use case takes the unit-of-work factory (`uows`), the acting `Tenant` and plain arguments, opens its own
unit of work, calls helpers that never commit, commits (or rolls back on error) and returns an
`Outcome(value, changes)`. The GUI and the CLI call exactly one of these per action and never compose
transactions; the GUI refreshes from `Outcome.changes`.
"""

from core.actions.outcome import Outcome

__all__ = ["Outcome"]
