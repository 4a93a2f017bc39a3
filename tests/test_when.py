"""Time in questions, English and Indonesian (and other languages' month names), read against a
fixed reference date."""

from __future__ import annotations

import datetime

import pytest

from rag import SettingsError
from rag.when import TimeReading, read_time, reference_date

REFERENCE = datetime.date(2023, 9, 20)  # a Wednesday


@pytest.mark.parametrize(
    "question, date_from, date_to",
    [
        ("What happened last week?", "2023-09-11", "2023-09-17"),
        ("Apa yang terjadi pekan lalu?", "2023-09-11", "2023-09-17"),
        ("Apa yang terjadi minggu lalu?", "2023-09-11", "2023-09-17"),
        ("What did Kim do in July 2023?", "2023-07-01", "2023-07-31"),
        ("Apa yang dilakukan Kim pada Juli 2023?", "2023-07-01", "2023-07-31"),
        ("What happened yesterday?", "2023-09-19", "2023-09-19"),
        ("Apa kata Shoigu kemarin?", "2023-09-19", "2023-09-19"),
        ("What happened this year?", "2023-01-01", "2023-09-20"),
        ("Apa yang terjadi tahun ini?", "2023-01-01", "2023-09-20"),
        ("Apa yang terjadi bulan lalu?", "2023-08-01", "2023-08-31"),
        ("What happened last month?", "2023-08-01", "2023-08-31"),
        ("Berita bulan kemarin", "2023-08-01", "2023-08-31"),
        ("Apa yang terjadi minggu ini?", "2023-09-18", "2023-09-20"),
        ("Kim two weeks ago", "2023-09-04", "2023-09-10"),
        ("Kim dua minggu lalu", "2023-09-04", "2023-09-10"),
        ("Kim 3 hari yang lalu", "2023-09-17", "2023-09-17"),
        ("Kim in the past 2 weeks", "2023-09-07", "2023-09-20"),
        ("Kim sepekan terakhir", "2023-09-14", "2023-09-20"),
        ("Kim tahun lalu", "2022-01-01", "2022-12-31"),
        ("Kunjungan Kim 16/9/2023", "2023-09-16", "2023-09-16"),
        ("Kim on 16 September 2023", "2023-09-16", "2023-09-16"),
        ("Who won the 2024 US presidential election?", "2024-01-01", "2024-12-31"),
        ("Shoigu in July 2023, Kim in September 2023", "2023-07-01", "2023-09-30"),
        # months in the other languages kabar names, which dateparser is not asked to read
        ("¿Qué pasó en mayo de 2022?", "2022-05-01", "2022-05-31"),
        ("O que aconteceu em 3 de maio de 2022?", "2022-05-03", "2022-05-03"),
        ("Qu'est-ce qui s'est passé en juillet 2023 ?", "2023-07-01", "2023-07-31"),
        ("Was geschah im März 2023?", "2023-03-01", "2023-03-31"),
        ("Was geschah am 19. Oktober 2019 in Wien?", "2019-10-19", "2019-10-19"),
    ],
)
def test_periods(question: str, date_from: str, date_to: str) -> None:
    reading = read_time(question, REFERENCE)
    assert (reading.date_from, reading.date_to, reading.recent) == (date_from, date_to, False)


@pytest.mark.parametrize(
    "question",
    ["What is the latest on Kim and Russia?", "Berita terbaru soal Kim?", "most recent news"],
)
def test_latest_is_a_preference_not_a_filter(question: str) -> None:
    reading = read_time(question, REFERENCE)
    assert (reading.date_from, reading.date_to, reading.recent) == ("", "", True)


@pytest.mark.parametrize(
    "question",
    [
        "What did Kim inspect in Vladivostok?",
        "What did Kim see on Saturday?",  # a weekday names the story's day, not a filter
        "Siapa yang bertemu Kim pada Juli?",  # so does a month without a year
        "Berapa jarak 8.000 km dari Moskow? RBU-6000 MiG-31I",
        "Who was at the Minggu meeting?",
    ],
)
def test_questions_without_a_period(question: str) -> None:
    assert read_time(question, REFERENCE) == TimeReading()


def test_the_reference_date_moves_relative_phrases_only() -> None:
    later = datetime.date(2024, 3, 5)
    assert read_time("last week", later).date_from == "2024-02-26"
    assert read_time("July 2023", later).date_from == "2023-07-01"


def test_reference_date_setting() -> None:
    assert reference_date("2023-09-20") == REFERENCE
    assert reference_date("") == datetime.date.today()
    with pytest.raises(SettingsError, match="KABAR_AS_OF"):
        reference_date("20/09/2023")
