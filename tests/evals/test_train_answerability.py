"""The answerability experiment's pieces: answer-gone banks, the fit, the threshold."""

from __future__ import annotations

import random

import numpy as np
import pytest

from bot.answering.answer_signals import SIGNALS
from evals.answers_eval import AnswerCase
from evals.train_answerability import Row, best_threshold, fit, gone_ids, matrix


def _row(n: int, right: bool, relevance: float) -> Row:
    values = dict.fromkeys(SIGNALS, 0.5) | {"top_relevance": relevance}
    return Row("test", f"q{n}", right, right, "answer", 0.5, values)


def test_a_near_duplicate_question_loses_its_answers_too() -> None:
    gone = AnswerCase("a", "can annuity be inherit", gold_doc_ids=("A1",))
    twin = AnswerCase("b", "can an annuity be inherit", gold_doc_ids=("A2",))
    other = AnswerCase("c", "be whole life insurance necessary", gold_doc_ids=("A3",))
    assert gone_ids([gone, twin, other], [gone]) == {"A1", "A2"}


def test_the_fit_learns_which_way_a_signal_points() -> None:
    rng = random.Random(0)
    rows = []
    for n in range(200):
        relevance = rng.random()
        rows.append(_row(n, rng.random() < relevance, relevance))
    model = fit(matrix(rows), np.asarray([r.right for r in rows], dtype=np.float64))
    assert model.weights[SIGNALS.index("top_relevance")] > 0.5
    high = dict.fromkeys(SIGNALS, 0.5) | {"top_relevance": 0.9}
    assert model.probability(high) > model.probability(high | {"top_relevance": 0.1})


def test_the_threshold_weighs_wrong_answers_against_refused_right_ones() -> None:
    rows = [_row(0, True, 0.9), _row(1, False, 0.6), _row(2, True, 0.55)]
    probs = [0.9, 0.6, 0.55]
    assert best_threshold(rows, probs, wrong_cost=3.0) == pytest.approx(0.61)
    assert best_threshold(rows, probs, wrong_cost=0.5) <= 0.55
