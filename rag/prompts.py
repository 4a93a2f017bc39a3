"""Prompt templates: files in ``prompts/`` (or ``KABAR_PROMPTS_DIR``) with named placeholders.

A missing, unreadable or malformed template is a ``PromptError`` naming the file and the
setting, never a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path

from rag import bundled
from rag.config import Settings
from rag.errors import KabarError
from rag.evidence import Evidence
from rag.language import DEFAULT, language_name
from rag.when import reference_date

ABSTAIN_MARK = "NOT_IN_SOURCES"
"""What the system prompt tells the model to reply when the passages do not hold the answer."""


def declines(reply: str) -> bool:
    """True when the model's reply holds ``ABSTAIN_MARK``, also as a small model mangles it:
    spaced ("Not in sources") or with its first word translated ("Tidak_in_sources", from
    the local model answering an English question in Indonesian on the seed set)."""
    upper = reply.upper()
    return ABSTAIN_MARK in upper.replace(" ", "_") or "_IN_SOURCES" in upper


class PromptError(KabarError):
    """A prompt template is missing or has placeholders kabar cannot fill."""


def prompt(name: str, settings: Settings | None = None, **values: str) -> str:
    """The template ``name`` with its placeholders filled (bundled, or from ``prompts_dir``)."""
    folder = Path(settings.prompts_dir) if settings and settings.prompts_dir else bundled.prompts()
    path = folder / name
    try:
        template = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptError(
            f"cannot read the prompt file {path} ({type(exc).__name__}); "
            "check KABAR_PROMPTS_DIR or restore the file"
        ) from None
    if not values:
        return template.strip()
    try:
        return template.format(**values).strip()
    except (KeyError, IndexError, ValueError) as exc:
        raise PromptError(
            f"the prompt file {path} has a placeholder kabar cannot fill ({exc}); "
            f"it may use {', '.join('{' + v + '}' for v in values)} (check KABAR_PROMPTS_DIR)"
        ) from None


def not_in_sources(language: str, settings: Settings | None = None) -> str:
    """The abstention text in the question's language; in English when kabar has none in it."""
    return localized("not_in_sources", language, settings)


def localized(name: str, language: str, settings: Settings | None = None, **values: str) -> str:
    """The text ``<name>.<language>.md`` (placeholders filled); the English one when kabar has
    none in that language."""
    file = f"{name}.{language}.md"
    return prompt(file if _exists(file, settings) else f"{name}.{DEFAULT}.md", settings, **values)


def _language_rule(language: str, settings: Settings) -> str:
    """How to write the answer: ``language.<code>.md`` where kabar has one (English: translate
    Indonesian words, keep names), else ``language.md`` naming the language."""
    name = f"language.{language}.md"
    if _exists(name, settings):
        return prompt(name, settings)
    return prompt("language.md", settings, language=language_name(language))


def _exists(name: str, settings: Settings | None) -> bool:
    folder = Path(settings.prompts_dir) if settings and settings.prompts_dir else bundled.prompts()
    return (folder / name).is_file()


def answer_messages(
    question: str, evidence: Evidence, language: str, settings: Settings
) -> list[dict[str, str]]:
    """System and user messages: the rules (a stable prefix the local engine keeps cached), then
    the passages' excerpts fenced as data, grouped by article in article order (a lead that says
    "inspected a missile system" is followed by its own article's details), the question, and
    the answer language."""
    articles: dict[str, list[int]] = {}
    for n, hit in enumerate(evidence.hits, 1):
        articles.setdefault(hit.source, []).append(n)
    passages = "\n".join(
        prompt(
            "passage.md",
            settings,
            date=evidence.hits[numbers[0] - 1].date or "unknown",
            text="\n".join(
                f"[{n}] {_fence(evidence.excerpt(n))}"
                for n in sorted(numbers, key=lambda n: evidence.hits[n - 1].start)
            ),
        )
        for numbers in articles.values()
    )
    user = prompt(
        "answer.md",
        settings,
        passages=passages,
        question=question,
        language=_language_rule(language, settings),
        today=reference_date(settings.as_of).isoformat(),
    )
    return [
        {"role": "system", "content": prompt("system.md", settings)},
        {"role": "user", "content": user},
    ]


def translate_request(text: str, source: str, target: str, settings: Settings) -> str:
    """The request to translate a checked answer (``[n]`` marks kept) from ``source`` into
    ``target`` (ISO 639-1 codes)."""
    return prompt(
        "translate.md",
        settings,
        text=text,
        source=language_name(source),
        target=language_name(target),
    )


def _fence(text: str) -> str:
    """Passage text can neither close its own fence nor open a new one."""
    return re.sub(
        r"</?\s*(articles?|passages?|system|instructions?)\b[^>]*>", "", text, flags=re.IGNORECASE
    )
