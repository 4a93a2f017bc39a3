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

from rag.language import detect_language

# A line that starts one of these blocks (Indonesian and English section names for related
# news and comments) ends the article: everything after it is site furniture.
_END_OF_ARTICLE = re.compile(
    r"^(berita terkait|artikel terkait|baca juga:?|tinggalkan komentar|related news|"
    r"komentar|leave a (reply|comment))\s*:?$",
    re.IGNORECASE,
)
# Whole lines that are never article text: a lone letter, a reporter's code, a loading marker.
_BOILERPLATE_LINE = re.compile(r"^([a-z]|\(\w{2,5}\)|loading\.*)$", re.IGNORECASE)
_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|\bcopyright\b.*\d{4}", re.IGNORECASE)
# Photo captions end with a photo credit.
_CAPTION = re.compile(
    r"(\bvia\s+(reuters|ap|afp|antara)|\bfoto\s*[:.]\s*\S*|\(foto:[^)]*\)|"
    r"\b(antara|reuters|afp|ap)\s+photo\b.*)\.?$",
    re.IGNORECASE,
)
_OUTLET = re.compile(r"\b([A-Z][A-Za-z]+\.(?:CO\.ID|co\.id|CO|co|COM|com|ID|id))\b")
_DATELINE = re.compile(
    r"^(?:[A-Z][A-Za-z]+\.(?:CO\.ID|CO|COM|ID)\s*,\s*)?"
    r"([A-Z][A-Za-z]+(?:\s[A-Z][A-Za-z]+)?)\s*(?:--|[-–—])\s+"
)
YEAR = re.compile(r"(?:19|20)\d\d")
"""A year as news text writes it: the time a question names, the figure no claim is anchored by."""
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("januari", "january", "januar", "jan", "enero", "janvier", "janeiro", "gennaio"),
            ("februari", "february", "februar", "feb", "febrero", "février", "fevereiro"),
            ("maret", "march", "märz", "mar", "marzo", "março", "maart"),
            ("april", "apr", "abril", "avril", "aprile"),
            ("mei", "may", "mai", "mayo", "maio", "maggio"),
            ("juni", "june", "jun", "junio", "juin", "junho", "giugno"),
            ("juli", "july", "jul", "julio", "juillet", "julho", "luglio"),
            ("agustus", "august", "agu", "aug", "agosto", "août", "augustus"),
            ("september", "sep", "sept", "septiembre", "septembre", "setembro", "settembre"),
            ("oktober", "october", "okt", "oct", "octubre", "octobre", "outubro", "ottobre"),
            ("november", "nov", "noviembre", "novembre", "novembro"),
            ("desember", "december", "dezember", "des", "dec", "diciembre", "décembre", "dezembro"),
        ],
        start=1,
    )
    for name in names
}
"""Month names in the languages kabar names (English, Indonesian, German, Spanish, French,
Portuguese, Italian, Dutch), and the short forms English, Indonesian and German write. French
"mars" is left out: it is also the planet."""
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_MONTH_NAME = r"(?P<month>[^\W\d_]{3,10})"
_DATE_FORMS = [
    re.compile(pattern)
    for pattern in (
        # "5 Maret 2024", "19. Oktober 2019", "31. Jan. 2022", "3 de Mayo de 2022"
        rf"\b{_DAY}\.?\s+(?:de\s+)?{_MONTH_NAME}\.?,?\s+(?:de\s+|del\s+)?(?P<year>\d{{4}})\b",
        # "Feb 18, 2020", "Jun 18th 2018", "May 6th, 2022"
        rf"\b{_MONTH_NAME}\.?\s+{_DAY},?\s+(?P<year>\d{{4}})\b",
        # "19.10.2019", "01. 11. 2023", "(26/7/2023)": day first, as outside the US; not a
        # comment's "19.10.19" run into its time "12:48"
        r"\b(?P<day>\d{1,2})\.\s?(?P<month>\d{1,2})\.\s?(?P<year>\d{4})\b(?!:)",
        r"\((?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>\d{4})\)",
        r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b",
    )
]
_DATE_SLASHES = re.compile(r"\b(?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>\d{4})\b")
"""A bare "3/5/2022" is the 3rd of May in Portuguese or Indonesian text, but in English text it
may be the 5th of March: read only outside English."""
_META_KEYS = ("title", "date", "url", "outlet", "author", "language")
_TITLE_MAX = 200
_TITLE_SEPARATOR = re.compile(r"\s+[|\-–—·:]{1,2}\s+")
_SITE_MIN_CHARS = 3  # "SZ" names nothing for sure
_HEADLINE_MIN_WORDS = 4  # fewer words: a tag, section name or breadcrumb, not a headline
_DERIVED_TITLE_MAX = 120  # a title taken from the first sentence is cut to this many characters
# A sentence end may be followed by closing quotes or brackets and by a reporter's or wire
# agency's code in brackets, as Kompas ends paragraphs: "... bertambah kritis. (RYO / DOE)".
_SENTENCE_END = re.compile(r"([.!?…:;][\"'”’»)\]]*|[\"”»])(\s*\([^()]{1,40}\))?$")
# Plain-text cleaning by line shape alone, so it holds for any outlet and language. Measured
# with bench/bench_extract.py on the 45 pages of shared/corpora/web-news rendered to text (one
# line per block), checked on the seeds (tests/test_clean.py) and FacQA (all 1,369 kept):
# - prose: PROSE_WORDS words ending like a sentence, or RUNNING_WORDS words anyway;
# - the article body: the span of the blocks of prose lines (at most BODY_GAP lines apart)
#   holding BODY_SHARE of the biggest block's words. Over gaps 3-20 and shares 0.1-0.5, 10 and
#   0.3 kept the most article text (0.962 of it) while leaking 0.142 of the boilerplate; a
#   shorter gap or larger share cut articles broken up by pictures and ads (keep 0.85-0.93);
# - a line not ending like a sentence and under HEADING_WORDS words is a heading, menu entry
#   or teaser unless it stands between two prose lines (a subheading). 8, 12, 16, 20 words
#   leaked 0.40, 0.33, 0.31, 0.31 of the boilerplate before body detection at equal keep.
PROSE_WORDS = 8
RUNNING_WORDS = 25
HEADING_WORDS = 16
BODY_GAP = 10
BODY_SHARE = 0.3


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
    kept, removed, body_end = _sort_lines(text, lines, title_span)
    if not kept:  # every line looked unusual: an article is never dropped whole
        kept, removed = _unique_lines(text, lines)
    head = text[:body_end]
    first = text[kept[0][0] : kept[0][1]] if kept else ""
    title = text[title_span[0] : title_span[1]] if title_span else _title_from(first)
    given = {k: v.strip() for k, v in (meta or {}).items() if k in _META_KEYS and v and v.strip()}
    outlet = given.get("outlet", _outlet(head))
    city = _city(first)
    language = given.get("language", "").split("-")[0].casefold() or detect_language(
        " ".join(text[s:e] for s, e in kept[:20])
    )
    return Document(
        source=source,
        text=text,
        paragraphs=tuple(kept),
        title=_without_site(given.get("title", title), outlet),
        outlet=outlet,
        city="" if _names_site(city, outlet) else city,
        date=iso_date(given.get("date", "")) or _publication_date(head, language),
        language=language,
        url=given.get("url", ""),
        author=given.get("author", ""),
        removed=tuple(removed),
    )


