"""BM25 over the stored chunks, persisted beside the index and rebuilt only when they change."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np

# Function words of the languages kabar answers in: they carry no topic and would make a
# question look like it shares vocabulary with the articles. German, Spanish and French words
# that are content words in English or Indonesian ("die", "war", "son", "sin") are left out.
STOPWORDS = frozenset(
    """a an and are as at be by did do does for from had has have he her his how in into is it
    its of on or she that the their them they this to was were what when where which who whom
    why will with would about after before did than then there these those also can could
    ada adalah akan apa atas bagaimana bahwa bagi dalam dan dari dengan di ia ini itu juga ke
    kepada kapan mana mereka oleh pada para saat sebagai sejak siapa telah tentang untuk yang
    tersebut karena secara lebih sudah masih bisa dapat hanya antara berapa mengapa
    kenapa
    der das den dem des ein eine einen einem einer eines und oder aber ist sind wird wurde
    wurden werden hat haben hatte im auf für mit von zu zum zur bei aus nach über unter vor wie
    wer wann wo warum welche welcher welches nicht auch noch nur sich sie er ihr ihre sein
    seine dass als am vom durch gegen bis
    el la los las un una unos unas y pero fue fueron ser está están ha había de del en
    con por para sobre entre que qué quién quiénes cuándo dónde cómo cuál cuáles cuánto
    cuántos porque se su sus lo le les más muy ya también este esta estos estas ese esa
    le les une des du et ou mais est sont était été être ont avait au aux dans pour sur avec
    sans qui quoi quand où comment pourquoi quel quelle quels quelles combien ce cette ces sa
    ses leur leurs il elle ils elles ne pas très aussi""".split()
)
_TOKEN = re.compile(r"\w+")


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stopwords; hyphenated names split into their parts."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return [t for t in _TOKEN.findall(folded) if t not in STOPWORDS and (len(t) > 1 or t.isdigit())]


COLUMNS = ("source", "outlet", "language", "date_num")
"""Chunk metadata kept beside BM25 so that search filters can mask it."""


class LexicalIndex:
    """A bm25s index over chunk texts, keyed by the store revision it was built from."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.revision = ""
        self.ids: list[str] = []
        self.columns: dict[str, np.ndarray] = {}
        self._bm25: Any = None
        self._load()

    def _load(self) -> None:
        meta_file = self.folder / "chunks.json"
        if not meta_file.exists():
            return
        import bm25s

        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            columns = {c: meta["columns"][c] for c in COLUMNS}
            bm25 = (
                bm25s.BM25.load(str(self.folder / "bm25"), show_progress=False)
                if meta["ids"]
                else None
            )
        except (OSError, ValueError, KeyError, TypeError):
            return  # a damaged or older cache is rebuilt from the store on next use
        self._set(meta["revision"], meta["ids"], columns, bm25)

    def _set(self, revision: str, ids: list[str], columns: dict[str, list[Any]], bm25: Any) -> None:
        self.revision, self.ids, self._bm25 = revision, ids, bm25
        self.columns = {name: np.asarray(values) for name, values in columns.items()}

    def values(self, column: str) -> set[str]:
        """The distinct values of a metadata column (known outlets, sources, languages)."""
        return {str(v) for v in self.columns.get(column, ())}

    def build(
        self, revision: str, ids: list[str], texts: list[str], columns: dict[str, list[Any]]
    ) -> None:
        """Index ``texts`` with their metadata ``columns`` (``COLUMNS``), written atomically
        (a crash leaves the old index)."""
        import bm25s

        bm25 = None
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".lexical-", dir=self.folder.parent))
        if ids:
            bm25 = bm25s.BM25()
            bm25.index([tokenize(t) or ["\x00"] for t in texts], show_progress=False)
            bm25.save(str(staging / "bm25"), show_progress=False)
        meta = {"revision": revision, "ids": ids, "columns": columns}
        (staging / "chunks.json").write_text(json.dumps(meta), encoding="utf-8")
        old = self.folder.with_name(self.folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.folder.exists():
            os.replace(self.folder, old)
        os.replace(staging, self.folder)
        shutil.rmtree(old, ignore_errors=True)
        self._set(revision, ids, columns, bm25)

    def vocabulary_coverage(self, query: str) -> float:
        """Share of the question's content words that occur in the corpus (0 to 1)."""
        tokens = tokenize(query)
        if not tokens or self._bm25 is None:
            return 0.0
        vocab = self._bm25.vocab_dict
        return sum(1 for t in tokens if t in vocab) / len(tokens)

    def unseen(self, text: str) -> set[str]:
        """The words of ``text`` (tokenized as for search) that no indexed passage holds; none
        while nothing is indexed."""
        if self._bm25 is None:
            return set()
        vocab = self._bm25.vocab_dict
        return {t for t in tokenize(text) if t not in vocab}

    def search(self, query: str, n: int, mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        """Up to ``n`` (chunk id, BM25 score) pairs with a positive score, best first."""
        if self._bm25 is None or not self.ids:
            return []
        vocab = self._bm25.vocab_dict
        tokens = [t for t in tokenize(query) if t in vocab]
        if not tokens:
            return []
        k = min(n, len(self.ids))
        docs, scores = self._bm25.retrieve(
            [tokens], k=k, show_progress=False, weight_mask=mask, n_threads=0
        )
        return [
            (self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0
        ]
