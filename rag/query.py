"""One conversation turned into one search query, for answers and evaluation alike."""

from __future__ import annotations

from collections.abc import Sequence

from rag.citations import strip_markers
from rag.config import Settings
from rag.errors import LLMError
from rag.generate import Generator
from rag.prompts import prompt

TURNS = 4  # conversation turns shown to the rewriter
TURN_CHARS = 400  # of each turn
REWRITE_TOKENS = 64
MIN_REWRITE_CHARS = 3  # a shorter rewrite is noise; search with the question as asked


def search_query(
    question: str,
    history: Sequence[dict[str, str]],
    writers: Sequence[Generator],
    settings: Settings,
) -> str:
    """``question`` rewritten to stand alone, using the conversation (follow-ups).

    The first of ``writers`` that writes free text rewrites it; with none (``extractive``, or
    every model failing) the user's previous questions are searched along with it.
    """
    turns = [t for t in history if t.get("role") in ("user", "assistant") and t.get("content")]
    if not turns:
        return question
    transcript = "\n".join(
        f"{t['role']}: {strip_markers(t['content'])[:TURN_CHARS]}" for t in turns[-TURNS:]
    )
    for writer in writers:
        request = prompt("condense.md", settings, history=transcript, question=question)
        try:
            rewritten = writer.write(request, REWRITE_TOKENS)
        except LLMError:
            continue
        lines = (rewritten or "").strip().splitlines()
        line = lines[0].strip().strip('"') if lines else ""
        if MIN_REWRITE_CHARS <= len(line) <= settings.max_question_chars:
            return line
    asked = [t["content"] for t in turns if t["role"] == "user"][-2:]
    return " ".join([*asked, question])
