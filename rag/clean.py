"""Strip news-site boilerplate from an article and read its metadata, keeping offsets.

The cleaned article is a list of kept paragraphs, each an exact ``(start, end)`` slice of the
original text, so every passage and citation can point back to the characters it came from.
"""

from __future__ import annotations

import datetime
import email.utils
import hashlib
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

# A line that starts one of these blocks ends the article: everything after it is site furniture.
_END_OF_ARTICLE = re.compile(
    r"^(berita terkait|artikel terkait|baca juga:?|tinggalkan komentar|related news|"
    r"komentar|leave a (reply|comment))\s*:?$",
    re.IGNORECASE,
)
# Whole lines that are never article text.
_BOILERPLATE_LINE = re.compile(
    r"^(advertising|advertisement|iklan|loading\.*|trending|baca selengkapnya|reporter|"
    r"editor|penulis|[a-z]|\(\w{2,5}\)|\d+\s+(detik|menit|jam|hari|minggu|bulan)\s+(yang\s+)?lalu|"
    r"pilihan editor\b.*|baca juga\b.*|beranda\S.*|silakan masukkan.*|.*\bakismet\b.*|"
    r"share|bagikan|tags?:.*|(sumber|source):\s*\S+|"
    r"(reuters|ap|afp|antara|kcna|tass|xinhua|cna|tempo\.co)"
    r")$",
    re.IGNORECASE,
)
# Photo captions end with a photo credit.
_CAPTION = re.compile(
    r"(\bvia\s+(reuters|ap|afp|antara)|\bfoto\s*[:.]\s*\S*|\.foto\.\S*|\(foto:[^)]*\)|"
    r"\b(antara|reuters|afp|ap)\s+photo\b.*)\.?$",
    re.IGNORECASE,
)
_OUTLET = re.compile(r"\b([A-Z][A-Za-z]+\.(?:CO\.ID|co\.id|CO|co|COM|com|ID|id))\b")
_DATELINE = re.compile(
    r"^(?:[A-Z][A-Za-z]+\.(?:CO\.ID|CO|COM|ID)\s*,\s*)?"
    r"([A-Z][A-Za-z]+(?:\s[A-Z][A-Za-z]+)?)\s*(?:--|[-–—])\s+"
)
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("januari", "january", "jan"),
            ("februari", "february", "feb"),
            ("maret", "march", "mar"),
            ("april", "apr"),
            ("mei", "may"),
            ("juni", "june", "jun"),
            ("juli", "july", "jul"),
            ("agustus", "august", "agu", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "october", "okt", "oct"),
            ("november", "nov"),
            ("desember", "december", "des", "dec"),
        ],
        start=1,
    )
    for name in names
}
_DATE_WORDS = re.compile(r"\b(\d{1,2})\s+([A-Za-z]{3,9})\.?\s+(\d{4})\b")
_DATE_SLASHES = re.compile(r"\((\d{1,2})/(\d{1,2})/(\d{4})\)")
# Date forms a record or feed may carry besides ISO and RFC 2822: "March 5, 2024", "5/3/2024".
_DATE_MONTH_FIRST = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})\b")
_DATE_NUMERIC = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})\b")
_META_KEYS = ("title", "date", "url", "outlet", "author", "language")
_TITLE_MAX = 200
_ID_WORDS = set(
    "apa siapa kapan dimana di mana mengapa kenapa bagaimana berapa yang dan dengan untuk dari ke "
    "pada dalam ini itu adalah tidak ada saja apakah oleh kepada tentang dia mereka juga".split()
)
_EN_WORDS = set(
    "what who when where why how which the a an and of to in on for with did does do is are was "
    "were has have he she they it about from by".split()
)


