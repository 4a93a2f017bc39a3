"""Cited answers: the code around the LLM, with litellm's mock_response and real failing servers."""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from conftest import KINZHAL

from rag import RAG, Answer, InputError, KabarError, LLMError, Sources
from rag.citations import parse_citations, strip_markers
from rag.grounding import ungrounded
from rag.language import detect_language
from rag.llm import litellm_module
from rag.search import Hit

MODEL = "openai/gpt-4o-mini"


@pytest.fixture
def llm_replies(monkeypatch: pytest.MonkeyPatch):
    """Make litellm answer with canned text (its own mock_response); record the prompts."""
    litellm = litellm_module()
    replies: dict[str, str] = {}
    prompts: list[list[dict[str, str]]] = []
    original = litellm.completion

    def completion(*args, messages, **kwargs):
        prompts.append(messages)
        content = messages[-1]["content"]
        kind = "condense" if "Rewritten question:" in content else "answer"
        kind = "translate" if content.startswith("Translate this answer") else kind
        reply = replies[kind]
        reply = reply(content) if callable(reply) else reply  # a reply may depend on the prompt
        return original(*args, messages=messages, mock_response=reply, **kwargs)

    monkeypatch.setattr(litellm, "completion", completion)
    replies["prompts"] = prompts  # type: ignore[assignment]
    return replies


def numbered(hits: list[Hit], words: str) -> int:
    """The number an answer cites the first of ``hits`` whose text holds ``words`` by."""
    return next(n for n, hit in enumerate(hits, 1) if words in hit.text)


def ask(engine: RAG, question: str, **kwargs) -> Answer:
    return engine.ask(question, llm=kwargs.pop("llm", MODEL), **kwargs)


def test_citations_point_at_the_passages_that_support_the_claims(seeded: RAG, llm_replies) -> None:
    hits = seeded.search("Which frigate did Kim board?")
    frigate = numbered(hits, "Shaposhnikov")
    llm_replies["answer"] = f"Kim boarded the frigate Marshal Shaposhnikov [{frigate}]."
    answer = ask(seeded, "Which frigate did Kim board?")
    assert not answer.abstained and answer.text.endswith(f"[{frigate}].")
    (citation,) = answer.citations
    assert citation.n == frigate and citation.passage.source == KINZHAL
    assert "Marsekal Shaposhnikov" in citation.quote and citation.supported
    original = seeded.article_text(KINZHAL)
    assert original[citation.quote_start : citation.quote_end] == citation.quote
    passage = citation.passage
    assert original[passage.start : passage.end].startswith(passage.text.split("\n")[0])


def test_a_citation_to_the_wrong_passage_is_moved_to_the_right_one(
    seeded: RAG, llm_replies
) -> None:
    hits = seeded.search("Which frigate did Kim board?")
    wrong = next(n for n, h in enumerate(hits, 1) if "Shaposhnikov" not in h.text)
    llm_replies["answer"] = f"Kim boarded the frigate Marsekal Shaposhnikov [{wrong}]."
    answer = ask(seeded, "Which frigate did Kim board?")
    assert [c.passage.source for c in answer.citations] == [KINZHAL]
    assert "Shaposhnikov" in answer.citations[0].quote
    assert f"[{wrong}]" not in answer.text


def test_markers_pointing_to_no_passage_are_dropped(seeded: RAG, llm_replies) -> None:
    llm_replies["answer"] = "Kim saw the Kinzhal missile system [1][9]. He met Shoigu [12]."
    answer = ask(seeded, "What did Kim inspect in Vladivostok?")
    assert answer.invalid_citations == (9, 12)
    assert "[9]" not in answer.text and "[12]" not in answer.text
    # the valid marker stays (moved to the passage naming the Kinzhal if need be); the claim
    # whose only marker was invalid is cited to the passage that supports it
    assert ["Kinzhal" in c.passage.text for c in answer.citations] == [True, False]
    assert "Shoigu" in answer.citations[1].quote


@pytest.mark.parametrize(
    "raw, text, cited, invalid",
    [
        ("A [1]. B [2, 3]. C [Passage 4]. D [7].", "A [1]. B [2][3]. C [4]. D.", [1, 2, 3, 4], [7]),
        ("Kim tiba. [2] Dia pergi.", "Kim tiba [2]. Dia pergi.", [2], []),
        ("Tanpa sumber.", "Tanpa sumber.", [], []),
        ("[sumber 1] dan [0]", "[1] dan", [1], [0]),
    ],
)
def test_citation_markers_are_normalised(raw: str, text: str, cited: list, invalid: list) -> None:
    assert parse_citations(raw, 5) == (text, cited, invalid)


@pytest.mark.parametrize("reply", ["NOT_IN_SOURCES", "Vladivostok has 600,000 people."])
def test_a_declined_or_unsupported_answer_abstains(seeded: RAG, llm_replies, reply: str) -> None:
    llm_replies["answer"] = reply
    answer = ask(seeded, "How many people live in Vladivostok's port district?")
    assert answer.abstained and not answer.citations
    assert answer.text == "The articles do not contain the answer to this question."


@pytest.mark.parametrize("reply", ["NOT_IN_SOURCES", "Not in sources.", "Tidak_in_sources [4]"])
def test_the_abstain_mark_is_read_also_when_the_model_mangles_it(
    seeded: RAG, llm_replies, reply: str
) -> None:
    llm_replies["answer"] = reply
    answer = ask(seeded, "How many North Korean students study at the Far Eastern University?")
    assert answer.abstained and answer.abstain_reason == "declined"


