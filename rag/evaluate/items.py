"""Eval items: one question with its gold articles, quotes, reference answer and key facts.

A set is JSON Lines, one item a line. A bad line is an ``EvalSetError`` naming ``file:line``
and what is wrong with it, never a traceback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import KabarError
from rag.search import Filters

ROLES = ("user", "assistant")
EVENT_FIELDS = ("date", "phrase")  # an expected timeline event: [ISO date, phrase]


class EvalSetError(KabarError):
    """An eval set cannot be read: the message names the file and line."""


@dataclass(frozen=True)
class EvalItem:
    """One question with its gold documents, quotes, reference answer and key facts.

    ``key_facts`` holds one tuple per fact: the accepted spellings of that fact, any of which
    an answer may contain (for example the English and the Indonesian one).
    """

    id: str
    question: str
    lang: str = "en"
    kind: str = "fact"
    answerable: bool = True
    gold_docs: tuple[str, ...] = ()
    gold_quotes: tuple[str, ...] = ()
    reference_answer: str = ""
    key_facts: tuple[tuple[str, ...], ...] = ()
    history: tuple[dict[str, str], ...] = ()
    as_of: str = ""
    """The reference date the question is asked on ("last week" in it), YYYY-MM-DD."""
    filters: dict[str, Any] = field(default_factory=dict)
    """``rag.Filters`` fields the question is asked with (``{"outlets": ["Republika"]}``)."""
    events: tuple[tuple[str, str], ...] = ()
    """For ``kind: timeline``: (ISO date, a phrase of the event) the timeline must show."""

    @classmethod
    def from_dict(cls, raw: object) -> EvalItem:
        """Check and convert one decoded JSON object; ``ValueError`` says what is wrong."""
        if not isinstance(raw, dict):
            raise ValueError("an item must be a JSON object")
        answerable = raw.get("answerable", True)
        if not isinstance(answerable, bool):
            raise ValueError("'answerable' must be true or false")
        return cls(
            id=_text(raw, "id", required=True),
            question=_text(raw, "question", required=True),
            lang=_text(raw, "lang") or "en",
            kind=_text(raw, "kind") or "fact",
            answerable=answerable,
            gold_docs=_texts(raw, "gold_docs"),
            gold_quotes=_texts(raw, "gold_quotes"),
            reference_answer=_text(raw, "reference_answer"),
            key_facts=_facts(raw),
            history=_history(raw),
            as_of=_text(raw, "as_of"),
            filters=_filters(raw),
            events=_events(raw),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object ``from_dict`` reads back."""
        return {
            "id": self.id,
            "question": self.question,
            "lang": self.lang,
            "kind": self.kind,
            "answerable": self.answerable,
            "gold_docs": list(self.gold_docs),
            "gold_quotes": list(self.gold_quotes),
            "reference_answer": self.reference_answer,
            "key_facts": [list(f) for f in self.key_facts],
            "history": list(self.history),
            **({"as_of": self.as_of} if self.as_of else {}),
            **({"filters": self.filters} if self.filters else {}),
            **({"events": [list(e) for e in self.events]} if self.events else {}),
        }

    @property
    def search_filters(self) -> Filters:
        return Filters(**self.filters)


def load_items(path: str | Path) -> list[EvalItem]:
    """Read an eval set (JSON Lines, one item a line).

    Raises:
        EvalSetError: the file cannot be read, or a line is not a valid item (``file:line``).
    """
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalSetError(f"cannot read eval set {path}: {exc}") from None
    items = []
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = EvalItem.from_dict(json.loads(line))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            raise EvalSetError(f"{path}:{number}: not a valid eval item: {exc}") from None
        if item.id in seen:
            raise EvalSetError(f"{path}:{number}: duplicate item id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise EvalSetError(f"{path}: the eval set holds no items")
    return items


def save_items(items: list[EvalItem], path: Path) -> None:
    """Write ``items`` as JSON Lines (UTF-8, non-ASCII kept readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps(i.to_dict(), ensure_ascii=False) + "\n" for i in items), encoding="utf-8"
    )


def _text(raw: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = raw.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValueError(f"{key!r} must be a {'non-empty ' if required else ''}string")
    return value


def _texts(raw: dict[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key!r} must be a list of strings")
    return tuple(value)


def _facts(raw: dict[str, Any]) -> tuple[tuple[str, ...], ...]:
    value = raw.get("key_facts", [])
    if not isinstance(value, list) or not all(
        isinstance(f, list) and f and all(isinstance(v, str) for v in f) for f in value
    ):
        raise ValueError("'key_facts' must be a list of lists of accepted spellings")
    return tuple(tuple(f) for f in value)


def _filters(raw: dict[str, Any]) -> dict[str, Any]:
    value = raw.get("filters", {})
    if not isinstance(value, dict):
        raise ValueError("'filters' must be an object of rag.Filters fields")
    try:
        Filters(**value)
    except (TypeError, KabarError) as exc:
        raise ValueError(f"'filters' are not valid: {exc}") from None
    return dict(value)


def _events(raw: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    value = raw.get("events", [])
    if not isinstance(value, list) or not all(
        isinstance(e, list)
        and len(e) == len(("date", "phrase"))
        and all(isinstance(v, str) for v in e)
        for e in value
    ):
        raise ValueError("'events' must be a list of [ISO date, phrase] pairs")
    return tuple((e[0], e[1]) for e in value)


def _history(raw: dict[str, Any]) -> tuple[dict[str, str], ...]:
    value = raw.get("history", [])
    if not isinstance(value, list) or not all(
        isinstance(t, dict) and t.get("role") in ROLES and isinstance(t.get("content"), str)
        for t in value
    ):
        raise ValueError("'history' must be a list of {'role': user|assistant, 'content': text}")
    return tuple({"role": t["role"], "content": t["content"]} for t in value)
