"""The knowledge base's label-free score calibration (issue 16): real embedder, real Chroma."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from retrieval.chunking import Chunker
from retrieval.config import ChunkingConfig, KeywordConfig, SearchConfig, VectorConfig
from retrieval.factory import build_keyword_index, build_vector_store
from retrieval.interfaces import Embedder
from retrieval.knowledge_base import KnowledgeBase
from retrieval.score_calibration import ScoreCalibration, calibrate, fit, probes, quiz
from retrieval.types import Article

TOPICS = [
    ("How do I reset my password", "Open the sign-in page and choose Forgot password."),
    ("How long does shipping to Canada take", "Parcels to Canada arrive in 5 to 8 days."),
    ("Can I return a gift without a receipt", "Gifts can be returned for store credit."),
    ("How do I cancel my membership", "Cancel any time under Account, then Membership."),
    ("Which payment cards do you accept", "We take Visa, Mastercard and American Express."),
    ("How do I turn on two-step verification", "Go to Security and scan the QR code."),
    ("Where can I track my parcel", "The tracking link is in your shipping email."),
    ("How do I change my delivery address", "Edit the address before the order ships."),
    ("Why was my card declined at checkout", "Your bank may have blocked the payment."),
    ("Do you ship to post office boxes", "Standard shipping can go to a PO box."),
]


split = Chunker(ChunkingConfig()).split


def article(n: int, title: str, body: str) -> Article:
    return Article(id=f"a{n}", title=title, body=f"{body} It takes a minute or two.")


def distinct() -> list[Article]:
    return [article(n, t, b) for n, (t, b) in enumerate(TOPICS)]


def duplicated() -> list[Article]:
    """Every article twice, under two ids, the twins worded a little differently: the best
    article is a coin toss."""
    twins = [
        Article(id=f"a{n + 100}", title=t, body=f"{b} Allow a few minutes.")
        for n, (t, b) in enumerate(TOPICS)
    ]
    return distinct() + twins


def copied() -> list[Article]:
    """Every article twice, word for word (a help center imported twice)."""
    return [article(n + k * 100, t, b) for k in (0, 1) for n, (t, b) in enumerate(TOPICS)]


def knowledge_base(embedder: Embedder, folder: Path, sample: int = 300) -> KnowledgeBase:
    return KnowledgeBase(
        embedder,
        build_vector_store(VectorConfig(), folder),
        build_keyword_index(KeywordConfig(), folder),
        ChunkingConfig(),
        SearchConfig(calibration_sample=sample),
        folder / "calibration.json",
    )


def fitted(embedder: Embedder, folder: Path, articles: list[Article]) -> ScoreCalibration:
    kb = knowledge_base(embedder, folder, sample=0)  # fitted by hand below, on any size
    try:
        kb.ingest(articles)
        found = calibrate(articles, split, embedder, kb.vectors, minimum=1)
    finally:
        kb.close()
    assert found is not None
    return found


def test_near_duplicate_articles_make_the_same_cosine_less_sure(
    embedder: Embedder, tmp_path: Path
) -> None:
    clear = fitted(embedder, tmp_path / "distinct", distinct())
    crowded = fitted(embedder, tmp_path / "duplicated", duplicated())
    assert clear.samples == 10 and crowded.samples == 20
    for cosine in (0.3, 0.6, 0.9):
        assert crowded.probability(cosine) < 0.5 < clear.probability(cosine)


def test_exact_copies_are_no_rivals(embedder: Embedder, tmp_path: Path) -> None:
    found = probes(copied(), split)
    assert {p.article_id: p.copies for p in found}["a3"] == frozenset({"a103"})
    twice = fitted(embedder, tmp_path / "copied", copied())
    assert twice.samples == 20
    for cosine in (0.6, 0.9):
        assert twice.probability(cosine) > 0.5


def test_ingestion_fits_saves_and_reloads_the_calibration(
    embedder: Embedder, tmp_path: Path
) -> None:
    articles = [
        Article(id=f"{kind}-{n}", title=f"{title} ({kind})", body=body)
        for n, (title, body) in enumerate(TOPICS)
        for kind in ("online", "in store", "by phone")
    ]  # 30 articles: enough pseudo-questions to fit
    kb = knowledge_base(embedder, tmp_path)
    try:
        kb.ingest(articles)
        calibration = kb.retriever.calibration
        assert calibration is not None and calibration.samples == 30
        top = kb.search("forgot my password", 3)[0]
        assert top.probability == round(calibration.probability(top.chunks[0].score), 4)
        assert 0 < top.probability < 1
    finally:
        kb.close()
    again = knowledge_base(embedder, tmp_path)
    try:
        assert again.retriever.calibration == calibration  # loaded, not refitted
    finally:
        again.close()


def test_an_older_release_calibration_is_refitted_at_the_next_ingestion(
    embedder: Embedder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    articles = [
        Article(id=f"{kind}-{n}", title=f"{title} ({kind})", body=body)
        for n, (title, body) in enumerate(TOPICS)
        for kind in ("online", "in store", "by phone")
    ]
    kb = knowledge_base(embedder, tmp_path)
    try:
        kb.ingest(articles)
    finally:
        kb.close()
    path = tmp_path / "calibration.json"
    older = json.loads(path.read_text())
    del older["fit"]  # as an older release saved it: one isotonic fit
    path.write_text(json.dumps(older))
    upgraded = knowledge_base(embedder, tmp_path)
    try:
        assert upgraded.retriever.calibration is None
        assert "until `supportbot ingest` refits it" in caplog.text
        report = upgraded.ingest(articles)
        assert not (report.added or report.updated or report.deleted)
        assert upgraded.retriever.calibration is not None
        assert json.loads(path.read_text())["fit"] == "bagged-isotonic-chunks"
    finally:
        upgraded.close()


def test_a_small_or_switched_off_knowledge_base_keeps_relevance_alone(
    embedder: Embedder, tmp_path: Path
) -> None:
    kb = knowledge_base(embedder, tmp_path)
    try:
        kb.ingest(distinct())  # 10 pseudo-questions are too few to say anything
        assert kb.retriever.calibration is None
        assert kb.search("forgot my password", 1)[0].probability is None
        assert not (tmp_path / "calibration.json").exists()
    finally:
        kb.close()


def test_fit_is_monotone_and_never_certain() -> None:
    pairs = [(0.2, False), (0.3, True), (0.35, False), (0.5, True), (0.7, True), (0.8, False)]
    calibration = fit("m", pairs, minimum=1)
    assert calibration is not None
    ys = [y for _, y in calibration.knots]
    assert all(a <= b for a, b in zip(ys, ys[1:], strict=False)) and 0 < ys[0] < ys[-1] < 1
    assert calibration.probability(-1.0) == ys[0] and calibration.probability(2.0) == ys[-1]
    xs = [x for x, _ in calibration.knots]
    middle = (xs[0] + xs[1]) / 2
    assert calibration.probability(middle) == pytest.approx((ys[0] + ys[1]) / 2)
    assert fit("m", pairs) is None  # under the default minimum


def pseudo_questions(seed: int, chance: Callable[[float], float]) -> list[tuple[float, bool]]:
    """300 (cosine, right) pairs, right with the given chance at each cosine."""
    draw = random.Random(seed)
    cosines = [draw.uniform(0.3, 0.9) for _ in range(300)]
    return [(cosine, draw.random() < chance(cosine)) for cosine in cosines]


def test_fit_is_near_the_true_chance_whatever_the_draw() -> None:
    """A crowded knowledge base: the best article is rarely right (as on InsuranceQA), so a
    single isotonic fit of 300 pseudo-questions has few right ones to go on."""

    def chance(cosine: float) -> float:
        return 0.02 + 0.4 * (cosine - 0.3) ** 2 / 0.36

    for seed in range(10):
        pairs = pseudo_questions(seed, chance)
        calibration = fit("m", pairs)
        assert calibration is not None and calibration.samples == 300
        for cosine in (0.6, 0.7, 0.8):
            assert calibration.probability(cosine) == pytest.approx(chance(cosine), abs=0.12)
        assert fit("m", sorted(pairs, reverse=True)) == calibration  # order does not matter


def test_probes_hold_the_question_out_of_its_article() -> None:
    untitled = Article(
        id="x", title="", body="Whole life cover lasts a lifetime. It costs more than term."
    )
    titled = Article(id="y", title="How do refunds work", body="Refunds take five days.")
    unpunctuated = Article(id="z", title="", body=" ".join(f"w{n}" for n in range(40)))
    found = {p.article_id: p for p in probes([untitled, titled, unpunctuated], split)}
    assert found["z"].question.split() == [f"w{n}" for n in range(12)]
    assert [text.split() for text in found["z"].held_out] == [[f"w{n}" for n in range(12, 40)]]
    assert found["x"].question == "Whole life cover lasts a lifetime."
    assert found["x"].held_out == ("It costs more than term.",)
    assert (found["y"].question, found["y"].held_out) == (titled.title, (titled.body,))


def test_a_long_article_is_quizzed_section_by_section(embedder: Embedder, tmp_path: Path) -> None:
    """The title of a long article is answered by one of its sections, as a customer's question
    is: the source must not lose to a rival's focused chunk because its whole body, read as one
    text, is mostly about other things."""
    other_things = "\n\n".join(
        f"## {topic}\n\n" + " ".join([f"{sentence}"] * 6)
        for topic, sentence in [
            ("Gift cards", "Gift cards come in amounts from ten to five hundred dollars."),
            ("Promo codes", "Only one promo code can be used on each order you place."),
            ("Payment", "We accept Visa, Mastercard, PayPal and Apple Pay at checkout."),
        ]
    )
    long = Article(
        id="long",
        title="How do I change my delivery address",
        body=f"{other_things}\n\n## Changing the address\n\nEdit the delivery address "
        "under Orders before the order ships; after that the courier cannot change it.",
    )
    rival = Article(
        id="rival",
        title="Delivery problems",
        body="If the courier cannot find your delivery address, they leave a card for you.",
    )
    kb = knowledge_base(embedder, tmp_path, sample=0)
    try:
        kb.ingest([long, rival])
        found = [p for p in probes([long, rival], split) if p.article_id == "long"]
        assert len(found[0].held_out) > 3  # its chunks, title left out
        assert all("How do I change" not in text for text in found[0].held_out)
        [(_, source_is_best)] = quiz(found, embedder, kb.vectors)
        assert source_is_best
    finally:
        kb.close()


def test_an_unreadable_or_older_file_is_no_calibration(tmp_path: Path) -> None:
    path = tmp_path / "calibration.json"
    path.write_text("{not json", encoding="utf-8")
    assert ScoreCalibration.load(path) is None
    assert ScoreCalibration.load(tmp_path / "missing.json") is None
    path.write_text(json.dumps({"model_id": "m", "samples": 30, "knots": [[0.5, 0.4]]}))
    assert ScoreCalibration.load(path) is None  # an older release's fit: refitted at ingestion