def _sort_lines(
    text: str, lines: list[tuple[int, int]], title_span: tuple[int, int] | None
) -> tuple[list[tuple[int, int]], list[tuple[int, int, str]], int]:
    """Kept lines, removed lines with the reason, and where the article text ends."""
    kept: list[tuple[int, int]] = []
    removed: list[tuple[int, int, str]] = []
    seen = {_fingerprint(text[title_span[0] : title_span[1]])} if title_span else set()
    prose = [_is_prose(text[s:e]) and not _boilerplate_reason(text[s:e]) for s, e in lines]
    first, last = _body(text, lines, prose)
    body_end = len(text)
    for i, (start, end) in enumerate(lines):
        line = text[start:end]
        if (start, end) == title_span:
            reason = "headline (kept as the title)"
        elif body_end < len(text):
            reason = "after the end of the article"
        elif _END_OF_ARTICLE.match(line):
            body_end = start
            reason = "ends the article"
        elif i < first or i > last:
            reason = f"{'before' if i < first else 'after'} the article body"
        else:
            reason = _boilerplate_reason(line)
        inside_prose = 0 < i < len(lines) - 1 and prose[i - 1] and prose[i + 1]
        if not reason and _is_heading(line) and not inside_prose:
            reason = "not a sentence (a heading, menu or teaser)"
        fingerprint = _fingerprint(line)
        if not reason and fingerprint in seen:
            reason = "repeats an earlier line"
        if reason:
            removed.append((start, end, reason))
        else:
            seen.add(fingerprint)
            kept.append((start, end))
    return kept, removed, body_end


