"""The vector store: chromadb embedded in the index folder, or a ``chroma run`` server.

We always pass our own vectors (chromadb's default embedding function would download a model)
and record the embedder's name and dimension on the collection, refusing to mix models.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import numpy as np

from rag.chunk import Chunk
from rag.clean import Document
from rag.config import Settings
from rag.errors import IndexMismatchError, KabarError, SettingsError, StoreError

MAX_BATCH = 5000  # chromadb refuses batches over 5,461 records
EF_SEARCH = 400
"""How wide chromadb's HNSW graph search looks (its default is 100). Against an exact cosine
search over the three eval indexes' 483 questions, the default returned 0.996 of the exact top
20 on FacQA (1,378 chunks) and once lost a question's nearest passage altogether; 400 returns
all of them. At 100,000 chunks (``bench/bench_scale.py``) the whole search's p50 goes from
76 to 83 ms embedded, 99 to 110 ms through a server."""


@dataclass(frozen=True)
class Provenance:
    """Where an article came from (folder, file, feed or page URL, ``upload``, ``api``) and its
    source's version stamp (a feed entry's), stored on each of its chunks."""

    origin: str
    version: str = ""


Entry = tuple[Document, Chunk, Provenance]
"""A chunk to store with its article and the article's provenance."""


@dataclass(frozen=True)
class ArticleState:
    """What the store holds of one article: its chunk ids, origin and version stamp."""

    ids: frozenset[str]
    origin: str
    version: str


@dataclass(frozen=True)
class Record:
    """A stored chunk as read back: id, text, metadata and (for queries) cosine similarity."""

    chunk_id: str
    text: str
    metadata: dict[str, Any]
    similarity: float = 0.0


def make_client(settings: Settings) -> Any:
    """chromadb's HttpClient when ``chroma_url`` is set, else a PersistentClient in index_dir."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise SettingsError(
                f"KABAR_CHROMA_URL={settings.chroma_url!r} is not an http(s)://host:port address"
            )
        try:
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=client_settings,
            )
        except Exception as exc:  # chromadb raises ValueError/ConnectionError variants
            raise KabarError(
                f"cannot reach the chroma server at {settings.chroma_url} ({exc}); start one with "
                "`chroma run --path DIR --port N`, or unset KABAR_CHROMA_URL for the embedded store"
            ) from None
    settings.index_path.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(
            path=str(settings.index_path / "chroma"), settings=client_settings
        )
    except chromadb.errors.ChromaError as exc:  # unreadable, read-only or corrupt files
        raise StoreError(
            f"cannot open the index at {settings.index_path} ({exc}); check its permissions, "
            "or rebuild it into an empty folder: kabar --index-dir NEW ingest ..."
        ) from None


@dataclass
class Connection:
    """A process's chromadb client for one store, and the store revision its view has seen.

    chromadb keeps one in-memory view of an embedded store per process and path (every client
    on the path shares it), and that view does not see another process's writes. So kabar
    keeps one client per embedded path, shared by every ``Store`` on it; when the stored
    revision moves past what this process wrote or saw, the client is closed (the public
    ``close()``; the view is released with the last client) and opened again from disk. A
    server (``chroma_url``) is always current: each ``Store`` has its own client.
    """

    settings: Settings
    client: Any
    revision: str = ""

    def catch_up(self, revision: str) -> None:
        """Reopen the embedded client when another process moved the store to ``revision``."""
        with _CONNECTIONS_LOCK:
            if revision == self.revision:
                return
            if self.revision and not self.settings.chroma_url:
                self.client.close()
                self.client = make_client(self.settings)
            self.revision = revision


_CONNECTIONS: dict[str, Connection] = {}
"""The process's connection to each embedded store path (see ``Connection``)."""
_CONNECTIONS_LOCK = threading.Lock()


def connect(settings: Settings) -> Connection:
    """The shared connection to the embedded store in ``index_dir``, or a new server client."""
    if settings.chroma_url:
        return Connection(settings, make_client(settings))
    key = str((settings.index_path / "chroma").resolve())
    with _CONNECTIONS_LOCK:
        if key not in _CONNECTIONS:
            _CONNECTIONS[key] = Connection(settings, make_client(settings))
        return _CONNECTIONS[key]


