"""Real servers for tests: ``kabar serve``/``api`` and ``chroma run`` subprocesses, and a
news site (pages, feeds, bad answers) in a thread, all on free localhost ports."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from xml.sax.saxutils import escape


@contextmanager
def chroma_server(data: Path) -> Iterator[str]:
    """Run a real `chroma run` on a free localhost port until the block ends; yields its URL."""
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    data.mkdir(parents=True, exist_ok=True)
    with (data / "server.log").open("w") as log:
        process = subprocess.Popen(
            [
                str(chroma),
                "run",
                "--path",
                str(data / "db"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(url + "/api/v2/heartbeat", process, data / "server.log", "chroma run")
            yield url
        finally:
            process.terminate()
            process.wait(timeout=20)


def _wait_until_up(url: str, process: subprocess.Popen, log: Path, what: str) -> None:
    """Poll ``url`` until it answers; RuntimeError (with the log) if the process dies or stalls."""
    deadline = time.monotonic() + 180
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited:\n{log.read_text()}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start:\n{log.read_text()}") from None
            time.sleep(0.3)


def failing_provider(secret: str) -> dict[str, str]:
    """Environment for a kabar server whose model's provider refuses connections."""
    return {
        "KABAR_LLM": "openai/gpt-4o-mini",
        "KABAR_LLM_RETRIES": "0",
        "OPENAI_API_BASE": "http://127.0.0.1:9/v1",  # nothing listens on port 9
        "OPENAI_API_KEY": secret,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def kabar_server(command: str, index: Path, log: Path, **env: str) -> Iterator[str]:
    """Run ``kabar COMMAND`` until the block ends; yields its base URL once /healthz answers."""
    port = free_port()
    environment = {**os.environ, "KABAR_INDEX_DIR": str(index), **env}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "rag.cli", command, "--port", str(port)],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(url + "/healthz", process, log, f"kabar {command}")
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


class _OpenAI(BaseHTTPRequestHandler):
    """Enough of the OpenAI chat completions API for litellm: plain and streamed replies."""

    reply: Callable[[str], str]

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        text = self.reply(body["messages"][-1]["content"])
        base = {"id": "readme", "created": 0, "model": body["model"]}
        if body.get("stream"):
            chunks = [
                {"index": 0, "delta": {"role": "assistant", "content": text}},
                {"index": 0, "delta": {}, "finish_reason": "stop"},
            ]
            events = [{**base, "object": "chat.completion.chunk", "choices": [c]} for c in chunks]
            payload = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
            self._send(payload.encode(), "text/event-stream")
            return
        reply = {
            **base,
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        self._send(json.dumps(reply).encode(), "application/json")

    def _send(self, data: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def openai_server(reply: Callable[[str], str]) -> Iterator[str]:
    """A real OpenAI-compatible server whose model answers ``reply(last message)``; yields its
    base URL (for ``OPENAI_API_BASE`` with a model named ``openai/<anything>``)."""
    handler = type("Handler", (_OpenAI,), {"reply": staticmethod(reply)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        server.shutdown()


WEB_PAGES = Path(__file__).resolve().parent / "data" / "web"


@dataclass
class Entry:
    """A feed entry the test site publishes: a link on the site (or elsewhere) and its text."""

    path: str
    title: str
    summary: str
    published: str = "Mon, 07 Mar 2022 10:00:00 GMT"


@dataclass
class NewsSite:
    """A real HTTP server on 127.0.0.1 serving news pages, RSS and Atom feeds and bad answers.

    ``hits`` lists every path requested, in order; change ``entries`` to change the feeds.
    """

    url: str = ""
    hits: list[str] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)

    def rss(self) -> bytes:
        items = "".join(
            f"<item><title>{escape(e.title)}</title><link>{self.url}{e.path}</link>"
            f"<guid>{self.url}{e.path}</guid><pubDate>{e.published}</pubDate>"
            f"<description>{escape(e.summary)}</description></item>"
            for e in self.entries
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Test News</title><link>{self.url}/</link><language>de</language>"
            f"{items}</channel></rss>"
        ).encode()

    def atom(self) -> bytes:
        entries = "".join(
            f'<entry><title>{escape(e.title)}</title><link href="{self.url}{e.path}"/>'
            f"<id>{self.url}{e.path}</id><updated>2022-03-07T10:00:00Z</updated>"
            f"<summary>{escape(e.summary)}</summary></entry>"
            for e in self.entries
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Test News Atom</title><id>{self.url}/atom</id>"
            f"<updated>2022-02-01T10:00:00Z</updated>{entries}</feed>"
        ).encode()


class _NewsHandler(BaseHTTPRequestHandler):
    """Answers for ``news_site``; ``site`` and ``slow_seconds`` are set per server."""

    site: NewsSite
    slow_seconds: float

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        self.site.hits.append(self.path)
        path, _, query = self.path.partition("?")
        page = WEB_PAGES / path.removeprefix("/pages/")
        fixed: dict[str, tuple[str, Callable[[], bytes]]] = {
            "/feed.rss": ("application/rss+xml", self.site.rss),
            "/feed.atom": ("application/atom+xml", self.site.atom),
            "/plain.txt": ("text/plain; charset=utf-8", PLAIN_ARTICLE.encode),
            "/not-a-feed.rss": ("application/rss+xml", lambda: b"<html>Moved!</html>"),
            "/image.png": ("image/png", lambda: b"\x89PNG\r\n\x1a\n" + bytes(64)),
        }
        if path.startswith("/pages/") and page.is_file():
            self._send(200, "text/html; charset=utf-8", page.read_bytes())
        elif path in fixed:
            kind, body = fixed[path]
            self._send(200, kind, body())
        elif path == "/slow":
            time.sleep(self.slow_seconds)
            self._send(200, "text/html", b"<html><body><p>late</p></body></html>")
        elif path in ("/huge", "/huge-declared"):
            self._huge(declared=path == "/huge-declared")
        elif path == "/redirect":
            self.send_response(302)
            self.send_header("Location", unquote(query.removeprefix("to=")))
            self.end_headers()
        else:
            self._send(404, "text/html", b"<html><body>Not found</body></html>")

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _huge(self, declared: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        if declared:
            self.send_header("Content-Length", str(50 * 2**20))
        self.end_headers()
        try:
            for _ in range(50):
                self.wfile.write(b"<p>" + b"x" * (2**20 - 3))
        except OSError:  # the client hung up at its size cap, as it should
            pass

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def news_site(slow_seconds: float = 3.0) -> Iterator[NewsSite]:
    """Serve ``tests/data/web`` pages and feeds from a thread until the block ends.

    Paths: ``/pages/NAME`` (HTML), ``/feed.rss``, ``/feed.atom``, ``/plain.txt``,
    ``/not-a-feed.rss`` (an HTML body sent as RSS), ``/image.png``, ``/slow`` (answers after
    ``slow_seconds``), ``/huge`` (50 MB, no length), ``/huge-declared`` (a 50 MB length),
    ``/redirect?to=URL`` (302), anything else 404.
    """
    site = NewsSite()
    handler = type("Handler", (_NewsHandler,), {"site": site, "slow_seconds": slow_seconds})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


PLAIN_ARTICLE = (
    "Kapal Selam Baru Diluncurkan di Sinpo\n\n"
    "SINPO - Korea Utara meluncurkan kapal selam Hero Kim Kun Ok di galangan Sinpo pada 6 "
    "September 2023, kata KCNA.\n"
)
