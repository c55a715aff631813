"""Escalation detectors: one small function (or callable) per signal, each with a reason code.

Detectors that work by meaning compare the message's sentence vector (computed by the caller
with the embedder it already has) with example vectors embedded once at start-up.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from escalation.config import EscalationConfig
from escalation.emotion import EmotionModel, cues
from escalation.rules import Topic
from escalation.types import Finding, Priority, Reason, Signals

HUMAN_REQUEST_EXAMPLES = (
    "I want to talk to a person",
    "can I speak to a human agent",
    "connect me to a real person please",
    "transfer me to a customer service representative",
    "is there a human I can chat with",
    "let me talk to someone from support",
    "stop, I want to talk to someone",
    "get me an operator",
    "I need a live agent, not a bot",
    "quiero hablar con una persona",
    "pásame con un agente humano",
    "necesito hablar con alguien de atención al cliente",
    "je veux parler à un conseiller",
    "ich möchte mit einem Menschen sprechen",
)
_HUMAN_WORDS = (
    r"(human|person|people|agent|representative|rep|operator|someone|somebody|staff|supervisor|"
    r"manager|customer (service|support|care)( team)?|support team|live chat|"
    r"persona|agente|asesor|representante|alguien|humano|"
    r"conseiller|mensch|mitarbeiter)"
)
_REAL = r"((a|an|un|una|some|your)\s+)?((real|live|actual|de verdad)\s+)?"
_HUMAN_REQUEST = re.compile(
    r"\b(talk|speak|chat|connect|transfer|put|pass|escalate|discuss( this| it)?|hablar|"
    r"comun[ií]ca\w*|p[aá]same|parler|sprechen)\b.{0,25}"
    rf"\b(to|with|me to|con|à|mit|through to)\b.{{0,15}}\b{_HUMAN_WORDS}\b"
    # "human", "real human please", "representative representative REPRESENTATIVE"
    rf"|^\W*{_REAL}{_HUMAN_WORDS}(\W+{_HUMAN_WORDS}){{0,3}}\W*((please|now|por favor|thx)\W*)?$"
    r"|\b(not|no) (a |un )?(bot|robot|machine)\b|\bjust a (bot|robot|machine)\b"
    # "get me a real person", "I want a human": asking for one, not mentioning one.
    r"|\b(get me|give me|find me|i want|i need|i demand)\s+(a|an)\s+(real\s+|live\s+|actual\s+)?"
    r"(human|person|agent|representative|operator|supervisor|manager)\b"
    r"|\b(quiero|necesito)\s+(un|una)\s+(humano|persona|agente)\b"
    # A call back is a person: "can someone from your support team call me back?"
    r"|\b(someone|somebody|a person|an agent|a human)\b.{0,30}\bcall me\b"
    # "is there a person there?", "¿hay alguna persona ahí?", "¿me puede atender alguien?"
    r"|\b(is there|are there|hay)\s+(a|an|any|some|alguna|alguien|una)?\s*(real |actual )?"
    r"(human|person|people|persona|humano)s?\s+(there|here|ah[ií]|all[ií])\b"
    r"|\batiend\w*\b.{0,15}\b(alguien|una persona)\b|\batender\b.{0,15}\balguien\b"
    r"|\b(alguien|una persona)\b.{0,15}\batender\b",
    re.IGNORECASE,
)
_INSISTENCE = re.compile(
    r"\b(but|still|again|already|i need|just tell me|that.?s not|doesn.?t help|useless|pero|"
    r"todav[ií]a|ya te dije)\b",
    re.IGNORECASE,
)


def asks_for_person(text: str) -> bool:
    """The message asks for a person in so many words ("talk to a human", "un agente")."""
    return bool(_HUMAN_REQUEST.search(text))


def _cosine_max(vector: Any, matrix: Any) -> float:
    if vector is None or matrix is None or len(matrix) == 0:
        return 0.0
    return float(np.max(np.asarray(matrix) @ np.asarray(vector)))


def low_confidence(signals: Signals, config: EscalationConfig) -> Finding | None:
    """The bot's answer to this message was not confident enough."""
    if signals.confidence is None or signals.confidence >= config.low_confidence:
        return None
    return Finding(
        Reason.LOW_CONFIDENCE,
        1 - signals.confidence,
        f"answer confidence {signals.confidence:.2f} < {config.low_confidence:.2f}",
    )