@pytest.mark.parametrize(
    "question, language",
    [
        ("What is the population of Vladivostok?", "The articles do not contain"),
        ("Siapa pemenang pemilu AS 2024?", "Artikel-artikel yang ada tidak memuat"),
    ],
)
def test_weak_retrieval_abstains_without_calling_the_model(
    seeded: RAG, llm_replies, question, language
) -> None:
    llm_replies["answer"] = "Made up [1]."
    for model in (MODEL, "extractive"):
        answer = ask(seeded, question, llm=model)
        assert answer.abstained and answer.text.startswith(language)
    assert llm_replies["prompts"] == []


def test_stream_yields_deltas_then_the_final_answer(seeded: RAG, llm_replies) -> None:
    llm_replies["answer"] = "Delegasi Cina dipimpin oleh Li Hongzhong [1]."
    items = list(seeded.stream("Siapa yang memimpin delegasi Cina?", llm=MODEL))
    sources, deltas, final = items[0], items[1:-1], items[-1]
    assert isinstance(sources, Sources) and len(sources.citations) == len(final.passages)
    assert len(deltas) > 1 and all(isinstance(d, str) for d in deltas)
    assert isinstance(final, Answer) and "".join(deltas) == final.draft
    assert final.text.startswith(final.draft)  # the check may add the sentences it missed
    assert final.timings["sources"] <= final.timings["first_token"] <= final.timings["total"]


def test_sources_come_first_with_each_passages_closest_sentence(seeded: RAG, llm_replies) -> None:
    llm_replies["answer"] = "Li Hongzhong [1]."
    sources = next(seeded.stream("Who led the Chinese delegation?", llm=MODEL))
    assert isinstance(sources, Sources) and llm_replies["prompts"] == []  # before the model
    assert [c.n for c in sources.citations] == [1, 2, 3, 4, 5]
    assert "Li Hongzhong" in sources.citations[0].quote
    assert all(c.quote in c.passage.text for c in sources.citations)


def test_a_claim_no_passage_supports_is_dropped(seeded: RAG, llm_replies) -> None:
    hits = seeded.search("Which frigate did Kim board?")
    n = numbered(hits, "Shaposhnikov")
    llm_replies["answer"] = (
        f"Kim boarded the frigate Marsekal Shaposhnikov [{n}]. "
        f"Kim later went swimming with dolphins in the bay [{n}]."
    )
    answer = ask(seeded, "Which frigate did Kim board?")
    assert answer.text == f"Kim boarded the frigate Marsekal Shaposhnikov [{n}]."
    assert answer.dropped == ("Kim later went swimming with dolphins in the bay.",)


def test_a_bare_name_a_passage_says_word_for_word_is_supported(seeded: RAG, llm_replies) -> None:
    question = "Di lapangan terbang mana Shoigu memperlihatkan rudal Kinzhal?"
    hits = seeded.search(question)
    n = numbered(hits, "Knevichi")
    other = n % len(hits) + 1  # cited to a passage that does not say it: the mark moves
    llm_replies["answer"] = f"Knevichi [{other}]"  # too short for the similarity check alone
    answer = ask(seeded, question)
    assert not answer.abstained, answer.abstain_reason
    assert answer.text.startswith(f"Knevichi [{n}]")
    (knevichi,) = [c for c in answer.citations if c.n == n]
    assert "lapangan terbang Knevichi" in knevichi.quote and knevichi.passage.source == KINZHAL


def test_a_how_far_answer_without_a_distance_gives_way_to_the_sentence_with_it(
    seeded: RAG, llm_replies
) -> None:
    # the passage says the cosmodrome is "sekitar 8.000 km dari Moskow"; the draft says where
    # Putin met Kim, which the passage supports, but not how far
    llm_replies["answer"] = "Putin bertemu Kim di kosmodrom Vostochny [1]."
    answer = ask(seeded, "Berapa jauh kosmodrom Vostochny dari Moskow?")
    assert not answer.abstained, answer.abstain_reason
    assert "8.000 km" in answer.text and "Putin bertemu Kim di kosmodrom" not in answer.text
    assert any("8.000 km" in c.quote for c in answer.citations)


def test_the_answer_step_checks_with_the_calibration_it_is_given(seeded: RAG, llm_replies) -> None:
    # how bench/replay_checks.py measures other thresholds on stored drafts
    question = "Which frigate did Kim board?"
    hits = seeded.search(question)
    n = numbered(hits, "Shaposhnikov")
    llm_replies["answer"] = f"Kim boarded the frigate Marshal Shaposhnikov [{n}]."
    strict = replace(seeded.calibration, supported=1.5)  # no sentence supports a claim so well
    *_, answer = seeded.answerer(strict).stream(question, model=MODEL)
    assert isinstance(answer, Answer) and answer.abstain_reason == "unsupported"
    assert not ask(seeded, question).abstained  # the index's own calibration keeps the claim


def test_an_uncited_claim_gets_the_passage_that_supports_it(seeded: RAG, llm_replies) -> None:
    llm_replies["answer"] = "Li Hongzhong led the Chinese delegation."
    answer = ask(seeded, "Who led the Chinese delegation?")
    assert not answer.abstained
    (citation,) = answer.citations
    assert "Li Hongzhong" in citation.quote and citation.supported
    assert answer.text == f"Li Hongzhong led the Chinese delegation [{citation.n}]."


