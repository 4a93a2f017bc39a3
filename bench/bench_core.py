"""Core speed: ingest throughput against the bare embedder, warm search latency, cold CLI time.

    python bench/bench_core.py [--chunks 300]

Prints the figures and writes bench/results/core.json. Targets (2-core CPU): ingest >= 0.85 of
the bare embedder's throughput; warm search p50 <= 20 ms on the seeds; cold search <= 3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpus import SEEDS, make_corpus

from rag import RAG, Settings
from rag.chunk import chunk
from rag.clean import clean
from rag.embed import get_embedder
from rag.evaluate import load_items
from rag.read import read_text

RESULTS = Path(__file__).resolve().parent / "results"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ingest_ratio(corpus: Path, work: Path) -> dict[str, float]:
    """Whole-pipeline chunks/s over bare-embedder chunks/s on the very same chunks."""
    settings = Settings(index_dir=str(work / "ingest"))
    embedder = get_embedder(settings.embedder)
    texts = []
    for path in sorted(corpus.glob("*.txt")):
        doc = clean(read_text(path, settings.max_file_bytes), path.name)
        texts += [c.text for c in chunk(doc, settings.chunk_chars)]
    embedder.passages(texts[:8])  # warm-up
    started = time.perf_counter()
    for i in range(0, len(texts), 64):
        embedder.passages(texts[i : i + 64])
    bare = len(texts) / (time.perf_counter() - started)
    started = time.perf_counter()
    report = RAG(settings).ingest([corpus])
    pipeline = report.chunks_written / (time.perf_counter() - started)
    return {
        "chunks": len(texts),
        "bare_chunks_per_s": bare,
        "pipeline_chunks_per_s": pipeline,
        "ratio": pipeline / bare,
    }


QUESTIONS = [i.question for i in load_items(SEEDS.parent / "eval" / "seed_set.jsonl")]


def latency_ms(engine: RAG, runs: int = 3) -> tuple[float, float]:
    """Warm search latency over the seed-set questions: (p50, p95) in milliseconds."""
    engine.search(QUESTIONS[0])  # warm-up: loads the lexical index
    timings = []
    for _ in range(runs):
        for question in QUESTIONS:
            started = time.perf_counter()
            engine.search(question, k=5)
            timings.append((time.perf_counter() - started) * 1000)
    return percentile(timings, 0.5), percentile(timings, 0.95)


def search_latency(work: Path, runs: int = 3) -> dict[str, float]:
    engine = RAG(Settings(index_dir=str(work / "seeds")))
    engine.ingest([SEEDS])
    p50, p95 = latency_ms(engine, runs)
    return {"queries": runs * len(QUESTIONS), "p50_ms": p50, "p95_ms": p95}


def cold_cli(work: Path, runs: int = 3) -> dict[str, float]:
    env = {**os.environ, "KABAR_INDEX_DIR": str(work / "seeds")}
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "rag.cli", "search", "Kinzhal", "--json"],
            env=env,
            check=True,
            capture_output=True,
        )
        walls.append(time.perf_counter() - started)
    return {"runs": runs, "median_s": statistics.median(walls), "max_s": max(walls)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=300, help="synthetic corpus size for ingest")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        make_corpus(work / "corpus", args.chunks)
        results = {
            "ingest": ingest_ratio(work / "corpus", work),
            "search_warm": search_latency(work),
            "search_cold_cli": cold_cli(work),
            "cpus": os.cpu_count(),
        }
    i, s, c = results["ingest"], results["search_warm"], results["search_cold_cli"]
    print(
        f"ingest   {i['chunks']} chunks: pipeline {i['pipeline_chunks_per_s']:.1f} chunks/s, "
        f"bare embedder {i['bare_chunks_per_s']:.1f} chunks/s, ratio {i['ratio']:.2f} "
        "(target >= 0.85)"
    )
    print(
        f"search   warm, seeds, {s['queries']} queries: p50 {s['p50_ms']:.1f} ms, "
        f"p95 {s['p95_ms']:.1f} ms (target p50 <= 20 ms)"
    )
    print(
        f"search   cold `kabar search`: median {c['median_s']:.2f} s, max {c['max_s']:.2f} s "
        f"(target <= 3 s)"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "core.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
