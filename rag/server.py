"""HTTP API: OpenAI-compatible chat completions that carry citations, plus search and health.

    POST /v1/chat/completions   {"messages": [...], "stream": false, "model": "kabar"}
    POST /v1/search             {"query": "...", "k": 5}
    POST /v1/timeline           {"topic": "...", "k": 30}   (GET /v1/timeline?topic=...&outlet=...)
    POST /v1/articles           {"url": "https://..."} | {"text": "...", "title": ...} | a file

Both take kabar's filter fields too: ``sources``, ``outlets``, ``date_from``, ``date_to``,
``language`` (ignored when absent, so plain OpenAI clients work unchanged).
    GET  /v1/models, GET /healthz

The last user message is the question; earlier messages are the conversation. Citations ride
on the message (``message.citations``) and on the final streamed chunk. With ``api_key`` set,
every ``/v1`` call needs ``Authorization: Bearer <key>``. ``max_tokens`` and ``temperature``
are accepted for client compatibility; answers use kabar's configured generation settings.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import UploadFile

from rag.answer import Answer, Sources
from rag.engine import RAG
from rag.errors import InputError, KabarError, LLMError
from rag.llm import redact
from rag.search import Filters

log = logging.getLogger("kabar.api")
MODEL_ALIAS = "kabar"


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str = Field(max_length=20_000)


class FilterFields(BaseModel):
    """kabar's extra request fields: which articles to read (OpenAI clients send them with
    ``extra_body``; clients that do not send them get no filtering)."""

    sources: list[str] = Field(default_factory=list, max_length=100)
    outlets: list[str] = Field(default_factory=list, max_length=100)
    date_from: str = ""
    date_to: str = ""
    language: str = ""

    def filters(self) -> Filters:
        return Filters(
            sources=tuple(self.sources),
            outlets=tuple(self.outlets),
            date_from=self.date_from,
            date_to=self.date_to,
            language=self.language,
        )


class TimelineRequest(FilterFields):
    topic: str = Field(max_length=20_000)
    k: int | None = Field(default=None, ge=1, le=100)


class ChatRequest(FilterFields):
    messages: list[Message] = Field(min_length=1, max_length=50)
    model: str = MODEL_ALIAS
    stream: bool = False
    max_tokens: int | None = Field(default=None, ge=1, le=4096)
    temperature: float | None = Field(default=None, ge=0, le=2)


class SearchRequest(FilterFields):
    query: str = Field(max_length=20_000)
    k: int = Field(default=5, ge=1, le=100)


class ArticleRequest(BaseModel):
    """An article to add: a web page or feed ``url``, or the article's ``text`` with optional
    metadata (a file goes as multipart form data in a field named ``file``)."""

    url: str = Field(default="", max_length=4000)
    text: str = ""
    name: str = Field(default="", max_length=200)
    title: str = Field(default="", max_length=1000)
    date: str = Field(default="", max_length=100)
    outlet: str = Field(default="", max_length=200)
    author: str = Field(default="", max_length=500)
    language: str = Field(default="", max_length=20)


def allowed_models(engine: RAG) -> list[str]:
    """Models a client may ask for: the configured ones, the local default and extractive.
    Anything else is refused, so callers cannot spend the server's keys on other models."""
    names = [engine.settings.llm, engine.settings.fallback_llm, "local/qwen2.5-1.5b", "extractive"]
    return list(dict.fromkeys(n for n in names if n))


