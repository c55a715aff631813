"""Pure ranking and latency metrics."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence


def recall_at(ranked: Sequence[str], gold: Collection[str], k: int) -> float:
    """1.0 when a gold id is in the top k (success@k, as the shared reference figures use)."""
    return 1.0 if set(ranked[:k]) & set(gold) else 0.0


def mrr_at(ranked: Sequence[str], gold: Collection[str], k: int) -> float:
    """Reciprocal rank of the first gold id within the top k, else 0."""
    for rank, item in enumerate(ranked[:k], start=1):
        if item in gold:
            return 1.0 / rank
    return 0.0


def ndcg_at(ranked: Sequence[str], gold: Collection[str], k: int) -> float:
    """Binary-relevance nDCG of the top k."""
    dcg = sum(1.0 / math.log2(r + 1) for r, item in enumerate(ranked[:k], 1) if item in gold)
    ideal = sum(1.0 / math.log2(r + 1) for r in range(1, min(len(gold), k) + 1))
    return dcg / ideal if ideal else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean; 0.0 for no values."""
    return sum(values) / len(values) if values else 0.0


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors; 0.0 when either is all zeros."""
    dot = math.fsum(float(x) * float(y) for x, y in zip(a, b, strict=True))
    norm = math.sqrt(math.fsum(float(x) ** 2 for x in a)) * math.sqrt(
        math.fsum(float(y) ** 2 for y in b)
    )
    return dot / norm if norm else 0.0


def citation_hit(cited: Collection[str], gold: Collection[str]) -> float:
    """1.0 when at least one gold document is among the cited ones."""
    return 1.0 if set(cited) & set(gold) else 0.0


def precision_recall(truth: Sequence[bool], predicted: Sequence[bool]) -> tuple[float, float]:
    """(precision, recall) of the positive class; 0.0 where the denominator is empty."""
    pairs = list(zip(truth, predicted, strict=True))
    tp = sum(1 for t, p in pairs if t and p)
    fp = sum(1 for t, p in pairs if not t and p)
    fn = sum(1 for t, p in pairs if t and not p)
    return (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0)


def calibration_bins(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 5
) -> list[tuple[float, float, float, float, int]]:
    """Equal-width confidence bins over [0, 1]: (low, high, mean confidence, accuracy, n).

    Empty bins are left out; a confidence of exactly 1.0 falls in the last bin.
    """
    grouped: dict[int, list[tuple[float, bool]]] = {}
    for conf, ok in zip(confidences, correct, strict=True):
        index = min(int(max(conf, 0.0) * bins), bins - 1)
        grouped.setdefault(index, []).append((conf, ok))
    out = []
    for index in sorted(grouped):
        members = grouped[index]
        out.append(
            (
                index / bins,
                (index + 1) / bins,
                mean([c for c, _ in members]),
                mean([1.0 if ok else 0.0 for _, ok in members]),
                len(members),
            )
        )
    return out


def roc_auc(truth: Sequence[bool], scores: Sequence[float]) -> float:
    """Area under the ROC curve: the chance that a random positive outscores a random
    negative (ties count half); NaN without both classes."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    start = 0
    while start < len(order):  # tied scores share their mean rank
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        for i in order[start : end + 1]:
            ranks[i] = (start + end) / 2 + 1
        start = end + 1
    positives = sum(1 for t in truth if t)
    negatives = len(truth) - positives
    if not positives or not negatives:
        return math.nan
    rank_sum = sum(r for r, t in zip(ranks, truth, strict=True) if t)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 5
) -> float:
    """Weighted mean |accuracy - confidence| over the calibration bins."""
    total = len(confidences)
    if not total:
        return 0.0
    return sum(
        n / total * abs(accuracy - conf)
        for _, _, conf, accuracy, n in calibration_bins(confidences, correct, bins)
    )


def escalation_tradeoff(
    confidences: Sequence[float | None],
    wrong: Sequence[bool],
    escalated_anyway: Sequence[bool],
    thresholds: Sequence[float],
) -> list[tuple[float, float, float]]:
    """(threshold, wrong-answer rate, escalation rate) as the low-confidence threshold varies.

    Per case: the bot turn's confidence (None = no gradable bot turn), whether that turn
    would be a wrong answer if sent, and whether the chat escalates whatever the threshold
    (e.g. the customer asked for a person). A case escalates when `escalated_anyway` or its
    confidence is below the threshold; a wrong answer counts only when it is not escalated.
    Rates are over all cases.
    """
    total = len(confidences)
    curve = []
    for threshold in thresholds:
        sent_wrong = escalations = 0
        for conf, bad, anyway in zip(confidences, wrong, escalated_anyway, strict=True):
            if anyway or (conf is not None and conf < threshold):
                escalations += 1
            elif bad:
                sent_wrong += 1
        curve.append(
            (threshold, sent_wrong / total if total else 0.0, escalations / total if total else 0.0)
        )
    return curve


def recommend_threshold(
    curve: Sequence[tuple[float, float, float]], wrong_cost: float = 3.0
) -> tuple[float, float]:
    """The threshold of least cost (wrong-answer rate x wrong_cost + escalation rate), and
    that cost; ties go to the lower threshold (fewer escalations)."""
    if not curve:
        raise ValueError("an empty trade-off curve")
    best = min(curve, key=lambda point: (round(point[1] * wrong_cost + point[2], 9), point[0]))
    return best[0], best[1] * wrong_cost + best[2]
