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
_LETTER = re.compile(r"[^\W\d_]")
_NOUNS_CAPITALISED = frozenset({"de", "lb"})


NAMED_PRIOR = 6.0
"""How much likelier a question is in a language of ``NAMES`` (or Malay) than in any other.

A short question full of names misleads a character model: "Who is Shoigu?" read as Scottish
Gaelic, "When did Kim Jong-un meet Sergei Shoigu in Pyongyang?" as Nigerian Pidgin, "Siapa
nama Presiden Uzbekistan?" as Kikuyu. Of the 442 questions of bench/data, the seed set and all
311 FacQA dev questions, py3langid misread 10 (4 seed, 6 FacQA), always as a language outside
``NAMES`` whose probability was at most 3.8 times that of the best one inside. With the names
left out first and this prior, 1 of the 442 is misread ("Kim Jong Un and Russia", as German),
and so are none of 22 questions we wrote in Swedish, Polish, Turkish, Vietnamese, Tagalog,
Javanese, Danish, Finnish, Czech, Romanian, Russian and Japanese (with the prior alone, the
Finnish and the Czech one were). The prior alone at 3 misread "Did Putin visit North Korea?"
(as Latin)."""

_MIN_LETTERS = 8
"""A question whose words without names have fewer letters is read both without and with its
names, the two likelihoods added. Read with its names alone, "Who is Benjamin Näßler?" was
German and "Who is Luana Yasmin Gonçalves da Silva?" Portuguese (names from the web-news
pages); read without them alone, "Wo liegt Ponta Porã?" was Dutch. Of 667 questions (the
three eval sets, all 311 FacQA dev questions, bench/data, and 54 short questions about such
names in twelve languages) 665 are read right so, 656 with the names alone, 664 without."""


def detect_language(text: str) -> str:
    """The ISO 639-1 code of the language ``text`` is written in (``en``, ``id``, ``de``...):
    py3langid's reading of an article or an answer; ``en`` when there are no letters."""
    if not _LETTER.search(text):
        return DEFAULT
    code = str(_identifier().classify(text)[0])
    return _SAME.get(code, code)


def question_language(question: str) -> str:
    """The language a reader asked ``question`` in: read without its names (capitalised words
    inside a sentence), and a language kabar names wins unless another is ``NAMED_PRIOR`` times
    likelier. Only for questions: a model's answer is checked for the language it was asked
    to write in, where this prior would read an English answer full of names as Indonesian."""
    words = question.split()
    plain = " ".join(
        word
        for i, word in enumerate(words)
        if i == 0 or words[i - 1][-1] in ".!?" or not word[:1].isupper()
    )
    if not _LETTER.search(question):
        return DEFAULT
    readings = [plain] if len(_LETTER.findall(plain)) >= _MIN_LETTERS else [plain, question]
    likelihood: dict[str, float] = {}
    for text in readings:
        for code, probability in _identifier().rank(text):
            language = _SAME.get(code, code)
            likelihood[language] = likelihood.get(language, 0.0) + probability
    best = max(likelihood, key=likelihood.__getitem__)
    named = max((c for c in likelihood if c in NAMES), key=likelihood.__getitem__)
    return named if likelihood[named] * NAMED_PRIOR >= likelihood[best] else best


@functools.cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)  # 1 s, once


SOURCE_WORD_ZIPF = 3.0
"""A word counts as left untranslated only when it is common in the source language: at least
once per million words (Zipf 3 in wordfreq's lists)."""
SOURCE_WORD_GAP = 2.5
"""... and at least 10^2.5 (about 300) times more frequent there than in the target language.
Measured on real text nobody translated, each read as the target against five other languages:
the 45 web-news pages (17,249 English words, 16,267 German, 970 Spanish, 351 Portuguese) and
300 FacQA passages (11,912 Indonesian words) flag at most 1.6 words per 1,000 ("et" of "et al."
read as French in English text; 0.06 for Indonesian in English). In the translated English
answers of a seed run it flagged "rudal" (missile), "perjamuan" (banquet), "roket infanteri"
and sentences left whole in Indonesian; glossing such a word with the bundled model gives it
back unchanged ("rudal" -> "rudal"), so they are shown, not fixed."""


def untranslated(text: str, source: str, target: str) -> list[str]:
    """The words of ``text``, written in ``target``, that are ``source`` words: common there and
    rare in ``target`` (wordfreq's word lists, offline in its wheel). Capitalised words are left
    alone, as names stay as written, unless ``source`` capitalises its nouns too (German
    "Hafenstadt", port city). [] when wordfreq lacks either language."""
    from wordfreq import zipf_frequency

    known = _word_lists()
    if source == target or source not in known or target not in known:
        return []
    left = []
    for word in _judged_words(text, source):
        in_source = zipf_frequency(word, source)
        if (
            in_source >= SOURCE_WORD_ZIPF
            and in_source - zipf_frequency(word, target) >= SOURCE_WORD_GAP
        ):
            left.append(word)
    return left


def left_whole(sentence: str, source: str, target: str) -> bool:
    """Whether most words of a translated ``sentence`` that could be ``source`` words (see
    ``untranslated``) are: the model copied the sentence instead of translating it (on the seed
    set it left the second sentence of t01's answer in Indonesian whole)."""
    return len(untranslated(sentence, source, target)) * 2 > len(_judged_words(sentence, source))


def _judged_words(text: str, source: str) -> list[str]:
    """The words of ``text`` that may be ``source`` words rather than names: the lowercase ones,
    or all where ``source`` capitalises its nouns. ``[n]`` marks hold no letters."""
    words = re.findall(r"\b[^\W\d_]+\b", text)
    return words if not capitals_mark_names(source) else [w for w in words if w.islower()]


@functools.cache
def _word_lists() -> frozenset[str]:
    """The languages wordfreq can look words up in without more packages: Chinese, Japanese
    and Korean need jieba or MeCab to split a text, which it does not install."""
    from wordfreq import available_languages

    return frozenset(available_languages()) - {"zh", "ja", "ko"}


def language_name(code: str) -> str:
    """The language's name in English, for a prompt ("answer in German"); the code otherwise."""
    return NAMES.get(code, f"the language with ISO 639-1 code {code!r}")


def capitals_mark_names(language: str) -> bool:
    """Whether a capital inside a sentence marks a name in ``language``: not in German, which
    capitalises every noun ("Ergebnis", "result", is no name), so the checks that compare a
    text's names with the articles' (``rag.grounding``) do not run there."""
    return language not in _NOUNS_CAPITALISED
