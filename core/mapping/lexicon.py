"""The set of words the vocabulary knows, for splitting concatenations and correcting typos.

"betriebssystemversion" or "totalsizeinmb" are split into known words; "Operting" is read
as "operating". Both need the list of words that occur anywhere in the schema or vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from core.mapping.schema import load_target_schema
from core.mapping.text import fold
from core.mapping.vocabulary import Vocabulary


def _words(texts: Iterable[str], vocab: Vocabulary) -> set[str]:
    from core.mapping.normalize import _split_raw

    out: set[str] = set()
    for text in texts:
        for tok in _split_raw(str(text), vocab):
            if tok.text.isalpha() and len(tok.text) >= 2:
                out.add(tok.text)
    return out


@lru_cache(maxsize=4)
def known_raw_words(vocab: Vocabulary) -> frozenset[str]:
    """Every word of every synonym, phrase, token mapping, unit and statistic."""
    schema = load_target_schema()
    texts: list[str] = []
    for f in schema.fields:
        texts.append(f.name.replace("_", " "))
        texts.extend(f.synonyms)
        texts.extend(f.weak_synonyms)
        texts.extend(f.inverse_synonyms)
        texts.extend(f.abbreviations)
        texts.extend(f.subject)
    for concept in vocab.no_target:
        texts.extend(concept.phrases)
    texts.extend(" ".join(k) for k in vocab.phrases)
    words = _words(texts, vocab)
    words.update(k for k in vocab.tokens if k.isalpha())
    words.update(vocab.units)
    words.update(vocab.statistics)
    words.update(w for w in vocab.soft_tokens if w.isalpha())
    words.update(w for w in vocab.subject_tokens if w.isalpha())
    words.update({"in", "out", "per", "of", "by", "on", "and"})
    return frozenset(fold(w) for w in words if len(w) >= 2)
