"""Cleaning quality: web pages from HTML and as plain text, the seeds, and FacQA.

    python bench/bench_extract.py [--corpora ../shared/corpora] [--show]

- web-news (45 real pages with gold snippets): the share of ``with`` snippets (article text)
  kept and of ``without`` snippets (menus, teasers, banners, footers) leaked, compared on
  casefolded ``\\w+`` words, (a) from the HTML through ``rag.extract.html_document`` and (b) from
  the pages rendered to their visible text, one line per block (as a scraper saves a page),
  through the plain-text cleaner ``rag.clean.clean``. trafilatura alone is the reference.
- seeds: lines kept and removed per article (tests/test_clean.py pins what must go).
- FacQA: passages that give at least one passage to index (none may be refused).
- language: ``question_language`` on short questions in five languages (bench/data) and the seed
  eval set, and on each web-news page against its language read by hand.

Prints a table and writes bench/results/extract.json. ``--show`` lists every missed and
leaked snippet.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path
from typing import Any

from lxml import html as lxml_html

from rag.chunk import chunk
from rag.clean import Document, clean
from rag.extract import html_document
from rag.language import question_language

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
# Elements that start a new line when a browser lays the page out.
BLOCKS = frozenset(
    "address article aside blockquote br dd details dialog div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary "
    "table td th tr ul option button label".split()
)
INVISIBLE = ("script", "style", "noscript", "template", "head", "svg", "iframe")


def render(data: bytes) -> str:
    """The visible text of a page, one line per block: what a scraper saves as ``.txt``."""
    tree = lxml_html.document_fromstring(data)
    for element in list(tree.iter(*INVISIBLE)):
        element.drop_tree()
    parts: list[str] = []

    def walk(element: Any) -> None:
        block = isinstance(element.tag, str) and element.tag in BLOCKS
        if block:
            parts.append("\n")
        if isinstance(element.tag, str) and element.text:
            parts.append(element.text)
        for child in element:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            parts.append("\n")

    walk(tree)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line) + "\n"


def words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def kept_text(doc: Document) -> str:
    return "\n".join(doc.text[s:e] for s, e in doc.paragraphs)


def score(pages: dict[str, str], gold: dict[str, Any], show: str = "") -> dict[str, Any]:
    """Share of ``with`` snippets kept and of ``without`` snippets leaked over all pages."""
    kept = total_with = leaked = total_without = 0
    for name, text in pages.items():
        found = words(text)
        for snippet in filter(None, map(words, gold[name]["with"])):
            total_with += 1
            kept += snippet in found
            if show and snippet not in found:
                print(f"  {show} missed  {name}: {snippet[:70]}")
        for snippet in filter(None, map(words, gold[name]["without"])):
            total_without += 1
            leaked += snippet in found
            if show and snippet in found:
                print(f"  {show} leaked  {name}: {snippet[:70]}")
    empty = sorted(name for name, text in pages.items() if not text.strip())
    return {
        "keep": round(kept / total_with, 3),
        "leak": round(leaked / total_without, 3),
        "pages": len(pages),
        "pages_lost": empty,
    }


def web_news(folder: Path, show: bool) -> dict[str, Any]:
    import trafilatura

    gold = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
    raw = {name: (folder / "pages" / name).read_bytes() for name in sorted(gold)}
    rendered = {name: render(data) for name, data in raw.items()}
    reference = {name: trafilatura.extract(data) or "" for name, data in raw.items()}
    from_html = {name: kept_text(html_document(data, name)) for name, data in raw.items()}
    as_text = {name: kept_text(clean(text, name + ".txt")) for name, text in rendered.items()}
    return {
        "trafilatura": score(reference, gold),
        "rendered text, nothing removed": score(rendered, gold),
        "html (kabar)": score(from_html, gold, "html" if show else ""),
        "text (kabar)": score(as_text, gold, "text" if show else ""),
    }


def text_dates(folder: Path) -> dict[str, Any]:
    """Publication dates read from each page saved as text, against the date the HTML's
    metadata gives (trafilatura's): same, missing, or another date (listed)."""
    dates = {}
    for page in sorted((folder / "pages").glob("*.html")):
        data = page.read_bytes()
        dates[page.name] = (html_document(data, page.name).date, clean(render(data), "p.txt").date)
    return {
        "pages": len(dates),
        "same": sum(html == text for html, text in dates.values()),
        "missing": sum(bool(html) and not text for html, text in dates.values()),
        "other": {name: pair for name, pair in dates.items() if pair[1] and pair[0] != pair[1]},
    }


# The language of each web-news page, read by hand (pages' lang attributes are often missing
# and one is wrong): German unless listed.
PAGE_LANGUAGES = {
    "abc13.com-Copperfield.html": "en",
    "acpjournals.org.3075.html": "en",
    "campograndenews.com.br-adolescente.html": "pt",
    "cbsnews.com.carolina.html": "en",
    "dailymail.co.uk.food.html": "en",
    "economictimes.indiatimes.com.slideshow.html": "en",
    "economist.com.thinking.html": "en",
    "heartlandnewsfeed.com-Christian.html": "en",
    "infobae.com-ucrania.html": "es",
    "japantimes.co.jp.surgical.html": "en",
    "kaieteurnewsonline.com-essequibo.html": "en",
    "medicalnewstoday.com.318674.html": "en",
    "metrotimes.com-Mezcal.html": "en",
    "mydailymagazine.com.halloween.html": "en",
    "nature.com.telescope.html": "en",
    "phys.org.tool.html": "en",
    "salon.com.emissions.html": "en",
    "telegraph.co.uk.plumber.html": "en",
    "theguardian.com.academics.html": "en",
    "ultimasnoticias.com.ve-ucraina.html": "es",
}


def languages(folder: Path) -> dict[str, Any]:
    """Accuracy of ``question_language`` on short questions and of page languages."""
    lines = (ROOT / "bench" / "data" / "questions_lang.jsonl").read_text("utf-8").splitlines()
    lines += (ROOT / "eval" / "seed_set.jsonl").read_text("utf-8").splitlines()
    questions = [json.loads(line) for line in lines if line.strip()]
    question_language("load the model first")
    started = time.perf_counter()
    wrong = [
        (q["lang"], got, q["question"])
        for q in questions
        if (got := question_language(q["question"])) != q["lang"]
    ]
    per_question = (time.perf_counter() - started) / len(questions)
    pages = {
        name: PAGE_LANGUAGES.get(name, "de")
        for name in sorted(json.loads((folder / "gold.json").read_text(encoding="utf-8")))
    }
    wrong_pages = [
        (name, lang, got)
        for name, lang in pages.items()
        if (got := html_document((folder / "pages" / name).read_bytes(), name).language) != lang
    ]
    return {
        "questions": len(questions),
        "questions_right": round(1 - len(wrong) / len(questions), 3),
        "questions_wrong": wrong,
        "pages": len(pages),
        "pages_right": round(1 - len(wrong_pages) / len(pages), 3),
        "pages_wrong": wrong_pages,
        "per_question_ms": round(per_question * 1000, 2),
    }


def seeds() -> dict[str, Any]:
    out = {}
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        doc = clean(path.read_text(encoding="utf-8"), path.name)
        out[path.name] = {"kept": len(doc.paragraphs), "removed": len(doc.removed)}
    return out


def facqa(folder: Path) -> dict[str, Any]:
    lines = (folder / "passages.jsonl").read_text(encoding="utf-8").splitlines()
    passages = [json.loads(line) for line in lines if line.strip()]
    refused = [
        p["i"] for p in passages if not chunk(clean(p["text"], f"facqa_{p['i']:04d}.txt"), 600)
    ]
    trimmed = sum(bool(clean(p["text"], "x.txt").removed) for p in passages)
    return {
        "passages": len(passages),
        "indexed": len(passages) - len(refused),
        "refused": refused,
        "with_lines_removed": trimmed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default=str(ROOT.parent / "shared" / "corpora"))
    parser.add_argument("--show", action="store_true", help="list missed and leaked snippets")
    args = parser.parse_args()
    corpora = Path(args.corpora)
    results = {
        "web-news": web_news(corpora / "web-news", args.show),
        "dates": text_dates(corpora / "web-news"),
        "seeds": seeds(),
        "facqa": facqa(corpora / "facqa"),
        "language": languages(corpora / "web-news"),
    }
    print(f"{'web-news (45 pages)':34} {'keep':>6} {'leak':>6} {'lost':>5}")
    for name, row in results["web-news"].items():
        print(f"{name:34} {row['keep']:6.3f} {row['leak']:6.3f} {len(row['pages_lost']):5d}")
    dates = results["dates"]
    print(
        f"dates of pages saved as text, against their HTML's: {dates['same']} of {dates['pages']} "
        f"the same, {dates['missing']} missing, {len(dates['other'])} another:"
    )
    for name, (html, text) in dates["other"].items():
        print(f"  {name}: {html} in the HTML, {text} in the text")
    print("seeds (kept / removed lines):")
    for name, row in results["seeds"].items():
        print(f"  {name:34} {row['kept']:3d} / {row['removed']:3d}")
    fac = results["facqa"]
    print(
        f"facqa: {fac['indexed']} of {fac['passages']} passages indexed "
        f"({fac['with_lines_removed']} with a line removed); refused: {fac['refused'][:20]}"
    )
    lang = results["language"]
    print(
        f"language: {lang['questions_right']:.3f} of {lang['questions']} short questions and "
        f"{lang['pages_right']:.3f} of {lang['pages']} web pages right "
        f"({lang['per_question_ms']} ms a question)"
    )
    for wrong in lang["questions_wrong"] + lang["pages_wrong"]:
        print("  wrong:", wrong)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "extract.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
