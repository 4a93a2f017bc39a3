"""Articles from record dumps, web pages, feeds and uploads, against a real local web server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import KINZHAL
from servers import PLAIN_ARTICLE, Entry, NewsSite, news_site

from rag import RAG, Settings
from rag.errors import FetchError, InputError
from rag.fetch import Fetcher
from rag.records import parse_fields

HOCKEY = "/pages/eishockeynews.de-halbfinale.html"
FIREFOX = "/pages/journal.3960.org.firefox.html"
LOST_SUMMARY = "Die Kapitänin der Mannschaft verlässt den Verein nach elf Jahren in Lübeck."


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with news_site(slow_seconds=3) as running:
        running.entries = [
            Entry(HOCKEY, "München verliert", "Tappara gewinnt das Halbfinale."),
            Entry("/gone.html", "Abschied in Lübeck", LOST_SUMMARY),
        ]
        yield running


@pytest.fixture
def engine(tmp_path: Path) -> RAG:
    return RAG(Settings(index_dir=str(tmp_path / "index"), fetch_timeout=1.0))


def sources(engine: RAG) -> dict[str, str]:
    return {a.source: a.origin for a in engine.articles()}


def test_jsonl_records_ingest_with_their_metadata_and_bad_lines_reported(
    engine: RAG, tmp_path: Path
) -> None:
    dump = tmp_path / "dump.jsonl"
    lines = [
        json.dumps(
            {
                "id": "a1",
                "headline": "Kapal selam baru diluncurkan di Sinpo",
                "body": PLAIN_ARTICLE,
                "published": "2023-09-08T10:00:00Z",
                "site": "KCNA Watch",
            }
        ),
        "{not json",
        json.dumps({"title": "no text here"}),
        json.dumps({"i": 7, "text": "Rudal Kinzhal dipamerkan di lapangan terbang Knevichi."}),
        json.dumps(
            {
                "url": "https://news.example/shoigu",
                "content": "Shoigu menunjukkan pesawat pengebom strategis Tu-160 kepada Kim.",
                "source": {"id": None, "name": "Example News"},
            }
        ),
    ]
    dump.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = engine.ingest([dump])
    assert report.added == ["dump.jsonl#a1", "dump.jsonl#4", "https://news.example/shoigu"]
    assert report.failed.keys() == {"dump.jsonl#2", "dump.jsonl#3"}
    assert "dump.jsonl line 2 is not JSON" in report.failed["dump.jsonl#2"]
    assert "has no text" in report.failed["dump.jsonl#3"]
    assert "--field text=COLUMN" in report.failed["dump.jsonl#3"]
    info = {a.source: a for a in engine.articles()}
    sinpo = info["dump.jsonl#a1"]
    assert (sinpo.title, sinpo.date, sinpo.outlet) == (
        "Kapal selam baru diluncurkan di Sinpo",
        "2023-09-08",
        "KCNA Watch",
    )
    assert sinpo.origin == str(dump.resolve())
    assert info["https://news.example/shoigu"].outlet == "Example News"
    hit = engine.search("Which submarine was launched at Sinpo?", k=1)[0]
    assert hit.source == "dump.jsonl#a1"
    assert engine.ingest([dump]).unchanged == report.added


def test_csv_columns_map_by_default_or_by_field(engine: RAG, tmp_path: Path) -> None:
    table = tmp_path / "export.csv"
    table.write_text(
        "judul,isi,tanggal\n"
        '"Kim tiba di Vladivostok","Kim Jong Un tiba di Vladivostok dengan kereta lapis baja '
        'dan disambut Shoigu.",2023-09-16\n',
        encoding="utf-8",
    )
    refused = engine.ingest([table])
    assert refused.added == []
    assert refused.failed == {
        "export.csv": "export.csv has no text column (columns: judul, isi, tanggal); "
        "name one with --field text=COLUMN"
    }
    fields = parse_fields(["text=isi", "title=judul", "date=tanggal"])
    report = engine.ingest([table], fields=fields)
    assert report.added == ["export.csv#2"]
    article = engine.articles()[0]
    assert (article.title, article.date) == ("Kim tiba di Vladivostok", "2023-09-16")
    with pytest.raises(InputError, match="unknown field 'body'"):
        parse_fields(["body=isi"])


def test_a_web_page_url_is_fetched_extracted_and_named_by_its_url(
    engine: RAG, site: NewsSite
) -> None:
    url = site.url + FIREFOX
    report = engine.ingest([url])
    assert report.added == [url] and not report.failed
    hit = engine.search("Weniger Werbung und mehr Speed für Firefox unter Android?", k=1)[0]
    assert hit.source == url and "Werbung nervt. Tracking nervt." in engine.article_text(url)
    assert sources(engine)[url] == url


def test_a_feed_adds_each_entry_and_falls_back_to_its_own_text(engine: RAG, site: NewsSite) -> None:
    feed = site.url + "/feed.rss"
    report = engine.ingest([feed])
    gone = site.url + "/gone.html"
    assert report.added == [site.url + HOCKEY, gone]
    assert "404" in report.warnings[gone] and "feed's own text" in report.warnings[gone]
    assert engine.search("Kapitänin verlässt den Verein in Lübeck", k=1)[0].source == gone
    assert set(sources(engine).values()) == {feed}
    dates = {a.source: a.date for a in engine.articles()}
    assert (dates[gone], dates[site.url + HOCKEY]) == ("2022-03-07", "2022-02-01")  # page's own

    site.hits.clear()
    site.entries.append(Entry(FIREFOX, "Firefox unter Android", "Weniger Werbung."))
    again = engine.ingest([feed])
    assert again.added == [site.url + FIREFOX]
    assert again.unchanged == [site.url + HOCKEY, gone]
    assert site.hits == ["/feed.rss", FIREFOX]  # entries seen before are not fetched again


def test_an_atom_feed_is_read_too(engine: RAG, site: NewsSite) -> None:
    report = engine.ingest([site.url + "/feed.atom"])
    assert report.added == [site.url + HOCKEY, site.url + "/gone.html"]
    assert engine.search("Kapitänin verlässt Lübeck", k=1)[0].source == site.url + "/gone.html"


def test_bad_sources_fail_one_by_one_and_the_rest_is_ingested(
    engine: RAG, site: NewsSite, seed_copy: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.html"
    broken.write_bytes(b"\x00\x01<ht\xffml><bo" + bytes(range(256)))
    empty_page = tmp_path / "menu.html"
    empty_page.write_text("<html><body><nav><a href='/'>Home</a> | News</nav></body></html>")
    bad_feed = tmp_path / "feed.rss"
    bad_feed.write_text("this is not XML at all")
    targets = [
        seed_copy,
        broken,
        empty_page,
        bad_feed,
        site.url + "/not-a-feed.rss",
        site.url + "/slow",
        site.url + "/missing.html",
        site.url + "/huge",
        site.url + "/huge-declared",
        site.url + "/image.png",
        "ftp://example.com/news.html",
    ]
    report = engine.ingest(targets)
    assert len(report.added) == 5
    failed = report.failed
    assert set(failed) == {
        "broken.html",
        "menu.html",
        "feed.rss",
        *(str(t) for t in targets[4:]),
    }
    assert "not an HTML page" in failed["broken.html"] or "no article" in failed["broken.html"]
    assert "no article text found" in failed["menu.html"]
    assert "is not an RSS or Atom feed" in failed["feed.rss"]
    assert "is not an RSS or Atom feed" in failed[site.url + "/not-a-feed.rss"]
    assert "no answer within 1 s (KABAR_FETCH_TIMEOUT)" in failed[site.url + "/slow"]
    assert "the server answered 404 Not Found" in failed[site.url + "/missing.html"]
    assert "over the 5 MiB limit" in failed[site.url + "/huge"]
    assert "over the 5 MiB limit (50.0 MiB" in failed[site.url + "/huge-declared"]
    assert "not image/png" in failed[site.url + "/image.png"]
    assert "only http:// and https://" in failed["ftp://example.com/news.html"]
    assert engine.search("Kinzhal MiG-31I", k=1)[0].source == KINZHAL


def test_the_server_side_fetcher_refuses_loopback_before_any_request(site: NewsSite) -> None:
    settings = Settings(fetch_timeout=1.0)
    with Fetcher(settings, allow_private=False) as fetcher:
        with pytest.raises(FetchError, match="private or loopback address.*KABAR_ALLOW_PRIVATE"):
            fetcher.get(site.url + FIREFOX)
    assert site.hits == []
    with Fetcher(settings, allow_private=True) as fetcher:
        assert fetcher.get(site.url + FIREFOX).content_type == "text/html"


def test_every_redirect_hop_is_checked(site: NewsSite, monkeypatch: pytest.MonkeyPatch) -> None:
    # The test site must be reachable, so its address (127.0.0.1) counts as public here; any
    # other loopback address stays private. The redirect to 127.0.0.2 must then be refused
    # without being followed.
    monkeypatch.setattr("rag.fetch._is_public", lambda address: address == "127.0.0.1")
    port = site.url.rsplit(":", 1)[1]
    with Fetcher(Settings(), allow_private=False) as fetcher:
        target = f"http://127.0.0.2:{port}{FIREFOX}"
        with pytest.raises(FetchError, match="127.0.0.2 is a private or loopback address"):
            fetcher.get(f"{site.url}/redirect?to={target}")
        followed = fetcher.get(f"{site.url}/redirect?to={site.url}{FIREFOX}")
        assert followed.url == site.url + FIREFOX
        with pytest.raises(FetchError, match="only http:// and https://"):
            fetcher.get(f"{site.url}/redirect?to=file:///etc/passwd")
    assert site.hits.count(FIREFOX) == 1


def test_add_url_follows_the_private_address_setting(tmp_path: Path, site: NewsSite) -> None:
    closed = RAG(Settings(index_dir=str(tmp_path / "a"), fetch_timeout=1.0))
    report = closed.add_url(site.url + "/feed.rss")
    assert "KABAR_ALLOW_PRIVATE_URLS" in report.failed[site.url + "/feed.rss"]
    assert site.hits == [] and closed.articles() == []
    opened = RAG(Settings(index_dir=str(tmp_path / "b"), allow_private_urls=True))
    assert opened.add_url(site.url + "/plain.txt").added == [site.url + "/plain.txt"]


def test_uploads_of_every_type_are_read_by_their_name(engine: RAG) -> None:
    page = (Path(__file__).parent / "data" / "web" / "journal.3960.org.firefox.html").read_bytes()
    assert engine.add_article("firefox.html", page).added == ["firefox.html"]
    records = b'{"id": "x", "text": "Shoigu menunjukkan rudal Kinzhal kepada Kim."}\n'
    report = engine.add_article("dump.jsonl", records, origin="api")
    assert report.added == ["dump.jsonl#x"]
    assert sources(engine) == {"firefox.html": "upload", "dump.jsonl#x": "api"}
    assert "unsupported file type" in engine.add_article("x.exe", b"MZ").failed["x.exe"]


def test_reindex_keeps_each_articles_name_origin_and_metadata(engine: RAG, tmp_path: Path) -> None:
    dump = tmp_path / "dump.jsonl"
    dump.write_text(
        json.dumps(
            {
                "url": "https://news.example/kinzhal",
                "title": "Kinzhal di Knevichi",
                "text": "Shoigu menunjukkan rudal hipersonik Kinzhal kepada Kim di Knevichi.",
                "date": "2023-09-16",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    engine.ingest([dump])
    engine.add_article("sinpo.txt", PLAIN_ARTICLE)
    before = sorted((a.source, a.origin, a.title, a.date) for a in engine.articles())
    report = engine.reindex()
    assert sorted(report.added) == ["https://news.example/kinzhal", "sinpo.txt"]
    assert sorted((a.source, a.origin, a.title, a.date) for a in engine.articles()) == before
    assert before[0] == (
        "https://news.example/kinzhal",
        str(dump.resolve()),
        "Kinzhal di Knevichi",
        "2023-09-16",
    )
    assert engine.search("Kinzhal Knevichi", k=1)[0].source == "https://news.example/kinzhal"
