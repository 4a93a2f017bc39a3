"""Where articles come from: files, folders, news-record dumps, URLs and feeds.

Every ingest target (a path or a URL) becomes a stream of items (``rag.raw``): a
``RawArticle`` that loads its body when needed, or a ``Failed`` that says why something could
not be read. A reader is chosen by the file's suffix or, for a URL, by what the server sends.
Nothing here cleans, embeds or stores: ``rag.ingest`` does that in bounded batches, so a
10,000-record dump streams through without being held in memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from rag import feeds, records
from rag.errors import DocumentError, FetchError
from rag.extract import HTML_SUFFIXES
from rag.fetch import is_url
from rag.raw import Body, Content, Context, Failed, Item, Kind, RawArticle, Reader
from rag.read import check_size, decode, discover, read_text, safe_name

TEXT_SUFFIXES = (".txt", ".md")


def origin_of(target: str | Path) -> str:
    """The origin recorded for articles read from ``target``: its URL or its absolute path."""
    text = str(target)
    return text if is_url(text) else str(Path(text).expanduser().resolve())


def read_targets(targets: Iterable[str | Path], context: Context) -> Iterator[Item]:
    """The articles (and failures) of every target, in order; a folder's files sorted."""
    for target in targets:
        text = str(target)
        if is_url(text):
            yield from url_articles(text, context)
            continue
        origin = origin_of(text)
        files, problems = discover(Path(text).expanduser(), tuple(READERS))
        for name, (reason, skipped) in problems.items():
            yield Failed(name, reason, skipped)
        for path in files:
            yield from READERS[path.suffix.lower()](path, safe_name(path.name), origin, context)


def read_upload(name: str, data: bytes, origin: str, context: Context) -> Iterator[Item]:
    """The articles in one uploaded file of any supported type, read like a file of that name."""
    try:
        source = safe_name(name)
        reader = READERS.get(Path(source).suffix.lower())
        if reader is None:
            raise DocumentError(f"{source}: unsupported file type; kabar reads {_kinds()}")
        check_size(source, len(data), context.settings.max_file_bytes)
    except DocumentError as exc:
        yield Failed(name, str(exc))
        return
    yield from reader(data, source, origin, context)


def text_article(
    text: str, name: str, origin: str, meta: Mapping[str, str], context: Context
) -> Iterator[Item]:
    """An article given as text (the HTTP API's ``text``), named ``name`` or by a hash of it."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    try:
        source = safe_name(name) if name else f"text-{digest}.txt"
        check_size(
            source, len(text.encode("utf-8", "surrogatepass")), context.settings.max_file_bytes
        )
    except DocumentError as exc:
        yield Failed(name or "text", str(exc))
        return
    body = Body(text)
    yield RawArticle(source, origin, lambda: body, {k: v for k, v in meta.items() if v})


def url_articles(url: str, context: Context) -> Iterator[Item]:
    """A web page as one article, or a feed's entries (each entry's page fetched in turn)."""
    try:
        page = context.fetcher.get(url)
        if feeds.is_feed(page.content_type, page.data):
            yield from feeds.feed_articles(page.data, url, url, context)
            return
        body = feeds.page_body(page, url)
    except (FetchError, DocumentError) as exc:
        yield Failed(url, str(exc))
        return
    yield RawArticle(url, url, lambda: body, {"url": page.url})


def _article_file(kind: Kind) -> Reader:
    """A reader for files that hold one article of ``kind``; files load only when needed."""

    def reader(content: Content, name: str, origin: str, context: Context) -> Iterator[Item]:
        max_bytes = context.settings.max_file_bytes

        def load() -> Body:
            if kind == "html":
                return Body(_read_bytes(content, name, max_bytes), "html")
            if isinstance(content, bytes):
                return Body(decode(content, name))
            return Body(read_text(content, max_bytes))

        yield RawArticle(name, origin, load)

    return reader


def _read_bytes(content: Content, name: str, max_bytes: int) -> bytes:
    if isinstance(content, bytes):
        return content
    try:
        check_size(name, content.stat().st_size, max_bytes)
        return content.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{name}: cannot read: {exc.strerror or exc}") from None


READERS: dict[str, Reader] = {
    **{suffix: _article_file("text") for suffix in TEXT_SUFFIXES},
    **{suffix: _article_file("html") for suffix in HTML_SUFFIXES},
    **{suffix: records.read_records for suffix in records.SUFFIXES},
    **{suffix: feeds.read_feed for suffix in feeds.SUFFIXES},
}
"""File suffix -> reader; URLs are read by ``url_articles``."""


def _kinds() -> str:
    return ", ".join(READERS)
