"""Timelines on the seeds: dated events in order, each cited, wire copies merged."""

from __future__ import annotations

import datetime

import pytest
from conftest import KINZHAL

from rag import RAG, Filters
from rag.timeline import Timeline, is_summary
from rag.when import event_date

TOPIC = "Kim Jong Un and Russia"
PUBLISHED = datetime.date(2023, 9, 17)  # a Sunday


@pytest.fixture(scope="module")
def timeline(seeded: RAG) -> Timeline:
    return seeded.timeline(TOPIC)


def test_events_are_in_date_order_and_every_line_is_cited(seeded: RAG, timeline: Timeline) -> None:
    dates = [e.date for e in timeline.events]
    assert dates == sorted(dates) and len(dates) >= 10
    for event, line in zip(timeline.events, timeline.lines(), strict=True):
        c = event.citation
        assert line.endswith(f"[{c.n}]") or f"[{c.n}] (also reported by" in line
        original = seeded.article_text(c.passage.source)
        assert original[c.quote_start : c.quote_end] == c.quote


def _event(timeline: Timeline, needle: str) -> tuple[str, str, str]:
    event = next(e for e in timeline.events if needle in e.text)
    return event.date, event.precision, event.citation.passage.source


def test_the_seed_stories_are_dated_from_their_text(timeline: Timeline) -> None:
    # July 2023: Shoigu in Pyongyang on Wednesday (26/7/2023), the delegations "this week"
    assert _event(timeline, "Sergei Shoigu, pada Rabu (26/7/2023)")[:2] == ("2023-07-26", "day")
    assert _event(timeline, "Li Hongzhong, tiba")[:2] == ("2023-07-24", "week")
    # September 2023: the trip began Tuesday, Putin at Vostochny Wednesday, Vladivostok Saturday
    assert _event(timeline, "dimulai pada hari Selasa") == ("2023-09-12", "day", KINZHAL)
    assert _event(timeline, "kosmodrom Vostochny") == ("2023-09-13", "day", KINZHAL)
    assert _event(timeline, "Rabu lalu")[:2] == ("2023-09-13", "day")
    assert _event(timeline, "tiba di Vladivostok") == ("2023-09-16", "day", KINZHAL)
    assert _event(timeline, "pada hari Sabtu")[:2] == ("2023-09-16", "day")
    # the Komsomolsk-on-Amur factory tour has no date of its own: the article's date, marked
    assert _event(timeline, "Komsomolsk") == ("2023-09-16", "reported", KINZHAL)
    assert timeline.events[-1].date == "2023-09-17"


def test_wire_copies_are_merged_and_stories_grouped(timeline: Timeline) -> None:
    delegation = next(e for e in timeline.events if "Li Hongzhong, tiba" in e.text)
    assert [s.outlet for s in delegation.also_in] == ["REPUBLIKA.CO.ID"]
    assert sum("Li Hongzhong tiba" in e.text for e in timeline.events) == 0
    assert len(timeline.stories) == 2
    assert {e.story for e in timeline.events if e.date.startswith("2023-07")} == {0}
    assert {e.story for e in timeline.events if e.date.startswith("2023-09")} == {1}


def test_filters_apply_to_timelines(seeded: RAG) -> None:
    tempo = seeded.timeline(TOPIC, filters=Filters(outlets=["tempo"]))
    assert {e.citation.passage.outlet for e in tempo.events} == {"TEMPO.CO"}


@pytest.mark.parametrize(
    "sentence, day, precision",
    [
        ("Kim bertemu Putin pada Rabu lalu.", "2023-09-13", "day"),
        ("Kim meninjau pesawat pada hari Sabtu.", "2023-09-16", "day"),
        ("KCNA melaporkan pada Minggu, 17 September 2023.", "2023-09-17", "day"),
        ("Shoigu bertemu Kim pada Rabu (26/7/2023).", "2023-07-26", "day"),
        ("Kim met Putin on Wednesday.", "2023-09-13", "day"),
        ("Delegasi tiba di Korea Utara minggu ini.", "2023-09-11", "week"),
        ("Awal bulan ini, Korea Utara meluncurkan kapal selam.", "2023-09-01", "month"),
        ("Kim tiba kemarin.", "2023-09-16", "day"),
    ],
)
def test_event_dates_read_back_from_the_publication_day(
    sentence: str, day: str, precision: str
) -> None:
    found = event_date(sentence, PUBLISHED)
    assert found is not None and (found[0].isoformat(), found[1]) == (day, precision)


@pytest.mark.parametrize(
    "sentence",
    ["Peringatan 70 tahun berakhirnya Perang Korea 1950-1953.", "Kim memuji armada itu."],
)
def test_background_years_and_plain_sentences_have_no_event_date(sentence: str) -> None:
    assert event_date(sentence, PUBLISHED) is None


def test_summary_questions_are_answered_one_cited_line_per_event(seeded: RAG) -> None:
    answer = seeded.ask("Apa yang terjadi antara Kim dan Rusia pada September 2023?")
    lines = answer.text.splitlines()
    assert answer.model == "timeline" and not answer.abstained and 5 <= len(lines) <= 12
    dates = [line.split(": ", 1)[0].removeprefix("reported ") for line in lines]
    assert dates == sorted(dates) and all(d.startswith("2023-09") for d in dates)
    cited = {c.n for c in answer.citations}
    assert all(int(line.rsplit("[", 1)[1].rstrip("]")) in cited for line in lines)
    assert any("Vostochny" in line for line in lines)


def test_a_summary_asked_in_another_language_says_it_quotes_the_articles(seeded: RAG) -> None:
    answer = seeded.ask("Summarise Kim's trip to Russia in September 2023")
    events, note = answer.text.split("\n\n")
    assert answer.model == "timeline" and any("Vostochny" in line for line in events.splitlines())
    assert note == "(Quoted in the articles' language, not translated.)"


@pytest.mark.parametrize(
    "question, summary",
    [
        ("Summarise the Kim-Putin summit", True),
        ("What happened in Vladivostok?", True),
        ("Ringkas kunjungan Kim ke Rusia", True),
        ("Bagaimana kronologi kunjungan Shoigu?", True),
        ("What did Kim inspect in Vladivostok?", False),
        ("Apa yang diperiksa Kim di Vladivostok?", False),
    ],
)
def test_summary_questions_are_recognised(question: str, summary: bool) -> None:
    assert is_summary(question) is summary
