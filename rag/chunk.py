"""Cut a cleaned article into sentence-aligned passages of bounded size.

Each chunk keeps the exact character spans it came from. Chunks are embedded alone: the
article's context reaches them at ranking time instead (see ``rag.search``), which measured
better than prefixing every chunk with the title (that made all of an article's chunks alike).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from rag.clean import MONTHS, Document

# A sentence ends at . ! ? … (and any closing quotes or brackets) followed by white space.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*\s+")
# A lone full stop after an initial or one of these titles and abbreviations, or before a
# lower-case word, ends no sentence: "Dr. Kim", "Prof. Dr. Ir. Budi", "z. B. die", "J. K. Rowling".
_ABBREVIATIONS = frozenset(
    "dr drs dra prof ir hj mr mrs ms st jr sr no nr vs gen col lt sgt capt rep sen gov pres "
    "bzw ca hr fr sra mme mlle mgr".split()
)
_LAST_WORD = re.compile(r"(\w+)$")
_FIRST_WORD = re.compile(r"[^\W\d_]+")
_DAY = re.compile(r"\d\d")  # one digit ("5. November") is covered by the one-letter rule


@dataclass(frozen=True)
class Chunk:
    """A passage: its text and where it sits in the original article."""

    chunk_id: str
    doc_id: str
    source: str
    position: int
    text: str
    spans: tuple[tuple[int, int], ...]

    @property
    def start(self) -> int:
        return self.spans[0][0]

    @property
    def end(self) -> int:
        return self.spans[-1][1]


def chunk(doc: Document, max_chars: int) -> list[Chunk]:
    """Pack whole paragraphs (or, when a paragraph is too long, its sentences) into chunks."""
    pieces = [p for start, end in doc.paragraphs for p in _pieces(doc.text, start, end, max_chars)]
    groups: list[list[tuple[int, int]]] = []
    size = 0
    for start, end in pieces:
        length = end - start
        if groups and size + length + 1 <= max_chars and not _is_hard_cut(doc.text, groups[-1]):
            groups[-1].append((start, end))
            size += length + 1
        else:
            groups.append([(start, end)])
            size = length
    chunks: list[Chunk] = []
    occurrences: dict[str, int] = {}
    for position, spans in enumerate(groups):
        text = "\n".join(doc.text[s:e] for s, e in spans)
        key = f"{doc.source}\x00{text}"
        occurrences[key] = occurrences.get(key, 0) + 1
        digest = hashlib.sha256(f"{key}\x00{occurrences[key]}".encode("utf-8", "surrogatepass"))
        chunks.append(
            Chunk(
                chunk_id=digest.hexdigest()[:24],
                doc_id=doc.doc_id,
                source=doc.source,
                position=position,
                text=text,
                spans=tuple(spans),
            )
        )
    return chunks


def sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text[start:end]``, trimmed of white space."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if not _ends_sentence(text, match.start(), match.end()):
            continue
        spans.append((cursor, match.end() - len(match.group()) + len(match.group().rstrip())))
        cursor = match.end()
    if cursor < end:
        spans.append((cursor, end))
    return [_trim(text, s, e) for s, e in spans if text[s:e].strip()]


def _ends_sentence(text: str, mark: int, after: int) -> bool:
    """Whether the punctuation at ``mark`` (white space up to ``after``) ends a sentence."""
    if text[mark] != "." or text[mark + 1 : mark + 2] == ".":
        return True
    if after < len(text) and text[after].islower():
        return False
    word = _LAST_WORD.search(text, max(0, mark - 12), mark)
    if not word:
        return True
    if _DAY.fullmatch(word.group()) and (month := _FIRST_WORD.match(text, after)):
        return month.group().casefold() not in MONTHS  # a day: "am 01. März", "12. Dezember"
    return not (len(word.group()) == 1 or word.group().casefold() in _ABBREVIATIONS)


def _pieces(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """The paragraph itself if it fits, else its sentences, hard-cut when one is too long."""
    if end - start <= max_chars:
        return [(start, end)]
    out: list[tuple[int, int]] = []
    for s, e in sentences(text, start, end):
        while e - s > max_chars:
            cut = text.rfind(" ", s + max_chars // 2, s + max_chars)
            cut = cut if cut > s else s + max_chars
            out.append(_trim(text, s, cut))
            s = cut
            while s < e and text[s].isspace():
                s += 1
        if e > s:
            out.append((s, e))
    return [(s, e) for s, e in out if e > s]


def _is_hard_cut(text: str, group: list[tuple[int, int]]) -> bool:
    """Whether the group ends mid-sentence (a cut long line): never glue more onto it."""
    s, e = group[-1]
    return e < len(text) and not text[e].isspace() and text[e - 1] not in ".!?…\"'”’)]"


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
