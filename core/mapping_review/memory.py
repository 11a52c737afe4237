"""Per-client mapping memory: what the client's consultants decided before, fed back as `learned`.

A key is (client, source header, value fingerprint, target). Each row's contribution to memory is
a pure function of its stored state (`contribution`):

    approved          approved_count + 1 for its target
    modified          approved_count + 1 for the chosen target, and rejected_count + 1 for the
                      suggested target it replaced (when different)
    rejected          rejected_count + 1 for the target shown (none when the target is empty:
                      automatic "leave unmapped" decisions clear it and teach nothing)
    suggested         nothing
    decided via auto  nothing: auto-finish approves what nobody looked at (`decided_via` = auto)

Only a person's decisions teach: one row approved, modified or rejected, or a bulk approval at or
above a threshold the person chose (`decided_via` person / bulk). Each pairing records who last
taught it and when (`taught_by`, `taught_by_name`, `taught_at`: the latest approval, or for a
pairing never approved the rejection that created it); the suggestion's explanation names them.
`forget` removes what was learned for a column header altogether.

A decision moves a row from one state to another, so memory changes by
`contribution(new) - contribution(old)`: re-deciding, reverting (undo) and changing one's mind
all keep the counters exact. The change is written in the decision's transaction.

Row-level security reads memory at client level (every engagement of the client shares it) and
inserts it in the current engagement; another client never sees it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from core.db.models import ImportFieldMapping, MappingMemory
from core.mapping_review.errors import MappingDecisionError
from core.mapping_review.store import now, require_tenant
from core.mapping_review.types import VIA_AUTO, LearnedEntry
from core.uow import UnitOfWork

MAX_LEARNED = 5000
"""Bound on memory rows handed to the suggester (newest decisions first)."""


class LearnedDecision(NamedTuple):
    """The suggester's `learned` entry: (source_header, value_fingerprint, target, count, rejected)."""

    source_header: str
    value_fingerprint: str
    target_field: str
    count: int
    rejected: bool


@dataclass(frozen=True)
class RowState:
    """What of a mapping row matters to memory."""

    status: str
    target_field: str | None
    suggested_target: str | None
    transformation_rules: dict[str, Any] | None
    decided_via: str | None = None

    @classmethod
    def of(cls, row: ImportFieldMapping) -> RowState:
        return cls(
            row.status, row.target_field, suggested_target(row), row.transformation_rules, row.decided_via
        )

    @property
    def teaches(self) -> bool:
        """A person decided it (auto-finish decisions teach nothing)."""
        return self.decided_via != VIA_AUTO


def suggested_target(row: ImportFieldMapping) -> str | None:
    return (row.suggestion or {}).get("target_field") if row.suggestion else None


def fingerprint_of(row: ImportFieldMapping) -> str:
    return str((row.suggestion or {}).get("value_fingerprint") or "")


def contribution(state: RowState) -> dict[str, tuple[int, int]]:
    """target → (approved delta, rejected delta) this state adds to memory."""
    out: dict[str, tuple[int, int]] = {}
    if not state.teaches:
        return out
    if state.status in ("approved", "modified") and state.target_field:
        out[state.target_field] = (1, 0)
        if (
            state.status == "modified"
            and state.suggested_target
            and state.suggested_target != state.target_field
        ):
            out[state.suggested_target] = (0, 1)
    elif state.status == "rejected" and state.target_field:
        out[state.target_field] = (0, 1)
    return out


def learn(
    uow: UnitOfWork,
    row: ImportFieldMapping,
    before: RowState,
    after: RowState,
) -> bool:
    """Apply the memory change of one row going from `before` to `after`; True if any."""
    deltas: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for target, (a, r) in contribution(after).items():
        deltas[target][0] += a
        deltas[target][1] += r
    for target, (a, r) in contribution(before).items():
        deltas[target][0] -= a
        deltas[target][1] -= r
    changed = False
    new_rules = (
        after.teaches
        and after.status in ("approved", "modified")
        and bool(after.target_field)
        and after.transformation_rules != before.transformation_rules
    )
    if new_rules and after.target_field:
        deltas.setdefault(after.target_field, [0, 0])  # same counts, new rules to remember
    for target, (da, dr) in deltas.items():
        if da == 0 and dr == 0 and not (new_rules and target == after.target_field):
            continue
        rules = after.transformation_rules if target == after.target_field else None
        _apply(uow, row.source_field, fingerprint_of(row), target, da, dr, rules)
        changed = True
    return changed


