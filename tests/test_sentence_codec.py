"""The catalog's int8 sentence vectors: what the answerer and the ranking compare them by
(cosines with a question) stays as it was in float32, and older float16 rows still read."""

from __future__ import annotations

import numpy as np

from assistant.index import sentence_codec

SENTENCES = [
    "The harbour bridge reopened on Friday after eight months of repairs.",
    "The city council said the repairs cost 12 million euros.",
    "Traffic returned to normal by noon.",
    "Mistral AI was founded in Paris in 2023 by three researchers.",
    "The central bank raised interest rates by a quarter point.",
    "Heavy rain flooded the lower town overnight.",
    "The museum will reopen its modern art wing in May.",
    "Shares of the carmaker fell 4% after the recall.",
]
QUESTIONS = [
    "How much did the bridge repairs cost?",
    "Who founded Mistral?",
    "What did the central bank do?",
    "When will the museum wing reopen?",
]


def test_int8_keeps_every_cosine_and_every_best_sentence(shared_embedder):
    exact = shared_embedder.embed(SENTENCES).astype(np.float32)
    rows = [sentence_codec.encode(v) for v in exact]
    dim = exact.shape[1]
    assert {len(r) for r in rows} == {dim + 5}, "about half of float16's 2 bytes a dimension"
    stored = sentence_codec.decode(rows)
    assert stored.dtype == np.float32
    assert np.allclose(np.linalg.norm(stored, axis=1), 1, atol=1e-5)
    queries = np.stack([shared_embedder.embed_query(q) for q in QUESTIONS]).astype(np.float32)
    exact /= np.linalg.norm(exact, axis=1, keepdims=True)
    assert np.abs(stored @ queries.T - exact @ queries.T).max() < 2e-3
    assert (
        np.argsort(-(stored @ queries.T), axis=0) == np.argsort(-(exact @ queries.T), axis=0)
    ).all()


def test_float16_rows_of_older_catalogs_read_beside_int8_ones():
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(4, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    old = [v.astype(np.float16).tobytes() for v in vectors[:2]]
    new = [sentence_codec.encode(v) for v in vectors[2:]]
    assert all(len(r) % 2 == 0 for r in old) and all(len(r) % 2 == 1 for r in new)
    for rows, expected in (([*old, *new], vectors), (old, vectors[:2]), (new, vectors[2:])):
        got = sentence_codec.decode(rows)
        assert got.shape == expected.shape and np.abs(got - expected).max() < 2e-3


def test_odd_dimensions_and_zero_vectors_round_trip():
    odd = np.array([0.5, -0.25, 0.0, 0.8, -0.1], dtype=np.float32)
    (row,) = [sentence_codec.encode(odd)]
    assert len(row) % 2 == 1
    (back,) = sentence_codec.decode([row])
    assert back.shape == (5,) and np.abs(back - odd / np.linalg.norm(odd)).max() < 1e-2
    (zero,) = sentence_codec.decode([sentence_codec.encode(np.zeros(6, dtype=np.float32))])
    assert not zero.any()
    assert sentence_codec.decode([]).shape == (0, 0)