def test_prompt_fences_passages_and_asks_for_the_question_language(
    seeded: RAG, llm_replies
) -> None:
    llm_replies["answer"] = "Li Hongzhong [1]."
    q = "Siapa yang memimpin delegasi Cina?"
    ask(seeded, q)
    system, user = llm_replies["prompts"][-1]
    assert system["role"] == "system" and "NOT_IN_SOURCES" in system["content"]
    assert [f"[{n}] " in user["content"] for n in range(1, 7)] == [True] * 5 + [False]
    assert user["content"].count("<article date=") == len({h.source for h in seeded.search(q)})
    assert "Jawab dalam bahasa Indonesia" in user["content"]
    assert f"Question: {q}" in user["content"]


def test_follow_up_is_rewritten_before_retrieval_and_answering(seeded: RAG, llm_replies) -> None:
    llm_replies["condense"] = "What did Kim and Shoigu see on the frigate Marshal Shaposhnikov?"
    llm_replies["answer"] = "Torpedo tubes and RBU-6000 rocket launchers [1]."
    history = [
        {"role": "user", "content": "What did Kim inspect in Vladivostok?"},
        {"role": "assistant", "content": "The Kinzhal missile system on a MiG-31I [1]."},
    ]
    answer = seeded.ask("And what did he see on the frigate?", history=history, llm=MODEL)
    assert answer.standalone_question == llm_replies["condense"]
    condense_prompt = llm_replies["prompts"][0][-1]["content"]
    assert "What did Kim inspect in Vladivostok?" in condense_prompt
    assert ["RBU-6000" in h.text for h in answer.passages[:2]] == [True, False]
    # the model is asked the rewritten question: it cannot know who "he" is otherwise
    answer_prompt = llm_replies["prompts"][1][-1]["content"]
    assert f"Question: {llm_replies['condense']}" in answer_prompt
    assert answer.question == "And what did he see on the frigate?"


def test_malformed_history_is_refused(seeded: RAG) -> None:
    with pytest.raises(InputError, match="history"):
        seeded.ask("Who?", history="not a list", llm="extractive")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="role"):
        seeded.ask("Who?", history=[{"role": "wizard", "content": "x"}], llm="extractive")


def test_the_answering_sentence_an_answer_left_out_is_added_and_cited(
    seeded: RAG, llm_replies
) -> None:
    llm_replies["answer"] = "Setibanya di Vladivostok, Kim disambut oleh Shoigu [1]."
    answer = ask(seeded, "Kapal apa yang dinaiki Kim dan Shoigu?")
    assert answer.text.startswith("Setibanya di Vladivostok, Kim disambut oleh Shoigu [")
    assert "menaiki fregat Marsekal Shaposhnikov" in answer.text
    frigate = [c for c in answer.citations if "Shaposhnikov" in c.quote]
    assert frigate and frigate[0].supported and f"[{frigate[0].n}]" in answer.text
    # an answer without a stop ends its sentence before the one added ("Bharrat Ramdehol [1]",
    # over the web-news pages, ran on into the added sentence)
    llm_replies["answer"] = "Setibanya di Vladivostok, Kim disambut oleh Shoigu [1]"
    answer = ask(seeded, "Kapal apa yang dinaiki Kim dan Shoigu?")
    assert re.match(r"Setibanya di Vladivostok, Kim disambut oleh Shoigu \[\d\]\. \w", answer.text)


def test_an_answer_that_repeats_the_question_gives_way_to_the_sentence_that_answers(
    seeded: RAG, llm_replies
) -> None:
    llm_replies["answer"] = "Kapal yang dinaiki Kim dan Shoigu [1]."
    answer = ask(seeded, "Kapal apa yang dinaiki Kim dan Shoigu?")
    assert not answer.abstained and answer.dropped == ("Kapal yang dinaiki Kim dan Shoigu [1].",)
    assert answer.text.startswith("Kim dan Shoigu kemudian menaiki fregat Marsekal Shaposhnikov")
    assert [c.passage.source for c in answer.citations] == [KINZHAL]


def test_no_sentence_in_another_language_is_added_to_an_answer(seeded: RAG, llm_replies) -> None:
    llm_replies["answer"] = "Shoigu handed Kim a letter from Putin [1]."
    answer = ask(seeded, "Who led the Chinese delegation?")
    assert answer.text.startswith("Shoigu handed Kim a letter from Putin [")
    assert "dipimpin" not in answer.text and len(answer.citations) == 1


def marks(translate_prompt: str) -> str:
    """The ``[n]`` marks of the answer a translation request holds (it comes last)."""
    return "".join(f"[{m}]" for m in parse_citations(translate_prompt.split("\n\n")[-1], 5)[1])


def test_an_english_question_over_indonesian_passages_is_answered_in_indonesian_then_translated(
    seeded: RAG, llm_replies
) -> None:
    hits = seeded.search("Which frigate did Kim board?")
    n = numbered(hits, "Shaposhnikov")
    llm_replies["answer"] = f"Kim dan Shoigu menaiki fregat Marsekal Shaposhnikov [{n}]."
    # the translation keeps the marks of the checked answer, which may have been completed
    llm_replies["translate"] = lambda prompt: (
        f"Kim and Shoigu boarded the frigate Marshal Shaposhnikov {marks(prompt)}."
    )
    items = list(seeded.stream("Which frigate did Kim board?", llm=MODEL))
    final = items[-1]
    assert isinstance(final, Answer)
    assert final.text.startswith(f"Kim and Shoigu boarded the frigate Marshal Shaposhnikov [{n}]")
    assert "".join(i for i in items if isinstance(i, str)) == final.text  # no Indonesian shown
    assert final.draft == llm_replies["answer"] and final.timings["translate"] > 0
    answer_prompt, translate_prompt = (p[-1]["content"] for p in llm_replies["prompts"])
    assert "Jawab dalam bahasa Indonesia" in answer_prompt
    assert "from Indonesian" in translate_prompt and "into English" in translate_prompt
    assert llm_replies["answer"] in translate_prompt  # the checked answer is what is translated
    frigate = next(c for c in final.citations if c.n == n)
    assert frigate.passage.source == KINZHAL and "Marsekal Shaposhnikov" in frigate.quote