class Store:
    """One chromadb collection of chunks for one embedder."""

    def __init__(
        self, settings: Settings, embedder_name: str, dim: int, verify: bool = True
    ) -> None:
        self.settings = settings
        self.embedder_name = embedder_name
        self.dim = dim
        self.connection = connect(settings)
        self._opened: tuple[Any, Any] = (self.client, self._open_collection())  # (client, its)
        self.sync()
        if verify:
            self.check_embedder()

    @property
    def client(self) -> Any:
        """The current chromadb client of this store's connection."""
        return self.connection.client

    @property
    def collection(self) -> Any:
        """The collection, opened again after the connection reopened its client."""
        client, collection = self._opened
        if client is not self.connection.client:
            collection = self._open_collection()
            self._opened = (self.connection.client, collection)
        return collection

    @property
    def location(self) -> str:
        return self.settings.chroma_url or str(self.settings.index_path)

    def check_embedder(self) -> None:
        """Raise IndexMismatchError when the collection was built with another embedder."""
        meta = self.collection.metadata or {}
        stored, dim = meta.get("embedder"), meta.get("dim")
        if stored != self.embedder_name or (dim is not None and int(dim) != self.dim):
            raise IndexMismatchError(
                f"the index at {self.location} was built with embedder {stored!r} ({dim}-d), "
                f"but the configured embedder is {self.embedder_name!r} ({self.dim}-d). "
                f"Rebuild it: kabar reindex --embedder {self.embedder_name} "
                f"(or keep using it with KABAR_EMBEDDER={stored})"
            )

    @property
    def revision(self) -> str:
        """A token that changes whenever the stored chunks change (keys the lexical index)."""
        fresh = self.client.get_collection(self.settings.collection, embedding_function=None)
        return str((fresh.metadata or {}).get("revision", ""))

    def bump_revision(self) -> None:
        """Mark a write by this process: a new revision this process's view already holds."""
        meta = dict(self.collection.metadata or {})
        meta["revision"] = self.known_revision = self.connection.revision = uuid.uuid4().hex
        self.collection.modify(metadata=meta)

    def sync(self) -> None:
        """Catch up with writes made by another process (see ``Connection``)."""
        self.known_revision = self.revision
        self.connection.catch_up(self.known_revision)

    def count(self) -> int:
        """Chunks stored."""
        return int(self.collection.count())

    def article_states(self, sources: list[str]) -> dict[str, ArticleState]:
        """What the store holds of each of ``sources`` (one query for all); absent ones omitted."""
        if not sources:
            return {}
        got = self.collection.get(where={"source": {"$in": sources}}, include=["metadatas"])
        ids: dict[str, set[str]] = {}
        first: dict[str, dict[str, Any]] = {}
        for chunk_id, meta in zip(got["ids"], got["metadatas"], strict=True):
            ids.setdefault(meta["source"], set()).add(chunk_id)
            first.setdefault(meta["source"], meta)
        return {
            source: ArticleState(
                frozenset(ids[source]),
                str(first[source].get("origin", "")),
                str(first[source].get("version", "")),
            )
            for source in ids
        }

    def upsert(self, entries: Sequence[Entry], vectors: np.ndarray) -> None:
        """Write chunks of any number of articles with their vectors, in chromadb-sized batches."""
        for i in range(0, len(entries), MAX_BATCH):
            batch = entries[i : i + MAX_BATCH]
            self.collection.upsert(
                ids=[c.chunk_id for _, c, _ in batch],
                embeddings=vectors[i : i + MAX_BATCH],
                documents=[c.text for _, c, _ in batch],
                metadatas=[_metadata(d, c, p) for d, c, p in batch],
            )

    def refresh_metadata(self, entries: Sequence[Entry]) -> None:
        """Rewrite stored chunks' article metadata (their article changed, or its origin)."""
        for i in range(0, len(entries), MAX_BATCH):
            batch = entries[i : i + MAX_BATCH]
            self.collection.update(
                ids=[c.chunk_id for _, c, _ in batch],
                metadatas=[_metadata(d, c, p) for d, c, p in batch],
            )

    def delete(self, ids: list[str]) -> None:
        for i in range(0, len(ids), MAX_BATCH):
            self.collection.delete(ids=ids[i : i + MAX_BATCH])

    def query(self, vector: np.ndarray, n: int, where: dict[str, Any] | None) -> list[Record]:
        if n <= 0:
            return []
        result = self.collection.query(
            query_embeddings=[vector],
            n_results=n,
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            Record(chunk_id, text, dict(meta), 1.0 - float(distance))
            for chunk_id, text, meta, distance in zip(
                result["ids"][0],
                result["documents"][0],
                result["metadatas"][0],
                result["distances"][0],
                strict=True,
            )
        ]

    def get(self, ids: list[str], query_vector: np.ndarray | None = None) -> dict[str, Record]:
        """Records by id; with ``query_vector``, their cosine similarity to it too."""
        if not ids:
            return {}
        include = ["documents", "metadatas"] + (["embeddings"] if query_vector is not None else [])
        got = self.collection.get(ids=ids, include=include)
        sims = (
            np.asarray(got["embeddings"], dtype=np.float32) @ query_vector
            if query_vector is not None
            else np.zeros(len(got["ids"]))
        )
        return {
            i: Record(i, t, dict(m), float(s))
            for i, t, m, s in zip(got["ids"], got["documents"], got["metadatas"], sims, strict=True)
        }

    def metadatas(self, page: int = 2000) -> Iterator[dict[str, Any]]:
        """Every stored chunk's metadata (no texts), read in pages: listing and pruning."""
        offset = 0
        while True:
            got = self.collection.get(include=["metadatas"], limit=page, offset=offset)
            yield from (dict(m) for m in got["metadatas"])
            if len(got["ids"]) < page:
                return
            offset += page

    def records(self, page: int = 2000) -> Iterator[Record]:
        """Every stored chunk, read in pages (for rebuilding the lexical index, listing docs)."""
        offset = 0
        while True:
            got = self.collection.get(include=["documents", "metadatas"], limit=page, offset=offset)
            for i, t, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                yield Record(i, t, dict(m))
            if len(got["ids"]) < page:
                return
            offset += page

    def reset(self) -> None:
        """Drop the collection and create it anew for this store's embedder."""
        self.client.delete_collection(self.settings.collection)
        self._opened = (self.client, self._open_collection())

    def _open_collection(self) -> Any:
        """The collection, created (cosine space, tagged with the embedder) when missing; one
        made before ``EF_SEARCH`` was raised is set to search as wide."""
        collection = self.client.get_or_create_collection(
            self.settings.collection,
            metadata={
                "embedder": self.embedder_name,
                "dim": self.dim,
                "revision": uuid.uuid4().hex,
            },
            configuration={"hnsw": {"space": "cosine", "ef_search": EF_SEARCH}},
            embedding_function=None,
        )
        hnsw = collection.configuration_json.get("hnsw") or {}  # no warning, unlike .configuration
        if hnsw.get("ef_search", EF_SEARCH) < EF_SEARCH:
            collection.modify(configuration={"hnsw": {"ef_search": EF_SEARCH}})
        return collection


def _metadata(doc: Document, chunk: Chunk, provenance: Provenance) -> dict[str, Any]:
    return {
        "origin": provenance.origin,
        "version": provenance.version,
        "doc_id": doc.doc_id,
        "source": doc.source,
        "title": doc.title,
        "outlet": doc.outlet,
        "city": doc.city,
        "date": doc.date,
        "date_num": int(doc.date.replace("-", "")) if doc.date else 0,
        "language": doc.language,
        "url": doc.url,
        "author": doc.author,
        "position": chunk.position,
        "start": chunk.start,
        "end": chunk.end,
        "spans": json.dumps(chunk.spans),
    }
