"""Checks across the profiled columns: candidate keys, repeated key values, duplicate records.

All of it runs on the per-record value codes the column profiles already made (integers), never on
text again: a pair of columns is a key when their combined codes are unique, a record repeats
another when the hash of its codes does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.profiling.columns import EXAMPLES, ProfiledColumn
from core.profiling.model import CandidateKey, CrossColumnChecks, DuplicateGroup, DuplicateKey

if TYPE_CHECKING:
    import numpy as np

NEAR_UNIQUE = 0.9
"""A column whose distinct values are at least this share of its filled ones is key-like."""
PAIR_COLUMNS = 12
"""Pairs are tried among this many complete, non-unique columns with the most distinct values."""
MAX_PAIRS = 5
GROUP_RECORDS = 20


def cross_checks(columns: Sequence[ProfiledColumn], index: Sequence[int]) -> CrossColumnChecks:
    """Candidate keys (single columns, then small pairs), key-like columns whose values repeat, and
    records equal to an earlier one in every profiled column."""
    import numpy as np

    n = len(index)
    records = np.asarray(index, dtype=np.int64)
    singles = [c for c in columns if n > 1 and c.profile.filled == n and c.profile.distinct == n]
    keys = [CandidateKey([c.profile.name]) for c in singles]
    keys += [CandidateKey(list(pair)) for pair in _key_pairs(columns, n)]
    return CrossColumnChecks(
        candidate_keys=keys,
        duplicate_keys=[d for c in columns if (d := _duplicate_key(c, records)) is not None],
        **_duplicate_rows(columns, records),
    )


def _key_pairs(columns: Sequence[ProfiledColumn], n: int) -> list[tuple[str, str]]:
    import numpy as np
    import pandas as pd

    complete = [c for c in columns if n > 1 and c.profile.filled == n and 1 < c.profile.distinct < n]
    complete.sort(key=lambda c: -c.profile.distinct)
    tried = sorted(complete[:PAIR_COLUMNS], key=lambda c: c.profile.position)
    found: list[tuple[str, str]] = []
    for i, a in enumerate(tried):
        for b in tried[i + 1 :]:
            if a.profile.distinct * b.profile.distinct < n:
                continue  # too few combinations to tell every record apart
            combined = a.codes * np.int64(b.profile.distinct) + b.codes
            if len(pd.unique(combined)) == n:
                found.append((a.profile.name, b.profile.name))
                if len(found) == MAX_PAIRS:
                    return found
    return found


def _duplicate_key(column: ProfiledColumn, records: np.ndarray) -> DuplicateKey | None:
    import numpy as np

    p = column.profile
    if p.filled < 2 or p.distinct == p.filled or p.distinct < NEAR_UNIQUE * p.filled:
        return None
    repeated = np.flatnonzero(column.counts > 1)
    repeated = repeated[np.argsort(-column.counts[repeated], kind="stable")]
    examples = []
    for code in repeated[:EXAMPLES]:
        rows = np.flatnonzero(column.codes == code)
        examples.append(
            DuplicateGroup(column.values[code], len(rows), [int(r) for r in records[rows[:GROUP_RECORDS]]])
        )
    return DuplicateKey(
        column=p.name,
        distinct=p.distinct,
        filled=p.filled,
        duplicate_values=len(repeated),
        duplicate_records=int(column.counts[repeated].sum()),
        examples=examples,
    )


def _duplicate_rows(columns: Sequence[ProfiledColumn], records: np.ndarray) -> dict[str, object]:
    """Records equal in every profiled column (null and blank count as one "no value"), by the
    64-bit hash of their value codes."""
    import numpy as np
    import pandas as pd

    if not columns or len(records) < 2:
        return {"duplicate_rows": 0, "duplicate_row_groups": []}
    frame = pd.DataFrame({i: c.codes for i, c in enumerate(columns)})
    hashes = pd.Series(pd.util.hash_pandas_object(frame, index=False).to_numpy())
    repeats = int(hashes.duplicated(keep="first").sum())
    groups: list[DuplicateGroup] = []
    if repeats:
        involved = np.flatnonzero(hashes.duplicated(keep=False).to_numpy())
        by_hash = pd.Series(involved).groupby(hashes.to_numpy()[involved], sort=False)
        for _, rows in list(by_hash)[:EXAMPLES]:
            rows = rows.to_numpy()
            groups.append(DuplicateGroup(None, len(rows), [int(r) for r in records[rows[:GROUP_RECORDS]]]))
    return {"duplicate_rows": repeats, "duplicate_row_groups": groups}