@pytest.mark.parametrize(
    "translation",
    [
        "Kim and Shoigu boarded the frigate Marshal Shaposhnikov.",  # the marks are lost
        "Kim and 2 officers boarded the frigate Marshal Shaposhnikov {marks}.",  # a number added
        "Kim and Shoigu boarded the frigate Marshal Shaposhnikov {marks}. "
        "They swam with dolphins in the bay {marks}.",  # a claim no passage supports
        "Kim dan Shoigu menaiki fregat Marsekal Shaposhnikov {marks}.",  # left in Indonesian
    ],
)
def test_a_translation_that_fails_its_check_leaves_the_checked_answer_with_a_note(
    seeded: RAG, llm_replies, translation: str
) -> None:
    hits = seeded.search("Which frigate did Kim board?")
    n = numbered(hits, "Shaposhnikov")
    llm_replies["answer"] = f"Kim dan Shoigu menaiki fregat Marsekal Shaposhnikov [{n}]."
    llm_replies["translate"] = lambda prompt: translation.format(marks=marks(prompt))
    answer = ask(seeded, "Which frigate did Kim board?")
    checked, note = answer.text.split("\n\n")
    assert checked.startswith(llm_replies["answer"]) and "the translation did not keep" in note
    assert KINZHAL in [c.passage.source for c in answer.citations]


def test_words_a_translation_left_in_the_articles_language_are_named_in_a_note(
    seeded: RAG, llm_replies
) -> None:
    n = numbered(seeded.search("Which frigate did Kim board?"), "Shaposhnikov")
    llm_replies["answer"] = f"Kim dan Shoigu menaiki kapal perang Marsekal Shaposhnikov [{n}]."
    translation = "Kim and Shoigu boarded the kapal perang Marshal Shaposhnikov"
    llm_replies["translate"] = lambda prompt: f"{translation} {marks(prompt)}."
    answer = ask(seeded, "Which frigate did Kim board?")
    assert answer.text.startswith(f"{translation} [{n}]")  # English, with two words named
    assert answer.text.endswith("(Left untranslated, as the articles write them: kapal, perang.)")


def test_words_an_answer_written_in_the_question_language_left_behind_are_named(
    seeded: RAG, llm_replies
) -> None:
    n = numbered(seeded.search("Which frigate did Kim board?"), "Shaposhnikov")
    llm_replies["answer"] = f"Kim and Shoigu boarded the kapal perang Marshal Shaposhnikov [{n}]."
    answer = ask(seeded, "Which frigate did Kim board?")
    assert answer.text.startswith(llm_replies["answer"]) and len(llm_replies["prompts"]) == 1
    assert answer.text.endswith("(Left untranslated, as the articles write them: kapal, perang.)")


BOMBERS = "When did Kim inspect the bombers and the hypersonic missiles?"
ENGLISH = {
    "Kim meninjau pesawat pembom strategis": "Kim inspected strategic bombers",
    "Kim Jong-un bertemu Sergei Shoigu": "Kim Jong-un met Sergei Shoigu",
}
LEAD = (
    "MOSKOW – Pemimpin Korea Utara Kim Jong Un tiba di Vladivostok Rusia, di mana dia bertemu "
    "dengan Menteri Pertahanan Rusia Sergei Shoigu dan memeriksa sistem rudal pesawat hipersonik "
    "sebelum menaiki kapal perang"
)
MEETING = "When did Kim Jong-un meet Sergei Shoigu in Pyongyang?"


@pytest.mark.parametrize(
    ("question", "claim", "said", "translated", "kept"),
    [
        (BOMBERS, "Kim meninjau pesawat pembom strategis", "hari Sabtu", "Saturday", True),
        (BOMBERS, "Kim meninjau pesawat pembom strategis", "hari Sabtu", "Sunday", False),
        # a date may be written in words ("July 26, 2023" is how the model wrote it)
        (
            MEETING,
            "Kim Jong-un bertemu Sergei Shoigu",
            "Rabu (26/7/2023)",
            "Wednesday (July 26, 2023)",
            True,
        ),
        (
            MEETING,
            "Kim Jong-un bertemu Sergei Shoigu",
            "Rabu (26/7/2023)",
            "Wednesday (June 26, 2023)",
            False,
        ),
    ],
)
def test_a_translation_must_keep_the_days_and_dates(
    seeded: RAG, llm_replies, question: str, claim: str, said: str, translated: str, kept: bool
) -> None:
    hits = seeded.search(question)
    n = numbered(hits, f"pada {said}")
    llm_replies["answer"] = f"{claim} pada {said} [{n}]."
    # a translation true to everything but the day or date (the answer to translate comes last,
    # completed with the seed's lead for the bombers)
    english = {
        f"{claim} pada {said}": f"{ENGLISH[claim]} on {translated}",
        LEAD: "MOSCOW – North Korean leader Kim Jong Un arrived in Vladivostok, Russia, where he "
        "met Russian Defense Minister Sergei Shoigu and inspected a hypersonic aircraft missile "
        "system before boarding a warship",
    }
    llm_replies["translate"] = lambda prompt: functools.reduce(
        lambda text, pair: text.replace(*pair), english.items(), prompt.split("\n\n")[-1]
    )
    answer = ask(seeded, question)
    assert (f"{translated} [{n}]" in answer.text) is kept
    assert ("the translation did not keep" in answer.text) is not kept