def _apply(
    uow: UnitOfWork,
    header: str,
    fingerprint: str,
    target: str,
    d_approved: int,
    d_rejected: int,
    rules: dict[str, Any] | None,
) -> None:
    tenant = require_tenant(uow)
    s = uow.session
    key = and_(
        MappingMemory.client_account_id == tenant.client_account_id,
        MappingMemory.source_header == header,
        MappingMemory.value_fingerprint == fingerprint,
        MappingMemory.target_field == target,
    )
    stamp = now()
    if d_approved > 0 or d_rejected > 0:
        stmt = insert(MappingMemory).values(
            client_account_id=tenant.client_account_id,
            engagement_id=tenant.engagement_id,
            source_header=header,
            value_fingerprint=fingerprint,
            target_field=target,
            transformation_rules=rules if d_approved > 0 else None,
            approved_count=max(d_approved, 0),
            rejected_count=max(d_rejected, 0),
            last_decided_at=stamp,
            taught_by=tenant.user_id,
            taught_by_name=tenant.actor,
            taught_at=stamp,
        )
        set_: dict[str, Any] = {
            "approved_count": func.greatest(MappingMemory.approved_count + d_approved, 0),
            "rejected_count": func.greatest(MappingMemory.rejected_count + d_rejected, 0),
            "last_decided_at": stamp,
            "updated_at": func.now(),
        }
        if d_approved > 0:  # the newest accepted rules win, and their teacher
            set_["transformation_rules"] = stmt.excluded.transformation_rules
            set_["taught_by"] = stmt.excluded.taught_by
            set_["taught_by_name"] = stmt.excluded.taught_by_name
            set_["taught_at"] = stmt.excluded.taught_at
        s.execute(
            stmt.on_conflict_do_update(
                index_elements=["client_account_id", "source_header", "value_fingerprint", "target_field"],
                set_=set_,
            )
        )
    else:
        values: dict[str, Any] = {
            "approved_count": func.greatest(MappingMemory.approved_count + d_approved, 0),
            "rejected_count": func.greatest(MappingMemory.rejected_count + d_rejected, 0),
            "updated_at": func.now(),
        }
        if d_approved == 0 and d_rejected == 0:
            values["transformation_rules"] = rules
        s.execute(
            update(MappingMemory).where(key).values(**values).execution_options(synchronize_session=False)
        )
    # an undo that brings both counters to zero forgets the pairing altogether
    s.execute(
        delete(MappingMemory)
        .where(key, MappingMemory.approved_count == 0, MappingMemory.rejected_count == 0)
        .execution_options(synchronize_session=False)
    )


def learned_for(uow: UnitOfWork, headers: Iterable[str] | None = None) -> list[LearnedDecision]:
    """The client's memory as the suggester's `learned` argument (newest first, bounded).

    One entry per pairing, by majority: approved (with its approved count) while approvals
    outnumber rejections, otherwise rejected=True — the suggester then suppresses that target
    for the header. So one rejection suppresses a pairing, and approving it again later (more
    often than it was rejected) brings it back. `headers` narrows it to exact source headers.
    """
    tenant = require_tenant(uow)
    stmt = (
        select(
            MappingMemory.source_header,
            MappingMemory.value_fingerprint,
            MappingMemory.target_field,
            MappingMemory.approved_count,
            MappingMemory.rejected_count,
        )
        .where(MappingMemory.client_account_id == tenant.client_account_id)
        .order_by(MappingMemory.last_decided_at.desc().nulls_last(), MappingMemory.id)
        .limit(MAX_LEARNED)
    )
    if headers is not None:
        stmt = stmt.where(MappingMemory.source_header.in_(list(headers)))
    out: list[LearnedDecision] = []
    for header, fp, target, approved, rejected in uow.session.execute(stmt):
        if approved > rejected:
            out.append(LearnedDecision(header, fp or "", target, approved, False))
        elif rejected > 0:
            out.append(LearnedDecision(header, fp or "", target, rejected, True))
    return out


def memory_entries(uow: UnitOfWork) -> Sequence[MappingMemory]:
    """Every memory row this tenant can see (for screens listing what was learned)."""
    return list(
        uow.session.scalars(
            select(MappingMemory).order_by(MappingMemory.source_header, MappingMemory.target_field)
        )
    )


