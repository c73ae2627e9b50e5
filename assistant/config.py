"""Settings: one frozen object, and the only place that reads ASSISTANT_* environment variables.

Every knob has a default a user would expect, so `Settings()` works on a fresh machine.
`Settings.from_env()` overlays the environment; unknown ASSISTANT_* variables are an error,
because a misspelt setting that silently does nothing is worse than a refusal.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from .errors import SettingsError

try:
    VERSION = version("news-assistant")
except PackageNotFoundError:  # a source tree that was never installed
    VERSION = "0.0.0+unknown"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def bundled_corpus() -> Path:
    """The sample corpus: inside the installed package (the wheel ships the repository's
    corpus/ folder as `assistant/corpus`), else the corpus/ folder of a source checkout.

    The packaged copy is looked for first: beside an installed package, PROJECT_ROOT is
    site-packages, where a folder called corpus/ could belong to anything.
    """
    packaged = Path(__file__).resolve().parent / "corpus"
    return packaged if packaged.is_dir() else PROJECT_ROOT / "corpus"


BUNDLED_CORPUS = bundled_corpus()
DEFAULT_MODEL = "all-MiniLM-L6-v2"
BACKENDS = ("torch", "onnx", "onnx-int8")  # how the model runs; see embeddings.py
DEFAULT_BACKEND = "onnx-int8"
# Texts per model call. On the 2-core development machine small batches were the fastest
# on every backend (`benchmarks/batch_size.py`: int8 1.24x and torch 1.10x the chunks/s of
# batches of 64) and they keep the model's buffers small: the peak memory of embedding 512
# dev chunks on int8 was 282 MB at 4 against 1,114 MB at 64. Batches are sorted by
# length, so they pad little.
DEFAULT_BATCH_SIZE = 4
# The context window an LLM's prompt is fitted to when its server reports none: llama.cpp's
# server default.
DEFAULT_LLM_CONTEXT = 2048


def default_index_dir() -> Path:
    """Where the index lives unless told otherwise: the XDG data directory."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "news-assistant" / "index"


@dataclass(frozen=True)
class Settings:
    """Everything that changes how the assistant behaves. Immutable; use `replace()`."""

    index_dir: Path = field(default_factory=default_index_dir)
    corpus_dir: Path = BUNDLED_CORPUS
    embedding_model: str = DEFAULT_MODEL
    # onnx-int8 | onnx | torch (see embeddings.py): nearly the same vectors, different speed.
    # int8 is the default: 4x torch's ingest rate, a 1.6 s cold start instead of 7 s, and no
    # recall lost on the dev questions (README, "Performance").
    embedding_backend: str = DEFAULT_BACKEND
    k: int = 5
    llm: str = "extractive"
    llm_model: str | None = None
    unsupported: str = "drop"  # an LLM sentence no passage supports: "drop" or "mark"
    # The LLM's context window in tokens, for a server that does not report its own: the
    # prompt is fitted to it.
    llm_context: int = DEFAULT_LLM_CONTEXT
    chroma_url: str | None = None
    # A PostgreSQL database for the catalog and keyword search (postgresql://...), shared
    # by every answerer and ingest worker; None keeps them in the index folder.
    catalog_url: str | None = None
    max_file_mb: float = 50.0
    batch_size: int = DEFAULT_BATCH_SIZE
    # Chunks embedded and written to the index in one step: it bounds ingest's memory
    # (with the batch size) and how much work an interrupted ingest repeats.
    write_batch: int = 256

    def __post_init__(self) -> None:
        object.__setattr__(self, "index_dir", Path(self.index_dir).expanduser())
        object.__setattr__(self, "corpus_dir", Path(self.corpus_dir).expanduser())
        if self.k < 1:
            raise SettingsError(f"k must be at least 1, got {self.k}")
        if self.batch_size < 1:
            raise SettingsError(f"batch_size must be at least 1, got {self.batch_size}")
        if self.llm_context < 512:
            raise SettingsError(f"llm_context must be at least 512 tokens, got {self.llm_context}")
        if self.write_batch < 1:
            raise SettingsError(f"write_batch must be at least 1, got {self.write_batch}")
        if self.embedding_backend not in BACKENDS:
            raise SettingsError(
                f"embedding_backend must be torch, onnx or onnx-int8, "
                f"got {self.embedding_backend!r}"
            )
        if self.unsupported not in ("drop", "mark"):
            raise SettingsError(f"unsupported must be 'drop' or 'mark', got {self.unsupported!r}")
        if self.catalog_url and not self.catalog_url.startswith(("postgresql://", "postgres://")):
            raise SettingsError(
                f"catalog_url must be a PostgreSQL URL (postgresql://user@host/database), "
                f"got {self.catalog_url!r}"
            )
        if self.max_file_mb <= 0:
            raise SettingsError(f"max_file_mb must be positive, got {self.max_file_mb}")

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed; `None` values are ignored, unknown names refused."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise SettingsError(
                f"unknown setting(s) {', '.join(unknown)}; valid: {', '.join(sorted(names))}"
            )
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ASSISTANT_* variables, then explicit `overrides` (e.g. CLI flags)."""
        env = os.environ if environ is None else environ
        names = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in env.items():
            if not key.startswith("ASSISTANT_") or key in _NOT_SETTINGS:
                continue
            name = key.removeprefix("ASSISTANT_").lower()
            if name not in names:
                valid = ", ".join(f"ASSISTANT_{n.upper()}" for n in sorted(names))
                raise SettingsError(f"unknown environment variable {key}; valid: {valid}")
            values[name] = _convert(key, raw, names[name].type)
        return cls(**values).replace(**overrides)


# Variables that share the prefix but belong to other parts (the UI's login, for one).
_NOT_SETTINGS = frozenset({"ASSISTANT_UI_AUTH"})


def _convert(key: str, raw: str, kind: Any) -> Any:
    kind = str(kind)
    try:
        if kind.startswith("int"):
            return int(raw)
        if kind.startswith("float"):
            return float(raw)
    except ValueError:
        raise SettingsError(f"{key} must be a number, got {raw!r}") from None
    return raw or None if "None" in kind else raw
