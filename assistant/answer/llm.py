"""The LLM answerer: a LangChain chat model writes the answer, `verify.py` checks every [n].

`LLMAnswerer` keeps the passage gate every answerer shares (no relevant passage, no model
call), streams the model's text, checks each sentence as soon as it is complete and ends
with the verified Answer. It also rewrites follow-up questions with the same model. What it
does not do: retries, tool calls, or trusting the model's citations. The backends that
make the chat model live in chat_models.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import numpy as np
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from ..config import DEFAULT_LLM_CONTEXT
from ..embedding.embedder import Embedder
from ..errors import BackendError
from ..schema import Answer, Passage, Turn
from ..text.nlp import Linguist
from .base import Answerer, StreamItem, gate_closed, not_covered
from .chat_models import MAX_TOKENS, reported_context
from .prompting import NOT_IN_PASSAGES, answer_messages, fit_passages, rewrite_messages
from .verify import Verifier, iter_checked


class LLMAnswerer(Answerer):
    """Answers with a chat model, then keeps only what the passages support."""

    can_stream = True
    can_rewrite = True

    def __init__(
        self,
        chat_model: BaseChatModel,
        embedder: Embedder,
        unsupported: str = "drop",
        backend: str = "llm",
        context: int = DEFAULT_LLM_CONTEXT,
        linguist: Linguist | None = None,
    ) -> None:
        """`context` is the model's context window in tokens, used unless the model or its
        server reports its own (`reported_context`)."""
        self.chat_model = chat_model
        self.embedder = embedder
        self.unsupported = unsupported
        self.backend = backend
        self.context = context
        self.linguist = linguist or Linguist()
        self._window: int | None = None

    @property
    def window(self) -> int:
        """The context window the prompt is fitted to: the server's, else the setting."""
        if self._window is None:  # asked once; two threads asking at once get one answer
            self._window = reported_context(self.chat_model) or self.context
        return self._window

    def answer(self, question: str, passages: list[Passage], query_vector: np.ndarray) -> Answer:
        final = None
        for item in self.stream(question, passages, query_vector):
            if isinstance(item, Answer):
                final = item
        assert final is not None  # stream() always ends with an Answer
        return final

    def stream(
        self, question: str, passages: list[Passage], query_vector: np.ndarray
    ) -> Iterator[StreamItem]:
        """Text deltas as the model writes, each sentence's check, then the Answer."""
        if gate_closed(passages):
            yield not_covered(question, passages)
            return
        # The model sees, cites and is checked against the passages that fit its window.
        budget = self.window - MAX_TOKENS
        passages = fit_passages(question, passages, budget, self.linguist.sentences)
        verifier = Verifier(self.embedder, passages, self.unsupported, self.linguist)
        text = ""
        for item in iter_checked(verifier, self._deltas(answer_messages(question, passages))):
            if isinstance(item, str):
                text += item
            yield item
        if _declines(text):
            yield not_covered(question, passages)
            return
        yield verifier.answer(question)

    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        """`question` made standalone by the model, from the earlier questions and answers."""
        reply = "".join(self._deltas(rewrite_messages(question, history)))
        return " ".join(reply.strip().strip('"').split())

    def _deltas(self, messages: list[BaseMessage]) -> Iterator[str]:
        try:
            for chunk in self.chat_model.stream(messages):
                if isinstance(chunk.content, str) and chunk.content:
                    yield chunk.content
        except BackendError:
            raise
        except Exception as exc:
            raise describe_failure(self.backend, exc, self.window) from exc


def _declines(text: str) -> bool:
    """Whether the model said the passages do not answer (in our words or close to them)."""
    said = " ".join(text.lower().split())
    return said.startswith(NOT_IN_PASSAGES.lower()[:-1]) or said.startswith("not covered")


def describe_failure(backend: str, exc: Exception, window: int | None = None) -> BackendError:
    """A model call that failed, worded so the reader knows what to try; `window` is the
    context window, in tokens, that the prompt was fitted to."""
    names = {c.__name__ for c in type(exc).__mro__}
    if window and _overflowed(names, exc):
        return BackendError(
            f"the {backend} model could not take the prompt ({exc}): it was fitted to a "
            f"{window}-token context window, and the server's is smaller. Set "
            "ASSISTANT_LLM_CONTEXT to the context size the server was started with (llama.cpp: "
            "--n_ctx or -c), or restart the server with a larger one"
        )
    if names & {"APIConnectionError", "ConnectError", "ConnectionError", "ConnectTimeout"}:
        return BackendError(f"cannot reach the {backend} model ({exc}): {_where(backend)}")
    if "AuthenticationError" in names:
        return BackendError(f"the {backend} endpoint refused the key: check OPENAI_API_KEY")
    if "NotFoundError" in names or "ResponseError" in names:
        return BackendError(
            f"the {backend} endpoint does not know this model ({exc}): "
            "set --model or ASSISTANT_LLM_MODEL to a model it serves"
        )
    return BackendError(f"the {backend} model failed: {type(exc).__name__}: {exc}")


def _overflowed(names: set[str], exc: Exception) -> bool:
    """Whether a failure says the prompt was longer than the server's context window.

    A server that refuses says so in a 400 (OpenAI's `context_length_exceeded`,
    llama-server's `exceed_context_size_error`); llama-cpp-python's server instead ends
    the stream before its first chunk, which LangChain reports as "No generation chunks
    were returned".
    """
    said = str(exc).lower()
    if "BadRequestError" in names:
        return "context" in said
    return "no generation chunks" in said


def _where(backend: str) -> str:
    if backend == "ollama":
        host = os.environ.get("OLLAMA_HOST", "http://127.0.0.1:11434")
        return f"is Ollama running at {host}? Start it with `ollama serve` or set OLLAMA_HOST"
    url = os.environ.get("OPENAI_BASE_URL", "https://api.openai.com/v1")
    return f"is the server at {url} running? Start it, or set OPENAI_BASE_URL to where it is"


# -- backends: backend name, model name -> a LangChain chat model -------------------------
