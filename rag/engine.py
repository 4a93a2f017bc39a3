"""``RAG``: the public entry point that ties the stages together for Python users, CLI and UI."""

from __future__ import annotations

import functools
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from rag.answer import Answer, Answerer, Sources, language_note
from rag.calibration import Calibration, load
from rag.clean import Document
from rag.config import Settings
from rag.embed import Embedder, get_embedder
from rag.errors import InputError, KabarError
from rag.fetch import Fetcher
from rag.ingest import Ingestor, IngestReport, Progress, kept_articles, kept_document
from rag.language import question_language
from rag.lexical import LexicalIndex
from rag.prompts import not_in_sources
from rag.raw import Context, Item
from rag.search import Filters, Hit, Retriever
from rag.sources import read_targets, read_upload, text_article
from rag.store import Store
from rag.timeline import Timeline, build_timeline, is_summary
from rag.when import reference_date

TIMELINE_MODEL = "timeline"
"""``Answer.model`` of summary answers, which are written from the timeline, not by a model."""
TIMELINE_PASSAGES = 30
"""Passages a timeline reads: every passage of the five seeds (30); on the 45 web-news pages
the 30 passages nearest a topic come from about a dozen articles."""
MAX_K = 100
"""Passages one search or answer may ask for."""


@dataclass(frozen=True)
class ArticleInfo:
    """An indexed article as listed in the UI and by ``kabar articles``."""

    source: str
    doc_id: str
    title: str
    outlet: str
    city: str
    date: str
    chunks: int
    url: str = ""
    origin: str = ""
    """Where it came from: a folder, file, feed or page URL, ``upload`` or ``api``."""


