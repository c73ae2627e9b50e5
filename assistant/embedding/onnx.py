"""The embedding model on ONNX Runtime: exported once from the local model folder, cached.

Why our own export instead of sentence-transformers' `backend="onnx"`: that path needs
`optimum-onnx`, whose only release pins transformers below 4.58, older than the one we
run. The model here is a plain BERT encoder with mean pooling, so `torch.onnx.export` of
the encoder plus ten lines of numpy pooling give the same vectors (cosine > 0.9999).

The export needs torch and transformers, once, offline, from the files already on disk;
it is cached under `~/.cache/news-assistant/onnx/` keyed by the model folder and its
weights. Afterwards a process that embeds imports only onnxruntime and tokenizers, which
is what makes a cold start quick. "onnx-int8" adds dynamic int8 quantisation of the
weight matrices (onnxruntime.quantization).

Not here: choosing a backend (embeddings.py) or any model but mean-pooling encoders.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BackendError
from .base import Tokens

_EXPORT_LOCK = threading.Lock()


def default_onnx_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "news-assistant" / "onnx"


class WordPieceTokenizer:
    """The few calls the chunker makes on a Hugging Face tokenizer, on `tokenizers` alone.

    Importing transformers' tokenizer classes costs seconds; the Rust tokenizer the
    model folder ships gives the same ids and character offsets.
    """

    def __init__(self, tokenizer_json: Path) -> None:
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(tokenizer_json))
        # The shipped file pads and truncates to 128; the chunker needs whole texts.
        self._tok.no_truncation()
        self._tok.no_padding()

    def __call__(
        self,
        text: str,
        add_special_tokens: bool = True,
        return_offsets_mapping: bool = False,
        **_: Any,  # truncation=False, verbose=False: already how this tokenizer behaves
    ) -> dict[str, list[Any]]:
        enc = self._tok.encode(text, add_special_tokens=add_special_tokens)
        out: dict[str, list[Any]] = {"input_ids": enc.ids, "attention_mask": enc.attention_mask}
        if return_offsets_mapping:
            out["offset_mapping"] = enc.offsets
        return out


class OnnxEncoder:
    """Mean-pooled, L2-normalised sentence vectors from an ONNX export of the model."""

    def __init__(self, model_dir: Path, quantized: bool, cache_dir: Path | None = None) -> None:
        self.model_dir = Path(model_dir)
        _check_mean_pooling(self.model_dir)
        self.max_tokens = _max_seq_length(self.model_dir)
        tokenizer_json = self.model_dir / "tokenizer.json"
        if not tokenizer_json.exists():
            raise BackendError(
                f"{self.model_dir} has no tokenizer.json, which the onnx backend needs; "
                "use ASSISTANT_EMBEDDING_BACKEND=torch for this model"
            )
        self.tokenizer = WordPieceTokenizer(tokenizer_json)
        from tokenizers import Tokenizer

        self._batch_tok = Tokenizer.from_file(str(tokenizer_json))
        self._batch_tok.enable_truncation(self.max_tokens)
        self._batch_tok.enable_padding()  # to the longest text of each batch
        path = onnx_file(self.model_dir, quantized, cache_dir or default_onnx_cache())
        self.session = _session(path)
        self._inputs = {i.name for i in self.session.get_inputs()}

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        # Longest first, as sentence-transformers does: batches of similar lengths pad less.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), 0), dtype=np.float32)
        for s in range(0, len(order), batch_size):
            rows = order[s : s + batch_size]
            vectors = self._encode_batch([texts[i] for i in rows])
            if out.shape[1] == 0:
                out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
        return out

    def encode_tokens(self, texts: list[str], batch_size: int) -> list[Tokens]:
        """Each text's token vectors and character offsets, for pooling over sentences."""
        out: list[Tokens | None] = [None] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for s in range(0, len(order), batch_size):
            rows = order[s : s + batch_size]
            encs, hidden, mask = self._run([texts[i] for i in rows])
            for j, (i, enc) in enumerate(zip(rows, encs, strict=True)):
                n = int(mask[j].sum())  # the rows past it are padding
                offsets = np.asarray(enc.offsets[:n], dtype=np.int64).reshape(-1, 2)
                out[i] = Tokens(hidden[j, :n].astype(np.float32), offsets)
        return [t for t in out if t is not None]

    def _run(self, texts: list[str]) -> tuple[list[Any], np.ndarray, np.ndarray]:
        """The tokenizer's encodings, the last hidden state and the attention mask."""
        encs = self._batch_tok.encode_batch(texts)
        ids = np.array([e.ids for e in encs], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encs], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        return encs, self.session.run(None, feed)[0], mask

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        _, hidden, mask = self._run(texts)
        summed = np.einsum("bsh,bs->bh", hidden, mask.astype(np.float32))
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(np.float32)


