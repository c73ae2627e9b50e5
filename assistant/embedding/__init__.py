"""Texts -> unit vectors: the encoder seam, its backends and the `Embedder` over them.

Owns: loading the model from local files only (base.py), the torch and ONNX backends
(torch_backend.py, onnx.py), a public fake for tests of logic (fake.py), and the Embedder
that batches, caches question vectors and pools sentence vectors (embedder.py).
Not here: which texts get embedded (ingest, retrieval, answer decide that).
"""

from .embedder import Embedder
from .fake import FakeEncoder, fake_embedder

__all__ = ["Embedder", "FakeEncoder", "fake_embedder"]
