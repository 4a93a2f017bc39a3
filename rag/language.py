"""Which language a text is in: py3langid (langid.py's model, 97 languages, offline, in-package).

Measured with bench/bench_extract.py: on 50 short questions in English, Indonesian, German,
Spanish and French plus the 68 questions of the seed eval set, py3langid names the language of
all but the Indonesian questions it calls Malay (10 of 43); with Malay read as Indonesian all
118 are right (the function-word rule it replaces got 0.75, knowing English and Indonesian
only), at about 0.1 ms a question once its model is loaded (about 1 s, on first use). It also
names the language of all 45 web-news pages (English, German, Spanish, Portuguese).
"""

from __future__ import annotations

import re

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
_LETTER = re.compile(r"[^\W\d_]")
_NOUNS_CAPITALISED = frozenset({"de", "lb"})


def detect_language(text: str) -> str:
    """The ISO 639-1 code of the language ``text`` is written in (``en``, ``id``, ``de``...).

    Works on a short question as on a whole article; ``en`` when there are no letters.
    """
    if not _LETTER.search(text):
        return DEFAULT
    import py3langid  # type: ignore[import-untyped]  # loads its model (1 s) on first use

    code = str(py3langid.classify(text)[0])
    return _SAME.get(code, code)


def language_name(code: str) -> str:
    """The language's name in English, for a prompt ("answer in German"); the code otherwise."""
    return NAMES.get(code, f"the language with ISO 639-1 code {code!r}")


def capitals_mark_names(language: str) -> bool:
    """Whether a capital inside a sentence marks a name in ``language``: not in German, which
    capitalises every noun ("Ergebnis", "result", is no name), so the checks that compare a
    text's names with the articles' (``rag.grounding``) do not run there."""
    return language not in _NOUNS_CAPITALISED
