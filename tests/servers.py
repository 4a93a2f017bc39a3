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
            deadline = time.monotonic() + 180
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"kabar {command} exited:\n{log.read_text()}")
                try:
                    urllib.request.urlopen(url + "/healthz", timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(
                            f"kabar {command} did not start:\n{log.read_text()}"
                        ) from None
                    time.sleep(0.5)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
