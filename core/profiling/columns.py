"""One column's profile, computed with pandas and numpy on its distinct values.

How: `pandas.factorize` turns the column's cells into codes once (a hash pass in C); the
distinct cells are stripped and sorted into null, blank and filled, the filled ones factorised
again (so " web " and "web" are one value), and every later step — kinds, shapes, lengths, numbers,
dates — runs on the distinct values, weighted by their counts. Per-record answers (outliers,
duplicates) index the codes back to the records. pandas is imported here, inside the profiler,
so that starting the application does not pay for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.profiling import kinds as K
from core.profiling.model import (
    KINDS,
    ColumnProfile,
    DateRange,
    LengthStats,
    NumericSummary,
    Outlier,
    Outliers,
    PatternCount,
    RecordValue,
    ValueCount,
)
from core.values.empty import NULL_TOKENS

if TYPE_CHECKING:
    import numpy as np

TOP_VALUES = 10
TOP_PATTERNS = 10
EXAMPLES = 10
TYPE_SHARE = 0.9
"""A column has a type when at least this share of its filled records fit it; else it is "string"."""
LOW_CARDINALITY = 50
"""At most this many distinct values (and at most half the filled records) is "low" cardinality."""
Z_LIMIT = 3.0
IQR_FACTOR = 1.5
_NUMERIC = frozenset({"integer", "float"})
_NULL_WORD_SIZE = max(map(len, NULL_TOKENS))
_IP = frozenset({"ipv4", "ipv6"})
_DATES = frozenset({"date", "datetime"})


@dataclass
class ProfiledColumn:
    """A column's profile and what the cross-column checks need: per record, its value's code."""

    profile: ColumnProfile
    codes: np.ndarray  # int64 per record: index into `values`, -1 when null or blank
    values: list[str]  # distinct filled values (stripped), in order of first appearance
    counts: np.ndarray  # records per value


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _num(x: float) -> float:
    return float(round(float(x), 6))


def profile_column(name: str, position: int, cells: np.ndarray, index: np.ndarray) -> ProfiledColumn:
    """Profile one column: `cells` (object array, None for a missing cell) in record order; `index`
    the records' indexes (file line or sheet row) for examples."""
    import numpy as np
    import pandas as pd

    n = len(cells)
    raw_codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    raw_counts = np.bincount(raw_codes[raw_codes >= 0], minlength=len(uniques))
    stripped = [u.strip() for u in uniques]  # cells are text (None is NA, code -1)
    sizes = np.fromiter(map(len, stripped), dtype=np.int64, count=len(stripped))
    raw_sizes = np.fromiter(map(len, uniques), dtype=np.int64, count=len(uniques))
    state = np.where(sizes == 0, 2, 0).astype(np.int8)  # 0 filled, 1 null word, 2 blank
    for i in np.flatnonzero((sizes > 0) & (sizes <= _NULL_WORD_SIZE)):
        if stripped[i].casefold() in NULL_TOKENS:
            state[i] = 1
    blanks = int(raw_counts[state == 2].sum())
    nulls = int((raw_codes < 0).sum()) + int(raw_counts[state == 1].sum())
    filled_idx = np.flatnonzero(state == 0)
    kept = stripped if len(filled_idx) == len(stripped) else [stripped[i] for i in filled_idx]
    if (sizes != raw_sizes).any():  # " web " and "web" are one value
        value_codes, value_index = pd.factorize(np.array(kept, dtype=object))
        values: list[str] = list(value_index)
        value_sizes = None
    else:  # nothing was stripped: the values are distinct already
        value_codes, values = np.arange(len(kept), dtype=np.int64), kept
        value_sizes = sizes[filled_idx]
    to_value = np.full(len(uniques) + 1, -1, dtype=np.int64)  # the last slot answers code -1
    to_value[filled_idx] = value_codes
    codes = to_value[raw_codes]
    counts = np.bincount(codes[codes >= 0], minlength=len(values)).astype(np.int64)
    filled = int(counts.sum())

    text = K.texts(values, value_sizes)
    kinds = K.classify(text)
    numbers, mark = K.read_numbers(values, kinds)
    stamps, ambiguous, order = K.read_dates(values, kinds)
    kind_counts = np.bincount(kinds, weights=counts, minlength=len(KINDS)).astype(np.int64)
    kind_map = {k: int(c) for k, c in zip(KINDS, kind_counts, strict=False) if c}
    inferred, fitting = _infer_type(kind_map, values, kinds, filled)
    fit_mask = np.isin(kinds, [K.CODE[k] for k in fitting])
    conforming = int(counts[fit_mask].sum())

    numeric = _numeric(values, numbers, codes, index, mark) if inferred in _NUMERIC else None
    dated = _dates(values, kinds, stamps, ambiguous, counts, codes, index, order)
    distinct = len(values)
    profile = ColumnProfile(
        name=name,
        position=position,
        records=n,
        filled=filled,
        nulls=nulls,
        blanks=blanks,
        null_share=_share(nulls, n),
        blank_share=_share(blanks, n),
        inferred_type=inferred,
        type_share=_share(conforming, filled),
        kinds=kind_map,
        distinct=distinct,
        cardinality=_cardinality(distinct, filled),
        top_values=_top_values(values, counts, filled),
        patterns=_patterns(text, kinds, counts, filled),
        lengths=_lengths(text.sizes, counts),
        numeric=numeric,
        dates=dated if inferred == "datetime" else None,
        nonconforming=filled - conforming,
        nonconforming_examples=_examples(np.flatnonzero(~fit_mask), codes, index, values),
    )
    return ProfiledColumn(profile, codes, values, counts)


