"""Name evidence: a header against every synonym of every target (and every no-target concept).

A synonym matches when its core tokens equal the header's (exact / synonym) or are contained
in them; left-over header tokens cost little when they only refine ("Primary IP") and a lot
when they change the subject ("CPU manufacturer" is not the manufacturer). Misspellings and
near-misses go through rapidfuzz.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from core.mapping.normalize import HeaderForm, _split_raw, normalize
from core.mapping.schema import TargetSchema, load_target_schema
from core.mapping.vocabulary import Vocabulary, load_vocabulary

NONE_PREFIX = "none:"

BASE_SCORES: dict[str, float] = {
    "canonical": 0.97,
    "synonym": 0.93,
    "inverse": 0.92,
    "subject": 0.86,
    "weak": 0.78,
    "no_target": 0.95,
}

PENALTY_OWN = 0.01
PENALTY_SOFT = 0.015
PENALTY_HARD = 0.3
PENALTY_OTHER = 0.08
PENALTY_CONTAINED = 0.02
FUZZY_TOKEN_FACTOR = 0.92
FUZZY_CUTOFF = 84.0  # one unknown word against the known words
WHOLE_CUTOFF = 90.0  # the whole header against whole synonyms (a swapped word is no typo)


@dataclass(frozen=True)
class Phrase:
    """One way of naming a target (or a concept without target)."""

    target: str
    kind: str
    text: str
    form: HeaderForm
    base: float
    invert: bool = False


@dataclass(frozen=True)
class NameMatch:
    """Best name evidence for one target."""

    target: str
    score: float
    match_type: str
    phrase: Phrase
    extras: frozenset[str] = frozenset()
    note: str = ""

    @property
    def invert(self) -> bool:
        return self.phrase.invert

    @property
    def is_no_target(self) -> bool:
        return self.target.startswith(NONE_PREFIX)


@dataclass
class PhraseIndex:
    """All phrases, indexed by core token set, by token and by compact spelling."""

    phrases: list[Phrase] = field(default_factory=list)
    by_core: dict[frozenset[str], list[Phrase]] = field(default_factory=lambda: defaultdict(list))
    by_token: dict[str, list[Phrase]] = field(default_factory=lambda: defaultdict(list))
    by_compact: dict[str, list[Phrase]] = field(default_factory=lambda: defaultdict(list))
    universe: dict[str, frozenset[str]] = field(default_factory=dict)
    fuzzy_texts: list[str] = field(default_factory=list)
    fuzzy_phrases: list[Phrase] = field(default_factory=list)
    known_raw: list[str] = field(default_factory=list)

    def add(self, phrase: Phrase) -> None:
        if not phrase.form.core and not phrase.form.compact:
            return
        self.phrases.append(phrase)
        if phrase.form.core:
            self.by_core[phrase.form.core].append(phrase)
            for tok in phrase.form.core:
                self.by_token[tok].append(phrase)
        if len(phrase.form.compact) >= 3:
            self.by_compact[phrase.form.compact].append(phrase)


def _phrase(
    target: str,
    kind: str,
    text: str,
    vocab: Vocabulary,
    *,
    invert: bool = False,
    subject: frozenset[str] = frozenset(),
) -> Phrase:
    form = normalize(text, vocab=vocab)
    if subject and kind in ("synonym", "canonical", "weak") and form.core <= subject:
        kind = "subject"  # "pic cpu" is "cpu" once the statistic is taken out: needs a % to count
    return Phrase(target, kind, text, form, BASE_SCORES[kind], invert)


def _canonical_text(name: str) -> str:
    """A field name as a phrase; '_in_' would be eaten as 'in <unit>', so say 'inbound'."""
    return name.replace("_in_", "_inbound_").replace("_out_", "_outbound_").replace("_", " ")


@lru_cache(maxsize=4)
def phrase_index(schema: TargetSchema | None = None) -> PhraseIndex:
    """Build (once per schema) the index over the target schema and the no-target vocabulary."""
    schema = schema or load_target_schema()
    vocab = load_vocabulary()
    index = PhraseIndex()
    for f in schema.fields:
        subject = frozenset(t for s in f.subject for t in normalize(s, vocab=vocab).core)
        index.add(_phrase(f.name, "canonical", _canonical_text(f.name), vocab, subject=subject))
        for text in (*f.synonyms, *f.abbreviations):
            index.add(_phrase(f.name, "synonym", text, vocab, subject=subject))
        for text in f.weak_synonyms:
            index.add(_phrase(f.name, "weak", text, vocab, subject=subject))
        for text in f.inverse_synonyms:
            index.add(_phrase(f.name, "inverse", text, vocab, invert=True))
        for text in f.subject:
            index.add(_phrase(f.name, "subject", text, vocab))
    for concept in vocab.no_target:
        for text in concept.phrases:
            index.add(_phrase(NONE_PREFIX + concept.concept, "no_target", text, vocab))
    universe: dict[str, set[str]] = defaultdict(set)
    for p in index.phrases:
        universe[p.target].update(p.form.core)
    index.universe = {k: frozenset(v) for k, v in universe.items()}
    seen: set[tuple[str, str]] = set()
    for p in index.phrases:
        if p.kind == "subject" or not p.form.core:
            continue
        key = (p.target, p.form.text)
        if key not in seen:
            seen.add(key)
            index.fuzzy_texts.append(" ".join(sorted(p.form.core)))
            index.fuzzy_phrases.append(p)
    from core.mapping.lexicon import known_raw_words

    index.known_raw = sorted(w for w in known_raw_words(vocab) if len(w) >= 4)
    return index


def _penalty(token: str, target: str, header: HeaderForm, index: PhraseIndex, vocab: Vocabulary) -> float:
    if token in index.universe.get(target, frozenset()):
        return PENALTY_OWN
    if token in vocab.soft_tokens:
        return PENALTY_SOFT
    if token in vocab.subject_tokens:
        return PENALTY_HARD
    if token in header.context:
        return PENALTY_SOFT
    return PENALTY_OTHER


def _qualifiers_fit(phrase: Phrase, header: HeaderForm) -> bool:
    """A phrase spelled with a unit or statistic ('cpu mhz', 'pic cpu') needs the header to have it too."""
    punit = phrase.form.unit
    if punit is not None and (header.unit is None or header.unit.dimension != punit.dimension):
        return False
    return not (phrase.form.statistic and phrase.form.statistic != header.statistic)


def _score(phrase: Phrase, header: HeaderForm, index: PhraseIndex, vocab: Vocabulary) -> NameMatch | None:
    pcore = phrase.form.core
    if phrase.kind == "subject":
        return None  # subject phrases only count with a percent unit or percent-like values
    if header.compact and phrase.form.compact == header.compact:
        kind = "exact" if phrase.kind == "canonical" else "synonym"
        return NameMatch(phrase.target, phrase.base, kind, phrase)
    if not _qualifiers_fit(phrase, header):
        return None
    if pcore == header.core:
        exact = phrase.kind == "canonical" and phrase.form.raw_core == header.raw_core
        score = phrase.base if exact else min(phrase.base, BASE_SCORES["synonym"] + 0.02)
        return NameMatch(phrase.target, score, "exact" if exact else "synonym", phrase)
    if pcore and pcore < header.core:
        extras = header.core - pcore
        score = phrase.base - PENALTY_CONTAINED
        score -= sum(_penalty(t, phrase.target, header, index, vocab) for t in extras)
        return NameMatch(phrase.target, score, "synonym", phrase, frozenset(extras))
    return None


def _collect(header: HeaderForm, index: PhraseIndex, vocab: Vocabulary) -> dict[str, NameMatch]:
    candidates: dict[int, Phrase] = {}
    for tok in header.core:
        for p in index.by_token.get(tok, ()):
            candidates[id(p)] = p
    for p in index.by_compact.get(header.compact, ()):
        candidates[id(p)] = p
    best: dict[str, NameMatch] = {}
    for p in candidates.values():
        m = _score(p, header, index, vocab)
        if m is None:
            continue
        cur = best.get(m.target)
        if (
            cur is None
            or m.score > cur.score
            or (m.score == cur.score and len(m.phrase.form.core) > len(cur.phrase.form.core))
        ):
            best[m.target] = m
    return best


def _corrected(
    header: HeaderForm, index: PhraseIndex, vocab: Vocabulary
) -> tuple[str, list[tuple[str, str]]]:
    """The header with unknown words replaced by their closest known word."""
    known = set(index.known_raw)
    words = [t.text for t in _split_raw(header.original, vocab)]
    fixes: list[tuple[str, str]] = []
    out: list[str] = []
    for w in words:
        if len(w) >= 5 and w.isalpha() and w not in known:
            hit = process.extractOne(w, index.known_raw, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            # "decommission" is no typo of "commission": a known word plus a prefix is another word
            if hit is not None and hit[0] != w and not w.endswith(hit[0]) and not w.startswith(hit[0]):
                fixes.append((w, hit[0]))
                out.append(hit[0])
                continue
        out.append(w)
    return " ".join(out), fixes


def _whole_fuzzy(header: HeaderForm, index: PhraseIndex) -> dict[str, NameMatch]:
    """Near-miss of the whole header against every phrase (typos inside short headers)."""
    best: dict[str, NameMatch] = {}
    query = " ".join(sorted(header.core))
    if len(query) < 4:
        return best
    hits = process.extract(query, index.fuzzy_texts, scorer=fuzz.ratio, score_cutoff=WHOLE_CUTOFF, limit=6)
    for _text, ratio, pos in hits:
        p = index.fuzzy_phrases[pos]
        score = p.base * (0.62 + 0.25 * (ratio - WHOLE_CUTOFF) / (100 - WHOLE_CUTOFF))
        cur = best.get(p.target)
        if cur is None or score > cur.score:
            best[p.target] = NameMatch(
                p.target, score, "fuzzy", p, note=f"close to '{p.text}' ({ratio:.0f}%)"
            )
    return best


def match_names(
    header: HeaderForm, *, min_good: float = 0.8, schema: TargetSchema | None = None
) -> dict[str, NameMatch]:
    """Best name match per target (and per no-target concept, keyed 'none:<concept>') of `schema`
    (the asset target schema when None)."""
    index = phrase_index(schema)
    vocab = load_vocabulary()
    best = _collect(header, index, vocab)
    top = max((m.score for m in best.values()), default=0.0)
    if top >= min_good:
        return best
    text, fixes = _corrected(header, index, vocab)
    if fixes:
        fixed = normalize(text, vocab=vocab)
        note = ", ".join(f"'{a}' read as '{b}'" for a, b in fixes)
        for target, m in _collect(fixed, index, vocab).items():
            score = m.score * FUZZY_TOKEN_FACTOR
            cur = best.get(target)
            if cur is None or score > cur.score:
                best[target] = NameMatch(target, score, "fuzzy", m.phrase, m.extras, note=note)
    top = max((m.score for m in best.values()), default=0.0)
    if top < min_good:
        for target, m in _whole_fuzzy(header, index).items():
            cur = best.get(target)
            if cur is None or m.score > cur.score:
                best[target] = m
    return best


@lru_cache(maxsize=256)
def subject_phrases(target: str) -> tuple[Phrase, ...]:
    """The bare-subject phrases of a percentage target ("cpu" for cpu_utilization_*)."""
    return tuple(p for p in phrase_index().phrases if p.target == target and p.kind == "subject")
