"""Time in a question: "last week", "Juli 2023", "kemarin", "latest" as a date range or a
preference for recent articles, relative to a reference date (today unless ``Settings.as_of``).

Phrases are found by the patterns below and turned into dates by ``dateparser`` (English and
Indonesian), after rewriting what it misses: "pekan lalu", "minggu ini", "bulan kemarin" and
counts in words ("dua minggu lalu"), and ranges ("the past 2 weeks", "sepekan terakhir"),
which it does not parse at all; a date with a month name of the other languages kabar names
("mayo de 2022", "März 2024") is read from ``MONTHS``. A month without a year ("in July") or a
weekday ("on Saturday") is not a filter: in an archive it names when something in the story
happened, not which articles to read.
"""

from __future__ import annotations

import calendar
import datetime
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag.clean import MONTHS, YEAR
from rag.errors import SettingsError

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

_NUMBERS = {
    word: n
    for n, words in enumerate(
        [
            ("a", "an", "one", "satu", "se"),
            ("two", "dua"),
            ("three", "tiga"),
            ("four", "empat"),
            ("five", "lima"),
            ("six", "enam"),
            ("seven", "tujuh"),
            ("eight", "delapan"),
            ("nine", "sembilan"),
            ("ten", "sepuluh"),
        ],
        start=1,
    )
    for word in words
}
_UNITS = {
    "day": "day",
    "week": "week",
    "month": "month",
    "year": "year",
    "hari": "day",
    "minggu": "week",
    "pekan": "week",
    "bulan": "month",
    "tahun": "year",
}
_NUM = r"(?P<n>\d{1,3}|" + "|".join(w for w in _NUMBERS if w != "se") + r")"
_UNIT_EN = r"(?P<unit>day|week|month|year)s?"
_UNIT_ID = r"(?P<unit>hari|minggu|pekan|bulan|tahun)"
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
# Alternatives are tried left to right at each position: longer phrases come first.
_PHRASES = {
    "range": [
        rf"(?:the\s+)?(?:past|last)\s+{_NUM}\s+{_UNIT_EN}",
        rf"(?:the\s+)?past\s+{_UNIT_EN}",
        rf"(?:{_NUM}\s+|se){_UNIT_ID}\s+terakhir",
    ],
    "ago": [rf"{_NUM}\s+{_UNIT_EN}\s+ago", rf"(?:{_NUM}\s+|se){_UNIT_ID}\s+(?:yang\s+)?lalu"],
    "relative": [
        r"(?P<which>last|this|previous)\s+(?P<unit>week|month|year)",
        r"(?P<unit>minggu|pekan|bulan|tahun)\s+(?P<which>lalu|kemarin|ini)",
        r"yesterday|today|kemarin|hari\s+ini",
    ],
    "absolute": [
        r"\d{1,2}/\d{1,2}/\d{4}",
        r"\d{4}-\d{2}-\d{2}",
        rf"(?:\d{{1,2}}\.?\s+(?:de\s+)?)?(?:{_MONTH})\.?\s+(?:de\s+)?\d{{4}}",
        rf"(?:{_MONTH})\.?\s+\d{{1,2}},?\s+\d{{4}}",
        YEAR.pattern,
    ],
    "recent": [
        r"latest|most\s+recent|newest|recent(?:ly)?|terbaru|terkini|paling\s+baru|"
        r"belakangan\s+ini"
    ],
}
_ALTERNATIVES = [
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, patterns in _PHRASES.items()
    for pattern in patterns
]
_NAMED_GROUP = re.compile(r"\(\?P<\w+>")
# One scan over the question; each alternative's own pattern then reads its parts.
_PATTERN = re.compile(
    "|".join(
        rf"(?P<a{i}>\b(?:{_NAMED_GROUP.sub('(?:', p.pattern)})\b)"
        for i, (_, p) in enumerate(_ALTERNATIVES)
    ),
    re.IGNORECASE,
)
_WHICH = {"lalu": "last", "kemarin": "last", "ini": "this", "previous": "last"}
_WEEKDAYS = {
    name: number
    for number, names in enumerate(
        [
            ("senin", "monday"),
            ("selasa", "tuesday"),
            ("rabu", "wednesday"),
            ("kamis", "thursday"),
            ("jumat", "jum'at", "friday"),
            ("sabtu", "saturday"),
            ("minggu", "ahad", "sunday"),
        ]
    )
    for name in names
}
# "pada hari Rabu", "Rabu lalu", "on Wednesday", "last Friday"; a bare "Minggu" is a week.
_WEEKDAY = re.compile(
    r"\b(?:(?P<last>last)\s+|(?:pada|on)\s+(?:hari\s+)?|hari\s+)?"
    r"(?P<day>senin|selasa|rabu|kamis|jum'?at|sabtu|minggu|ahad|monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday)(?P<lalu>\s+lalu)?\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TimeReading:
    """What a question says about time: a date range to filter by, and/or "latest"."""

    date_from: str = ""
    date_to: str = ""
    """ISO dates, inclusive; empty when the question names no period."""
    recent: bool = False
    """The question asks for the latest news ("latest", "terbaru")."""
    phrases: tuple[str, ...] = ()
    """The time phrases found, as written."""
    years: tuple[str, ...] = ()
    """The years the question writes in its dates ("in 1996", "5 Oktober 2005")."""


def reference_date(as_of: str = "") -> datetime.date:
    """The date "today" means: ``as_of`` (YYYY-MM-DD) when given, else the real today."""
    if not as_of:
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(as_of)
    except ValueError:
        raise SettingsError(f"KABAR_AS_OF / --as-of is a date YYYY-MM-DD, not {as_of!r}") from None


def _phrases(text: str) -> Iterator[tuple[str, str, dict[str, str]]]:
    """Each time phrase of ``text`` in one scan: its kind, its text, and its named parts
    (count, unit, which), case-folded."""
    for match in _PATTERN.finditer(text):
        kind, pattern = _ALTERNATIVES[int((match.lastgroup or "a0")[1:])]
        parts = pattern.fullmatch(match.group())
        assert parts is not None  # the scan matched this alternative's text
        yield (
            kind,
            match.group(),
            {k: v.casefold() for k, v in parts.groupdict().items() if v is not None},
        )


def read_time(question: str, reference: datetime.date) -> TimeReading:
    """The period and recency a question asks about, relative to ``reference``.

    Several periods ("in July 2023 and in September 2023") give the range covering them all.
    """
    periods: list[tuple[datetime.date, datetime.date]] = []
    recent = False
    phrases: list[str] = []
    for kind, phrase, groups in _phrases(question):
        if kind == "recent":
            recent = True
        else:
            period = _period(kind, phrase, groups, reference)
            if period is None:
                continue
            periods.append(period)
        phrases.append(phrase)
    if not periods:
        return TimeReading(recent=recent, phrases=tuple(phrases))
    start = min(p[0] for p in periods)
    end = max(p[1] for p in periods)
    years = tuple(dict.fromkeys(re.findall(rf"\b{YEAR.pattern}\b", " ".join(phrases))))
    return TimeReading(start.isoformat(), end.isoformat(), recent, tuple(phrases), years)


def written_periods(
    text: str, reference: datetime.date
) -> list[tuple[datetime.date, datetime.date]]:
    """The dates and years ``text`` writes out in full ("17 Agustus 1972", "(26/7/2023)",
    "1970"), each as the inclusive range it names."""
    periods = []
    for kind, phrase, groups in _phrases(text):
        period = _period(kind, phrase, groups, reference) if kind == "absolute" else None
        if period:
            periods.append(period)
    return periods


def event_date(sentence: str, published: datetime.date) -> tuple[datetime.date, str] | None:
    """When a sentence of an article published on ``published`` says its event happened.

    Returns the first day and the precision (``day``, ``week``, ``month`` or ``year``): a
    written date ("Rabu (26/7/2023)", "17 September 2023") first, then a weekday read back
    from the publication day ("pada hari Sabtu", "Rabu lalu"), then a relative phrase
    ("kemarin", "minggu ini", "last month"). Bare years ("Perang Korea 1950-1953") and ranges
    are history or background, not the sentence's event: None.
    """
    found: list[tuple[int, datetime.date, datetime.date]] = []
    for kind, phrase, groups in _phrases(sentence):
        if kind not in ("absolute", "relative", "ago") or re.fullmatch(r"\d{4}", phrase):
            continue
        period = _period(kind, phrase, groups, published)
        if period:
            found.append((0 if kind == "absolute" else 2, *period))
    for match in _WEEKDAY.finditer(sentence):
        day = match.group("day").casefold()
        bare_minggu = day == "minggu" and not match.group(0).lower().startswith(("pada", "hari"))
        if bare_minggu:
            continue
        back = (published.weekday() - _WEEKDAYS[day.replace("'", "")]) % 7
        if back == 0 and (match.group("last") or match.group("lalu")):
            back = 7
        when = published - datetime.timedelta(days=back)
        found.append((1, when, when))
    if not found:
        return None
    _, start, end = min(found, key=lambda f: f[0])
    return start, _precision(start, end)


def _precision(start: datetime.date, end: datetime.date) -> str:
    days = (end - start).days
    if days == 0:
        return "day"
    if days <= 6:  # noqa: PLR2004 (a week)
        return "week"
    return "month" if days <= 31 else "year"  # noqa: PLR2004 (a month)


def _period(
    kind: str, phrase: str, parts: dict[str, str], reference: datetime.date
) -> tuple[datetime.date, datetime.date] | None:
    """The inclusive date range a phrase names; relative ones end at the reference date."""
    count = _NUMBERS.get(parts.get("n", "se"), 0) or int(parts.get("n", "1"))
    unit = _UNITS.get(parts.get("unit", ""), "")
    if kind == "range":
        return _minus(reference, count, unit) + datetime.timedelta(days=1), reference
    if kind == "ago":
        phrase = f"{count} {unit}s ago"  # dateparser misses Indonesian counts in words
    elif kind == "relative" and unit:
        phrase = f"{_WHICH.get(parts['which'], parts['which'])} {unit}"
    elif kind == "absolute" and re.fullmatch(r"\d{4}", phrase):
        year = int(phrase)
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    parsed = _parser(reference).get_date_data(phrase)
    if parsed.date_obj is None:
        return _named_month(phrase) if kind == "absolute" else None
    start, end = _span(parsed.date_obj.date(), parsed.period or "day")
    return (start, min(end, reference)) if kind != "absolute" else (start, end)


def _named_month(phrase: str) -> tuple[datetime.date, datetime.date] | None:
    """The day or month of "mayo de 2022", "3 de mayo de 2022", "März 2024", "juillet 2023":
    month names dateparser is not asked to read (it reads English and Indonesian here)."""
    month = next((MONTHS[w] for w in re.findall(r"[^\W\d_]+", phrase.casefold()) if w in MONTHS), 0)
    year = re.search(r"\d{4}", phrase)
    day = re.match(r"\d{1,2}\b", phrase)
    if not month or not year:
        return None
    try:
        first = datetime.date(int(year.group()), month, int(day.group()) if day else 1)
    except ValueError:  # "31 de febrero de 2024"
        return None
    return (first, first) if day else _span(first, "month")


def _span(day: datetime.date, period: str) -> tuple[datetime.date, datetime.date]:
    """The whole day, week (Monday to Sunday), month or year that contains ``day``."""
    if period == "week":
        monday = day - datetime.timedelta(days=day.weekday())
        return monday, monday + datetime.timedelta(days=6)
    if period == "month":
        following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        return day.replace(day=1), following - datetime.timedelta(days=1)
    if period == "year":
        return day.replace(month=1, day=1), day.replace(month=12, day=31)
    return day, day


def _minus(day: datetime.date, count: int, unit: str) -> datetime.date:
    """``day`` moved back ``count`` days, weeks, months or years (month ends clamp)."""
    if unit in ("day", "week"):
        return day - datetime.timedelta(days=count * (7 if unit == "week" else 1))
    months = count * (12 if unit == "year" else 1)
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


@functools.lru_cache(maxsize=8)
def _parser(reference: datetime.date) -> DateDataParser:
    """dateparser for English and Indonesian, relative to ``reference`` (imported lazily)."""
    from dateparser.date import DateDataParser

    base = datetime.datetime.combine(reference, datetime.time())
    settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past", "DATE_ORDER": "DMY"}
    return DateDataParser(languages=["en", "id"], settings=settings)
