"""RSS and Atom feeds: each entry is an article, read from the page its link points to.

The feed is parsed by feedparser from bytes kabar fetched itself (feedparser never touches the
network here). When an entry's page cannot be fetched or holds no article, the feed's own text
(its content or summary) stands in, and the report says so. Each entry carries a version stamp
(its update time, or a hash of what the feed says about it), so ingesting a feed again fetches
only the entries that are new or changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from rag.errors import DocumentError, FetchError
from rag.fetch import Fetched
from rag.raw import Body, Content, Context, Failed, Item, RawArticle
from rag.read import check_size, decode, markup_text

SUFFIXES = (".rss", ".atom", ".xml")
FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
    }
)
_ROOTS = (b"<rss", b"<feed", b"<rdf:rdf")


def is_feed(content_type: str, data: bytes) -> bool:
    """Whether a fetched body is a feed: by its media type, or by its root element."""
    head = data[:2048].lower()
    return content_type in FEED_TYPES or any(root in head for root in _ROOTS)


def read_feed(content: Content, name: str, origin: str, context: Context) -> Iterator[Item]:
    """The entries of a feed file (a path, or uploaded bytes)."""
    if isinstance(content, bytes):
        data = content
    else:
        try:
            check_size(name, content.stat().st_size, context.settings.max_fetch_bytes)
            data = content.read_bytes()
        except DocumentError as exc:
            yield Failed(name, str(exc))
            return
        except OSError as exc:
            yield Failed(name, f"{name}: cannot read: {exc.strerror or exc}")
            return
    yield from feed_articles(data, name, origin, context)


def feed_articles(data: bytes, name: str, origin: str, context: Context) -> Iterator[Item]:
    """One raw article per entry of the feed in ``data``; ``name`` is the feed's file or URL."""
    import feedparser

    headers = {"content-location": origin} if origin.startswith(("http://", "https://")) else {}
    parsed = feedparser.parse(data, response_headers=headers)
    if not parsed.get("version") or (parsed.get("bozo") and not parsed.entries):
        problem = parsed.get("bozo_exception") or "no <rss> or <feed> element"
        yield Failed(name, f"{name} is not an RSS or Atom feed ({problem})")
        return
    feed = parsed.get("feed", {})
    for number, entry in enumerate(parsed.entries, 1):
        yield _entry(entry, number, name, origin, feed, context)


def _entry(
    entry: Any, number: int, name: str, origin: str, feed: Any, context: Context
) -> RawArticle:
    link = str(entry.get("link", ""))
    text = markup_text(_entry_html(entry))
    title = str(entry.get("title", ""))
    meta = {
        "title": title,
        "date": _iso(_get(entry, "published_parsed") or _get(entry, "updated_parsed")),
        "url": link,
        "outlet": str(feed.get("title", "")),
        "author": str(entry.get("author", "")),
        "language": str(feed.get("language", "")),
    }
    stamp = "\x00".join(
        [str(_get(entry, "updated")), str(_get(entry, "published")), title, link, text]
    )
    version = hashlib.sha256(stamp.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    source = link or f"{name}#{entry.get('id') or number}"
    return RawArticle(
        source,
        origin,
        lambda: _body(link, text, context),
        {k: v for k, v in meta.items() if v},
        version,
    )


def _body(link: str, text: str, context: Context) -> Body:
    """The entry's web page, falling back to the feed's own text when it cannot be had."""
    fallback = Body(text, note="the feed's own text was indexed") if text.strip() else None
    if not link.startswith(("http://", "https://")):
        if fallback is None:
            raise DocumentError("the entry has no web link and no text")
        return fallback
    try:
        page = context.fetcher.get(link)
        if is_feed(page.content_type, page.data):
            raise FetchError(f"{link} is another feed, not an article")
        body = page_body(page, link)
    except DocumentError as exc:
        if fallback is None:
            raise
        return Body(text, note=f"{exc}; the feed's own text was indexed")
    return Body(body.data, body.kind, fallback=fallback)


def page_body(page: Fetched, url: str) -> Body:
    """A fetched web page as an article body: HTML for extraction, or plain text."""
    if page.content_type in ("text/plain", "text/markdown"):
        return Body(decode(page.data, url))
    return Body(page.data, "html")


def _entry_html(entry: Any) -> str:
    """The fullest text the feed gives: its content, else its summary (HTML or plain)."""
    contents = entry.get("content") or []
    values = [str(c.get("value", "")) for c in contents if c.get("value")]
    return max(values, key=len) if values else str(entry.get("summary", ""))


def _get(entry: Any, key: str) -> Any:
    """An entry field, or None; only keys the feed really has (feedparser's ``get`` maps a
    missing ``updated`` to ``published`` with a deprecation warning)."""
    return entry[key] if key in entry.keys() else None


def _iso(parsed: Any) -> str:
    """A feedparser date (a UTC ``time.struct_time``) as YYYY-MM-DD, or empty."""
    if not parsed:
        return ""
    return f"{parsed.tm_year:04d}-{parsed.tm_mon:02d}-{parsed.tm_mday:02d}"
