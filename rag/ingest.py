"""Ingest: read, clean, chunk, embed and store articles; report what happened to each file.

Re-ingesting unchanged text writes nothing (chunk ids are content hashes); a changed file gets
its new chunks written before its stale ones are deleted, so a crash never loses an article.
A copy of every ingested article is kept in ``<index_dir>/articles`` for reindexing and display.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rag.chunk import Chunk, chunk
from rag.clean import Document, clean
from rag.config import Settings
from rag.embed import Embedder
from rag.errors import DocumentError
from rag.read import decode, discover, read_text
from rag.store import Store

Progress = Callable[[int, int, str], None]
"""Called as ``progress(done, total, current_file)`` while ingesting."""


@dataclass
class IngestReport:
    """What an ingest did, file by file."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    """File name (or path) -> why it was not ingested."""
    chunks_written: int = 0
    chunks_deleted: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.removed)} removed, "
            f"{len(self.failed)} failed; {self.chunks_written} chunks written, "
            f"{self.chunks_deleted} deleted in {self.seconds:.1f} s"
        )

    def to_dict(self) -> dict[str, object]:
        return {**self.__dict__, "summary": self.summary()}


def safe_name(name: str) -> str:
    """A file name that cannot leave its folder: the base name, unsafe characters replaced."""
    base = re.split(r"[\\/]", name)[-1].strip()
    base = re.sub(r"[^\w.\- ]", "_", base).strip(" .")
    if not base:
        raise DocumentError(f"{name!r} is not a usable file name")
    return base[:200]


class Ingestor:
    """Writes articles into one store; used by ``RAG.ingest`` under the index's write lock."""

    def __init__(self, settings: Settings, store: Store, embedder: Embedder) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.articles = settings.index_path / "articles"

    def ingest_paths(
        self, paths: Iterable[str | Path], prune: bool = False, progress: Progress | None = None
    ) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        files, errors = discover(paths)
        report.failed.update(errors)
        names: dict[str, Path] = {}
        for path in files:
            name = safe_name(path.name)
            if name in names:
                report.failed[str(path)] = (
                    f"another file named {name} is in this ingest ({names[name]})"
                )
            else:
                names[name] = path
        for done, (name, path) in enumerate(names.items()):
            if progress:
                progress(done, len(names), name)
            try:
                self._ingest_one(name, read_text(path, self.settings.max_file_bytes), report)
            except DocumentError as exc:
                report.failed[name] = str(exc)
        if progress:
            progress(len(names), len(names), "")
        if prune:
            for source in sorted(self.sources() - set(names)):
                report.chunks_deleted += self.remove(source)
                report.removed.append(source)
        report.seconds = time.perf_counter() - started
        return report

    def ingest_bytes(self, name: str, data: bytes) -> IngestReport:
        """Ingest one uploaded article; its bytes are decoded like a file's."""
        started = time.perf_counter()
        report = IngestReport()
        try:
            source = safe_name(name)
            if Path(source).suffix.lower() not in (".txt", ".md"):
                raise DocumentError(f"{source}: only .txt and .md articles can be added")
            if len(data) > self.settings.max_file_bytes:
                raise DocumentError(
                    f"{source} is {len(data) / 2**20:.1f} MiB, over the "
                    f"{self.settings.max_file_bytes / 2**20:.0f} MiB limit"
                )
            self._ingest_one(source, decode(data, source), report)
        except DocumentError as exc:
            report.failed[name] = str(exc)
        report.seconds = time.perf_counter() - started
        return report

    def _ingest_one(self, source: str, text: str, report: IngestReport) -> None:
        doc = clean(text, source)
        chunks = chunk(doc, self.settings.chunk_chars)
        if not chunks:
            raise DocumentError(
                f"{source}: no article text is left once site boilerplate is removed"
            )
        existing = self.store.chunk_ids(source)
        wanted = {c.chunk_id for c in chunks}
        if existing == wanted:
            report.unchanged.append(source)
            return
        self.store.bump_revision()  # first, so an interrupted write still invalidates BM25
        fresh = [c for c in chunks if c.chunk_id not in existing]
        self._keep_copy(doc)
        self._write(doc, fresh, chunks)
        stale = sorted(existing - wanted)
        self.store.delete(stale)
        self.store.bump_revision()
        report.chunks_written += len(fresh)
        report.chunks_deleted += len(stale)
        (report.updated if existing else report.added).append(source)

    def _write(self, doc: Document, fresh: list[Chunk], chunks: list[Chunk]) -> None:
        batch = 64
        for i in range(0, len(fresh), batch):
            part = fresh[i : i + batch]
            self.store.upsert(doc, part, self.embedder.passages([c.text for c in part]))
        kept = [c for c in chunks if c not in fresh]
        if kept:  # unchanged passages of an edited article: refresh their article metadata
            self.store.refresh_metadata(doc, kept)

    def _keep_copy(self, doc: Document) -> None:
        self.articles.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.articles, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogatepass", newline="") as f:
            f.write(doc.text)
        os.replace(tmp, self.articles / doc.source)

    def sources(self) -> set[str]:
        return {r.metadata.get("source", "") for r in self.store.records()}

    def remove(self, source: str) -> int:
        """Delete one article's chunks and its kept copy; returns the number of chunks deleted."""
        ids = sorted(self.store.chunk_ids(source))
        if ids:
            self.store.bump_revision()
            self.store.delete(ids)
            self.store.bump_revision()
        (self.articles / safe_name(source)).unlink(missing_ok=True)
        return len(ids)