def _unique_lines(
    text: str, lines: list[tuple[int, int]]
) -> tuple[list[tuple[int, int]], list[tuple[int, int, str]]]:
    """Every line with words in it, each once; and the rest, with the reason."""
    seen: set[str] = set()
    kept: list[tuple[int, int]] = []
    removed: list[tuple[int, int, str]] = []
    for start, end in lines:
        fingerprint = _fingerprint(text[start:end])
        if fingerprint and fingerprint not in seen:
            seen.add(fingerprint)
            kept.append((start, end))
        else:
            removed.append((start, end, "repeats an earlier line" if fingerprint else "no words"))
    return kept, removed


def _is_prose(line: str) -> bool:
    """A line that reads as running text: a sentence, or long enough to be one anyway."""
    words = len(line.split())
    return words >= PROSE_WORDS and (words >= RUNNING_WORDS or bool(_SENTENCE_END.search(line)))


def _is_heading(line: str) -> bool:
    """A short line that does not end like a sentence: a heading, menu entry, teaser or tag."""
    return len(line.split()) < HEADING_WORDS and not _SENTENCE_END.search(line)


def _body(text: str, lines: list[tuple[int, int]], prose: list[bool]) -> tuple[int, int]:
    """First and last line index of the article body: the span of the blocks of prose lines
    that hold at least BODY_SHARE of the biggest block's words (menus above it and footers,
    teasers and comments below it fall outside). The whole text when there is no prose."""
    blocks: list[list[int]] = []  # [first line, last line, words]
    for i, (start, end) in enumerate(lines):
        if not prose[i]:
            continue
        words = len(text[start:end].split())
        if blocks and i - blocks[-1][1] <= BODY_GAP:
            blocks[-1][1:] = [i, blocks[-1][2] + words]
        else:
            blocks.append([i, i, words])
    if not blocks:
        return 0, len(lines) - 1
    biggest = max(words for _, _, words in blocks)
    body = [b for b in blocks if b[2] >= BODY_SHARE * biggest]
    return body[0][0], body[-1][1]


