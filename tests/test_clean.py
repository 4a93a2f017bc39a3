"""Cleaning removes site furniture, keeps each paragraph once, and reads article metadata."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SEEDS

from rag.clean import clean


def load(name: str):
    path = next(SEEDS.glob(f"{name}_*.txt"))
    return clean(path.read_text(encoding="utf-8"), path.name)


def paragraphs(doc) -> list[str]:
    return [doc.text[s:e] for s, e in doc.paragraphs]


def body(doc) -> str:
    return "\n".join(paragraphs(doc))


@pytest.mark.parametrize(
    "name, junk",
    [
        ("000", "Advertising"),
        ("000", "Baca Selengkapnya"),
        ("000", "Berita terkait"),
        ("000", "Prabowo Klaim"),  # a teaser from the related-news list
        ("000", "Pilihan Editor"),
        ("000", "KCNA via REUTERS"),  # the photo caption printed twice
        ("000", "11:15 WIB"),
        ("002", "Pilihan Editor"),
        ("003", "Iklan"),
        ("003", "Beranda"),
        ("003", "TINGGALKAN KOMENTAR"),
        ("003", "Silakan masukkan"),
        ("003", "Akismet"),
        ("003", "Trending"),
        ("003", "foto.doc.org"),
        ("004", "loading..."),
        ("004", "(sya)"),
    ],
)
def test_boilerplate_is_removed(name: str, junk: str) -> None:
    assert junk not in body(load(name))


def test_lone_letters_are_removed() -> None:
    assert all(len(p) > 3 for p in paragraphs(load("004")))


def test_article_text_is_kept() -> None:
    text = body(load("003"))
    assert "sistem rudal Kinzhal pada kapal induk MiG-31I" in text
    assert "fregat Marsekal Shaposhnikov" in text
    assert "Moskow juga menyebutkan kemungkinan membantu Korea Utara memproduksi satelit" in text


def test_repeated_body_is_kept_once() -> None:
    doc = load("004")
    kept = paragraphs(doc)
    assert len(kept) == len(set(kept))
    assert body(doc).count("Kantor Berita Pusat Korea (KCNA) melaporkan hal itu") == 1
    assert doc.text.count("Kantor Berita Pusat Korea (KCNA) melaporkan hal itu") == 2


@pytest.mark.parametrize(
    "name, title, outlet, city, date",
    [
        (
            "000",
            "Bertemu Kim Jong Un, Menhan Rusia: Militer Korea Utara Terkuat di Dunia",
            "TEMPO.CO",
            "Jakarta",
            "2023-07-27",
        ),
        (
            "001",
            "Pemimpin Korea Utara (Korut), Kim Jong-un, bertemu dengan Menteri",
            "REPUBLIKA.CO.ID",
            "Pyongyang",
            "2023-07-26",
        ),
        ("002", "Pemimpin Korea Utara Kim Jong Un membahas", "TEMPO.CO", "Jakarta", "2023-09-17"),
        (
            "003",
            "Korea Utara dan Menteri Pertahanan Rusia Memantau Rudal Hipersonik",
            "",
            "Moskow",
            "2023-09-16",
        ),
        (
            "004",
            "Pemimpin Korea Utara Kim Jong-un Terima Surat Hangat dari Putin",
            "",
            "Pyongyang",
            "2023-07-27",
        ),
    ],
)
def test_metadata(name: str, title: str, outlet: str, city: str, date: str) -> None:
    doc = load(name)
    assert doc.title.startswith(title)
    assert (doc.outlet, doc.city, doc.date) == (outlet, city, date)


def test_headline_is_not_repeated_in_the_body() -> None:
    doc = load("003")
    assert doc.title not in body(doc)


def test_paragraph_offsets_point_into_the_original() -> None:
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        doc = clean(text, path.name)
        for start, end in doc.paragraphs:
            assert text[start:end].strip() == text[start:end] and text[start:end]


@pytest.mark.parametrize(
    "text, date",
    [
        (
            "Judul berita panjang sekali di sini\n\nJAKARTA - Isi berita (3/1/2024) di sini.",
            "2024-01-03",
        ),
        (
            "Judul berita panjang sekali di sini\n\nSelasa, 5 Maret 2024 08:00 WIB\n\nIsi.",
            "2024-03-05",
        ),
        (
            "A headline in English about things\n\nLONDON - Body text on 14 August 2022.",
            "2022-08-14",
        ),
        ("Judul berita panjang sekali di sini\n\nTanggal (31/2/2024) tidak ada.", ""),
        (  # German, as polizeiticker.ch writes it (shared/corpora/web-news)
            "Unfall auf der A6 bei Studen\n\nAm Sonntag, 5. November 2023, kurz nach 21.25 Uhr, "
            "wurde der Kantonspolizei Bern ein schwerer Verkehrsunfall gemeldet.",
            "2023-11-05",
        ),
        (
            "Ein Titel über etwas Wichtiges\n\nTobisch wurde am 28. März 1926 in Wien geboren.",
            "1926-03-28",
        ),
    ],
)
def test_dates_in_indonesian_and_english_forms(text: str, date: str) -> None:
    assert clean(text, "x.txt").date == date


MASKS = (
    "KOBE – A total of 6,000 surgical masks have been lost at a hospital in Kobe, officials said "
    "on Tuesday, as the spread of the new coronavirus has caused a shortage across Japan."
)


@pytest.mark.parametrize(
    "head, body, date",
    [  # publication lines of the web-news pages (shared/corpora) as a scraper saves them
        ("Feb 18, 2020\nOnline: Feb 18, 2020", MASKS, "2020-02-18"),  # The Japan Times
        ("Jun 18th 2018", MASKS, "2018-06-18"),  # The Economist
        ("Latest update May 6th, 2022 12:49 AM", MASKS, "2022-05-06"),  # Kaieteur News
        ("February 24, 2020, 7:57 AM", MASKS, "2020-02-24"),  # CBS News
        (
            "28.01.2020-15:49",
            "Die Zahl der Abonnenten wächst, und die Preise steigen.",
            "2020-01-28",
        ),
        ("01. 11. 2023", "Der Verein hat am Mittwoch gespendet und gefeiert.", "2023-11-01"),
        (
            "Por Adriano Fernandes | 03/05/2022 20:36",
            "A adolescente foi levada para a delegacia, onde o caso foi registrado pela polícia.",
            "2022-05-03",
        ),
        (
            "Miércoles 4 de Mayo de 2022",
            "El presidente ruso habló el martes sobre la guerra en Ucrania y sus consecuencias.",
            "2022-05-04",
        ),
        ("Posted 03/05/2022", MASKS, ""),  # English: the 3rd of May or the 5th of March
        ("marco m.19.10.1912:48", "Das stimmt so nicht, ich habe es selbst probiert.", ""),
        ("Opening on 5 December 2099", MASKS, ""),  # a date to come is no publication date
    ],
)
def test_publication_dates_as_pages_saved_as_text_write_them(
    head: str, body: str, date: str
) -> None:
    text = f"A headline long enough to be one\n\n{head}\n\n{body}"
    assert clean(text, "page.txt").date == date


def test_metadata_given_by_a_record_wins_over_the_text() -> None:
    path = next(SEEDS.glob("000_*.txt"))
    meta = {
        "title": "Given title",
        "date": "Tue, 05 Mar 2024 08:00:00 +0000",
        "url": "https://example.org/a",
        "outlet": "Example",
        "author": "A. Writer",
        "language": "id-ID",
        "unknown": "ignored",
    }
    doc = clean(path.read_text(encoding="utf-8"), path.name, meta)
    assert (doc.title, doc.date, doc.url, doc.outlet, doc.author, doc.language) == (
        "Given title",
        "2024-03-05",
        "https://example.org/a",
        "Example",
        "A. Writer",
        "id",
    )
    assert doc.paragraphs == load("000").paragraphs


@pytest.mark.parametrize(
    "value, iso",
    [
        ("2024-03-05", "2024-03-05"),
        ("2024-03-05T23:10:00+07:00", "2024-03-05"),
        ("2024-03-05T08:00:00Z", "2024-03-05"),
        ("Tue, 05 Mar 2024 08:00:00 GMT", "2024-03-05"),
        ("March 5, 2024", "2024-03-05"),
        ("5 Maret 2024", "2024-03-05"),
        ("Selasa, 5 Maret 2024 08:00 WIB", "2024-03-05"),
        ("5/3/2024", "2024-03-05"),
        ("05.03.2024", "2024-03-05"),
        ("March 5, 2099", "2099-03-05"),  # an embargoed release's given date is still its date
        ("not a date", ""),
        ("31/2/2024", ""),
    ],
)
def test_given_dates_are_read_in_common_forms(value: str, iso: str) -> None:
    assert clean("Some article text here.", "x.txt", {"date": value}).date == iso


KOBE = "KOBE – A total of 6,000 surgical masks have been lost at a hospital in Kobe."


@pytest.mark.parametrize(
    "title, outlet, shown",
    [  # <title>s of shared/corpora/web-news pages, with the site name trafilatura read
        (
            "Losing face: 6,000 surgical masks stolen from Kobe hospital | The Japan Times",
            "The Japan Times",
            "Losing face: 6,000 surgical masks stolen from Kobe hospital",
        ),
        (
            "Get in the Spooky Spirit With These Halloween Workouts - My Daily Magazine - Art, "
            "Design, DIY, Fashion and Beauty !",
            "My Daily Magazine - Art, Design, DIY, Fashion and Beauty !",
            "Get in the Spooky Spirit With These Halloween Workouts",
        ),
        ("Heimat - SW1.News", "SW1.News - Nachrichten der Region Schweinfurt", "Heimat"),
        # a dash inside the headline, or a last part that is not the site, stays
        (
            "Studen BE - A6 nach tödlichem Unfall gesperrt",
            "polizeiticker.ch",
            "Studen BE - A6 nach tödlichem Unfall gesperrt",
        ),
        (
            "kein App Store mehr? | iPhone | Forum",
            "MacTechNews.de",
            "kein App Store mehr? | iPhone | Forum",
        ),
    ],
)
def test_a_title_loses_the_site_name_a_page_appends(title: str, outlet: str, shown: str) -> None:
    assert clean(KOBE, "a.html", {"title": title, "outlet": outlet}).title == shown


def test_an_outlet_opening_the_first_paragraph_is_no_city() -> None:
    text = "Kaieteur News – Police investigators in Region Two are trying to unravel the mystery."
    assert clean(text, "a.html", {"outlet": "Kaieteur News"}).city == ""
    assert clean(KOBE, "a.html", {"outlet": "The Japan Times"}).city == "Kobe"


def test_a_given_date_that_is_no_date_leaves_the_one_in_the_text() -> None:
    text = "A headline in English about things\n\nLONDON - Body text on 14 August 2022."
    assert clean(text, "x.txt", {"date": "soon"}).date == "2022-08-14"


FACQA = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "facqa_short.jsonl")
    .read_text("utf-8")
    .splitlines()
]


@pytest.mark.parametrize("passage", FACQA, ids=lambda p: f"facqa_{p['i']}")
def test_a_short_real_passage_is_kept_whole(passage: dict[str, str]) -> None:
    """Real Kompas passages (IndoNLU FacQA, MIT) that were once refused: a one-line headline,
    paragraphs ending in a reporter's code such as "(doe)" or "(RYO / DOE)"."""
    doc = clean(passage["text"], "facqa.txt")
    assert [doc.text[s:e] for s, e in doc.paragraphs] == [passage["text"]]
    assert doc.removed == ()


