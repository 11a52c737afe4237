"""The numpy MiniLM runtime reproduces sentence-transformers (reference vectors computed with torch)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.mapping import semantic

REFERENCE = Path(__file__).parent / "data" / "minilm_reference.json"

pytestmark = pytest.mark.skipif(not semantic.available(), reason="semantic extra not installed")


def test_tokenizer_and_embeddings_match_the_reference() -> None:
    import numpy as np

    from core.mapping.minilm import MiniLM

    ref = json.loads(REFERENCE.read_text(encoding="utf-8"))
    model = MiniLM(semantic.model_dir())
    assert [model.tokenizer.encode(t) for t in ref["texts"]] == ref["input_ids"]
    got = model.encode(ref["texts"])
    assert np.abs(got - np.array(ref["embeddings"])).max() < 1e-5
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_matcher_ranks_targets_by_meaning() -> None:
    matcher = semantic.get_matcher()
    assert matcher is not None
    ranking = matcher.rank(["Amount of installed RAM", "Clock rate"])
    assert "memory_gb" in [t for t, _ in ranking[0]]
    assert ranking[1][0][0] == "cpu_speed_mhz"
