"""Raw articles: what a source yields before cleaning, and what it says when it cannot."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rag.config import Settings
from rag.fetch import Fetcher

Kind = Literal["text", "html"]


@dataclass(frozen=True)
class Body:
    """An article's content: plain text, or an HTML page for ``rag.extract``."""

    data: str | bytes
    kind: Kind = "text"
    note: str = ""
    """Something the user should know about how it was read (the feed's text stood in)."""
    fallback: Body | None = None
    """Read instead when this body holds no article (a feed entry's own text for its page)."""


@dataclass(frozen=True)
class RawArticle:
    """One article as its source gives it, before cleaning."""

    source: str
    """Its name in the index: the URL when it has one, else a file name or ``file.jsonl#id``."""
    origin: str
    """Where it came from: a folder or file path, a feed or page URL, ``upload`` or ``api``.
    ``--prune`` removes only articles whose origin is among the targets being pruned."""
    load: Callable[[], Body]
    """Reads the body; raises DocumentError with the reason when it cannot."""
    meta: Mapping[str, str] = field(default_factory=dict)
    """What the source says about it (title, date, url, outlet, author, language): wins over
    what cleaning reads from the text."""
    version: str = ""
    """A stamp that changes when the article does (a feed entry's update time). When the index
    holds the same stamp from the same origin, the article is not loaded (or fetched) again."""


@dataclass(frozen=True)
class Failed:
    """Something that could not be read, with the reason; ``skipped`` for files kabar ignores."""

    name: str
    reason: str
    skipped: bool = False


Item = RawArticle | Failed


@dataclass(frozen=True)
class Context:
    """What readers need: the settings, an HTTP client, and the record field mapping."""

    settings: Settings
    fetcher: Fetcher
    fields: Mapping[str, str] = field(default_factory=dict)
    """Record field -> column, overriding the defaults (``{"text": "body"}``)."""


Content = Path | bytes
"""A file to read, or the bytes of one (an upload)."""
Reader = Callable[[Content, str, str, Context], Iterator[Item]]
"""Reads one file: ``reader(content, name, origin, context)`` yields its articles and failures."""
