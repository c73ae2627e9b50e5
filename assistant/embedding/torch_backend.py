"""The reference backend: sentence-transformers on PyTorch (imported when it is chosen)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Tokens


class TorchEncoder:
    """sentence-transformers on PyTorch."""

    def __init__(self, path: str) -> None:
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(path, device="cpu")
        self.tokenizer = self.model.tokenizer
        self.max_tokens = int(self.model.max_seq_length or 256)

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        vectors = self.model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_tokens(self, texts: list[str], batch_size: int) -> list[Tokens]:
        outputs: list[dict[str, Any]] = self.model.encode(
            texts, batch_size=batch_size, output_value=None, show_progress_bar=False
        )  # type: ignore[assignment]  # output_value=None: one dict of tensors per text
        # The same tokenizer call sentence-transformers makes, for the offsets it drops.
        offsets = self.tokenizer(
            texts, truncation=True, max_length=self.max_tokens, return_offsets_mapping=True
        )["offset_mapping"]
        out = []
        for o, spans in zip(outputs, offsets, strict=True):
            n = min(int(o["attention_mask"].sum()), len(spans))  # the rest is padding
            vectors = o["token_embeddings"][:n].float().numpy()
            out.append(Tokens(vectors, np.asarray(spans[:n], dtype=np.int64).reshape(-1, 2)))
        return out