class RAG:
    """Search and answer over an index of news articles.

    >>> rag = RAG(Settings(index_dir=".kabar"))      # or RAG() for defaults from KABAR_* env
    >>> rag.ingest(["seeds/"]).summary()
    >>> rag.search("What did Kim inspect in Vladivostok?", k=5)
    """

    def __init__(self, settings: Settings | None = None, **overrides: Any) -> None:
        base = settings if settings is not None else Settings.from_env()
        self.settings = base.replace(**overrides)

    @functools.cached_property
    def embedder(self) -> Embedder:
        return get_embedder(self.settings.embedder)

    @functools.cached_property
    def store(self) -> Store:
        return Store(self.settings, self.embedder.name, self.embedder.dim)

    @functools.cached_property
    def calibration(self) -> Calibration:
        """The thresholds for this index's embedder (see ``rag.calibration``)."""
        return load(self.settings.index_path, self.embedder.name)

    @functools.cached_property
    def _lexical(self) -> LexicalIndex:
        return LexicalIndex(self.settings.index_path / "lexical" / self.settings.collection)

    @property
    def _ingestor(self) -> Ingestor:
        return Ingestor(self.settings, self.store, self.embedder)

    # -- writing ------------------------------------------------------------------------------

    def ingest(
        self,
        paths: Iterable[str | Path] | str | Path,
        prune: bool = False,
        progress: Progress | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> IngestReport:
        """Add or update the articles in ``paths``: files, folders, record dumps, web page and
        feed URLs. ``fields`` maps record fields to your columns (``{"text": "body"}``).

        With ``prune``, indexed articles that came from these folders, files or feeds and are no
        longer there are removed; articles from elsewhere (uploads, other folders) are kept.
        Problems are reported per item in ``IngestReport.failed``; they never stop the others.
        URLs may point anywhere, loopback and private networks included: this is the user's
        own machine (the HTTP API and web chat use ``add_url``, which checks).
        """
        targets = [paths] if isinstance(paths, str | Path) else list(paths)
        with Fetcher(self.settings, allow_private=True) as fetcher:
            items = read_targets(targets, Context(self.settings, fetcher, dict(fields or {})))
            return self._ingest(items, targets if prune else (), progress)

    def add_article(
        self,
        name: str,
        data: bytes | str,
        origin: str = "upload",
        fields: Mapping[str, str] | None = None,
    ) -> IngestReport:
        """Ingest one uploaded file (any type ``ingest`` reads, by its name's suffix) or text.

        ``origin`` records where it came from (``upload`` for the web chat, ``api`` for the HTTP
        API): such articles survive ``ingest --prune`` of any folder. Links in an uploaded feed
        are fetched under the server's rules (``allow_private_urls``).
        """
        raw = data.encode("utf-8") if isinstance(data, str) else data
        with Fetcher(self.settings, allow_private=self.settings.allow_private_urls) as fetcher:
            context = Context(self.settings, fetcher, dict(fields or {}))
            return self._ingest(read_upload(name, raw, origin, context))

    def add_text(
        self,
        text: str,
        name: str = "",
        meta: Mapping[str, str] | None = None,
        origin: str = "api",
    ) -> IngestReport:
        """Ingest an article given as text, named ``name`` (or by a hash of the text); ``meta``
        (title, date, outlet, author, language) wins over what is read from the text."""
        with Fetcher(self.settings, allow_private=False) as fetcher:
            context = Context(self.settings, fetcher)
            return self._ingest(text_article(text, name, origin, dict(meta or {}), context))

    def add_url(self, url: str) -> IngestReport:
        """Ingest a web page or a feed for the HTTP API and web chat: unless the setting
        ``allow_private_urls`` is on, loopback and private-network addresses are refused."""
        with Fetcher(self.settings, allow_private=self.settings.allow_private_urls) as fetcher:
            return self._ingest(read_targets([url], Context(self.settings, fetcher)))

    def _ingest(
        self,
        items: Iterable[Item],
        prune: Sequence[str | Path] = (),
        progress: Progress | None = None,
    ) -> IngestReport:
        with self._write_lock():
            self.store.sync()
            report = self._ingestor.ingest(items, prune=prune, progress=progress)
            self._refresh_lexical()
        return report

    def remove(self, source: str) -> int:
        """Remove an article (by source: file name or URL) from the vector store and BM25."""
        with self._write_lock():
            self.store.sync()
            removed = self._ingestor.remove(source)
            self._refresh_lexical()
        return removed

    def reindex(self, progress: Progress | None = None) -> IngestReport:
        """Rebuild the whole index with the configured embedder from the kept article copies,
        keeping each article's source, provenance and metadata."""
        with self._write_lock():
            store = Store(self.settings, self.embedder.name, self.embedder.dim, verify=False)
            store.reset()
            self.__dict__["store"] = store
            articles = kept_articles(self.settings.index_path / "articles")
            report = self._ingestor.ingest(articles, progress=progress)
            self._refresh_lexical()
        return report

    def _write_lock(self) -> FileLock:
        self.settings.index_path.mkdir(parents=True, exist_ok=True)
        return _Lock(self.settings.index_path / "write.lock", self.settings.lock_timeout)

    # -- reading ------------------------------------------------------------------------------

    def search(self, query: str, k: int | None = None, filters: Filters | None = None) -> list[Hit]:
        """The ``k`` most relevant passages for ``query`` (English or Indonesian).

        ``filters`` restricts sources, outlets, dates and language; a period the query names
        ("last week", "Juli 2023") filters dates when ``filters`` has none.
        """
        query, k = self._check_question(query), self._check_k(k)
        return self._retriever.search(query, k, filters or Filters())

    def ask(
        self,
        question: str,
        history: Sequence[dict[str, str]] | None = None,
        llm: str | None = None,
        k: int | None = None,
        filters: Filters | None = None,
    ) -> Answer:
        """A cited answer to ``question``; ``history`` is the conversation so far (follow-ups).

        ``llm`` overrides the configured model for this call (a litellm model string,
        ``local/qwen2.5-1.5b`` or ``extractive``); ``k`` the number of passages it reads;
        ``filters`` which articles it may read (as in ``search``).
        """
        final = None
        for item in self.stream(question, history, llm, k, filters):
            final = item
        assert isinstance(final, Answer)
        return final

    def stream(
        self,
        question: str,
        history: Sequence[dict[str, str]] | None = None,
        llm: str | None = None,
        k: int | None = None,
        filters: Filters | None = None,
    ) -> Iterator[str | Sources | Answer]:
        """Like ``ask``, but yields the Sources the answer will use (before the model starts),
        then text deltas as they are generated, then the final Answer."""
        question, turns = self._check_question(question), _check_history(history)
        if is_summary(question) and not turns:
            return self._summarise(question, filters or Filters())
        return self.answerer().stream(question, turns, llm, self._check_k(k), filters or Filters())

    def _summarise(self, question: str, filters: Filters) -> Iterator[str | Sources | Answer]:
        """A summary answer: one cited line per dated event of the question's timeline.

        No model writes it: the lines quote the articles, so it is as fast and as grounded as
        a timeline, whichever model is configured.
        """
        clock = time.perf_counter()
        events = self.timeline(question, filters=filters).summary()
        language = question_language(question)
        if not events.events:
            text = not_in_sources(language, self.settings)
            yield text
            yield Answer(
                question, text, (), True, TIMELINE_MODEL, question, abstain_reason="retrieval"
            )
            return
        citations = events.citations
        yield Sources(question, citations)
        text = "\n".join(events.lines())
        cited = [c.passage.language for c in citations]
        if note := language_note(text, cited, language, self.settings):
            text = f"{text}\n\n{note}"
        yield text
        yield Answer(
            question,
            text,
            citations,
            False,
            TIMELINE_MODEL,
            question,
            tuple(c.passage for c in citations),
            timings={"total": time.perf_counter() - clock},
        )

    def timeline(
        self, topic: str, k: int | None = None, filters: Filters | None = None
    ) -> Timeline:
        """Dated, cited events about ``topic`` across the articles, in order (no model).

        Reads the ``k`` (default ``TIMELINE_PASSAGES``) passages most relevant to ``topic``.
        """
        topic = self._check_question(topic)
        k = self._check_k(TIMELINE_PASSAGES if k is None else k)
        return build_timeline(topic, self._retriever.search(topic, k, filters or Filters()))

    @property
    def _retriever(self) -> Retriever:
        reference = reference_date(self.settings.as_of)
        return Retriever(self.store, self._lexical, self.embedder, reference)

    def answerer(self, calibration: Calibration | None = None) -> Answerer:
        """The answer step over this index; ``calibration`` replaces the index's own, to
        measure other thresholds on stored drafts (``bench/replay_checks.py``)."""
        return Answerer(
            self.settings, self._retriever, self.embedder, calibration or self.calibration
        )

    def articles(self) -> list[ArticleInfo]:
        """Every indexed article with its metadata, sorted by date then source."""
        chunks: Counter[str] = Counter()
        first: dict[str, dict[str, Any]] = {}
        for meta in self.store.metadatas():
            chunks[meta["source"]] += 1
            first.setdefault(meta["source"], meta)
        articles = [
            ArticleInfo(
                source,
                m.get("doc_id", ""),
                m.get("title", ""),
                m.get("outlet", ""),
                m.get("city", ""),
                m.get("date", ""),
                chunks[source],
                m.get("url", ""),
                m.get("origin", ""),
            )
            for source, m in first.items()
        ]
        return sorted(articles, key=lambda a: (a.date, a.source))

    def article_text(self, source: str) -> str:
        """The original text of an indexed article (as kept at ingest)."""
        return self.article(source).text

    def article(self, source: str) -> Document:
        """An indexed article as cleaned at ingest: its original text, kept paragraphs, metadata
        and ``removed`` lines with the reason for each (``Document.removed_lines()``)."""
        return kept_document(self.settings.index_path / "articles", source)

    def _check_k(self, k: object) -> int:
        k = self.settings.top_k if k is None else k
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
            raise InputError(f"k must be a whole number from 1 to {MAX_K}, not {k!r}")
        return k

    def _check_question(self, question: object) -> str:
        if not isinstance(question, str) or not question.strip():
            raise InputError("the question is empty")
        if len(question) > self.settings.max_question_chars:
            raise InputError(
                f"the question is {len(question)} characters long; the limit is "
                f"{self.settings.max_question_chars} (KABAR_MAX_QUESTION_CHARS)"
            )
        return question.strip()

    def _refresh_lexical(self) -> None:
        self._retriever.refresh()


def _check_history(history: object) -> list[dict[str, str]]:
    """The conversation as a list of {"role", "content"} turns; InputError when malformed."""
    if history is None:
        return []
    if not isinstance(history, list | tuple):
        raise InputError("history must be a list of {'role': ..., 'content': ...} messages")
    turns = []
    for turn in history:
        if (
            not isinstance(turn, dict)
            or turn.get("role") not in ("user", "assistant", "system")
            or not isinstance(turn.get("content"), str)
        ):
            raise InputError(
                "each history message needs a role (user or assistant) and a text content"
            )
        turns.append({"role": turn["role"], "content": turn["content"]})
    return turns


class _Lock(FileLock):
    """The index's write lock; a second writer waits a while, then gets a clear error."""

    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__(str(path), timeout=timeout)

    def __enter__(self) -> _Lock:
        try:
            self.acquire()
        except Timeout:
            raise KabarError(
                f"another kabar process is writing to {Path(self.lock_file).parent}; "
                "try again when it has finished"
            ) from None
        return self