def onnx_file(model_dir: Path, quantized: bool, cache_dir: Path) -> Path:
    """The cached .onnx file for this model folder, exported (and quantised) on first use."""
    folder = cache_dir / _model_key(model_dir)
    fp32 = folder / "model.onnx"
    int8 = folder / "model-int8.onnx"
    with _EXPORT_LOCK:
        if not fp32.exists():
            _export(model_dir, fp32)
        if quantized and not int8.exists():
            _quantize(fp32, int8)
    return int8 if quantized else fp32


def _model_key(model_dir: Path) -> str:
    """Changes when the folder or its weights change, so a stale export is never used."""
    parts = [str(model_dir.resolve())]
    for f in sorted(model_dir.glob("*")):
        if f.is_file():
            st = f.stat()
            parts.append(f"{f.name}:{st.st_size}:{int(st.st_mtime)}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _export(model_dir: Path, target: Path) -> None:
    """Trace the encoder to ONNX with torch (the one step that needs torch)."""
    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a bar for loading 90 MB from disk is noise
    target.parent.mkdir(parents=True, exist_ok=True)
    encoder = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    sample = tokenizer(
        ["an example", "a second, longer example"], padding=True, return_tensors="pt"
    )
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]
    dynamic = {n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]}
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    # The tracer warns about Python branches on shapes; they are constant for this model.
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _last_hidden_state(encoder, names),
            tuple(sample[n] for n in names),
            str(tmp),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=dynamic,
            opset_version=17,
            dynamo=False,  # the TorchScript exporter needs no onnxscript
        )
    tmp.replace(target)  # atomic: a half-written export is never picked up


def _last_hidden_state(encoder: Any, names: list[str]) -> Any:
    """Wrap the encoder so positional ONNX inputs map to keyword arguments."""
    import torch

    class Wrapped(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, *tensors: Any) -> Any:
            return self.encoder(**dict(zip(names, tensors, strict=True))).last_hidden_state

    return Wrapped()


def _quantize(source: Path, target: Path) -> None:
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    # It logs a warning to the root logger suggesting pre-processing: moot for dynamic
    # quantisation of MatMul weights, and a user would take it for a fault.
    logging.disable(logging.WARNING)
    try:
        _quantize_matmuls(source, tmp)
    finally:
        logging.disable(logging.NOTSET)
    tmp.replace(target)


def _quantize_matmuls(source: Path, target: Path) -> None:
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise BackendError(
            f"int8 quantisation needs the onnx package ({exc}): pip install 'onnx>=1.16'"
        ) from None

    # The weight matrices only (MatMul with a constant B): quantising the embedding table
    # or the attention's activation-by-activation products costs accuracy for little speed.
    quantize_dynamic(
        str(source),
        str(target),
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul"],
        extra_options={"MatMulConstBOnly": True},
    )


def _session(path: Path) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only
    # The pool's threads spin while a run needs them and stop when it returns: left
    # spinning, they took both cores from the spaCy and SQLite work that follows a
    # question's embedding (twice as slow right after it).
    options.add_session_config_entry("session.force_spinning_stop", "1")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _check_mean_pooling(model_dir: Path) -> None:
    pooling = model_dir / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text()) if pooling.exists() else {}
    if not config.get("pooling_mode_mean_tokens"):
        raise BackendError(
            f"the onnx backend handles mean-pooling sentence-transformers models only, and "
            f"{model_dir} is not one: use ASSISTANT_EMBEDDING_BACKEND=torch"
        )


def _max_seq_length(model_dir: Path) -> int:
    config = model_dir / "sentence_bert_config.json"
    if config.exists():
        return int(json.loads(config.read_text()).get("max_seq_length") or 256)
    return 256
