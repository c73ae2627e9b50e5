"""The embedding backends: ONNX Runtime must give the vectors PyTorch gives, on the real model."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant, Settings
from assistant.config import BUNDLED_CORPUS
from assistant.embedding import Embedder
from assistant.embedding.onnx import _model_key
from assistant.errors import BackendError, SettingsError
from assistant.ingest import Chunker
from assistant.sources import read_file

TEXTS = [
    "Microsoft will invest in Mistral AI, the Paris start-up founded in 2023.",
    "The European Union's AI Act entered into force in August 2024.",
    "Who founded Mistral?",
    "short",
]


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    return Embedder(backend="torch")


@pytest.fixture(scope="module")
def onnx_embedder() -> Embedder:
    return Embedder(backend="onnx")


@pytest.fixture(scope="module")
def int8_embedder() -> Embedder:
    return Embedder(backend="onnx-int8")


def test_onnx_gives_the_torch_vectors(torch_embedder: Embedder, onnx_embedder: Embedder):
    reference = torch_embedder.embed(TEXTS)
    vectors = onnx_embedder.embed(TEXTS)
    assert vectors.shape == reference.shape and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert (vectors * reference).sum(axis=1).min() > 0.9999


def test_onnx_batches_and_order_do_not_change_a_vector(onnx_embedder: Embedder):
    alone = np.stack([onnx_embedder.embed([t])[0] for t in TEXTS])
    together = onnx_embedder.embed(TEXTS)
    assert np.allclose(alone, together, atol=1e-5)


def test_int8_stays_close_and_keeps_the_ranking(torch_embedder: Embedder, int8_embedder: Embedder):
    reference = torch_embedder.embed(TEXTS)
    vectors = int8_embedder.embed(TEXTS)
    assert (vectors * reference).sum(axis=1).min() > 0.97
    query = int8_embedder.embed_query("Which company invested in Mistral AI?")
    assert int(np.argmax(vectors[:2] @ query)) == 0


def test_onnx_tokenizer_chunks_exactly_like_the_torch_one(
    torch_embedder: Embedder, onnx_embedder: Embedder
):
    assert onnx_embedder.max_tokens == torch_embedder.max_tokens
    article = next(
        a for a in read_file(BUNDLED_CORPUS / "microsoft-mistral-partnership.md") if a.text
    )
    torch_chunks = Chunker(torch_embedder.tokenizer, torch_embedder.max_tokens).split(article)
    onnx_chunks = Chunker(onnx_embedder.tokenizer, onnx_embedder.max_tokens).split(article)
    assert torch_chunks == onnx_chunks
    long = " ".join(["tokenisation"] * 400)
    assert onnx_embedder.count_tokens(long) == torch_embedder.count_tokens(long) > 256


def test_an_assistant_on_torch_answers_like_one_on_the_default_int8(
    tmp_path: Path, corpus_assistant: Assistant
):
    assert corpus_assistant.embedder.backend == "onnx-int8"
    torch = Assistant(index_dir=tmp_path / "torch", auto_ingest=False, embedding_backend="torch")
    assert torch.ingest([BUNDLED_CORPUS]).ok
    question = "Who founded Mistral?"
    on_torch, on_int8 = torch.ask(question), corpus_assistant.ask(question)
    # The same sentences and short answer; near-tied sentences may swap places.
    assert {s.text for s in on_torch.sentences} == {s.text for s in on_int8.sentences}
    assert on_torch.short_answer == on_int8.short_answer
    assert "Arthur Mensch" in on_torch.text


def test_the_backend_is_a_setting_and_a_typo_is_refused():
    assert Settings.from_env({"ASSISTANT_EMBEDDING_BACKEND": "onnx-int8"}).embedding_backend == (
        "onnx-int8"
    )
    with pytest.raises(SettingsError, match="torch, onnx or onnx-int8"):
        Settings(embedding_backend="onx")
    with pytest.raises(BackendError, match="valid: torch, onnx, onnx-int8"):
        Embedder(backend="tensorflow")


def test_batch_sizes_are_settings_and_must_be_positive():
    chosen = Settings.from_env({"ASSISTANT_BATCH_SIZE": "8", "ASSISTANT_WRITE_BATCH": "32"})
    assert (chosen.batch_size, chosen.write_batch) == (8, 32)
    with pytest.raises(SettingsError, match="write_batch must be at least 1"):
        Settings(write_batch=0)
    with pytest.raises(SettingsError, match="ASSISTANT_WRITE_BATCH must be a number"):
        Settings.from_env({"ASSISTANT_WRITE_BATCH": "lots"})


def test_sentence_vectors_do_not_depend_on_how_texts_are_sliced(shared_embedder, monkeypatch):
    """embed_spans pools token vectors a slice at a time; the slice must not show."""
    import assistant.embedding.embedder as embeddings

    texts = [
        "The central bank raised interest rates. Mortgage costs will climb.",
        "A storm flooded the harbour overnight. Ferries stayed in port.",
        "The striker scored twice in the final. Fans celebrated in the square.",
        "Researchers sequenced the genome of wheat. Yields may improve.",
        "The museum reopened after repairs. Its roof had leaked for years.",
    ]
    spans = [[(0, t.index(".") + 1), (t.index(".") + 2, len(t))] for t in texts]
    whole, pooled = shared_embedder.embed_spans(texts, spans)
    monkeypatch.setattr(embeddings, "TOKEN_SLICE", 2)
    sliced_whole, sliced_pooled = shared_embedder.embed_spans(texts, spans)
    # int8 quantises each batch's activations on their own range, so the texts a batch
    # holds move the vectors a little; they stay the same vectors, in the same order.
    assert np.min(np.sum(sliced_whole * whole, axis=1)) > 0.98
    for a, b in zip(sliced_pooled, pooled, strict=True):
        assert a.shape == b.shape == (2, whole.shape[1])
        assert np.min(np.sum(a * b, axis=1)) > 0.95
    # ... and much nearer their own text's than any other's (these texts are unrelated).
    others = [
        float(sliced_pooled[i][0] @ pooled[j][0]) for i in range(5) for j in range(5) if i != j
    ]
    assert max(others) < 0.8


def test_a_changed_model_folder_gets_a_new_export(tmp_path: Path):
    (tmp_path / "model.safetensors").write_bytes(b"weights")
    before = _model_key(tmp_path)
    assert _model_key(tmp_path) == before
    (tmp_path / "model.safetensors").write_bytes(b"other weights")
    assert _model_key(tmp_path) != before


def test_a_model_the_onnx_backend_cannot_run_is_refused_with_a_remedy(tmp_path: Path):
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text('{"pooling_mode_cls_token": true}')
    with pytest.raises(BackendError, match="ASSISTANT_EMBEDDING_BACKEND=torch"):
        Embedder(str(tmp_path), backend="onnx").embed(["text"])


def test_a_question_is_embedded_once_and_its_vector_cannot_be_changed(onnx_embedder: Embedder):
    first = onnx_embedder.embed_query("Who founded Mistral?")
    assert onnx_embedder.embed_query("Who founded Mistral?") is first
    assert np.allclose(first, onnx_embedder.embed(["Who founded Mistral?"])[0], atol=1e-6)
    with pytest.raises(ValueError):
        first[0] = 0.0


SPAN_TEXTS = [
    "Mistral AI\nMistral AI was founded in Paris in 2023. It builds open models. People use them.",
    "A title\nOne sentence only here.",
]


def _sentence_spans_of(texts: list[str]) -> list[list[tuple[int, int]]]:
    from assistant.text.nlp import Linguist

    linguist = Linguist()
    return [linguist.sentences(t, t.index("\n") + 1) for t in texts]


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_late_chunking_keeps_the_chunk_vector_and_pools_each_sentence(
    backend: str, torch_embedder: Embedder, onnx_embedder: Embedder
):
    embedder = torch_embedder if backend == "torch" else onnx_embedder
    spans = _sentence_spans_of(SPAN_TEXTS)
    whole, sentences = embedder.embed_spans(SPAN_TEXTS, spans)
    assert (whole * torch_embedder.embed(SPAN_TEXTS)).sum(axis=1).min() > 0.9999
    assert [len(s) for s in sentences] == [3, 1]
    pooled = np.concatenate(sentences)
    assert np.allclose(np.linalg.norm(pooled, axis=1), 1.0, atol=1e-5)
    alone = torch_embedder.embed(
        [t[a:b] for t, s in zip(SPAN_TEXTS, spans, strict=True) for a, b in s]
    )
    # Contextual, so not the standalone vector, but each is nearest its own sentence.
    assert list(np.argmax(pooled @ alone.T, axis=1)) == list(range(len(alone)))


def test_sentence_vectors_agree_across_backends(torch_embedder: Embedder, onnx_embedder: Embedder):
    spans = _sentence_spans_of(SPAN_TEXTS)
    torch_vectors = np.concatenate(torch_embedder.embed_spans(SPAN_TEXTS, spans)[1])
    onnx_vectors = np.concatenate(onnx_embedder.embed_spans(SPAN_TEXTS, spans)[1])
    assert (torch_vectors * onnx_vectors).sum(axis=1).min() > 0.9999


def test_a_span_past_the_window_gets_no_vector(torch_embedder: Embedder):
    text = "word " * 400 + "The last sentence."
    start = text.index("The last")
    _, sentences = torch_embedder.embed_spans([text], [[(0, 4), (start, len(text))]])
    assert not np.isnan(sentences[0][0]).any()
    assert np.isnan(sentences[0][1]).all()


def test_the_runtime_threads_stop_when_an_embedding_returns(int8_embedder: Embedder):
    """ONNX Runtime's pool would otherwise spin for tens of milliseconds after each run,
    taking the cores from the spaCy and SQLite work that follows a question's embedding.
    Spinning costs about 0.04 CPU seconds in the 0.3 s after a run here; stopped, none
    beyond what the process's other threads spend anyway."""

    def idle_cpu(before: Callable[[], object]) -> float:
        spent = []
        for _ in range(3):
            before()
            start = time.process_time()
            time.sleep(0.3)
            spent.append(time.process_time() - start)
        return min(spent)

    int8_embedder.embed(["warm up"])
    anyway = idle_cpu(lambda: None)
    assert idle_cpu(lambda: int8_embedder.embed(["Who founded Mistral?"])) < anyway + 0.01
