"""Start ``kabar serve`` / ``kabar api`` as real subprocesses on free localhost ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


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
