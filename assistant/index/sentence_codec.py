"""How the catalog keeps a sentence vector: int8, with one scale per vector.

A sentence vector is only ever compared with a question's (a cosine, to pick the chunk's
and the answer's best sentence), and int8 keeps those comparisons as they were at half
float16's bytes. Each vector has its own scale (its largest component maps to 127), so a
vector with small components is not flattened to a few steps. A row is the int8 values,
the scale (float32, little-endian), an optional pad byte and a trailer byte naming the
pad: its length is odd. Catalogs written before this module hold float16 rows, whose
length is even, so the two kinds may sit side by side in one catalog (an older index
goes on answering, and gains int8 rows as it is re-ingested); no schema version is
needed to tell them apart.

Decoded vectors are float32 and renormalised, so dot products stay cosines.

Not here: where the rows live (catalog.py, catalog_write.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_SCALE = np.dtype("<f4")


def encode(vector: np.ndarray) -> bytes:
    """One row: `vector` as int8 with its scale; the length is odd (see the module)."""
    return encode_many(np.asarray(vector, dtype=np.float32)[np.newaxis])[0]


def encode_many(vectors: np.ndarray) -> list[bytes]:
    """`encode` of each row of a matrix, in one pass over the matrix rather than a few
    small array operations per sentence, which were most of writing a batch's catalog
    rows."""
    m = np.asarray(vectors, dtype=np.float32)
    n, dim = m.shape
    top = np.abs(m).max(axis=1) if dim else np.zeros(n, dtype=np.float32)
    # The scale in float64 then stored as float32, and the division by it in float32:
    # the same bytes as dividing each vector by a Python float.
    scales = np.where(top > 0, top.astype(np.float64) / 127, 1.0).astype(_SCALE)
    values = np.clip(np.rint(m / scales[:, np.newaxis]), -127, 127).astype(np.int8)
    pad = dim % 2  # an odd dimension takes a pad byte, so the row stays odd
    rows = np.zeros((n, dim + 4 + pad + 1), dtype=np.uint8)
    rows[:, :dim] = values.view(np.uint8)
    rows[:, dim : dim + 4] = scales[:, np.newaxis].view(np.uint8)
    rows[:, -1] = pad
    blob, width = rows.tobytes(), rows.shape[1]
    return [blob[i * width : (i + 1) * width] for i in range(n)]


def decode(rows: Sequence[bytes]) -> np.ndarray:
    """The vectors of these rows, one float32 unit vector a row (rows of one catalog:
    all of one dimension)."""
    if not rows:
        return np.empty((0, 0), dtype=np.float32)
    lengths = {len(r) for r in rows}
    if len(lengths) == 1:  # the common case: one format, decoded in one step
        matrix = _decode_same(rows, lengths.pop())
    else:
        matrix = np.stack([_decode_same([r], len(r))[0] for r in rows])
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def _decode_same(rows: Sequence[bytes], length: int) -> np.ndarray:
    """Rows of one length, hence one format, as a float32 matrix."""
    data = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(len(rows), length)
    if length % 2 == 0:  # float16, written before int8
        return data.view(np.float16).astype(np.float32)
    dim = length - 5 - int(data[0, -1])
    values = data[:, :dim].view(np.int8).astype(np.float32)
    scales = data[:, dim : dim + 4].copy().view(_SCALE).astype(np.float32)
    return values * scales