def test_a_translation_that_drops_a_denial_is_refused(seeded: RAG, llm_replies) -> None:
    question = "Did North Korea sell weapons to Russia?"
    denial = "membantah telah melakukan transaksi senjata dengan Rusia"
    n = numbered(seeded.search(question), denial)
    llm_replies["answer"] = f"Korea Utara {denial} [{n}]."
    llm_replies["translate"] = f"North Korea has conducted arms deals with Russia [{n}]."
    answer = ask(seeded, question)
    assert answer.text.startswith(llm_replies["answer"])
    assert "the translation did not keep" in answer.text
    llm_replies["translate"] = f"North Korea denied conducting arms deals with Russia [{n}]."
    assert ask(seeded, question).text == llm_replies["translate"]


def test_the_note_on_an_untranslated_answer_is_in_the_question_language(
    seeded: RAG, llm_replies
) -> None:
    question = "Sur quelle frégate Kim est-il monté avec Shoigu ?"
    hits = seeded.search(question)
    n = numbered(hits, "Shaposhnikov")
    llm_replies["answer"] = f"Kim dan Shoigu menaiki fregat Marsekal Shaposhnikov [{n}]."
    llm_replies["translate"] = "Kim et Shoigu sont montés à bord de la frégate."  # marks lost
    answer = ask(seeded, question)
    checked, note = answer.text.split("\n\n")
    assert checked.startswith(llm_replies["answer"]) and "la traduction ne conservait" in note
    assert "into French" in llm_replies["prompts"][-1][-1]["content"]


@pytest.mark.parametrize(
    ("question", "written", "held"),
    [
        ("Who led the Chinese delegation?", "Li Hongzhong led the Chinese delegation", "Li"),
        # mostly names: py3langid reads it as Bikol, and a prior for the languages kabar names
        # would read it as Indonesian (then "translate" it, and check its names as such)
        (
            "On what date did Kim Jong Un meet Sergei Shoigu in Pyongyang?",
            "Kim Jong Un met Sergei Shoigu in Pyongyang on July 26, 2023",
            "26/7/2023",
        ),
    ],
)
def test_an_answer_written_in_the_question_language_anyway_is_not_translated(
    seeded: RAG, llm_replies, question: str, written: str, held: str
) -> None:
    n = numbered(seeded.search(question), held)
    llm_replies["answer"] = f"{written} [{n}]."
    items = list(seeded.stream(question, llm=MODEL))
    final = items[-1]
    assert isinstance(final, Answer) and final.text.startswith(written)
    assert "translate" not in final.timings and len(llm_replies["prompts"]) == 1
    assert [i for i in items if isinstance(i, str)] == [llm_replies["answer"]]


def test_extractive_answer_cites_the_sentence_it_quotes(seeded: RAG) -> None:
    answer = seeded.ask("Kapal apa yang dinaiki Kim dan Shoigu?", llm="extractive")
    assert not answer.abstained and answer.model == "extractive"
    assert any(
        c.passage.source == KINZHAL and c.quote.rstrip(".") in answer.text for c in answer.citations
    )
    assert any("Shaposhnikov" in c.quote for c in answer.citations)


def test_an_extractive_answer_in_another_language_says_it_quotes(seeded: RAG) -> None:
    answer = seeded.ask("What did Kim inspect in Vladivostok?", llm="extractive")
    quotes, note = answer.text.split("\n\n")
    assert "memeriksa" in quotes  # Indonesian sentences, not followed by a list of their words
    assert note == "(Quoted in the articles' language, not translated.)"
    same = seeded.ask("Kapal apa yang dinaiki Kim dan Shoigu?", llm="extractive")
    assert "\n\n" not in same.text


# -- provider failures, against a real HTTP server on localhost ----------------------------------


class _Provider(http.server.BaseHTTPRequestHandler):
    status = 500
    delay = 0.0

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        time.sleep(self.delay)
        body = json.dumps({"error": {"message": f"status {self.status}", "type": "x"}}).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def serve(
    base: type[http.server.BaseHTTPRequestHandler], monkeypatch: pytest.MonkeyPatch, **state: Any
) -> Iterator[Any]:
    """Serve a copy of the handler ``base`` (with class attributes ``state``) on localhost as
    the OpenAI provider litellm calls, for the length of a test; yields the copy."""
    handler = type("Handler", (base,), state)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("OPENAI_API_BASE", f"http://127.0.0.1:{server.server_port}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-kabar-test-secret-0123456789")
    yield handler
    server.shutdown()


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Provider]]:
    yield from serve(_Provider, monkeypatch)


@pytest.mark.parametrize(
    "status, message",
    [(401, "refused the API key"), (429, "rate limited"), (500, "provider failed")],
)
def test_provider_errors_end_in_a_clear_message(
    seeded: RAG, provider, status: int, message: str
) -> None:
    provider.status = status
    engine = RAG(seeded.settings.replace(llm_retries=0))
    with pytest.raises(LLMError, match=message) as failure:
        engine.ask("Who led the Chinese delegation?", llm=MODEL)
    assert "sk-kabar-test-secret" not in str(failure.value)


