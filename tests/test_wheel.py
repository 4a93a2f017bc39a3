"""A non-editable install works from any directory: the wheel carries prompts, seeds, eval set.

The wheel is built from this checkout and installed into a fresh venv with ``--no-deps``. So
that the test does not download 1.3 GB of dependencies again (pip keeps no cache here), the
fresh venv then sees the dev venv's packages through a ``.pth`` file; kabar itself comes only
from the wheel (the test checks where ``rag`` is imported from).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from conftest import KINZHAL, ROOT

from rag.evaluate import load_items

SKIP = shutil.ignore_patterns("__pycache__", "runs", "*.egg-info")
pytestmark = pytest.mark.slow  # builds and installs a wheel, then a retrieval eval run


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The ``bin`` folder of a fresh venv holding the wheel, and an environment to run it."""
    tmp = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    source = tmp / "source"  # a clean copy: no stale build/ or egg-info of the checkout
    for name in ("rag", "prompts", "seeds", "eval"):
        shutil.copytree(ROOT / name, source / name, symlinks=True, ignore=SKIP)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
        "-w", tmp / "dist", source, cwd=tmp, env=env)  # fmt: skip
    (wheel,) = (tmp / "dist").glob("kabar-*.whl")
    venv = tmp / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", wheel,
        cwd=tmp, env=env)  # fmt: skip
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp)
    (Path(site.strip()) / "kabar-dev-dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    env["KABAR_INDEX_DIR"] = str(tmp / "index")
    return venv / "bin", env


def test_installed_kabar_ingests_answers_and_evaluates_from_anywhere(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    bin_dir, env = installed
    where = run(bin_dir / "python", "-c", "import rag; print(rag.__file__)", cwd=tmp_path, env=env)
    assert where.startswith(str(bin_dir.parent)), where  # kabar from the wheel, not the checkout

    ingested = run(bin_dir / "kabar", "ingest", "--seeds", cwd=tmp_path, env=env)
    assert "5 added" in ingested

    answer = json.loads(
        run(
            bin_dir / "kabar",
            "ask",
            "What did Kim inspect in Vladivostok?",
            "--llm",
            "extractive",
            "--json",
            cwd=tmp_path,
            env=env,
        )  # fmt: skip
    )
    assert not answer["abstained"] and answer["citations"][0]["source"] == KINZHAL
    declined = json.loads(
        run(
            bin_dir / "kabar",
            "ask",
            "Who won the 2024 US presidential election?",
            "--llm",
            "extractive",
            "--json",
            cwd=tmp_path,
            env=env,
        )  # fmt: skip
    )
    bundled_text = (ROOT / "prompts" / "not_in_sources.en.md").read_text(encoding="utf-8")
    assert declined["abstained"] and declined["answer"] == bundled_text.strip()

    run(bin_dir / "kabar", "eval", "run", "--retrieval-only", "--out", "run", cwd=tmp_path,
        env=env)  # fmt: skip
    result = json.loads((tmp_path / "run" / "result.json").read_text(encoding="utf-8"))
    assert result["items"] == len(load_items(ROOT / "eval" / "seed_set.jsonl"))
    assert result["metrics"]["hit@5"] >= 0.9
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "chart.png",
        "report.md",
        "result.json",
    ]


def test_the_wheel_holds_every_bundled_file(installed: tuple[Path, dict[str, str]]) -> None:
    """The package-data globs in pyproject.toml match every prompt, seed and eval set."""
    bin_dir, _ = installed
    (wheel,) = (bin_dir.parent.parent / "dist").glob("kabar-*.whl")
    inside = set(zipfile.ZipFile(wheel).namelist())
    for folder, pattern in (("prompts", "*.md"), ("seeds", "*"), ("eval", "*.jsonl")):
        for path in (ROOT / folder).glob(pattern):
            if path.is_file():
                assert f"rag/bundled/{folder}/{path.name}" in inside
