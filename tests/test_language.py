"""Languages beyond Indonesian and English: detection, abstention text, stopwords, sentences."""

from __future__ import annotations

import pytest

from rag.chunk import sentences
from rag.language import (
    detect_language,
    language_name,
    left_whole,
    question_language,
    untranslated,
)
from rag.lexical import tokenize
from rag.prompts import not_in_sources


@pytest.mark.parametrize(
    "question, language",
    [
        ("What did Kim inspect in Vladivostok?", "en"),
        ("Who won the election?", "en"),
        ("Apa yang diperiksa Kim di Vladivostok?", "id"),
        ("Kapan menteri itu mengundurkan diri?", "id"),  # py3langid alone says Malay
        ("Wer hat die Wahl gewonnen?", "de"),
        ("Warum hat die Bank die Zinsen erhöht?", "de"),
        ("¿Quién ganó las elecciones?", "es"),
        ("¿Dónde se construye el nuevo puente?", "es"),
        ("Qui a gagné les élections ?", "fr"),
        ("Pourquoi la banque a-t-elle augmenté ses taux ?", "fr"),
        # names mislead py3langid alone (Scottish Gaelic, Nigerian Pidgin, Kikuyu, Javanese)
        ("Who is Shoigu?", "en"),
        ("When did Kim Jong-un meet Sergei Shoigu in Pyongyang?", "en"),
        ("Siapa nama Presiden Uzbekistan?", "id"),
        ("Kapan kambing hasil kloning Dolly lahir?", "id"),
        # few words besides the names: names of other languages (web-news pages) weigh less
        ("Who is Benjamin Näßler?", "en"),
        ("Who is Luana Yasmin Gonçalves da Silva?", "en"),
        ("Wo liegt Ponta Porã?", "de"),
        # a language kabar has no name for keeps its own code when it is clearly that one
        ("När började Kims resa till Ryssland?", "sv"),
        ("Что осматривал Ким во Владивостоке?", "ru"),
        ("Sapa sing ditemoni Shoigu ing Pyongyang?", "jv"),
    ],
)
def test_the_language_of_a_short_question(question: str, language: str) -> None:
    assert question_language(question) == language


def test_text_without_letters_reads_as_english() -> None:
    assert detect_language("2024 — 3.5%?") == "en"


@pytest.mark.parametrize(
    "language, text",
    [
        ("de", "Die Artikel enthalten keine Antwort auf diese Frage."),
        ("es", "Los artículos no contienen la respuesta a esta pregunta."),
        ("fr", "Les articles ne contiennent pas la réponse à cette question."),
        ("pt", "The articles do not contain the answer to this question."),
    ],
)
def test_not_in_sources_speaks_the_question_language_or_english(language: str, text: str) -> None:
    assert not_in_sources(language) == text


def test_language_names_for_the_prompt() -> None:
    assert language_name("de") == "German"
    assert language_name("sw") == "the language with ISO 639-1 code 'sw'"


def test_german_spanish_french_function_words_are_not_search_terms() -> None:
    assert tokenize("Wer hat die Wahl in der Stadt gewonnen?") == [
        "die",
        "wahl",
        "stadt",
        "gewonnen",
    ]
    assert tokenize("¿Quién ganó las elecciones del año?") == ["ganó", "elecciones", "año"]
    assert tokenize("Qui a gagné les élections dans la ville ?") == ["gagné", "élections", "ville"]
    assert "war" in tokenize("Der Krieg war lang; the war was long.")


def test_sentences_do_not_break_after_titles_initials_or_abbreviations() -> None:
    text = (
        "Dr. Kim met Prof. Dr. Ir. Budi Santoso in Jakarta. Es gibt z. B. die Bahn. "
        "J. K. Rowling wrote it. Harga naik 3.5 persen. Then he left."
    )
    assert [text[s:e] for s, e in sentences(text)] == [
        "Dr. Kim met Prof. Dr. Ir. Budi Santoso in Jakarta.",
        "Es gibt z. B. die Bahn.",
        "J. K. Rowling wrote it.",
        "Harga naik 3.5 persen.",
        "Then he left.",
    ]


@pytest.mark.parametrize(
    ("text", "source", "target", "left"),
    [
        # words of a seed run's translated answers that the model left in Indonesian
        ("Kim inspected the rudal system of the hypersonic missile [3].", "id", "en", ["rudal"]),
        ("North Korea sent roket infanteri and drones [3].", "id", "en", ["roket", "infanteri"]),
        # names stay as written, and words both languages use are not left behind
        ("Kim boarded the Marsekal Shaposhnikov with a torpedo expert [1].", "id", "en", []),
        ("Muratov habló de armas nucleares y del gas en Ucrania [1].", "en", "es", []),
        ("Muratov mengungkapkan penggunaan armas nuclear [1].", "es", "id", ["armas", "nuclear"]),
        # German capitalises its nouns: a capital marks no name there
        ("Qingdao, a Hafenstadt in the Osten of China [2].", "de", "en", ["Hafenstadt", "Osten"]),
        ("Luisa Neubauer met Joe Kaeser of Siemens in Berlin [1].", "de", "en", []),
        ("Kim saw it [1].", "gd", "en", []),  # a language without a word list is not judged
        ("金正恩视察了 missile [1].", "en", "zh", []),  # nor one wordfreq needs jieba to split
    ],
)
def test_words_a_translation_left_in_the_source_language(
    text: str, source: str, target: str, left: list[str]
) -> None:
    assert untranslated(text, source, target) == left


@pytest.mark.parametrize(
    ("sentence", "source", "whole"),
    [  # a translation into English that copied its sentence whole, or translated it
        ("Kim dan Shoigu menaiki fregat Marsekal Shaposhnikov [2].", "id", True),
        ("Kim and Shoigu boarded the frigate Marshal Shaposhnikov [2].", "id", False),
        ("Die Kantonspolizei Bern meldete einen schweren Verkehrsunfall [1].", "de", True),
        ("The Bern cantonal police reported a serious accident on the A6 [1].", "de", False),
    ],
)
def test_a_sentence_copied_rather_than_translated(sentence: str, source: str, whole: bool) -> None:
    assert left_whole(sentence, source, "en") == whole
