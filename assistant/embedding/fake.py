"""A fake encoder for tests of logic: instant, deterministic, no model files.

Words are hashed into a small vector (a bag of words), so texts that share words are
close and texts that share none are orthogonal. It is enough to exercise the chunker,
the index, the ranking plumbing and the answer seams; it says nothing about answer
quality, which is always measured on the real model.

    from assistant.embedding import fake_embedder
    assistant = Assistant(index_dir=tmp, embedder=fake_embedder())
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import numpy as np

from .base import Tokens
from .embedder import Embedder

DIM = 64
_WORD = re.compile(r"\w+")


class WordTokenizer:
    """One token per word, with character offsets, called like a Hugging Face tokenizer."""

    def __call__(
        self,
        text: str,
        add_special_tokens: bool = True,
        return_offsets_mapping: bool = False,
        **_: Any,
    ) -> dict[str, list[Any]]:
        offsets = [(m.start(), m.end()) for m in _WORD.finditer(text)]
        if add_special_tokens:
            offsets = [(0, 0), *offsets, (0, 0)]
        out: dict[str, list[Any]] = {"input_ids": list(range(len(offsets)))}
        if return_offsets_mapping:
            out["offset_mapping"] = offsets
        return out


def _word_vector(word: str) -> np.ndarray:
    seed = int.from_bytes(hashlib.blake2b(word.lower().encode(), digest_size=4).digest(), "big")
    return np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)


def _unit_rows(m: np.ndarray) -> np.ndarray:
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)


class FakeEncoder:
    """The `Encoder` seam on hashed words."""

    def __init__(self, max_tokens: int = 256) -> None:
        self.tokenizer = WordTokenizer()
        self.max_tokens = max_tokens

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        rows = [t.vectors.sum(axis=0) for t in self.encode_tokens(texts, batch_size)]
        return _unit_rows(np.stack(rows)).astype(np.float32)

    def encode_tokens(self, texts: list[str], batch_size: int) -> list[Tokens]:
        out = []
        for text in texts:
            words = [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(text)]
            words = words[: self.max_tokens - 2]
            vectors = [np.zeros(DIM, np.float32), *(_word_vector(w) for w, _, _ in words)]
            offsets = [(0, 0), *((a, b) for _, a, b in words)]
            out.append(Tokens(np.stack(vectors), np.asarray(offsets, dtype=np.int64)))
        return out


def fake_embedder(batch_size: int = 4) -> Embedder:
    """An Embedder on the fake encoder (named "fake", so an index built with it says so)."""
    return Embedder("fake", batch_size, encoder=FakeEncoder())