def test_a_slow_provider_times_out_instead_of_hanging(seeded: RAG, provider) -> None:
    provider.status, provider.delay = 200, 60.0
    engine = RAG(seeded.settings.replace(llm_timeout=1.0, llm_retries=0))
    started = time.monotonic()
    with pytest.raises(LLMError, match="did not answer in time|Timeout"):
        engine.ask("Who led the Chinese delegation?", llm=MODEL)
    # the error came back before the provider would have answered (a loose bound on purpose:
    # retrieval alone takes seconds on a loaded 2-core machine)
    assert time.monotonic() - started < provider.delay


def test_refused_connection_falls_back_to_the_configured_model(
    seeded: RAG, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_BASE", "http://127.0.0.1:9/v1")  # nothing listens there
    monkeypatch.setenv("OPENAI_API_KEY", "sk-kabar-test-secret-0123456789")
    engine = RAG(seeded.settings.replace(llm_retries=0, fallback_llm="extractive"))
    answer = engine.ask("Which frigate did Kim board?", llm=MODEL)
    assert answer.model == "extractive" and not answer.abstained
    with pytest.raises(LLMError, match="could not connect"):
        RAG(seeded.settings.replace(llm_retries=0)).ask("Which frigate did Kim board?", llm=MODEL)


class _Streamer(http.server.BaseHTTPRequestHandler):
    """An OpenAI-compatible provider that streams its ``replies`` in turn (each a text, or a
    function of the prompt) one word a token, and stops at the request's ``max_tokens`` with
    finish reason "length", as a real one does."""

    replies: list[Any] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        reply = self.replies.pop(0)
        words = re.findall(
            r"\S+\s*", reply(body["messages"][-1]["content"]) if callable(reply) else reply
        )
        limit = body["max_tokens"]
        deltas = [({"content": word}, None) for word in words[:limit]]
        for delta, finish in [*deltas, ({}, "length" if len(words) > limit else "stop")]:
            chunk = {
                "id": "kabar-test",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "gpt-4o-mini",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def streamer(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Streamer]]:
    yield from serve(_Streamer, monkeypatch, replies=[])


@pytest.mark.parametrize("max_tokens, whole", [(14, False), (100, True)])
def test_a_sentence_cut_off_at_the_token_limit_is_left_out(
    seeded: RAG, streamer, max_tokens: int, whole: bool
) -> None:
    """A draft that stops mid-sentence because it reached ``max_tokens`` loses that sentence,
    though its passage holds the words; the same sentence written whole stays."""
    draft = (
        "Kim dan Shoigu kemudian menaiki fregat Marsekal Shaposhnikov [3]. "
        "Di lapangan terbang Knevichi, Shoigu menunjukkan kepada Kim sistem rudal Kinzhal [3]."
    )
    streamer.replies = [draft]
    engine = RAG(seeded.settings.replace(max_tokens=max_tokens))
    answer = ask(engine, "Fregat apa yang dinaiki Kim dan Shoigu?")
    assert not answer.abstained, answer.text
    assert "Shaposhnikov" in answer.text
    assert ("Knevichi" in answer.text) is whole, answer.text
    assert answer.draft.rstrip() == " ".join(draft.split()[:max_tokens])  # the model's own


@pytest.mark.parametrize(
    "translation, shown",
    [
        ("Kim and Shoigu then boarded the frigate Marshal Shaposhnikov {marks}.", True),
        ("Kim and Shoigu then boarded the frigate Marshal Shaposhnikov {marks}. " * 20, False),
    ],
)
def test_a_translation_gets_room_for_the_whole_answer_and_is_not_shown_cut_off(
    seeded: RAG, streamer, translation: str, shown: bool
) -> None:
    """A translation may be longer than ``max_tokens`` (an answer completed with passage
    sentences is), up to half a token a character of the answer; one cut off there is not
    shown, the checked answer is, with a note."""
    hits = seeded.search("Which frigate did Kim board?")
    n = numbered(hits, "Shaposhnikov")
    draft = f"Kim dan Shoigu menaiki fregat Marsekal Shaposhnikov [{n}]."
    streamer.replies = [draft, lambda prompt: translation.format(marks=marks(prompt))]
    engine = RAG(seeded.settings.replace(max_tokens=len(draft.split())))
    answer = ask(engine, "Which frigate did Kim board?")
    assert answer.draft == draft
    assert ("boarded the frigate" in answer.text) is shown, answer.text
    assert ("menaiki fregat" in answer.text) is not shown, answer.text


@pytest.mark.slow
def test_local_model_answers_a_seed_question_with_citations(seeded: RAG) -> None:
    engine = RAG(seeded.settings.replace(max_tokens=60))
    answer = engine.ask("Which frigate did Kim board?", llm="local/qwen2.5-1.5b")
    assert answer.model == "local/qwen2.5-1.5b"
    assert not answer.abstained, answer.text
    assert "Shaposhnikov" in answer.text
    assert any(c.passage.source == KINZHAL for c in answer.citations)


@pytest.mark.slow
def test_local_model_answers_the_readme_question_in_english_from_the_vladivostok_article(
    seeded: RAG,
) -> None:
    """The README's example: the default offline model, the seed index, no network."""
    answer = seeded.ask("What did Kim inspect in Vladivostok?", llm="local/qwen2.5-1.5b")
    assert not answer.abstained, answer.text
    # drafted in the articles' language, checked, then translated (or shown with a note)
    assert detect_language(answer.draft) == "id", answer.draft
    assert detect_language(strip_markers(answer.text)) == "en", answer.text
    assert KINZHAL in [c.passage.source for c in answer.citations], answer.citations
    # Which of the Kinzhal, the MiG-31I and the frigate it names depends on the CPU (greedy
    # decoding is not bit-identical); on the last machine it named none (see README, Evaluation).


def test_a_number_no_passage_contains_is_treated_as_invented(seeded: RAG) -> None:
    hits = seeded.search("Berapa tabung torpedo di fregat Marsekal Shaposhnikov?")
    assert ungrounded("The launcher has 4 tubes.", "How many tubes?", hits, False) == set()
    assert ungrounded("It is 8,000 km from Moscow.", "How far?", hits, False) == set()
    assert ungrounded("The range is 1,000 km.", "What range?", hits, False) == {"1000"}


def test_a_name_no_passage_contains_is_invented_only_when_nothing_was_translated(
    seeded: RAG,
) -> None:
    question = "Kapal apa yang dinaiki Kim dan Shoigu?"
    hits = seeded.search(question)
    copied = "Kim dan Shoigu menaiki fregat Marsekal Shaposhnikov."
    assert ungrounded(copied, question, hits, True) == set()
    invented = "Kim dan Shoigu menaiki kapal Admiral Kuznetsov bersama Kim Yoo-hyun."
    assert ungrounded(invented, question, hits, True) == {"admiral", "kuznetsov", "yoo-hyun"}
    # an English answer over Indonesian passages translates: "Tuesday" is no invention
    assert ungrounded("The trip began on Tuesday.", "When?", hits, False) == set()


def test_an_indonesian_answer_naming_someone_no_passage_names_abstains(
    seeded: RAG, llm_replies
) -> None:
    llm_replies["answer"] = "Kim disambut oleh Ri Sol-ju di Vladivostok [1]."
    answer = ask(seeded, "Siapa yang menyambut Kim di Vladivostok?")
    assert answer.abstained and answer.abstain_reason == "ungrounded"


def test_a_question_naming_what_no_passage_names_abstains_before_the_model(
    seeded: RAG, llm_replies
) -> None:
    # Shoigu is in the seeds, Erdogan and Ankara are not: the passages are about another visit
    llm_replies["answer"] = "Erdogan bertemu Shoigu pada hari Rabu [1]."
    answer = ask(seeded, "Kapan Erdogan bertemu Shoigu di Ankara?")
    assert answer.abstained and answer.abstain_reason == "names"
    assert "menyebut Erdogan, Ankara." in answer.text
    assert not llm_replies["prompts"]  # the model was never asked
    llm_replies["answer"] = "Kim disambut oleh Shoigu di Vladivostok [1]."
    assert not ask(seeded, "Siapa yang menyambut Kim di Vladivostok?").abstained
    assert llm_replies["prompts"]


def test_a_question_naming_what_no_article_names_abstains_before_the_model(
    seeded: RAG, llm_replies
) -> None:
    # the passages hold Shoigu, Kim and Jong (3 of 4 names, enough), but no seed names Prabowo
    question = "Apa yang dikatakan Shoigu kepada Kim Jong Un tentang Prabowo?"
    llm_replies["answer"] = "Shoigu menyerahkan surat kepada Kim dari Presiden Rusia [1]."
    answer = ask(seeded, question)
    assert answer.abstained and answer.abstain_reason == "names"
    assert answer.text.endswith("Tidak ada artikel yang menyebut Prabowo.")  # says which
    assert not llm_replies["prompts"]  # the model was never asked
    assert not ask(seeded, question.replace("Prabowo", "Putin")).abstained


APTINDO = (  # a real FacQA passage (IndoNLU, MIT): its question scores 0.81 against it
    "Produsen tepung terigu akan menaikkan harga terigu sekitar dua persen sebagai dampak dari "
    'melemahnya nilai tukar rupiah yang mencapai Rp 10.300 per dollar AS. " Kami akan menaikkan '
    'harga tepung terigu pada hari Jumat (9/8, Red) ", kata Direktur Eksekutif Asosiasi Produsen '
    "Tepung Terigu Indonesia (Aptindo) Ratna Sari Loppies di Jakarta, Kamis.\n"
)


def test_a_short_question_about_a_rare_name_is_answered_under_the_retrieval_floor(
    fresh: RAG, tmp_path, llm_replies
) -> None:
    article = tmp_path / "terigu.txt"
    article.write_text(APTINDO, encoding="utf-8")
    assert not fresh.ingest([article]).failed
    question = "Apakah kepanjangan dari Aptindo?"
    assert fresh.search(question)[0].similarity < fresh.calibration.floor(True)
    llm_replies["answer"] = "Aptindo adalah Asosiasi Produsen Tepung Terigu Indonesia [1]."
    answer = ask(fresh, question)  # the passage names Aptindo word for word: the model is asked
    assert not answer.abstained
    assert "Asosiasi Produsen Tepung Terigu Indonesia [1]" in answer.text
    # under the floor, a question about a name no passage holds abstains before the model
    asked = len(llm_replies["prompts"])
    answer = ask(fresh, "Apakah kepanjangan dari Gapmmi?")
    assert answer.abstained and answer.abstain_reason == "retrieval"
    assert len(llm_replies["prompts"]) == asked


STUDEN = (  # shared/corpora/web-news: polizeiticker.ch (German) and heartlandnewsfeed.com
    "Am Sonntag, 5. November 2023, kurz nach 21.25 Uhr, wurde der Kantonspolizei Bern auf der "
    "A6 bei Studen ein schwerer Verkehrsunfall gemeldet. Aus ungeklärten Gründen fuhr ein "
    "Autolenker im Bereich der Ausfahrt Studen in die entgegengesetzte Richtung auf die A6 in "
    "Fahrtrichtung Biel auf. Der Autolenker wurde bei der Kollision tödlich verletzt.\n"
)
BLOTTER = (
    "October 21: ACCIDENT – A Quincy driver was ticketed by Taylorville police following a "
    "traffic accident in the construction zone on the bridge at Illinois Route 29 at 10:21 a.m. "
    "A car driven by Leanne L. Hivley, 52, of Quincy, was southbound on the highway through the "
    "construction zone, failed to reduce speed, and collided with the rear end of a pickup.\n"
)


def test_a_claim_is_never_cited_to_a_passage_without_its_number(
    fresh: RAG, tmp_path, llm_replies
) -> None:
    for name, text in (("studen.txt", STUDEN), ("blotter.txt", BLOTTER)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert not fresh.ingest([tmp_path / "studen.txt", tmp_path / "blotter.txt"]).failed
    question = "When did the accident on the A6 near Studen happen?"
    numbers = {h.source: n for n, h in enumerate(fresh.search(question), 1)}
    # the local model's answer over the web-news pages: the blotter's date, and the Studen
    # report, close in meaning and holding "2023", had taken its citation
    llm_replies["answer"] = f"October 21, 2023 [{numbers['studen.txt']}]."
    answer = ask(fresh, question)
    assert "studen.txt" not in {c.passage.source for c in answer.citations}
    # the right date cited to the wrong report moves to the one that holds it
    llm_replies["answer"] = f"On Sunday, 5 November 2023 [{numbers['blotter.txt']}]."
    answer = ask(fresh, question)
    assert [c.passage.source for c in answer.citations] == ["studen.txt"]


TESLA = (  # shared/corpora/web-news: autonews.ch (German), beside two English reports
    "Es gibt immer wieder Gerüchte zu Tesla und derzeit gibt es das Gerücht, Tesla plane in "
    "China eine zweite Autofabrik um die Nachfrage hoch fahren zu können. Angeblich hat das "
    "Unternehmen auch schon Qingdao, eine Hafenstadt im Osten Chinas als zweiten Standort "
    "ausgesucht.\n"
)
KOBE_MASKS = (
    "KOBE – A total of 6,000 surgical masks have been lost at a hospital in Kobe, it was "
    "learned Tuesday. The Hyogo Prefectural Police is investigating the incident as a case of "
    "theft.\n"
)


def test_words_an_answer_copies_from_a_cited_passage_in_another_language_are_named(
    fresh: RAG, tmp_path, llm_replies
) -> None:
    texts = {"tesla.txt": TESLA, "kobe.txt": KOBE_MASKS, "blotter.txt": BLOTTER}
    for name, text in texts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert not fresh.ingest([tmp_path / name for name in texts]).failed
    question = "Which city did rumours name for Tesla's second factory in China?"
    n = numbered(fresh.search(question), "Qingdao")
    # the local model's draft: most passages are English, so it wrote English itself, with the
    # German passage's words; nothing was translated, and the mix went out without a note
    llm_replies["answer"] = (
        "Qingdao, a Hafenstadt in the Osten Chinas, was mentioned as a second standort for "
        f"Tesla's second factory in China [{n}]."
    )
    answer = ask(fresh, question)
    assert answer.text.startswith(llm_replies["answer"]) and len(llm_replies["prompts"]) == 1
    assert answer.text.endswith(
        "(Left untranslated, as the articles write them: Hafenstadt, Osten, standort.)"
    )


def test_a_claim_keeps_the_passage_that_holds_its_number(seeded: RAG, llm_replies) -> None:
    question = "Which anniversary of the end of the Korean War was Shoigu in Pyongyang for?"
    hits = seeded.search(question)
    cited = numbered(hits, "perjalanan kejutan")
    # seed q20's draft, cited to the passage that says "peringatan 70 tahun": the check read
    # its "70th" as no number and moved the citation to the lead, which names Pyongyang
    claim = "Shoigu visited Pyongyang for the 70th anniversary of the end of the Korean War"
    llm_replies["answer"] = f"{claim} on July 27, 2023 [{cited}]."
    answer = ask(seeded, question)
    assert not answer.abstained and answer.text.startswith(claim)
    (citation,) = answer.citations
    assert "70 tahun" in citation.passage.text and citation.supported


def test_an_answer_with_an_invented_number_abstains(seeded: RAG, llm_replies) -> None:
    llm_replies["answer"] = "The Kinzhal missile has a range of 2,000 kilometres [1]."
    answer = ask(seeded, "What is the range of the Kinzhal missile shown to Kim?")
    assert answer.abstained and answer.abstain_reason == "ungrounded"


def test_a_missing_prompt_file_is_a_clear_error(seeded: RAG, tmp_path) -> None:
    engine = RAG(seeded.settings.replace(prompts_dir=str(tmp_path)))
    with pytest.raises(KabarError, match=r"prompt file .*passage\.md .*KABAR_PROMPTS_DIR"):
        engine.ask("Who led the Chinese delegation?", llm=MODEL)


def test_a_prompt_with_an_unknown_placeholder_is_a_clear_error(seeded: RAG, tmp_path) -> None:
    (tmp_path / "not_in_sources.en.md").write_text("Nothing about {topic}.", encoding="utf-8")
    (tmp_path / "condense.md").write_text("Rewrite {question} from {chat}", encoding="utf-8")
    engine = RAG(seeded.settings.replace(prompts_dir=str(tmp_path)))
    history = [{"role": "user", "content": "Who is Shoigu?"}]
    with pytest.raises(KabarError, match=r"condense\.md.*\{chat\}|condense\.md.*'chat'"):
        engine.ask("And Kim?", history=history, llm=MODEL)
