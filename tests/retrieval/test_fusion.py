"""Convex score fusion: normalised scores, weights, absent and lone candidates."""

from __future__ import annotations

import pytest

from retrieval.fusion import convex_fusion


def test_one_list_keeps_its_order_best_one_worst_zero() -> None:
    fused = convex_fusion([({"a": 0.9, "b": 0.7, "c": 0.5}, 1.0)])
    assert fused == pytest.approx({"a": 1.0, "b": 0.5, "c": 0.0})


def test_a_keyword_hit_far_ahead_overtakes_a_close_dense_first() -> None:
    dense = {"a": 0.62, "b": 0.61, "c": 0.40}
    fused = convex_fusion([(dense, 0.65), ({"b": 30.0, "a": 5.0, "c": 4.0}, 0.35)])
    assert max(fused, key=fused.__getitem__) == "b"


def test_a_keyword_near_tie_does_not_overrule_a_clear_dense_first() -> None:
    dense = {"a": 0.70, "b": 0.45, "c": 0.40}
    fused = convex_fusion([(dense, 0.65), ({"b": 10.2, "a": 10.0, "c": 2.0}, 0.35)])
    assert max(fused, key=fused.__getitem__) == "a"


def test_absent_ids_get_nothing_from_that_list_and_a_lone_hit_counts_fully() -> None:
    fused = convex_fusion([({"a": 0.8, "b": 0.3}, 0.65), ({"c": 7.0}, 0.35), ({}, 1.0)])
    assert fused == pytest.approx({"a": 0.65, "b": 0.0, "c": 0.35})
