"""The shipped semantic index must match today's targets and vocabulary."""

from __future__ import annotations

import numpy as np

from core.mapping import semantic


def test_shipped_index_is_current() -> None:
    _labels, texts = semantic._documents()
    with np.load(semantic.SHIPPED_INDEX) as data:
        assert str(data["key"]) == semantic.index_key(texts), (
            "resources/semantic_index.npz is stale: run `python -m core.mapping.semantic`"
        )
        assert data["matrix"].shape == (len(texts), 384)
