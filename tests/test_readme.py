"""Every code block and command in README.md runs as written, so the README cannot drift.

How each kind of block is handled (in document order, in one scratch folder holding copies of
``seeds/`` and ``eval/`` and a ``more-articles/`` folder, beside a link to ``../shared``, so
relative paths work as written):

- ``bash`` blocks: each command line (``\\`` continuations joined, ``#`` comments dropped) runs
  in bash with the installed ``kabar``; ``export`` lines set the environment of later lines.
  A line written as a synopsis (``[--json]``, ``<model>``, ``run | compare | build``) cannot
  run as written: its subcommand's ``--help`` must run and name every option the line shows.
  ``make`` targets are checked with ``make -n`` (``make test`` would run this very suite).
  Long-running commands (``kabar serve``, ``kabar api``, ``chroma run``) start in the
  background on a free port, must answer, and stop at the end of their block; the ports and
  ``/srv`` paths the README shows are replaced by free ports and scratch folders. ``kabar eval
  run`` lines score retrieval only (``--retrieval-only``): answering and checking all 68
  questions three times takes most of an hour on a busy 2-core machine, and
  ``tests/test_evaluate.py`` runs the answer side of ``eval run`` already.
- ``python`` blocks run with ``exec`` in one shared namespace (a later block may use a name an
  earlier one made), with the same port replacement.
- Untagged blocks show output (a transcript, a folder tree): only their ``$ `` lines run.

Model calls: the configured model is a real local HTTP server that speaks the OpenAI protocol
and returns canned answers (``KABAR_LLM=openai/readme``), and in-process Python blocks get
litellm's ``mock_response``; commands that pass ``--llm extractive`` keep it. So the test
checks the commands and code around the model, not the local model's speed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SEEDS
from servers import free_port, openai_server

from rag.llm import litellm_module

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
SYNOPSIS = re.compile(r"\[[^\]]*\]|<[^>]+>| \| ")
LONG_RUNNING = re.compile(r"^(kabar (serve|api)|chroma run)\b")
README_PORTS = ("7860", "8000", "8001")
ANSWER = "Kim inspected the Kinzhal missile system [1]."
EVAL_ITEM = {
    "question": "Which frigate did Kim and Shoigu board?",
    "answer": "The frigate Marsekal Shaposhnikov.",
    "quote": "Kim dan Shoigu kemudian menaiki fregat Marsekal Shaposhnikov",
    "key_facts": ["Shaposhnikov"],
}

FACQA_PASSAGES = 60

pytestmark = pytest.mark.slow  # runs every README command: two eval runs, servers, MiniLM


def canned(prompt: str) -> str:
    """The canned model's reply: an eval item when asked to write one, else a cited answer."""
    return json.dumps(EVAL_ITEM) if '"key_facts"' in prompt else ANSWER


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """A scratch folder laid out as the README assumes, and the environment to run it in."""
    work = tmp_path_factory.mktemp("readme")
    shutil.copytree(SEEDS, work / "seeds")
    shutil.copytree(ROOT / "eval", work / "eval", ignore=shutil.ignore_patterns("runs"))
    (work / "more-articles").mkdir()
    # ``../shared`` in the README is the shared corpora folder beside the checkout (as in CI)
    facqa = ROOT.parent / "shared" / "corpora" / "facqa"
    if facqa.is_dir():
        small_facqa(facqa, work.parent / "shared" / "corpora" / "facqa")
    shutil.copy(SEEDS / "000_e619702867f365eb.txt", work / "more-articles" / "reuters.txt")
    with openai_server(canned) as base_url:
        yield (
            work,
            {
                **os.environ,
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                "KABAR_LLM": "openai/readme",
                "OPENAI_API_BASE": base_url,
                "OPENAI_API_KEY": "unused",
            },
        )


def small_facqa(source: Path, target: Path) -> None:
    """FacQA's first ``FACQA_PASSAGES`` passages and the dev questions they answer, laid out as
    the shared folder has them: the test checks the README's FacQA commands, not their figures,
    and indexing all 1,369 passages took most of the suite's time on a busy machine."""
    target.mkdir(parents=True, exist_ok=True)
    passages = (source / "passages.jsonl").read_text(encoding="utf-8").splitlines()
    (target / "passages.jsonl").write_text("\n".join(passages[:FACQA_PASSAGES]) + "\n")
    questions = (source / "questions-dev.jsonl").read_text(encoding="utf-8").splitlines()
    kept = [q for q in questions if json.loads(q)["passage"] < FACQA_PASSAGES]
    (target / "questions-dev.jsonl").write_text("\n".join(kept) + "\n")


def blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(README)]


def command_lines(code: str) -> list[str]:
    """The command lines of a bash block: continuations joined, comments and blanks dropped."""
    lines = (_uncomment(line) for line in code.replace("\\\n", " ").splitlines())
    return [line for line in lines if line]


def _uncomment(line: str) -> str:
    """A shell line without its comment (a ``#`` outside quotes, at the start or after a space)."""
    quote = ""
    for i, char in enumerate(line):
        if char in "'\"" and quote in ("", char):
            quote = "" if quote else char
        elif char == "#" and not quote and (i == 0 or line[i - 1] == " "):
            return line[:i].rstrip()
    return line.rstrip()