def learned_rules(uow: UnitOfWork, headers: Iterable[str]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(header, fingerprint, target) → remembered transformation rules, for these exact headers."""
    tenant = require_tenant(uow)
    rows = uow.session.execute(
        select(
            MappingMemory.source_header,
            MappingMemory.value_fingerprint,
            MappingMemory.target_field,
            MappingMemory.transformation_rules,
        ).where(
            MappingMemory.client_account_id == tenant.client_account_id,
            MappingMemory.source_header.in_(list(headers)),
            MappingMemory.transformation_rules.is_not(None),
            MappingMemory.approved_count > MappingMemory.rejected_count,
        )
    )
    return {(h, fp or "", t): dict(rules) for h, fp, t, rules in rows if rules}


def same_header(a: str, b: str) -> bool:
    """Whether a decision on header `a` applies to header `b` (the suggester's rule)."""
    from core.mapping.learned import header_key
    from core.values.text import fold

    return header_key(a) == header_key(b) or fold(a) == fold(b)


def _entry(m: MappingMemory) -> LearnedEntry:
    return LearnedEntry(
        source_header=m.source_header,
        value_fingerprint=m.value_fingerprint or "",
        target_field=m.target_field,
        approved_count=m.approved_count,
        rejected_count=m.rejected_count,
        taught_by=m.taught_by_name,
        taught_at=m.taught_at,
        engagement_id=m.engagement_id,
    )


def entries_for(uow: UnitOfWork, header: str) -> list[LearnedEntry]:
    """Everything the client's memory holds that applies to a column called `header`."""
    tenant = require_tenant(uow)
    found = uow.session.scalars(
        select(MappingMemory)
        .where(MappingMemory.client_account_id == tenant.client_account_id)
        .order_by(MappingMemory.taught_at.desc().nulls_last(), MappingMemory.target_field)
    )
    return [_entry(m) for m in found if same_header(m.source_header, header)]


def teachers(uow: UnitOfWork) -> list[LearnedEntry]:
    """The learned (approved by majority) pairings with a recorded teacher, newest first."""
    tenant = require_tenant(uow)
    found = uow.session.scalars(
        select(MappingMemory)
        .where(
            MappingMemory.client_account_id == tenant.client_account_id,
            MappingMemory.approved_count > MappingMemory.rejected_count,
            MappingMemory.taught_at.is_not(None),
        )
        .order_by(MappingMemory.taught_at.desc())
        .limit(MAX_LEARNED)
    )
    return [_entry(m) for m in found]


def teacher_of(entries: Sequence[LearnedEntry], header: str, target: str) -> LearnedEntry | None:
    """The newest teacher of `header` → `target` among `entries` (from `teachers`)."""
    return next(
        (e for e in entries if e.target_field == target and same_header(e.source_header, header)), None
    )


def taught_text(entry: LearnedEntry) -> str:
    """ "taught by X on DATE" for a suggestion's explanation."""
    who = f"taught by {entry.taught_by}" if entry.taught_by else "taught"
    return f"{who} on {entry.taught_at:%Y-%m-%d}" if entry.taught_at else who


def forget(uow: UnitOfWork, header: str) -> list[LearnedEntry]:
    """Delete everything the client's memory learned for a column called `header`; what it was.

    Rows decided earlier keep their decisions; undoing one of them later takes nothing away from
    memory (the counters never go below zero).
    """
    tenant = require_tenant(uow)
    found = [
        m
        for m in uow.session.scalars(
            select(MappingMemory)
            .where(MappingMemory.client_account_id == tenant.client_account_id)
            .order_by(MappingMemory.target_field, MappingMemory.value_fingerprint)
        )
        if same_header(m.source_header, header)
    ]
    entries = [_entry(m) for m in found]
    if found:
        done = uow.session.execute(
            delete(MappingMemory)
            .where(MappingMemory.id.in_([m.id for m in found]))
            .execution_options(synchronize_session=False)
        )
        for m in found:
            uow.session.expunge(m)
        if done.rowcount != len(found):  # row-level security: readable, not writable
            raise MappingDecisionError(
                message="you can view this client's mapping memory but not change it",
                column=header,
                hint="ask the engagement lead for member access",
            )
    return entries
