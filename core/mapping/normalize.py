"""Header normalisation: from "RAM.TotalSizeInMB" to core tokens {memory, total, size} + unit MB.

Headers and every synonym of the target schema go through this same function, so matching is
a comparison of token sets. Units, statistics (avg / peak / min) and instance numbers
("Disk 2") are taken out as qualifiers, because they say *how* a column holds a value, not
*which* field it is — the engine checks them against the target separately.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from core.mapping.text import fold
from core.mapping.vocabulary import UnitInfo, Vocabulary, load_vocabulary

_PLURAL_PARENS = re.compile(r"\((?:s|es|en|e|n)\)", re.IGNORECASE)
_PER_SECOND = re.compile(r"/\s*(?:s|sec|second|seconde|sekunde)\b", re.IGNORECASE)
_CAMEL_1 = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_CAMEL_2 = re.compile(r"(?<=[A-Z])(?=[A-Z][a-z])")
_DOTTED = re.compile(r"(?<=[A-Za-z0-9_\]\)])\.(?=[A-Za-z])")
_TOKEN = re.compile(r"%|#|ø|[^\W_]+", re.UNICODE)
_PARENS = re.compile(r"[\(\[\{][^\)\]\}]*[\)\]\}]")
_TRAILING_DIGITS = re.compile(r"^([a-z]{2,}?)(\d+)$")
_NO_STEM_ENDINGS = ("ss", "us", "is", "os", "as")
# after these words "in" means inbound ("Network In KB/s"), not "measured in"
_IN_OUT_SUBJECTS = frozenset(
    {
        "network",
        "net",
        "nic",
        "traffic",
        "lan",
        "wan",
        "interface",
        "port",
        "netzwerk",
        "reseau",
        "bandwidth",
        "throughput",
    }
)


@dataclass(frozen=True)
class HeaderForm:
    """A header (or synonym) reduced to what matching needs."""

    original: str
    raw_core: frozenset[str]
    core: frozenset[str]
    tokens: tuple[str, ...]
    compact: str
    unit: UnitInfo | None
    statistic: str | None
    quantities: frozenset[str]
    index: int | None
    context: frozenset[str]
    corrections: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        """Canonical tokens joined by spaces (for fuzzy and semantic comparison)."""
        return " ".join(self.tokens)


@dataclass(frozen=True)
class _Token:
    text: str
    in_parens: bool
    segment: int


def _protect(text: str, vocab: Vocabulary) -> str:
    pattern, table = _protected_pattern(vocab)
    return pattern.sub(lambda m: f" {table[m.group(0)].strip()} ", text)


@lru_cache(maxsize=4)
def _protected_pattern(vocab: Vocabulary) -> tuple[re.Pattern[str], dict[str, str]]:
    keys = sorted(vocab.protected_words, key=len, reverse=True)
    alternation = "|".join(re.escape(k) for k in keys)
    return re.compile(rf"(?<![a-z])(?:{alternation})(?![a-z])"), dict(vocab.protected_words)


def _split_raw(text: str, vocab: Vocabulary) -> list[_Token]:
    """Split into folded tokens, remembering parentheses and dotted-path segments."""
    text = _PLURAL_PARENS.sub("", text)
    text = _PER_SECOND.sub(" persecond ", text)
    segments = _DOTTED.split(text)
    tokens: list[_Token] = []
    for seg_no, segment in enumerate(segments):
        segment = _protect(segment, vocab)
        spans = [m.span() for m in _PARENS.finditer(segment)]
        spaced = _CAMEL_2.sub(" ", _CAMEL_1.sub(" ", segment))
        # camel splitting inserted characters; recompute parentheses on the spaced text
        spans = [m.span() for m in _PARENS.finditer(spaced)] if spans else []
        for m in _TOKEN.finditer(spaced):
            inside = any(a <= m.start() < b for a, b in spans)
            word = fold(m.group())
            if word:
                tokens.append(_Token(word, inside, seg_no))
    return tokens


def _decompound(word: str, known: frozenset[str]) -> list[str] | None:
    """Split an unknown concatenation ("betriebssystemversion") into known words."""
    n = len(word)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for i in range(n):
        if best[i] is None:
            continue
        for j in range(i + 2, n + 1):
            part = word[i:j]
            ok = part in known
            if not ok and part.endswith("s") and part[:-1] in known and len(part) > 3:
                ok = True
            if not ok:
                continue
            cand = [*best[i], part]  # type: ignore[misc]
            if best[j] is None or len(cand) < len(best[j]):  # type: ignore[arg-type]
                best[j] = cand
    result = best[n]
    if result is None or len(result) < 2 or len(result) > 6:
        return None
    if any(len(p) < 2 for p in result):
        return None
    return result


def _rewrite_phrases(words: list[str], vocab: Vocabulary) -> list[str]:
    out: list[str] = []
    i = 0
    longest = vocab.max_phrase_len
    while i < len(words):
        for size in range(min(longest, len(words) - i), 1, -1):
            repl = vocab.phrases.get(tuple(words[i : i + size]))
            if repl is not None:
                out.extend(repl)
                i += size
                break
        else:
            out.append(words[i])
            i += 1
    return out


def stem(word: str) -> str:
    """Crude plural reduction (applied identically to headers and synonyms)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(_NO_STEM_ENDINGS):
        return word[:-1]
    return word


