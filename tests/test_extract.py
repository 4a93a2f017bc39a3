"""Saved web pages are read with trafilatura: article text and metadata in, page furniture out.

The two pages in tests/data/web are real pages from shared/corpora/web-news (trafilatura's
evaluation set), with their gold snippets of article text and of boilerplate.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from rag import RAG, Answer, Citation, Hit
from rag.errors import DocumentError
from rag.extract import html_document
from rag.ui import sources_html

WEB = Path(__file__).resolve().parent / "data" / "web"
EISHOCKEY = "eishockeynews.de-halbfinale.html"
FIREFOX = "journal.3960.org.firefox.html"
TELEGRAPH = "telegraph.co.uk.plumber.html"


def test_a_saved_page_gives_its_article_and_metadata() -> None:
    doc = html_document((WEB / FIREFOX).read_bytes(), FIREFOX)
    body = "\n".join(doc.text[s:e] for s, e in doc.paragraphs)
    assert doc.title == "Firefox – Weniger Werbung, mehr Speed unter Android"
    assert doc.date == "2019-12-22"
    assert (doc.author, doc.language) == ("Frank Boës", "de")
    assert doc.url == (
        "https://journal.3960.org/posts/2019-12-22-firefox-weniger-werbung-mehr-speed-unter-android/"
    )
    assert "Werbung nervt. Tracking nervt. Nerven nervt." in body
    assert "nicht von mir benutzter Dienst" in body
    for furniture in ("Zurück zur Übersichtsseite", "Merkwürdige Erlebnisse, spontane Einfälle"):
        assert furniture not in doc.text


def test_a_placeholder_headline_gives_way_to_the_title_the_page_shows() -> None:
    # the page's structured data names its CMS as the headline: "headline": "escenic"
    page = ROOT.parent / "shared" / "corpora" / "web-news" / "pages" / TELEGRAPH
    title = html_document(page.read_bytes(), TELEGRAPH).title
    assert title == "Plumber jailed after boiler killed millionaire's daughter"


def test_the_extracted_text_is_the_original_that_offsets_index() -> None:
    doc = html_document((WEB / EISHOCKEY).read_bytes(), EISHOCKEY)
    assert doc.date == "2022-02-01"
    assert doc.url.startswith("https://www.eishockeynews.de/aktuell/artikel/2022/02/01/")
    assert "Tappara ging dabei bereits nach rund" in doc.text
    assert "DAS KÖNNTE SIE AUCH INTERESSIEREN" not in doc.text
    for start, end in doc.paragraphs:
        assert doc.text[start:end] and "<" not in doc.text[start:end]
    assert ("photo caption", "Foto: City-Press") in doc.removed_lines()


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x89PNG garbage that is no page", "is not an HTML page"),
        (
            b"<html><head><title>Menu</title></head><body><nav>Home</nav></body></html>",
            "no article text found in the page",
        ),
    ],
)
def test_a_page_without_an_article_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(DocumentError, match=message):
        html_document(data, "page.html")


def test_bad_pages_fail_alone_and_good_pages_are_searchable(fresh: RAG, tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    shutil.copytree(WEB, folder)
    (folder / "broken.html").write_bytes(b"\x89PNG\r\n\x1a\n binary, not a page")
    (folder / "menu.htm").write_text("<html><body><nav>Home | News</nav></body></html>")
    report = fresh.ingest([folder])
    assert sorted(report.added) == [EISHOCKEY, FIREFOX]
    assert report.failed == {
        "broken.html": "broken.html is not an HTML page (no <html>, <body> or <p> markup)",
        "menu.htm": "menu.htm: no article text found in the page",
    }
    hit = fresh.search("Wer verlor das Halbfinale der Champions Hockey League?", k=1)[0]
    assert hit.source == EISHOCKEY
    assert hit.url.startswith("https://www.eishockeynews.de/")
    assert hit.to_dict()["url"] == hit.url
    text = fresh.article_text(EISHOCKEY)
    assert hit.text == "\n".join(text[s:e] for s, e in hit.spans)


def test_reindex_keeps_a_page_and_its_metadata(fresh: RAG, tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    shutil.copy(WEB / FIREFOX, folder)
    fresh.ingest([folder])
    before = fresh.article(FIREFOX)
    report = fresh.reindex()
    assert (report.added, report.failed) == ([FIREFOX], {})
    after = fresh.article(FIREFOX)
    assert after == before
    assert after.url.startswith("https://journal.3960.org/") and after.author == "Frank Boës"


def test_citations_show_and_link_the_page_url(fresh: RAG, tmp_path: Path) -> None:
    fresh.ingest([WEB])
    question = "Mit welchem Ergebnis verlor München bei Tappara Tampere?"
    answer = fresh.ask(question, llm="extractive")
    url = answer.citations[0].passage.url
    assert url.startswith("https://www.eishockeynews.de/aktuell/artikel/2022/02/01/")
    assert answer.to_dict()["citations"][0]["url"] == url
    assert f'<a href="{url}" target="_blank" rel="noopener">' in sources_html(answer)
    env = {**os.environ, "KABAR_INDEX_DIR": str(fresh.settings.index_path), "COLUMNS": "400"}
    result = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ask", question, "--llm", "extractive"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert f"    {url}" in result.stdout.splitlines()


def test_a_page_url_that_is_not_http_is_never_linked() -> None:
    hit = Hit("c", "d", "p.html", "Title", "", "text", 1.0, 0, 4, url="javascript:alert(1)")
    answer = Answer("q", "text [1]", (Citation(1, hit, "text", 0, 4, True),), False, "extractive")
    assert "<a " not in sources_html(answer) and "javascript" not in sources_html(answer)