def _infer_type(
    kind_map: dict[str, int], values: list[str], kinds: np.ndarray, filled: int
) -> tuple[str, frozenset[str]]:
    """The column's type and the value kinds that fit it (every kind fits "string")."""
    import numpy as np

    if not filled:
        return "empty", frozenset()
    need = TYPE_SHARE * filled
    if kind_map.get("integer", 0) + kind_map.get("float", 0) >= need:
        return ("float", _NUMERIC) if kind_map.get("float", 0) else ("integer", frozenset({"integer"}))
    if kind_map.get("boolean", 0) >= need:
        words = {values[i].casefold() for i in np.flatnonzero(kinds == K.CODE["boolean"])}
        if words & K.TRUE_WORDS and words - K.TRUE_WORDS:  # a yes and a no word, not one flag
            return "boolean", frozenset({"boolean"})
    for column_type, members in (("ip", _IP), ("datetime", _DATES)):
        if sum(kind_map.get(k, 0) for k in members) >= need:
            return column_type, members
    for kind in ("uuid", "mac", "email", "fqdn"):
        if kind_map.get(kind, 0) >= need:
            return kind, frozenset({kind})
    return "string", frozenset(KINDS)


def _cardinality(distinct: int, filled: int) -> str:
    if not filled:
        return "empty"
    if distinct == 1:
        return "constant"
    if distinct == filled:
        return "unique"
    if distinct <= LOW_CARDINALITY and distinct * 2 <= filled:
        return "low"
    return "high"


def _order(counts: np.ndarray) -> np.ndarray:
    """Value positions by count, most first; ties in order of first appearance."""
    import numpy as np

    return np.argsort(-counts, kind="stable")


def _top_values(values: list[str], counts: np.ndarray, filled: int) -> list[ValueCount]:
    return [
        ValueCount(values[i], int(counts[i]), _share(int(counts[i]), filled))
        for i in _order(counts)[:TOP_VALUES]
    ]


def _patterns(text: K.Texts, kinds: np.ndarray, counts: np.ndarray, filled: int) -> list[PatternCount]:
    import numpy as np

    if not len(text.values):
        return []
    at, keys, first = K.patterns(text, kinds)
    per_pattern = np.bincount(at, weights=counts, minlength=len(keys)).astype(np.int64)
    order = np.lexsort((first, -per_pattern))[:TOP_PATTERNS]  # most records first, then file order
    return [
        PatternCount(
            K.pattern_name(str(keys[i])), int(per_pattern[i]), _share(int(per_pattern[i]), filled),
            text.values[first[i]],
        )
        for i in order
    ]  # fmt: skip


