"""Retrieval: English and Indonesian questions find the Indonesian passages that answer them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import KINZHAL

from rag import RAG, Filters, InputError

TEMPO_JULY, TEMPO_SEPTEMBER = "000_e619702867f365eb.txt", "002_b60d1a8831f4fb8f.txt"
LI = ("000_e619702867f365eb.txt", "001_19d4d10bd79297cd.txt", "004_45b1288b14f83929.txt")


@pytest.mark.parametrize(
    "question",
    ["What did Kim inspect in Vladivostok?", "Apa yang diperiksa Kim di Vladivostok?"],
)
def test_vladivostok_question_ranks_the_vladivostok_article_first(
    seeded: RAG, question: str
) -> None:
    hits = seeded.search(question, k=5)
    assert hits[0].source == KINZHAL
    assert any("Kinzhal" in h.text for h in hits), "the Kinzhal passage must be among the top 5"


def test_chinese_delegation_question_finds_li_hongzhong(seeded: RAG) -> None:
    hits = seeded.search("Who led the Chinese delegation?", k=3)
    assert any("Li Hongzhong" in h.text for h in hits)


@pytest.mark.parametrize(
    "question, source, needle",
    [
        ("Which frigate did Kim and Shoigu board?", KINZHAL, "Shaposhnikov"),
        ("Kapal apa yang dinaiki Kim dan Shoigu?", KINZHAL, "Shaposhnikov"),
        ("How far is Vostochny from Moscow?", KINZHAL, "8.000 km"),
        ("Siapa juru bicara Kremlin?", KINZHAL, "Dmitry Peskov"),
        ("What did Shoigu call the North Korean military?", None, "paling kuat"),
        ("Who is North Korea's defence minister?", None, "Kang Sun"),
        (
            "What did Kim see at the Pacific Fleet?",
            "002_b60d1a8831f4fb8f.txt",
            "Armada Laut Pasifik",
        ),
    ],
)
def test_passage_that_answers_is_in_the_top_three(
    seeded: RAG, question: str, source: str | None, needle: str
) -> None:
    hits = seeded.search(question, k=3)
    assert any(needle in h.text and (source is None or h.source == source) for h in hits), [
        h.text[:80] for h in hits
    ]


def test_hit_carries_article_metadata_and_offsets(seeded: RAG) -> None:
    hit = seeded.search("Kinzhal MiG-31I", k=1)[0]
    original = seeded.article_text(hit.source)
    assert hit.source == KINZHAL and hit.date == "2023-09-16"
    assert hit.title == "Korea Utara dan Menteri Pertahanan Rusia Memantau Rudal Hipersonik"
    assert "Kinzhal" in original[hit.start : hit.end]
    assert hit.text == "\n".join(original[s:e] for s, e in hit.spans)
    cosine = seeded.embedder.query("Kinzhal MiG-31I") @ seeded.embedder.passages([hit.text])[0]
    assert hit.similarity == pytest.approx(float(cosine), abs=1e-5)


def test_retellings_of_one_wire_story_collapse_into_one_hit(seeded: RAG) -> None:
    hits = seeded.search("Shoigu handed Kim a letter from Putin", k=5)
    collapsed = [h for h in hits if h.also_in]
    assert collapsed, "000 and 001 retell the same Reuters paragraphs"
    pairs = {frozenset({h.source, *(s.source for s in h.also_in)}) for h in collapsed}
    assert frozenset({LI[0], LI[1]}) in pairs
    ids = [h.chunk_id for h in hits] + [s.chunk_id for h in hits for s in h.also_in]
    assert len(ids) == len(set(ids))


def test_source_and_date_filters(seeded: RAG) -> None:
    only = seeded.search("Kim Shoigu", k=5, filters=Filters(sources=[KINZHAL]))
    assert only and {h.source for h in only} == {KINZHAL}
    july = seeded.search(
        "Kim Shoigu", k=10, filters=Filters(date_from="2023-07-01", date_to="2023-07-31")
    )
    assert july and all(h.date.startswith("2023-07") for h in july)
    september = seeded.search("Kim Shoigu", k=10, filters=Filters(date_from="2023-09-01"))
    assert september and all(h.date.startswith("2023-09") for h in september)


@pytest.mark.parametrize("asked", ["Tempo", "tempo.co", "TEMPO.CO"])
def test_outlet_filter_accepts_the_outlet_as_people_write_it(seeded: RAG, asked: str) -> None:
    hits = seeded.search("Kim Shoigu", k=10, filters=Filters(outlets=[asked]))
    assert {h.source for h in hits} == {TEMPO_JULY, TEMPO_SEPTEMBER}
    assert {h.outlet for h in hits} == {"TEMPO.CO"}


def test_unknown_outlet_or_source_is_a_clear_error(seeded: RAG) -> None:
    with pytest.raises(InputError, match="known outlets: REPUBLIKA.CO.ID, TEMPO.CO"):
        seeded.search("Kim", filters=Filters(outlets=["Kompas"]))
    with pytest.raises(InputError, match="no indexed article is named 'nowhere.txt'"):
        seeded.search("Kim", filters=Filters(sources=["nowhere.txt"]))
    with pytest.raises(InputError, match="ISO 639-1 code such as en, id or de, not 'French'"):
        Filters(language="French")


def test_language_filter(seeded: RAG) -> None:
    assert {h.language for h in seeded.search("Kim", k=10, filters=Filters(language="id"))} == {
        "id"
    }
    assert seeded.search("Kim", k=10, filters=Filters(language="en")) == []


@pytest.mark.parametrize(
    "question, month",
    [
        ("What did Kim and Shoigu do in July 2023?", "2023-07"),
        ("Apa yang dilakukan Kim dan Shoigu pada September 2023?", "2023-09"),
    ],
)
def test_a_month_in_the_question_filters_by_date(seeded: RAG, question: str, month: str) -> None:
    hits = seeded.search(question, k=10)
    assert hits and {h.date[:7] for h in hits} == {month}


def test_last_week_is_read_against_the_reference_date(seeded: RAG) -> None:
    as_of = RAG(seeded.settings.replace(as_of="2023-09-20"))
    hits = as_of.search("Apa yang dilakukan Kim pekan lalu?", k=10)
    assert hits and {h.source for h in hits} == {KINZHAL, TEMPO_SEPTEMBER}  # 11-17 September
    assert (
        RAG(seeded.settings.replace(as_of="2023-08-20")).search("What did Kim do last week?") == []
    )
    explicit = Filters(date_from="2023-07-01", date_to="2023-07-31")
    assert {h.date[:7] for h in as_of.search("Kim pekan lalu", k=10, filters=explicit)} == {
        "2023-07"
    }, "dates the caller gives win over the question's"


def test_a_period_in_the_question_keeps_undated_articles(fresh: RAG, seed_copy: Path) -> None:
    undated = seed_copy / "facqa_0530.txt"  # a real FacQA passage: no date anywhere in it
    undated.write_text(
        "Jumat ini, Pengadilan HAM Makassar akan membacakan putusan terdakwa Komisaris Besar "
        "Daud Sihombing, mantan Kepala Polres Jayapura. (doe)",
        encoding="utf-8",
    )
    fresh.ingest([seed_copy])
    hits = fresh.search("Putusan Pengadilan HAM Makassar pada Juli 2023", k=10)
    assert hits[0].source == undated.name
    assert {h.date[:7] for h in hits[1:]} == {"2023-07"}, "dated articles stay within the period"
    explicit = Filters(date_from="2023-07-01", date_to="2023-07-31")
    assert undated.name not in {
        h.source for h in fresh.search("Pengadilan HAM", k=10, filters=explicit)
    }


def test_a_year_no_article_is_dated_from_finds_the_passages_that_write_it(seeded: RAG) -> None:
    # the seeds date from 2023; the Korean War they mention ended in 1953
    (hit,) = seeded.search("Perang apa yang berakhir pada 1953?")
    assert "Perang Korea 1950-1953" in hit.text
    assert seeded.search("Who won the 2024 US presidential election?") == []


def test_a_year_the_story_happened_in_finds_an_article_dated_later(
    fresh: RAG, tmp_path: Path
) -> None:
    # Real FacQA passages: 1203 tells of a 1970 festival and is dated 1972 from its own text;
    # the others are undated, so they pass the 1970 filter by themselves.
    folder = tmp_path / "films"
    folder.mkdir()
    for line in (Path(__file__).parent / "data" / "facqa_films.jsonl").read_text().splitlines():
        passage = json.loads(line)
        (folder / f"facqa_{int(passage['i']):04d}.txt").write_text(passage["text"])
    fresh.ingest([folder])
    question = (
        "Apa nama film pertama Indonesia yang terpilih sebagai film terbaik internasional "
        "Festival Film Asia (Pasifik) pada 1970?"
    )
    hit = fresh.search(question, k=3)[0]
    assert (hit.source, hit.date) == ("facqa_1203.txt", "1972-08-17")
    assert "Apa Jang Kau Tjari, Palupi?" in hit.text


def test_latest_prefers_the_newest_articles(seeded: RAG) -> None:
    plain = seeded.search("Kim Jong Un dan Shoigu", k=3)
    latest = seeded.search("Kim Jong Un dan Shoigu terbaru", k=3)
    assert [h.date for h in latest] == sorted((h.date for h in latest), reverse=True)
    assert latest[0].date == "2023-09-17" and latest[0].date > plain[0].date


@pytest.mark.parametrize("question", ["", "   ", "x" * 5000, None])
def test_bad_questions_get_a_clear_error(seeded: RAG, question: object) -> None:
    with pytest.raises(InputError):
        seeded.search(question)  # type: ignore[arg-type]


def test_bad_k_or_date_gets_a_clear_error(seeded: RAG) -> None:
    with pytest.raises(InputError, match="k must be"):
        seeded.search("Kim", k=0)
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        seeded.search("Kim", filters=Filters(date_from="27 Juli 2023"))


def test_empty_index_returns_no_hits(fresh: RAG) -> None:
    assert fresh.search("Kim") == []


def test_a_lexical_cache_from_an_older_kabar_is_rebuilt(seed_copy, tmp_path) -> None:
    engine = RAG(index_dir=str(tmp_path / "index"))
    engine.ingest([seed_copy / KINZHAL])
    cache = next((tmp_path / "index" / "lexical").glob("*/chunks.json"))
    meta = json.loads(cache.read_text())
    cache.write_text(json.dumps({"revision": meta["revision"], "ids": meta["ids"]}))
    again = RAG(index_dir=str(tmp_path / "index"))
    assert again.search("Kinzhal", k=1, filters=Filters(outlets=[]))[0].source == KINZHAL
