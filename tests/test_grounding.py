"""Grounding helpers and the FacQA converter, on hand-built inputs with exact expectations."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from conftest import ROOT

from rag.chunk import sentences
from rag.evaluate.facqa import convert, spellings
from rag.evaluate.items import load_items
from rag.evidence import Evidence
from rag.grounding import (
    anchors,
    figures,
    names_held,
    numbers,
    quantity_missing,
    restates,
    support,
    ungrounded,
)
from rag.search import Hit


def test_numbers_read_the_same_in_both_languages() -> None:
    assert numbers("8.000 km, empat tabung and 1,000 troops") == {"8000", "4", "1000"}
    assert numbers("two frigates") == {"2"}


def test_a_number_word_an_answer_translates_from_a_passage_is_no_invention() -> None:
    # an English answer over the German page of shared/corpora/web-news (sueddeutsche.de)
    german = [passage("Flixtrain bietet bislang vier Fernstrecken auf der Schiene an.")]
    claim = "Flixtrain operates four long-distance routes."
    assert ungrounded(claim, "How many routes does Flixtrain run?", german, False) == set()
    assert numbers("fünf Züge, três dias, cinq jours, dieci anni") == {"5", "3", "10"}
    # words that mean something else in another language are not numbers
    assert numbers("due to the sanctions, Sept. 17, Otto sei") == {"17"}
    # a number word opening a German compound (mannschaft.com, web-news) is held too
    qatar = [passage("So erhielt 1996 ein US-Bürger eine sechsmonatige Haftstrafe.")]
    claim = "In 1996 a US citizen got a six-month prison sentence."
    assert ungrounded(claim, "What punishment did a US citizen get?", qatar, False) == set()
    assert ungrounded("Three US citizens were jailed.", "Who was jailed?", qatar, False) == {"3"}


def test_month_names_count_as_their_numbers_in_three_languages() -> None:
    # a translation from German keeps the date's figures: "am 12. März" is "on March 12"
    assert figures("am 12. März 2024") == figures("on March 12, 2024") == {"12", "3", "2024"}
    assert figures("(26/7/2023)") == figures("26 Juli 2023") == figures("July 26, 2023")
    assert figures("im Mai") == {"5"} and figures("Mar and may") == set()


def test_anchors_are_names_and_numbers_not_sentence_openers() -> None:
    claim = "Kim boarded the frigate Marsekal Shaposhnikov in 2023."
    assert anchors(claim) == {"marsekal", "shaposhnikov", "2023"}


def test_an_answer_restates_the_question_when_it_adds_no_word_of_its_own() -> None:
    question = "Apakah bahan bakar Pertamina yang harganya turun mulai 1 Januari 2006?"
    assert restates("Bahan bakar Pertamina yang harganya turun mulai 1 Januari 2006", question)
    assert not restates("Pertamax, bahan bakar Pertamina yang harganya turun", question)
    # a follow-up's rewritten question counts as asked
    follow_up = ("Apa yang dia lihat?", "Apa yang Kim lihat di fregat?")
    assert restates("Yang Kim lihat di fregat", *follow_up)
    assert not restates("Yang Kim lihat di fregat", follow_up[0])


def test_an_answer_that_only_adds_function_words_restates_the_question() -> None:
    question = "Surat kabar manakah yang menolak kunjungan Koizumi ke kuil tersebut?"
    # a small model's FacQA answer: the question, "adalah" (is), and no newspaper
    assert restates("Surat kabar yang menolak kunjungan Koizumi ke kuil tersebut adalah", question)
    # a capitalised word the question lacks is taken as a name, even when it spells a stopword
    asked = "Yan Tsyenwart bekerja sebagai direktur dimana?"
    assert not restates("Yan Tsyenwart bekerja sebagai direktur di WHO", asked)


def passage(text: str, title: str = "") -> Hit:
    return Hit("c", "d", "a.txt", title, "2023-09-16", text, 1.0, 0, len(text), language="id")


def test_a_claim_finds_its_numbers_as_numbers_in_the_evidence() -> None:
    # seed q20: the model's "70th" is the passage's "70 tahun"; before, only the lead, which
    # names Pyongyang, gained from the claim's anchors and took the citation
    evidence = single_passage("Shoigu datang untuk 70 tahun berakhirnya perang. Ia di Pyongyang.")
    assert anchor_shares(evidence, "He came for the 70th anniversary in Pyongyang.") == [0.5, 0.5]
    assert anchor_shares(evidence, "He came for the 70th anniversary.") == [1.0, 0.0]
    # separators and month names read as numbers too: "8,000" is "8.000", "July 26" is 26/7
    evidence = single_passage("Kim tiba pada Rabu (26/7/2023) sejauh 8.000 km.")
    assert anchor_shares(evidence, "He came on July 26, 8,000 km away.") == [1.0]


def single_passage(text: str) -> Evidence:
    """One passage's sentences as evidence, with vectors that add nothing to the support."""
    spans = tuple((1, start, end) for start, end in sentences(text))
    return Evidence("", (passage(text),), spans, np.zeros((len(spans), 3)), np.zeros(len(spans)))