def weak_streak(signals: Signals, config: EscalationConfig) -> Finding | None:
    """Several weak answers in a row."""
    if signals.confidence is None:
        return None
    recent = [*signals.earlier_confidences, signals.confidence][-config.weak_streak :]
    if len(recent) < config.weak_streak or any(c >= config.weak_confidence for c in recent):
        return None
    return Finding(
        Reason.WEAK_STREAK,
        1 - max(recent),
        f"{len(recent)} weak answers in a row (< {config.weak_confidence:.2f})",
    )


def repeated_failure(signals: Signals, config: EscalationConfig) -> Finding | None:
    """Thumbs-down, the customer rephrasing the same question, or insisting after a refusal."""
    if signals.thumbs_down:
        return Finding(Reason.REPEATED_FAILURE, 1.0, "the customer rated the answer down")
    similarity = _cosine_max(signals.vector, signals.previous_vectors)
    if similarity >= config.rephrase_similarity:
        return Finding(
            Reason.REPEATED_FAILURE,
            similarity,
            f"the customer asked the same thing again (similarity {similarity:.2f})",
        )
    if signals.last_bot_kind == "refusal" and _INSISTENCE.search(signals.text):
        return Finding(Reason.REPEATED_FAILURE, 0.8, "the customer insisted after a refusal")
    return None


def system_error(signals: Signals) -> Finding | None:
    """The bot could not answer because something failed."""
    if not signals.system_error:
        return None
    return Finding(
        Reason.SYSTEM_ERROR, 1.0, "the answer failed (LLM or backend error)", Priority.HIGH
    )


@dataclass(frozen=True, slots=True)
class MeaningDetectors:
    """Message-level detectors: explicit request, sensitive topic, emotion."""

    config: EscalationConfig
    human_vectors: Any
    topics: Sequence[Topic]
    topic_vectors: Sequence[Any]  # per topic: its examples' vectors
    unlike_vectors: Sequence[Any]  # per topic: its routine look-alikes' vectors (may be empty)
    emotion_model: EmotionModel | None

    def explicit_request(self, signals: Signals) -> Finding | None:
        """The customer asks for a person (by words or by meaning)."""
        if asks_for_person(signals.text):
            return Finding(Reason.EXPLICIT_REQUEST, 1.0, "the customer asked for a person")
        similarity = _cosine_max(signals.vector, self.human_vectors)
        if similarity >= self.config.human_request_similarity:
            return Finding(
                Reason.EXPLICIT_REQUEST,
                similarity,
                f"the customer asked for a person (similarity {similarity:.2f})",
            )
        return None

    def sensitive(self, signals: Signals) -> Finding | None:
        """The message touches a sensitive topic from the rules file."""
        best: Finding | None = None
        for topic, vectors, unlike in zip(
            self.topics, self.topic_vectors, self.unlike_vectors, strict=True
        ):
            if topic.matches(signals.text):
                score, how = 1.0, "matched a pattern"
            else:
                score = _cosine_max(signals.vector, vectors)
                if score < self.config.sensitive_similarity:
                    continue
                if _cosine_max(signals.vector, unlike) >= score:
                    continue  # nearer a routine question ("can I order without an account?")
                how = f"similar to an example ({score:.2f})"
            finding = Finding(
                Reason.SENSITIVE_TOPIC,
                score,
                f"sensitive topic {topic.id}: {how}",
                topic.priority,
                answer_first=topic.answer_first,
                self_help=topic.self_help,
            )
            if best is None or (finding.priority.rank, -finding.score) < (
                best.priority.rank,
                -best.score,
            ):
                best = finding
        return best

    def emotion(self, signals: Signals) -> Finding | None:
        """The message is emotionally charged (anger, distress, threats)."""
        if self.emotion_model is None:
            return None
        score = signals.emotion
        if score is None:
            score = self.emotion_model.emotion_score(signals.text)
        threshold = self.config.emotion_threshold or self.emotion_model.threshold
        if score < threshold:
            return None
        return Finding(
            Reason.EMOTION,
            score,
            f"emotionally charged (score {score:.2f})",
            Priority.HIGH,
            mild=cues(signals.text).mild,
        )

    def message_findings(self, signals: Signals) -> list[Finding]:
        """Every message-level finding (no answer needed)."""
        found = (self.explicit_request(signals), self.sensitive(signals), self.emotion(signals))
        return [f for f in found if f is not None]
