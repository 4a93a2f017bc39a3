"""Timelines and summary answers: latency and how many events carry a date from their text.

    python bench/bench_timeline.py [--web-news ../shared/corpora/web-news/pages]

On the seeds and on the 45 real web pages of the shared web-news corpus (many languages; kabar
reads event dates in English and Indonesian), builds the timeline of a few topics and asks a
summary question for each, warm. Prints the figures and writes bench/results/timeline.json.
Target (2-core CPU): a timeline or a summary answer within the time of a search plus 1 s.
The index is built with the configured embedder; ``llm`` is extractive, but summary answers
use no model whichever is configured.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from corpus import SEEDS

from rag import RAG, Settings

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent
WEB_NEWS = ROOT.parent / "shared" / "corpora" / "web-news" / "pages"
TOPICS = {
    "seeds": ["Kim Jong Un and Russia", "Kunjungan Shoigu ke Pyongyang", "Kim Jong Un di Rusia"],
    "web-news": [
        "US carbon emissions in 2019",
        "surgical masks stolen in Japan",
        "UK academics on insecure contracts",
        "gas from Russia to Europe through Ukraine",
    ],
}


def measure(engine: RAG, topics: list[str]) -> dict[str, float]:
    """Warm latencies and event counts over ``topics``."""
    engine.search(topics[0], k=5)  # warm: loads the embedder and the lexical index
    search_s, timeline_s, summary_s, events, from_text = [], [], [], [], []
    for topic in topics:
        started = time.perf_counter()
        engine.search(topic, k=30)
        search_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        timeline = engine.timeline(topic)
        timeline_s.append(time.perf_counter() - started)
        events.append(len(timeline.events))
        from_text.append(sum(e.precision != "reported" for e in timeline.events))
        started = time.perf_counter()
        engine.ask(f"What happened: {topic}?")
        summary_s.append(time.perf_counter() - started)
    return {
        "topics": len(topics),
        "search_k30_p50_s": statistics.median(search_s),
        "timeline_p50_s": statistics.median(timeline_s),
        # what the timeline adds to its search (the search itself is dominated by embedding
        # the query, which swings with the machine's load)
        "timeline_over_search_p50_s": statistics.median(
            t - s for t, s in zip(timeline_s, search_s, strict=True)
        ),
        "summary_answer_p50_s": statistics.median(summary_s),
        "events_mean": statistics.mean(events),
        "events_dated_from_text_share": sum(from_text) / max(sum(events), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--web-news", type=Path, default=WEB_NEWS)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as work:
        for name, corpus in (("seeds", SEEDS), ("web-news", args.web_news)):
            if not corpus.exists():
                print(f"{name}: {corpus} not found, skipped")
                continue
            engine = RAG(Settings(index_dir=str(Path(work) / name), llm="extractive"))
            engine.ingest([corpus])
            results[name] = measure(engine, TOPICS[name])
            print(name, json.dumps(results[name], indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "timeline.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"wrote {RESULTS / 'timeline.json'}")


if __name__ == "__main__":
    main()