def test_an_article_whose_every_line_looks_unusual_is_kept() -> None:
    text = "Menu\nHome\nPertamina Berusaha Kompetitif\nHome\n"
    doc = clean(text, "x.txt")
    assert [doc.text[s:e] for s, e in doc.paragraphs] == [
        "Menu",
        "Home",
        "Pertamina Berusaha Kompetitif",
    ]
    assert doc.removed_lines() == [("repeats an earlier line", "Home")]


def test_a_rendered_web_page_loses_its_menus_teasers_and_footer() -> None:
    text = (
        "Home\nPolitics\nBusiness\nSport\nSubscribe now\n"
        "Council approves the new bridge\n"
        "The city council approved the new river bridge on Tuesday after a long debate.\n"
        "Construction is expected to start in spring and to last for about two years.\n"
        "Funding\n"
        "The bridge will cost 40 million euros, most of it paid by the regional government.\n"
        "Most read\nMan arrested after chase through city centre\nWeather turns cold again\n"
        "© 2024 City News Ltd. All rights reserved.\n"
    )
    doc = clean(text, "x.txt")
    assert [doc.text[s:e] for s, e in doc.paragraphs] == [
        "The city council approved the new river bridge on Tuesday after a long debate.",
        "Construction is expected to start in spring and to last for about two years.",
        "Funding",
        "The bridge will cost 40 million euros, most of it paid by the regional government.",
    ]
    reasons = dict((line, reason) for reason, line in doc.removed_lines())
    assert reasons["Subscribe now"] == "before the article body"
    assert reasons["Weather turns cold again"] == "after the article body"