def canonical_token(word: str, vocab: Vocabulary) -> str:
    mapped = vocab.tokens.get(word)
    if mapped is not None:
        return mapped
    stemmed = stem(word)
    return vocab.tokens.get(stemmed, stemmed)


def _read_unit(words: list[tuple[str, bool]], vocab: Vocabulary) -> tuple[UnitInfo | None, set[int]]:
    """Find the unit among (word, in_parens) and the positions it used."""
    used: set[int] = set()
    size: UnitInfo | None = None
    rate: UnitInfo | None = None
    other: UnitInfo | None = None
    per_second = False
    ops = False
    last = len(words) - 1
    for pos, (word, in_parens) in enumerate(words):
        if word == "persecond":
            per_second = True
            used.add(pos)
            continue
        info = vocab.units.get(word)
        if info is None:
            continue
        if word in vocab.ambiguous_unit_tokens and not (
            in_parens or pos == last or info.dimension == "ops_rate"
        ):
            continue
        used.add(pos)
        if info.dimension == "data_size":
            size = info
        elif info.dimension == "data_rate":
            rate = info
        elif info.dimension == "ops_rate":
            ops = True
        else:
            other = other or info
        if (
            pos > 0
            and words[pos - 1][0] == "in"
            and words[pos - 1][1] == in_parens
            and (pos < 2 or words[pos - 2][0] not in _IN_OUT_SUBJECTS)
        ):
            used.add(pos - 1)
    if rate is not None:
        return rate, used
    if size is not None and per_second:
        return UnitInfo("data_rate", size.factor, f"{size.label}/s"), used
    if size is not None:
        return size, used
    if ops or (per_second and other is None):
        return UnitInfo("ops_rate", 1.0, "ops/s"), used
    return other, used


@lru_cache(maxsize=4)
def _known_words(vocab: Vocabulary) -> frozenset[str]:
    from core.mapping.lexicon import known_raw_words

    return known_raw_words(vocab)


def normalize(header: str, *, vocab: Vocabulary | None = None, decompound: bool = True) -> HeaderForm:
    """Normalise one header or synonym (cached)."""
    return _normalize(header, vocab or load_vocabulary(), decompound)


@lru_cache(maxsize=16384)
def _normalize(header: str, vocab: Vocabulary, decompound: bool) -> HeaderForm:
    raw = _split_raw(header, vocab)
    known = _known_words(vocab) if decompound else frozenset()
    last_segment = max((t.segment for t in raw), default=0)
    # the meaningful segment of a dotted path is the last one holding more than a statistic
    for seg in range(last_segment, -1, -1):
        if any(t.segment == seg and t.text not in vocab.statistics for t in raw):
            last_segment = seg
            break
    words: list[tuple[str, bool, bool]] = []  # (word, in_parens, is_context)
    index: int | None = None
    for tok in raw:
        parts = [tok.text]
        if decompound and tok.text not in known and 5 <= len(tok.text) <= 40 and not tok.text.isdigit():
            m = _TRAILING_DIGITS.match(tok.text)
            if m and (m.group(1) in known or stem(m.group(1)) in known):
                parts = [m.group(1), m.group(2)]
            else:
                parts = _decompound(tok.text, known) or parts
        for p in parts:
            words.append((p, tok.in_parens, tok.segment < last_segment))
    compact = "".join(w for w, _, _ in words if w not in ("#", "%"))
    # instance numbers: "Disk 2", "Network #1", "Name0"
    kept: list[tuple[str, bool, bool]] = []
    for pos, (w, paren, ctx) in enumerate(words):
        if w.isdigit():
            prev = words[pos - 1][0] if pos else ""
            if prev == "#" and kept and kept[-1][0] == "#":
                kept.pop()
            index = int(w) if len(w) < 6 else index
            continue
        kept.append((w, paren, ctx))
    rewritten: list[tuple[str, bool, bool]] = []
    plain = [w for w, _, _ in kept]
    literal = frozenset(  # the words as written, for telling "exact" from "synonym"
        stem(w)
        for w in plain
        if w not in vocab.stopwords
        and w not in vocab.units
        and w not in vocab.statistics
        and w not in ("#", "%", "in")
    )
    new_words = _rewrite_phrases(plain, vocab)
    if new_words == plain:
        rewritten = kept
    else:  # phrases changed the sequence; parentheses/context flags are carried approximately
        flags = {w: (p, c) for w, p, c in kept}
        rewritten = [(w, *flags.get(w, (False, False))) for w in new_words]
    unit, used = _read_unit([(w, p) for w, p, _ in rewritten], vocab)
    statistic: str | None = None
    core: list[str] = []
    context: set[str] = set()
    for pos, (w, _paren, ctx) in enumerate(rewritten):
        if pos in used:
            continue
        stat = vocab.statistics.get(w)
        if stat is not None:
            statistic = statistic or stat
            continue
        if w in vocab.stopwords:
            continue
        canon = canonical_token(w, vocab)
        if canon in vocab.stopwords or not canon:
            continue
        if canon not in core:
            core.append(canon)
        if ctx:
            context.add(canon)
    quantities = frozenset(q for w in core if (q := vocab.quantities.get(w)) is not None)
    return HeaderForm(
        original=header,
        raw_core=literal,
        core=frozenset(core),
        tokens=tuple(core),
        compact=compact,
        unit=unit,
        statistic=statistic,
        quantities=quantities,
        index=index,
        context=frozenset(context),
    )