@dataclass(frozen=True)
class Document:
    """A cleaned article: its original text, the kept paragraphs and its metadata."""

    source: str
    text: str
    paragraphs: tuple[tuple[int, int], ...]
    title: str
    outlet: str = ""
    city: str = ""
    date: str = ""
    """ISO date (YYYY-MM-DD) of publication or of the reported event, or empty."""
    language: str = ""
    """ISO 639-1 code of the article's language (``id``, ``en``, ``de``...), or empty."""
    url: str = ""
    """Where the article was published, when known (a record's, feed's or page's URL)."""
    author: str = ""
    removed: tuple[tuple[int, int, str], ...] = ()
    """What cleaning dropped: ``(start, end, reason)`` spans of ``text``."""

    @property
    def doc_id(self) -> str:
        """Content hash of the original text: same text, same id."""
        return hashlib.sha256(self.text.encode("utf-8", "surrogatepass")).hexdigest()[:16]

    def metadata(self) -> dict[str, str]:
        """The article's metadata as ``clean``'s ``meta`` takes it: cleaning ``text`` again with
        it gives back this document (kept beside the article copy for reindexing)."""
        return {key: getattr(self, key) for key in _META_KEYS}

    def removed_lines(self) -> list[tuple[str, str]]:
        """Each removed line as ``(reason, text)``, in article order."""
        return [(reason, self.text[s:e]) for s, e, reason in self.removed]


def clean(text: str, source: str, meta: Mapping[str, str] | None = None) -> Document:
    """Drop boilerplate, repeated paragraphs and captions; read title, outlet, city and date.

    ``meta`` is what a record, feed or page already says about the article (keys ``title``,
    ``date``, ``url``, ``outlet``, ``author``, ``language``; other keys are ignored): a given
    non-empty value wins over what is read from the text. Dates may be in any common form.
    """
    lines = list(_lines(text))
    title_span = _headline(text, lines)
    kept: list[tuple[int, int]] = []
    removed: list[tuple[int, int, str]] = []
    seen: set[str] = set()
    if title_span:
        seen.add(_fingerprint(text[title_span[0] : title_span[1]]))
        removed.append((*title_span, "headline (kept as the title)"))
    body_end = len(text)
    for start, end in lines:
        line = text[start:end]
        if body_end < len(text):
            removed.append((start, end, "after the end of the article"))
            continue
        if _END_OF_ARTICLE.match(line):
            body_end = start
            removed.append((start, end, "ends the article"))
            continue
        if (start, end) == title_span:
            continue
        reason = _boilerplate_reason(line)
        fingerprint = _fingerprint(line)
        if not reason and fingerprint in seen:
            reason = "repeats an earlier line"
        if reason:
            removed.append((start, end, reason))
            continue
        seen.add(fingerprint)
        kept.append((start, end))
    head = text[:body_end]
    first = text[kept[0][0] : kept[0][1]] if kept else ""
    title = text[title_span[0] : title_span[1]] if title_span else _title_from(first)
    given = {k: v.strip() for k, v in (meta or {}).items() if k in _META_KEYS and v and v.strip()}
    return Document(
        source=source,
        text=text,
        paragraphs=tuple(kept),
        title=given.get("title", title),
        outlet=given.get("outlet", _outlet(head)),
        city=_city(first),
        date=iso_date(given.get("date", "")) or _date(head),
        language=given.get("language", "").split("-")[0].casefold()
        or detect_language(" ".join(text[s:e] for s, e in kept[:20])),
        url=given.get("url", ""),
        author=given.get("author", ""),
        removed=tuple(removed),
    )


