"""Ranking metrics against hand-computed values."""

from __future__ import annotations

import math

import pytest

from evals.metrics import mrr_at, ndcg_at, percentile, recall_at, roc_auc


def test_recall_is_success_at_k() -> None:
    ranked = ["a", "b", "c", "d"]
    assert recall_at(ranked, {"c"}, 2) == 0.0
    assert recall_at(ranked, {"c"}, 3) == 1.0
    assert recall_at(ranked, {"c", "z"}, 3) == 1.0


def test_mrr() -> None:
    assert mrr_at(["a", "b", "c"], {"b", "c"}, 10) == 0.5
    assert mrr_at(["a", "b", "c"], {"c"}, 2) == 0.0


def test_ndcg() -> None:
    # gold at ranks 1 and 3 of 2 gold: (1 + 1/log2(4)) / (1 + 1/log2(3))
    expected = (1 + 0.5) / (1 + 1 / math.log2(3))
    assert ndcg_at(["g1", "x", "g2"], {"g1", "g2"}, 10) == pytest.approx(expected)
    assert ndcg_at(["x"], {"g"}, 10) == 0.0


def test_percentile() -> None:
    assert percentile([], 50) == 0.0
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile([1, 2, 3, 4, 5], 95) == pytest.approx(4.8)


def test_roc_auc_ranks_positives_above_negatives_with_ties_half() -> None:
    assert roc_auc([True, False, True, False], [0.9, 0.1, 0.8, 0.2]) == 1.0
    assert roc_auc([True, False], [0.1, 0.9]) == 0.0
    assert roc_auc([True, False, True], [0.5, 0.5, 0.9]) == 0.75
    assert math.isnan(roc_auc([True, True], [0.1, 0.2]))