def anchor_shares(evidence: Evidence, claim: str) -> list[float]:
    """Each sentence's share of the claim's names and numbers (an anchor bonus of 1)."""
    return [round(float(score), 3) for score in support(evidence, np.zeros(3), claim, 1.0)]


def test_names_held_is_the_share_of_the_question_names_some_passage_holds() -> None:
    hits = [passage("Kim disambut Shoigu di Vladivostok."), passage("Hubungan Korea Utara.")]
    assert names_held("Siapa yang menyambut Kim di Vladivostok?", hits) == 1.0
    assert names_held("Kapan Erdogan bertemu Shoigu di Ankara?", hits) == 1 / 3
    # a hyphenated name counts by its parts; a title counts as passage text
    assert names_held("Bagaimana hubungan Korea Utara-Rusia?", hits) == 2 / 3
    assert names_held("Bagaimana hubungan Korea Utara-Rusia?", [passage("", "Rusia"), *hits]) == 1
    assert names_held("siapa yang datang?", hits) == 1.0  # nothing named, nothing to miss


def test_a_span_with_an_abbreviation_accepts_either_part() -> None:
    assert spellings("Badan Tenaga Atom Internasional (IAEA)") == (
        "Badan Tenaga Atom Internasional (IAEA)",
        "Badan Tenaga Atom Internasional",
        "IAEA",
    )
    assert spellings("84 penumpang") == ("84 penumpang",)


def test_facqa_becomes_articles_and_two_eval_sets(tmp_path: Path) -> None:
    source = tmp_path / "facqa"
    source.mkdir()
    passages = [
        {"i": 0, "text": "Harimau hidup di hutan. Nama latinnya Panthera tigris sumatrensis."},
        {"i": 1, "text": "Pesawat GA-181 mendarat darurat dengan 84 penumpang."},
    ]
    questions = [
        {
            "id": "v1",
            "question": "Apa nama latin harimau?",
            "answer": "Panthera tigris sumatrensis",
            "passage": 0,
        },
        {
            "id": "v2",
            "question": "Berapa penumpang GA-181?",
            "answer": "84 penumpang",
            "passage": 1,
        },
    ]
    (source / "passages.jsonl").write_text("\n".join(json.dumps(p) for p in passages))
    (source / "questions-dev.jsonl").write_text("\n".join(json.dumps(q) for q in questions))
    seed_set = ROOT / "eval" / "seed_set.jsonl"
    articles, facqa, cross = convert(source, tmp_path / "out", seed_set, questions=1)
    assert sorted(p.name for p in articles.iterdir()) == ["facqa_0000.txt", "facqa_0001.txt"]
    items = load_items(facqa)
    first = items[0]
    assert (first.id, first.answerable, first.gold_docs) == ("facqa-v1", True, ("facqa_0000.txt",))
    assert first.gold_quotes == ("Nama latinnya Panthera tigris sumatrensis.",)
    assert first.key_facts == (("Panthera tigris sumatrensis",),)
    seeds = load_items(seed_set)
    off = [s for s in seeds if s.answerable and not s.history]
    assert [i.id for i in items[1:]] == [f"seed-{s.id}" for s in off]
    assert not any(i.answerable for i in items[1:])
    crossed = load_items(cross)
    assert len(crossed) == len(seeds) + 1 and crossed[-1].id == "facqa-v1"
    assert not crossed[-1].answerable


def test_an_answer_to_how_many_must_state_a_number_the_question_does_not() -> None:
    question = "Berapa lama Shoigu tinggal di Korea Utara?"
    assert quantity_missing("Shoigu tinggal di Korea Utara selama pertemuan pada Rabu", question)
    assert not quantity_missing("Shoigu tinggal tiga hari di Korea Utara", question)
    assert not quantity_missing("Ratusan orang menyambut Shoigu", "How many people met Shoigu?")
    # a number the question already holds answers nothing; other questions need none
    assert quantity_missing("Satelit Telkom-2 disewakan", "Berapa transponder Telkom-2?")
    assert not quantity_missing("Shoigu tinggal di Pyongyang", "Di mana Shoigu tinggal?")


def test_an_answer_to_what_a_measure_is_must_state_an_amount_not_a_model_number() -> None:
    question = "What is the range of the Kinzhal missile?"
    assert quantity_missing("Kinzhal missile memiliki kapal induk MiG-31I", question)
    assert not quantity_missing("The Kinzhal flies up to 2,000 km", question)
    assert not quantity_missing("Peringatan ke-70 berakhirnya perang", "Berapa tahun peringatan?")
    assert not quantity_missing("The Kinzhal is carried by a MiG-31I", "What is the Kinzhal?")
    # "area" and "age" name places and periods as often as measures
    assert not quantity_missing("Kabupaten Malang", "What is the area the earthquake hit?")
    assert not quantity_missing("A prehistoric period", "What was the Stone Age?")
