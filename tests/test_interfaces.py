"""The same question with the same settings gets the same treatment everywhere: the CLI, the
Python API, the HTTP API and the web chat.

"Siapa yang memimpin delegasi China?" used to be declined in the chat but answered by
``kabar ask``: checking changed the model's draft, the chat showed the checked version, while
the CLI printed the streamed draft and then, unlabelled, the checked text below it. The model
here is a real local OpenAI-compatible server with a canned draft (the test is about the code
around the model): one draft checking declines, one it changes (an uncited claim is cited to
the passage that supports it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from servers import openai_server

from rag import RAG, Answer
from rag.prompts import ABSTAIN_MARK
from rag.server import create_app

QUESTION = "Siapa yang memimpin delegasi China?"
DRAFTS = {
    "declined": ABSTAIN_MARK,  # the model says the passages do not answer
    "changed": "Delegasi China dipimpin oleh Li Hongzhong.",  # checking adds its citation
}


@pytest.fixture(scope="module", params=sorted(DRAFTS))
def model(request: pytest.FixtureRequest) -> Iterator[tuple[str, dict[str, str]]]:
    """A canned model; yields which draft it writes and the environment that selects it."""
    draft = DRAFTS[request.param]
    with openai_server(lambda prompt: draft) as base_url:
        env = {"KABAR_LLM": "openai/canned", "OPENAI_API_BASE": base_url, "OPENAI_API_KEY": "x"}
        yield request.param, env


@pytest.fixture(scope="module")
def engine(
    model: tuple[str, dict[str, str]], seeded: RAG
) -> Iterator[tuple[str, RAG, dict[str, str]]]:
    kind, env = model
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield kind, RAG(seeded.settings.replace(llm=env["KABAR_LLM"])), env
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def cli(engine: RAG, env: dict[str, str]) -> str:
    environment = {**os.environ, **env, "KABAR_INDEX_DIR": engine.settings.index_dir}
    done = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ask", QUESTION],
        capture_output=True,
        text=True,
        env=environment,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def answer_lines(printed: str) -> list[str]:
    """What ``kabar ask`` printed after its "reading:" list of the passages it reads."""
    return [line for line in printed.splitlines() if not line.startswith(("reading:", "  ["))]


def chat(engine: RAG) -> list[Any]:
    """The final (chat history, sources panel, textbox) of one chat turn, as the page gets it."""
    from rag import ui

    app = ui.build(engine)
    respond = next(f.fn for f in app.fns.values() if f.api_name == "ask")
    model = engine.settings.llm
    return list(respond(QUESTION, [], engine.settings.top_k, model))[-1]


def test_cli_python_api_and_chat_treat_a_question_alike(
    engine: tuple[str, RAG, dict[str, str]],
) -> None:
    kind, rag, env = engine
    answer: Answer = rag.ask(QUESTION)
    assert answer.abstained is (kind == "declined")
    assert answer.text != DRAFTS[kind]  # checking changed the draft either way
    assert ("Li Hongzhong" in answer.text) is (kind == "changed")

    printed = cli(rag, env)
    assert answer_lines(printed)[0] == answer.text  # shown once, the checked version
    assert printed.count(answer.text) == 1
    assert DRAFTS[kind] not in answer_lines(printed)  # the draft is not left on screen

    with TestClient(create_app(rag)) as client:
        body = {"messages": [{"role": "user", "content": QUESTION}]}
        reply = client.post("/v1/chat/completions", json=body).json()
        assert reply["choices"][0]["message"]["content"] == answer.text
        assert reply["abstained"] is answer.abstained
        streamed = client.post("/v1/chat/completions", json={**body, "stream": True}).text
        last = json.loads(streamed.split("data: ")[-2])
        assert last["answer"] == answer.text and last["abstained"] is answer.abstained

    from rag import ui

    history, sources, _ = chat(rag)
    assert history[-1]["content"] == ui.chat_markdown(answer)
    assert ("Not in the sources" in sources) is answer.abstained


def test_the_chat_says_when_a_question_is_too_long(seeded: RAG) -> None:
    """The textbox used to cut a question at 2,000 characters without a word."""
    from rag import ui

    question = "Siapa yang memimpin delegasi China? " * 60  # 2,160 characters
    app = ui.build(seeded)
    respond = next(f.fn for f in app.fns.values() if f.api_name == "ask")
    history, _, _ = list(respond(question, [], 5, "extractive"))[-1]
    assert history[-1]["content"] == (
        "⚠️ the question is 2160 characters long; the limit is 2000 (KABAR_MAX_QUESTION_CHARS)"
    )