class Session:
    """Runs README lines in the scratch folder; remembers ports and background processes."""

    def __init__(self, work: Path, env: dict[str, str]) -> None:
        self.work = work
        self.env = dict(env)
        self.ports = {port: str(free_port()) for port in README_PORTS}
        self.background: list[subprocess.Popen[bytes]] = []

    def local(self, text: str) -> str:
        """``text`` with the README's ports and /srv folders replaced by scratch ones."""
        for port, free in self.ports.items():
            text = re.sub(rf"\b{port}\b", free, text)
        return text.replace("/srv/", f"{self.work}/srv/")

    def run(self, line: str) -> None:
        for part in line.split(" && "):
            self._one(part.strip())

    def _one(self, line: str) -> None:
        if LONG_RUNNING.match(line):  # a server of its own: fresh ports for the ones it names
            self.ports.update({p: str(free_port()) for p in README_PORTS if p in line})
        line = self.local(line)
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            self.env[name] = value
        elif line.startswith("make "):
            self._bash(f"make -n -C {shlex.quote(str(ROOT))} {line.removeprefix('make ')}")
        elif LONG_RUNNING.match(line):
            self._start(re.sub(r"\[([^\]]*)\]", r"\1", line))  # optional parts included
        elif SYNOPSIS.search(line):
            self._synopsis(line)
        elif line.startswith("kabar eval run"):
            self._bash(f"{line} --retrieval-only")  # answers: see the module docstring
        else:
            self._bash(line)

    def _bash(self, line: str) -> str:
        done = subprocess.run(
            ["bash", "-c", line],
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,  # a hung command fails with its name instead of stalling the suite
        )
        # the README's compare example is the swap the gate refuses: it exits 1, as documented
        expected = (0, 1) if line.startswith("kabar eval compare") else (0,)
        assert done.returncode in expected, f"{line}\n{done.stdout}\n{done.stderr}"
        if line.startswith("curl"):
            assert done.stdout and '"error"' not in done.stdout, f"{line}\n{done.stdout}"
        return done.stdout

    def _synopsis(self, line: str) -> None:
        """A synopsis line: its subcommand's help names every option it shows."""
        words = shlex.split(SYNOPSIS.sub(" ", line))
        assert words[0] == "kabar", line
        helps = self._bash(f"kabar {words[1]} --help")
        for word in words[2:]:
            if words[1] == "eval" and re.fullmatch(r"[a-z]+", word):
                assert word in helps, f"{line}: kabar eval has no {word}"
                helps += self._bash(f"kabar eval {word} --help")
        for option in re.findall(r"(?<![\w-])--?[a-z][\w-]*", SYNOPSIS.sub(" ", line)):
            assert option in helps, f"{line}: {option} is not an option of kabar {words[1]}"

    def _start(self, line: str) -> None:
        port = re.search(r"--port (\d+)", line)
        assert port, f"{line}: a server line names its port"
        process = subprocess.Popen(
            ["bash", "-c", f"exec {line}"],
            cwd=self.work,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.background.append(process)
        path = "/api/v2/heartbeat" if line.startswith("chroma") else "/healthz"
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, f"{line} exited with {process.returncode}"
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port.group(1)}{path}", timeout=2)
                return
            except OSError:
                assert time.monotonic() < deadline, f"{line} did not answer"
                time.sleep(0.5)

    def stop(self) -> None:
        for process in reversed(self.background):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        self.background.clear()


@contextmanager
def session(workdir: tuple[Path, dict[str, str]]) -> Iterator[Session]:
    current = Session(*workdir)
    try:
        yield current
    finally:
        current.stop()


def test_the_readme_has_the_blocks_this_test_knows_how_to_run() -> None:
    kinds = {kind for kind, _ in blocks()}
    assert kinds <= {"", "bash", "python"}, kinds
    assert len(blocks()) >= 10


@pytest.mark.timeout(1800)  # every README command in turn: minutes on a busy machine
def test_every_readme_block_runs_as_written(
    workdir: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    work, env = workdir
    litellm = litellm_module()
    original = litellm.completion

    def completion(*args: Any, messages: list[dict[str, str]], **kwargs: Any) -> Any:
        reply = canned(messages[-1]["content"])
        return original(*args, messages=messages, **{**kwargs, "mock_response": reply})

    monkeypatch.setattr(litellm, "completion", completion)
    monkeypatch.chdir(work)
    namespace: dict[str, Any] = {}
    with session(workdir) as api:
        # the API the Python and curl blocks talk to, on the README's port 8000
        api.run("kabar ingest seeds/")
        api.run("kabar api --port 8000")
        for kind, code in blocks():
            if kind == "python":
                exec(compile(api.local(code), "README.md", "exec"), namespace)  # noqa: S102
            elif kind == "bash":
                with session((work, api.env)) as block:
                    block.ports = dict(api.ports)
                    for line in command_lines(code):
                        block.run(line)
            else:
                for line in code.splitlines():
                    if line.startswith("$ "):
                        api.run(line[2:])
    assert (work / "eval" / "mine.jsonl").exists()
    assert (work / "eval" / "runs" / "cmp.png").exists()