def _lines(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each non-blank line, with surrounding whitespace trimmed."""
    for match in re.finditer(r"[^\n]+", text):
        raw = match.group()
        stripped = raw.strip()
        if stripped:
            start = match.start() + (len(raw) - len(raw.lstrip()))
            yield start, start + len(stripped)


def _headline(text: str, lines: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The first line of four words or more when it reads like a headline (short, no full
    stop, no dateline). A breadcrumb glued to the headline ("HomeWORLDThe headline" above
    "The headline") is passed over for the headline itself."""
    for i, (start, end) in enumerate(lines[:8]):
        line = text[start:end]
        following = text[lines[i + 1][0] : lines[i + 1][1]] if i + 1 < len(lines) else ""
        glued = following and line.endswith(following) and line != following
        if _boilerplate_reason(line) or len(line.split()) < _HEADLINE_MIN_WORDS or glued:
            continue  # site furniture, a tag or section name, a breadcrumb
        is_headline = (
            len(line) <= _TITLE_MAX
            and not line.endswith(",")
            and not _SENTENCE_END.search(line)
            and not _DATELINE.match(line)
            and not _OUTLET.match(line)
        )
        return (start, end) if is_headline else None
    return None


def _boilerplate_reason(line: str) -> str:
    """Why ``line`` is site furniture rather than article text, or empty when it is text."""
    if not _fingerprint(line):
        return "no words"
    if _BOILERPLATE_LINE.match(line):
        return "site furniture"
    if _CAPTION.search(line):
        return "photo caption"
    if _COPYRIGHT.search(line):
        return "copyright notice"
    return ""


def _fingerprint(line: str) -> str:
    folded = unicodedata.normalize("NFKC", line).casefold()
    return " ".join(re.findall(r"\w+", folded))


def _title_from(first_paragraph: str) -> str:
    sentence = re.split(r"(?<=[.!?])\s", _DATELINE.sub("", first_paragraph), maxsplit=1)[0]
    if len(sentence) <= _DERIVED_TITLE_MAX:
        return sentence.strip()
    cut = sentence[:_DERIVED_TITLE_MAX].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def _without_site(title: str, outlet: str) -> str:
    """``title`` without a trailing " | The Japan Times" or " - SW1.News" that names the outlet:
    pages put the site's name in their ``<title>``, and 4 of the 45 web-news pages kept it."""
    for match in reversed(list(_TITLE_SEPARATOR.finditer(title))):
        if match.start() and _names_site(title[match.end() :], outlet):
            return title[: match.start()].strip()
    return title


def _names_site(words: str, outlet: str) -> bool:
    """Whether ``words`` are the outlet's name or its start ("SW1.News" for "SW1.News -
    Nachrichten der Region Schweinfurt"), punctuation and case aside."""
    said, site = (re.sub(r"\W", "", x.casefold()) for x in (words, outlet))
    return len(said) >= _SITE_MIN_CHARS and site.startswith(said)


def _outlet(text: str) -> str:
    match = _OUTLET.search(text)
    return match.group(1).upper() if match else ""


def _city(first_paragraph: str) -> str:
    match = _DATELINE.match(first_paragraph)
    return match.group(1).title() if match else ""


def _publication_date(head: str, language: str) -> str:
    """The first date the article's head writes, as ISO: a publication line ("Feb 18, 2020",
    "19.10.2019 12.09", "Miércoles 4 de Mayo de 2022") or the dateline ("(26/7/2023)") comes
    before the body's dates. Dates after today are events to come, not when it appeared."""
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)  # a day ahead in some timezone
    return _first_date(head, day_first_slashes=language != "en", latest=tomorrow.isoformat())


def _first_date(text: str, day_first_slashes: bool = True, latest: str = "9999-12-31") -> str:
    """The ISO form of the date written first in ``text`` in any of ``_DATE_FORMS`` (and bare
    "3/5/2022" when ``day_first_slashes``), no later than ``latest``; empty when none."""
    forms = [*_DATE_FORMS, _DATE_SLASHES] if day_first_slashes else _DATE_FORMS
    found = []
    for form in forms:
        for match in form.finditer(text):
            month = match.group("month")
            number = month if month.isdigit() else MONTHS.get(month.casefold(), 0)
            iso = _iso(match.group("year"), number, match.group("day"))
            if iso and iso <= latest:
                found.append((match.start(), iso))
                break
    return min(found)[1] if found else ""


def iso_date(value: str) -> str:
    """``value`` as an ISO date (YYYY-MM-DD), or empty when it is not a date.

    Takes ISO dates and timestamps, RFC 2822 (feeds: "Tue, 05 Mar 2024 08:00:00 +0000"),
    "5 March 2024", "March 5, 2024", "5/3/2024" (day first, as in Indonesian and European use)
    and month names of the languages in ``MONTHS`` ("5 Maret 2024"). A given date may be in the
    future (an embargoed release); only dates read from the text are bounded by today.
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
    return _first_date(value)


def _iso(year: str | int, month: str | int, day: str | int) -> str:
    """The ISO form of a real calendar date, or empty (31/2 or 13/13 are not dates)."""
    try:
        return datetime.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return ""
