"""LLM backends: a backend name and a model name -> a LangChain chat model.

    openai    any OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp's server, LM Studio,
              Ollama's /v1, Mistral's API): OPENAI_BASE_URL, OPENAI_API_KEY, --model
    ollama    a local Ollama (OLLAMA_HOST, default http://127.0.0.1:11434), --model
    llamacpp  a GGUF file run in-process by llama-cpp-python, --model PATH

Each backend's package is optional and imported only when that backend is chosen. Not
here: what is sent to the model (prompting.py) or what is done with its reply (llm.py).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from ..errors import BackendError

MAX_TOKENS = 300  # a short cited answer; also bounds a runaway small model


def _import(module: str, extra: str) -> Any:
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        raise BackendError(
            f"the {extra} backend needs the {module} package: pip install 'news-assistant[{extra}]'"
        ) from None


def _need_model(backend: str, model: str | None, what: str) -> str:
    if not model:
        raise BackendError(
            f"the {backend} backend needs {what}: pass --model or set ASSISTANT_LLM_MODEL"
        )
    return model


def openai_model(model: str | None) -> BaseChatModel:
    """Any OpenAI-compatible endpoint, configured the standard way (OPENAI_* variables)."""
    module = _import("langchain_openai", "openai")
    base_url = os.environ.get("OPENAI_BASE_URL") or None
    key = os.environ.get("OPENAI_API_KEY") or None
    if not base_url and not key:
        raise BackendError(
            "the openai backend needs OPENAI_API_KEY (for api.openai.com) or OPENAI_BASE_URL "
            "(for a compatible server, e.g. http://127.0.0.1:8000/v1 for llama.cpp)"
        )
    name = _need_model("openai", model, "a model name")
    # Local servers ignore the key but the client insists on one. The client sends the
    # limit as `max_completion_tokens`, which llama.cpp's and older servers ignore; they
    # read the older `max_tokens`, sent only to those (api.openai.com wants the new name).
    chat: BaseChatModel = module.ChatOpenAI(
        model=name,
        base_url=base_url,
        api_key=key or "not-needed",
        temperature=0,
        max_completion_tokens=MAX_TOKENS,
        extra_body={"max_tokens": MAX_TOKENS} if base_url else None,
        max_retries=1,
        timeout=300,
    )
    return chat


def ollama_model(model: str | None) -> BaseChatModel:
    module = _import("langchain_ollama", "ollama")
    name = _need_model("ollama", model, "a model name (e.g. llama3.2)")
    chat: BaseChatModel = module.ChatOllama(
        model=name,
        base_url=os.environ.get("OLLAMA_HOST") or None,
        temperature=0,
        num_predict=MAX_TOKENS,
    )
    return chat


def llamacpp_model(model: str | None) -> BaseChatModel:
    _import("llama_cpp", "llamacpp")
    path = Path(_need_model("llamacpp", model, "the path of a .gguf file")).expanduser()
    if not path.is_file():
        raise BackendError(f"no GGUF file at {path}: pass --model /path/to/model.gguf")
    return LlamaCppChat(model_path=str(path))


ChatModelFactory = Callable[[str | None], BaseChatModel]


def reported_context(chat_model: BaseChatModel) -> int | None:
    """The context window, in tokens, that the model or its server reports, if any.

    The in-process model knows its own; llama.cpp's `llama-server` reports its window at
    GET /props. Other servers (Ollama, api.openai.com, llama-cpp-python's server) say
    nothing there, and the `llm_context` setting stands in.
    """
    if isinstance(chat_model, LlamaCppChat):
        return chat_model.n_ctx
    base_url = getattr(chat_model, "openai_api_base", None)
    return _props_context(base_url) if base_url else None


def _props_context(base_url: str) -> int | None:
    import httpx

    root = base_url.rstrip("/").removesuffix("/v1")
    try:
        props = httpx.get(f"{root}/props", timeout=3).raise_for_status().json()
        settings = props.get("default_generation_settings") or {}
        n_ctx = int(settings.get("n_ctx") or props.get("n_ctx") or 0)
    except (httpx.HTTPError, ValueError, TypeError, AttributeError):
        return None  # not llama-server (404, not JSON) or unreachable: the call will say
    return n_ctx or None


CHAT_MODELS: dict[str, ChatModelFactory] = {
    "openai": openai_model,
    "ollama": ollama_model,
    "llamacpp": llamacpp_model,
}


class LlamaCppChat(BaseChatModel):
    """A GGUF model run in-process by llama-cpp-python, as a LangChain chat model.

    Why not langchain-community's ChatLlamaCpp: it pulls in all of langchain-community for
    one class; `create_chat_completion` already applies the model's chat template.
    """

    model_path: str
    n_ctx: int = 4096
    max_tokens: int = MAX_TOKENS
    temperature: float = 0.0
    _llama: Any = PrivateAttr(default=None)
    # One llama.cpp context holds one conversation at a time: the lock makes concurrent
    # questions (Gradio's workers) load the model once and then take turns.
    _lock: Any = PrivateAttr(default_factory=threading.RLock)

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    def _client(self) -> Any:
        with self._lock:
            if self._llama is None:
                from llama_cpp import Llama

                self._llama = Llama(model_path=self.model_path, n_ctx=self.n_ctx, verbose=False)
            return self._llama

    def _request(self, messages: list[BaseMessage], stop: list[str] | None) -> dict[str, Any]:
        roles = {"system": "system", "human": "user", "ai": "assistant"}
        return {
            "messages": [{"role": roles.get(m.type, "user"), "content": m.text} for m in messages],
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "stop": stop or [],
        }

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with self._lock:
            out = self._client().create_chat_completion(**self._request(messages, stop))
        text = out["choices"][0]["message"].get("content") or ""
        return ChatResult(generations=[ChatGeneration(message=AIMessage(text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        with self._lock:  # held while the reply streams: the context is busy until then
            request = self._request(messages, stop)
            for part in self._client().create_chat_completion(**request, stream=True):
                delta = part["choices"][0]["delta"].get("content")
                if delta:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                    if run_manager:
                        run_manager.on_llm_new_token(delta, chunk=chunk)
                    yield chunk
