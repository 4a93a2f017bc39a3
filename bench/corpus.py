"""Make a larger synthetic corpus from the seed articles, for scale benchmarks.

Each synthetic article recombines real sentences from the seeds (so the text is realistic
Indonesian news prose) under a headline and a date, and differs from every other article.

    python bench/corpus.py OUT_DIR --chunks 10000
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from rag.chunk import sentences
from rag.clean import clean

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
CHUNKS_PER_ARTICLE = 9  # nine paragraphs of three seed sentences: ~9.4 chunks of <= 600 chars
MONTHS = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]


def seed_sentences() -> list[str]:
    out = []
    for path in sorted(SEEDS.glob("*.txt")):
        doc = clean(path.read_text(encoding="utf-8"), path.name)
        for start, end in doc.paragraphs:
            out += [doc.text[s:e] for s, e in sentences(doc.text, start, end)]
    return out


def make_corpus(out: Path, chunks: int, seed: int = 7) -> int:
    """Write articles of about nine 600-character chunks each until ``chunks`` is reached."""
    rng = random.Random(seed)
    pool = seed_sentences()
    out.mkdir(parents=True, exist_ok=True)
    articles = max(1, chunks // CHUNKS_PER_ARTICLE)
    for n in range(articles):
        title = " ".join(rng.choice(pool).split()[:9]).rstrip(",.;:")
        date = f"{rng.randint(1, 28)} {rng.choice(MONTHS)} {rng.randint(2019, 2024)}"
        paragraphs = [" ".join(rng.sample(pool, 3)) for _ in range(9)]
        body = "\n\n".join(paragraphs)
        (out / f"synthetic_{n:06d}.txt").write_text(
            f"{title} {n}\n\nKamis, {date}\n\nJAKARTA - {body}\n", encoding="utf-8"
        )
    return articles


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--chunks", type=int, default=1000)
    args = parser.parse_args()
    print(f"wrote {make_corpus(args.out, args.chunks)} articles to {args.out}")