def _weighted_median(x: np.ndarray, weights: np.ndarray) -> float:
    import numpy as np

    order = np.argsort(x, kind="stable")
    cum = np.cumsum(weights[order])
    total = cum[-1]
    lo = x[order][np.searchsorted(cum, (total + 1) // 2)]
    hi = x[order][np.searchsorted(cum, total // 2 + 1)]
    return float(lo + hi) / 2


def _lengths(sizes: np.ndarray, counts: np.ndarray) -> LengthStats | None:
    if not len(sizes):
        return None
    total = int(counts.sum())
    return LengthStats(
        min=int(sizes.min()),
        max=int(sizes.max()),
        mean=_num((sizes * counts).sum() / total),
        median=_weighted_median(sizes, counts),
    )


def _examples(
    value_positions: np.ndarray, codes: np.ndarray, index: np.ndarray, values: list[str]
) -> list[RecordValue]:
    """The first records holding one of these values (one example per record, file order)."""
    import numpy as np

    if not len(value_positions):
        return []
    rows = np.flatnonzero(np.isin(codes, value_positions))[:EXAMPLES]
    return [RecordValue(int(index[r]), values[codes[r]]) for r in rows]


def _numeric(
    values: list[str], numbers: np.ndarray, codes: np.ndarray, index: np.ndarray, mark: str | None
) -> NumericSummary | None:
    import numpy as np

    per_value = np.append(numbers, np.nan)
    per_record = per_value[codes]  # code -1 reads the last slot: NaN
    rows = np.flatnonzero(~np.isnan(per_record))
    if not len(rows):
        return None
    x = per_record[rows]
    q1, median, q3 = (float(q) for q in np.percentile(x, [25, 50, 75]))
    mean = float(x.mean())
    std = float(x.std(ddof=1)) if len(x) > 1 else None

    def outliers(method: str, low: float | None, high: float | None, note: str | None) -> Outliers:
        if low is None or high is None:
            return Outliers(method, None, None, 0, [], note)
        outside = (x < low) | (x > high)
        hits = np.flatnonzero(outside)
        distance = np.maximum(low - x[hits], x[hits] - high)
        worst = hits[np.argsort(-distance, kind="stable")][:EXAMPLES]
        examples = [Outlier(int(index[rows[i]]), values[codes[rows[i]]], _num(x[i])) for i in worst]
        return Outliers(method, _num(low), _num(high), len(hits), examples, note)

    iqr = q3 - q1
    iqr_out = (
        outliers("iqr", q1 - IQR_FACTOR * iqr, q3 + IQR_FACTOR * iqr, None)
        if iqr > 0
        else outliers("iqr", None, None, "IQR is 0: at least half the values are equal")
    )
    z_out = (
        outliers("zscore", mean - Z_LIMIT * std, mean + Z_LIMIT * std, None)
        if std
        else outliers("zscore", None, None, "standard deviation is 0 or undefined")
    )
    return NumericSummary(
        count=len(x),
        min=_num(x.min()),
        q1=_num(q1),
        median=_num(median),
        q3=_num(q3),
        max=_num(x.max()),
        mean=_num(mean),
        std=None if std is None else _num(std),
        iqr_outliers=iqr_out,
        zscore_outliers=z_out,
        decimal_mark=mark,
    )


def _iso(stamp: np.datetime64, with_time: bool) -> str:
    text = str(stamp.astype("datetime64[s]"))
    return text if with_time else text[:10]


def _dates(
    values: list[str],
    kinds: np.ndarray,
    stamps: np.ndarray,
    ambiguous: np.ndarray,
    counts: np.ndarray,
    codes: np.ndarray,
    index: np.ndarray,
    order: str | None,
) -> DateRange:
    import numpy as np

    read = ~np.isnat(stamps)
    with_time = int(counts[read & (kinds == K.CODE["datetime"])].sum())
    return DateRange(
        count=int(counts[read].sum()),
        min=_iso(stamps[read].min(), with_time > 0) if read.any() else None,
        max=_iso(stamps[read].max(), with_time > 0) if read.any() else None,
        with_time=with_time,
        date_order=order,
        unreadable=int(counts[ambiguous].sum()),
        unreadable_examples=_examples(np.flatnonzero(ambiguous), codes, index, values),
    )
