"""Read a saved web page: its main article text and metadata, through trafilatura.

The text trafilatura extracts (one line per paragraph) is the article's original text: passages
and citations index it by character offsets, and it is the copy kept in the index's
``articles/`` folder. The page's menus, teasers and footers never reach it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rag.clean import Document, clean
from rag.errors import DocumentError

HTML_SUFFIXES = (".html", ".htm")
# Fewer words than this is a menu or a stub, not an article: "Home", "hi". The shortest article
# trafilatura extracts from the 45 pages of shared/corpora/web-news has 123 words.
MIN_ARTICLE_WORDS = 10
_MARKUP = re.compile(r"<\s*(!doctype|html|head|body|p|div|article|title)\b", re.IGNORECASE)


def html_document(data: bytes | str, source: str, url: str = "") -> Document:
    """The article in a saved web page, with title, date, author, site name, URL and language.

    Pass the page's bytes when you have them: trafilatura decodes them by the page's charset.

    ``url`` is where the page was fetched from; the page's own canonical URL wins over it.
    Raises DocumentError when ``data`` is not HTML or holds no article text.
    """
    import trafilatura

    head = data[:65536] if isinstance(data, str) else data[:65536].decode("latin-1")
    if not _MARKUP.search(head):
        raise DocumentError(f"{source} is not an HTML page (no <html>, <body> or <p> markup)")
    tree = trafilatura.load_html(data)  # bytes are decoded by the page's own charset
    found = (
        trafilatura.extract(
            tree, url=url or None, output_format="json", with_metadata=True, include_comments=False
        )
        if tree is not None
        else None
    )
    page: dict[str, str | None] = json.loads(found) if found else {}
    text = page.get("text") or ""
    if len(text.split()) < MIN_ARTICLE_WORDS:
        raise DocumentError(f"{source}: no article text found in the page")
    meta = {
        "title": _declared_title(tree, page.get("title") or ""),
        "date": page.get("date") or "",
        "url": page.get("source") or url,  # trafilatura's JSON names the URL "source"
        "outlet": page.get("source-hostname") or page.get("hostname") or "",
        "author": page.get("author") or "",
    }
    return clean(text, source, meta)


def _declared_title(tree: Any, found: str) -> str:
    """``found`` (trafilatura's title), unless the page's own ``og:title``, ``<h1>`` and
    ``<title>`` all say something else: then the first of those. A CMS can fill its structured
    data with a placeholder: the Telegraph page of shared/corpora/web-news declares the
    headline "escenic", its CMS's name; on the other 44 pages trafilatura's title is in one of
    the three. ``tree`` is the page as trafilatura parsed it (an lxml element)."""
    shown = [
        *tree.xpath("//meta[@property='og:title']/@content"),
        *(h1.text_content() for h1 in tree.xpath("//h1")),
        *(title.text_content() for title in tree.xpath("//head/title")),
    ]
    declared = [" ".join(str(t).split()) for t in shown if str(t).strip()]
    if not declared or any(_words(found) in _words(title) for title in declared):
        return found
    return declared[0]


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))