def create_app(engine: RAG) -> FastAPI:
    """The API app for ``engine``: ``kabar api`` serves it; ``kabar serve`` adds the UI."""
    app = FastAPI(title="kabar", description=__doc__, version="0.1.0")
    models = allowed_models(engine)

    def authorize(request: Request) -> None:
        key = engine.settings.api_key
        if not key:
            return
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {key}".encode()):
            raise HTTPException(401, "missing or wrong API key (Authorization: Bearer <key>)")

    @app.exception_handler(KabarError)
    async def kabar_error(_: Request, exc: KabarError) -> JSONResponse:
        status = 502 if isinstance(exc, LLMError) else 400
        return JSONResponse(
            {"error": {"message": redact(str(exc)), "type": type(exc).__name__}}, status_code=status
        )

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {
            "status": "ok",
            "chunks": engine.store.count(),
            "embedder": engine.settings.embedder,
            "llm": engine.settings.llm,
        }

    @app.get("/v1/models", dependencies=[Depends(authorize)])
    def list_models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [
                {"id": m, "object": "model", "owned_by": "kabar"} for m in [MODEL_ALIAS, *models]
            ],
        }

    @app.post("/v1/articles", dependencies=[Depends(authorize)])
    async def add_articles(request: Request) -> JSONResponse:
        """Add a web page or feed by URL, an uploaded file of any type ``kabar ingest`` reads,
        or an article's text. Private and loopback URLs are refused unless
        ``KABAR_ALLOW_PRIVATE_URLS``; articles added here have the origin ``api``."""
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            form = await request.form()
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise InputError("send the article file in a form field named 'file'")
            data = await upload.read(engine.settings.max_file_bytes + 1)
            name = upload.filename or "upload.txt"
            report = await run_in_threadpool(engine.add_article, name, data, "api")
        else:
            try:
                body = ArticleRequest.model_validate_json(await request.body())
            except ValidationError as exc:
                raise InputError(f"malformed article request: {exc.errors()[0]['msg']}") from None
            if bool(body.url) == bool(body.text):
                raise InputError("give either 'url' or 'text' (or send a file as 'file')")
            if body.url:
                report = await run_in_threadpool(engine.add_url, body.url)
            else:
                meta = body.model_dump(include={"title", "date", "outlet", "author", "language"})
                report = await run_in_threadpool(engine.add_text, body.text, body.name, meta)
        payload = report.to_dict()
        if report.added or report.updated or report.unchanged:
            return JSONResponse(payload)
        problems = "; ".join(f"{k}: {v}" for k, v in report.failed.items()) or "nothing to add"
        payload["error"] = {"message": redact(problems), "type": "DocumentError"}
        return JSONResponse(payload, status_code=422)

    @app.post("/v1/search", dependencies=[Depends(authorize)])
    def search(body: SearchRequest) -> dict[str, Any]:
        hits = engine.search(body.query, k=body.k, filters=body.filters())
        return {"object": "list", "hits": [h.to_dict() for h in hits]}

    @app.post("/v1/timeline", dependencies=[Depends(authorize)])
    def timeline(body: TimelineRequest) -> dict[str, Any]:
        return engine.timeline(body.topic, k=body.k, filters=body.filters()).to_dict()

    @app.get("/v1/timeline", dependencies=[Depends(authorize)])
    def timeline_get(
        topic: str,
        k: int | None = None,
        outlet: list[str] = Query(default=[]),  # noqa: B008 (how FastAPI declares lists)
        source: list[str] = Query(default=[]),  # noqa: B008
        date_from: str = "",
        date_to: str = "",
        language: str = "",
    ) -> dict[str, Any]:
        fields = FilterFields(
            sources=source, outlets=outlet, date_from=date_from, date_to=date_to, language=language
        )
        return timeline(TimelineRequest(topic=topic, k=k, **fields.model_dump()))

    @app.post("/v1/chat/completions", dependencies=[Depends(authorize)], response_model=None)
    def chat(body: ChatRequest) -> dict[str, Any] | StreamingResponse:
        model = _model(body.model, models)
        question, history = _conversation(body.messages)
        if body.stream:
            events = engine.stream(question, history=history, llm=model, filters=body.filters())
            first = next(events)  # raise input and model errors before the 200 is sent
            return StreamingResponse(_sse(first, events), media_type="text/event-stream")
        answer = engine.ask(question, history=history, llm=model, filters=body.filters())
        return _completion(answer)

    return app


def _model(name: str, models: list[str]) -> str | None:
    """The model a request asked for (None: the configured one); others are refused."""
    if name in (MODEL_ALIAS, ""):
        return None
    if name not in models:
        raise HTTPException(400, f"unknown model {name!r}; use one of {[MODEL_ALIAS, *models]}")
    return name


def _conversation(messages: list[Message]) -> tuple[str, list[dict[str, str]]]:
    """The question (the last user message) and the conversation before it (no system turns)."""
    turns = [m.model_dump() for m in messages if m.role != "system"]
    if not turns or turns[-1]["role"] != "user":
        raise InputError("the last message must be the user's question")
    return turns[-1]["content"], turns[:-1]


def _completion(answer: Answer) -> dict[str, Any]:
    citations = [c.to_dict() for c in answer.citations]
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": answer.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer.text, "citations": citations},
                "finish_reason": "stop",
            }
        ],
        "citations": citations,
        "abstained": answer.abstained,
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def _sse(first: str | Sources | Answer, events: Iterator[str | Sources | Answer]) -> Iterator[str]:
    """OpenAI-style server-sent events. Before the text, a chunk with an empty delta carries
    ``sources`` (the passages being read, each with its sentence closest to the question); the
    last chunk carries the checked answer and its citations."""
    chunk_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"

    def event(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        payload = {
            "id": chunk_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": MODEL_ALIAS,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": ""})
    try:
        for item in _chain(first, events):
            if isinstance(item, str):
                yield event({"content": item})
            elif isinstance(item, Sources):
                yield event({}, sources=[c.to_dict() for c in item.citations])
            else:
                citations = [c.to_dict() for c in item.citations]
                yield event(
                    {"citations": citations},
                    "stop",
                    citations=citations,
                    answer=item.text,
                    abstained=item.abstained,
                )
    except KabarError as exc:  # the stream has begun: report the error in-band
        log.warning("answer failed mid-stream: %s", redact(str(exc)))
        yield event({}, "error", error={"message": redact(str(exc)), "type": type(exc).__name__})
    yield "data: [DONE]\n\n"


def _chain(
    first: str | Sources | Answer, rest: Iterator[str | Sources | Answer]
) -> Iterator[str | Sources | Answer]:
    yield first
    yield from rest