def _lines(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each non-blank line, with surrounding whitespace trimmed."""
    for match in re.finditer(r"[^\n]+", text):
        raw = match.group()
        stripped = raw.strip()
        if stripped:
            start = match.start() + (len(raw) - len(raw.lstrip()))
            yield start, start + len(stripped)


def _headline(text: str, lines: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The first real line when it reads like a headline (short, no full stop, no dateline)."""
    for start, end in lines[:8]:
        line = text[start:end]
        if _is_boilerplate(line):
            continue
        words = line.split()
        is_headline = (
            len(line) <= _TITLE_MAX
            and len(words) >= 4
            and not line.endswith((".", "!", "?", ":", ";", ","))
            and not _DATELINE.match(line)
            and not _OUTLET.match(line)
        )
        return (start, end) if is_headline else None
    return None


def _is_boilerplate(line: str) -> bool:
    return bool(_boilerplate_reason(line))


def _boilerplate_reason(line: str) -> str:
    """Why ``line`` is site furniture rather than article text, or empty when it is text."""
    if not _fingerprint(line):
        return "no words"
    if _BOILERPLATE_LINE.match(line):
        return "site furniture"
    if _CAPTION.search(line):
        return "photo caption"
    words = line.split()
    # Tags, bylines and section names: a few words with no sentence punctuation.
    if len(words) <= 3 and not re.search(r"[.!?”\"]$", line) and not _DATE_WORDS.search(line):
        return "short line without sentence punctuation"
    # A line that is only a date ("Kamis, 27 Juli 2023 11:15 WIB") is metadata, not text.
    if _DATE_WORDS.search(line) and len(words) <= 7 and not line.endswith("."):
        return "date line"
    return ""


def _fingerprint(line: str) -> str:
    folded = unicodedata.normalize("NFKC", line).casefold()
    return " ".join(re.findall(r"\w+", folded))


def _title_from(first_paragraph: str) -> str:
    sentence = re.split(r"(?<=[.!?])\s", _DATELINE.sub("", first_paragraph), maxsplit=1)[0]
    if len(sentence) <= 120:
        return sentence.strip()
    cut = sentence[:120].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def _outlet(text: str) -> str:
    match = _OUTLET.search(text)
    return match.group(1).upper() if match else ""


def _city(first_paragraph: str) -> str:
    match = _DATELINE.match(first_paragraph)
    return match.group(1).title() if match else ""


def _date(text: str) -> str:
    """The first parseable date in the article, as ISO; Indonesian and English month names."""
    found: list[tuple[int, str]] = []
    for match in _DATE_WORDS.finditer(text):
        month = MONTHS.get(match.group(2).casefold())
        if month:
            found.append((match.start(), _iso(match.group(3), month, match.group(1))))
            break
    if slashes := _DATE_SLASHES.search(text):
        found.append((slashes.start(), _iso(slashes.group(3), slashes.group(2), slashes.group(1))))
    valid = [(pos, iso) for pos, iso in found if iso]
    return min(valid)[1] if valid else ""


def iso_date(value: str) -> str:
    """``value`` as an ISO date (YYYY-MM-DD), or empty when it is not a date.

    Takes ISO dates and timestamps, RFC 2822 (feeds: "Tue, 05 Mar 2024 08:00:00 +0000"),
    "5 March 2024", "March 5, 2024", "5/3/2024" (day first, as in Indonesian and European use)
    and Indonesian month names ("5 Maret 2024").
    """
    value = value.strip()
    try:
        return datetime.datetime.fromisoformat(value).date().isoformat()
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value).date().isoformat()
    except (TypeError, ValueError, IndexError):
        pass
    if match := _DATE_MONTH_FIRST.match(value):
        month = MONTHS.get(match.group(1).casefold())
        return _iso(match.group(3), month, match.group(2)) if month else ""
    if match := _DATE_NUMERIC.match(value):
        return _iso(match.group(3), match.group(2), match.group(1))
    return _date(value)


def _iso(year: str | int, month: str | int, day: str | int) -> str:
    """The ISO form of a real calendar date, or empty (31/2 or 13/13 are not dates)."""
    try:
        return datetime.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return ""


def detect_language(text: str) -> str:
    """``id`` when the question reads as Indonesian, else ``en`` (function-word counts)."""
    words = re.findall(r"[a-z]+", text.casefold())
    indonesian = sum(w in _ID_WORDS for w in words)
    english = sum(w in _EN_WORDS for w in words)
    return "id" if indonesian > english else "en"
