"""Which language a text is in: py3langid (langid.py's model, 97 languages, offline, in-package).

Measured with bench/bench_extract.py: on 50 short questions in English, Indonesian, German,
Spanish and French plus the 68 questions of the seed eval set, py3langid names the language of
all but the Indonesian questions it calls Malay (10 of 43); with Malay read as Indonesian all
118 are right (the function-word rule it replaces got 0.75, knowing English and Indonesian
only), at about 0.1 ms a question once its model is loaded (about 1 s, on first use). It also
names the language of all 45 web-news pages (English, German, Spanish, Portuguese).
"""

from __future__ import annotations

import functools
import re
from typing import Any

DEFAULT = "en"
"""The answer when a text has no letters to go by."""
# Malay and Indonesian are one written language to a character model; a news reader here means
# Indonesian (every Indonesian question it missed above it called Malay).
_SAME = {"ms": "id"}
NAMES = {
    "en": "English",
    "id": "Indonesian (Bahasa Indonesia)",
    "de": "German",
    "es": "Spanish",
    "fr": "French",
    "pt": "Portuguese",
    "it": "Italian",
    "nl": "Dutch",
}
_NAMED = frozenset({*NAMES, *_SAME})
_LETTER = re.compile(r"[^\W\d_]")
_NOUNS_CAPITALISED = frozenset({"de", "lb"})


NAMED_PRIOR = 6.0
"""How much likelier a text is in a language of ``NAMES`` (or Malay) than in any other.

A short question full of names misleads a character model: "Who is Shoigu?" read as Scottish
Gaelic, "When did Kim Jong-un meet Sergei Shoigu in Pyongyang?" as Nigerian Pidgin, "Siapa
nama Presiden Uzbekistan?" as Kikuyu. Of the 442 questions of bench/data, the seed set and all
311 FacQA dev questions, py3langid misread 10 (4 seed, 6 FacQA), always as a language outside
``NAMES`` whose probability was at most 3.8 times that of the best one inside. Questions we
wrote in other languages (Swedish, Polish, Turkish, Vietnamese, Tagalog, Javanese, Danish,
Czech, Romanian, Russian, Japanese: 22) led by 10 times or more, but for a short Finnish one
(2.4, now read as Indonesian). 6 lies between the two."""


@functools.cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)  # 1 s, once


def detect_language(text: str) -> str:
    """The ISO 639-1 code of the language ``text`` is written in (``en``, ``id``, ``de``...).

    Works on a short question as on a whole article; ``en`` when there are no letters. A
    language kabar names wins over another unless that one is ``NAMED_PRIOR`` times likelier.
    """
    if not _LETTER.search(text):
        return DEFAULT
    ranking = _identifier().rank(text)
    code, likelihood = ranking[0]
    if code not in _NAMED:
        named, named_likelihood = next((c, p) for c, p in ranking if c in _NAMED)
        if named_likelihood * NAMED_PRIOR >= likelihood:
            code = named
    return _SAME.get(str(code), str(code))


def language_name(code: str) -> str:
    """The language's name in English, for a prompt ("answer in German"); the code otherwise."""
    return NAMES.get(code, f"the language with ISO 639-1 code {code!r}")


def capitals_mark_names(language: str) -> bool:
    """Whether a capital inside a sentence marks a name in ``language``: not in German, which
    capitalises every noun ("Ergebnis", "result", is no name), so the checks that compare a
    text's names with the articles' (``rag.grounding``) do not run there."""
    return language not in _NOUNS_CAPITALISED
