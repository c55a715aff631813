"""Emotion detector: shipped weights on real all-MiniLM-L6-v2 vectors, cues, loading errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from escalation.emotion import (
    CUE_FEATURES,
    DEFAULT_WEIGHTS,
    EMBEDDING_MODEL_ID,
    EmotionModel,
    EmotionModelError,
    EmotionModelMismatch,
    cues,
)
from retrieval.interfaces import Embedder

# Written for these tests; none of them is in evals/datasets/escalation.jsonl.
CHARGED = [
    # angry
    "I have been waiting for a refund for a MONTH and every time I call you hang up on me!!!",
    "you lost my package and now you won't even answer my emails. this is a joke",
    # frustrated
    "third time I explain this and nobody reads my messages, I'm getting really frustrated",
    "why does nothing on this site ever work?? I'm so fed up with this",
    # legal threat
    "If the charge isn't reversed by Monday I will sue you and file a complaint with the BBB",
    "voy a poner una demanda, mi abogado ya tiene todos los correos",
    # threat to leave
    "That's it. Cancel everything on my account, I'm switching to Amazon. Never again.",
    # distress
    "please help me, I'm desperate, the medicine I ordered for my son hasn't arrived",
    "I'm honestly in tears, my wedding dress was delivered torn and the wedding is Saturday",
    # profanity
    "this is fucking ridiculous, the replacement is broken too",
]

NEUTRAL = [
    "how long does shipping take?",
    "thanks, that helped!",
    "can I change the delivery address on my order?",
    "what payment methods do you take?",
    "do you have this jacket in a size medium?",
    "¿cuánto cuesta el envío a Monterrey?",
]


@pytest.fixture(scope="module")
def model(embedder: Embedder) -> EmotionModel:
    return EmotionModel.load(model_id=embedder.model_id)


def scores(model: EmotionModel, embedder: Embedder, texts: list[str]) -> list[float]:
    vectors = embedder.embed_documents(texts)
    return [model.emotion_score(t, v) for t, v in zip(texts, vectors, strict=True)]


def test_shipped_weights_are_small_and_described() -> None:
    assert DEFAULT_WEIGHTS.is_file()
    assert DEFAULT_WEIGHTS.stat().st_size < 1_000_000
    assert (DEFAULT_WEIGHTS.parent / "README.md").is_file()
    loaded = EmotionModel.load()
    assert loaded.model_id == EMBEDDING_MODEL_ID
    assert loaded.dimension == 384
    assert 0.0 < loaded.threshold < 1.0
    assert 0.0 < loaded.model_threshold < 1.0
    assert loaded.metadata["trained_at"]
    assert "CC BY 4.0" in loaded.metadata["licence"]


@pytest.mark.parametrize("text", CHARGED)
def test_charged_support_messages_score_above_threshold(
    model: EmotionModel, embedder: Embedder, text: str
) -> None:
    [score] = scores(model, embedder, [text])
    assert score >= model.threshold, (score, model.threshold, cues(text).describe())


@pytest.mark.parametrize("text", NEUTRAL)
def test_neutral_questions_score_below_threshold(
    model: EmotionModel, embedder: Embedder, text: str
) -> None:
    [score] = scores(model, embedder, [text])
    assert score < model.threshold, (score, model.threshold, cues(text).describe())


def test_the_vector_alone_ranks_anger_above_a_question(
    model: EmotionModel, embedder: Embedder
) -> None:
    angry, calm = embedder.embed_documents(
        ["I am furious, you people stole my money", "what are your opening hours?"]
    )
    assert model.probability(angry) > model.model_threshold > model.probability(calm)


def test_scores_are_deterministic_and_bounded(model: EmotionModel, embedder: Embedder) -> None:
    # Speed is measured in benchmarks/, never asserted here (a busy machine would fail it).
    texts = CHARGED + NEUTRAL
    vectors = embedder.embed_documents(texts)
    first = [model.emotion_score(t, v) for t, v in zip(texts, vectors, strict=True)]
    second = [model.emotion_score(t, v) for t, v in zip(texts, vectors, strict=True)]
    assert first == second
    assert all(0.0 <= s <= 1.0 for s in first)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("WHY IS MY ORDER STILL NOT HERE", {"shouting"}),
        ("where is it?!?! answer me!!!", {"punctuation"}),
        ("nooooo not again", {"elongation"}),
        ("no no no, that is wrong", {"elongation"}),
        ("this is bullshit", {"profanity"}),
        ("qué mierda de servicio", {"profanity"}),
        ("I'm cancelling everything and switching to Amazon", {"leave_threat"}),
        ("never again, seriously", {"leave_threat"}),
        ("my lawyer will hear about this", {"legal_threat"}),
        ("I'll report this to the Better Business Bureau", {"legal_threat"}),
        ("hablaré con mi abogado", {"legal_threat"}),
        ("I'm desperate, please", {"distress"}),
        ("estoy harta de esperar", {"distress"}),
    ],
)
def test_cues_are_detected(text: str, expected: set[str]) -> None:
    found = cues(text)
    flags = {
        "shouting": found.shouting,
        "punctuation": found.repeated_punctuation > 0,
        "elongation": found.elongated > 0,
        "profanity": bool(found.profanity),
        "leave_threat": bool(found.leave_threats),
        "legal_threat": bool(found.legal_threats),
        "distress": bool(found.distress),
    }
    assert {name for name, on in flags.items() if on} == expected
    assert found.describe()


@pytest.mark.parametrize(
    "text",
    [
        "how do I cancel my order?",
        "how do I close my account?",
        "Do you ship to APO addresses?",
        "my issue is with the VAT number on the invoice",
        "the passage about assessment was unclear",
        "I'm done with checkout, what happens next?",
    ],
)
def test_ordinary_questions_have_no_charged_cues(text: str) -> None:
    found = cues(text)
    charged = CUE_FEATURES.index("laughter")  # the features before it raise the score
    assert not found.shouting
    assert not found.strong
    assert found.intensity == 0.0
    assert found.features()[:charged] == (0.0,) * charged
    assert found.describe() == ""


def test_softeners_are_detected() -> None:
    assert cues("how do I track my order?").plain_question
    assert not cues("WHERE IS MY ORDER??").plain_question
    found = cues("haha my kids get angry when snacks run out lol, thanks! a bit annoying tho")
    assert found.laughter == ("haha", "lol")
    assert found.gratitude == ("thanks",)
    assert found.hedges == ("a bit",)


def test_caps_ratio_counts_words_of_three_letters_or_more() -> None:
    found = cues("OK so WHERE is my parcel")  # only WHERE and parcel are long enough
    assert found.caps_words == 1
    assert found.caps_ratio == pytest.approx(1 / 2)
    assert not found.shouting
    assert cues("I SAID THE AMOUNT IS WRONG").shouting


def test_weights_for_another_embedding_model_are_refused() -> None:
    with pytest.raises(EmotionModelMismatch, match="all-MiniLM-L6-v2"):
        EmotionModel.load(model_id="text-embedding-3-small")


def test_missing_weights_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(EmotionModelError, match="not found"):
        EmotionModel.load(tmp_path / "nope.npz")


def test_corrupt_weights_fail_clearly(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file at all")
    with pytest.raises(EmotionModelError, match="corrupt"):
        EmotionModel.load(garbage)

    incomplete = tmp_path / "incomplete.npz"
    np.savez(incomplete, format_version=np.asarray(1), model_id=np.asarray(EMBEDDING_MODEL_ID))
    with pytest.raises(EmotionModelError, match="corrupt or incomplete"):
        EmotionModel.load(incomplete)


def test_vectors_of_the_wrong_size_are_refused(model: EmotionModel) -> None:
    with pytest.raises(EmotionModelError, match="384"):
        model.probability(np.zeros(768, dtype=np.float32))
