"""When a bot answer counts as resolved, and the signals that it failed (issue #17).

One conversation is read turn by turn, with its tickets and feedback:

- a question is a customer message that is not a request for a person nor a thanks;
- failure signals, each put on the question the bot last answered:
  thumbs-down on the answer; the customer's next message is the same question (`repeat`,
  same normalised text) or the same question in other words (`rephrase`, cosine of the
  embeddings >= `rephrase_similarity`, without an embedder a text-similarity ratio); a complaint
  ("that's not what I asked", "no es lo que pregunté"); a request for a person right after the
  answer (by words, the "talk to a person" button, or a message the bot escalated as one);
- weak answers, gaps even without a complaint: refusals (not of injection attempts) and
  answers under `low_confidence`; and the question before a ticket for any other reason;
- a bare request for a person (no answer before it) is no question and so never a gap.

Evidence that the bot resolved a conversation, needed on top of "no failure, no ticket":
the customer said it helped, a thumbs-up, CSAT >= 4, or the last bot turn is a confident
answer and `window` passed after it without another customer message.
Leaving mid-answer is not stored (an answer is stored only once complete), so it is not read.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.conversations.models import AnswerMeta, TurnKind
from escalation.detectors import asks_for_person
from escalation.types import Reason as EscalationReason
from retrieval.interfaces import Embedder

if TYPE_CHECKING:
    from bot.settings import Settings

ANSWER_KINDS = frozenset({TurnKind.ANSWER, TurnKind.REFUSAL, TurnKind.FALLBACK})
HIGH_CSAT = 4
SHORT_WORDS = 8
_COMPLAINT = re.compile(
    r"\bnot what i (asked|meant|wanted|said)\b|\b(didn.?t|did not|doesn.?t|does not|don.?t) "
    r"(help|answer|work|make sense)\b|\b(not|un)helpful\b|\buseless\b|\bwrong answer\b"
    r"|\bthat.?s (wrong|not (it|right|correct|true|what))\b|\bmakes no sense\b"
    r"|\byou (didn.?t|did not) (read|understand)\b"
    r"|\bno es (lo que|eso)\b|\beso no es\b|\bno me (sirve|sirvi[oó]|ayuda|ayud[oó])\b"
    r"|\bno (sirve|ayuda|funciona|funcion[oó]|responde|contesta)\b|\brespuesta incorrecta\b"
    r"|\bno (me )?entiendes\b|\bin[uú]til\b",
    re.IGNORECASE,
)
_HELPED = re.compile(
    r"\b(thanks|thank you|thx|ty|that helped|that worked|it worked|works now|solved|sorted|"
    r"perfect|great|got it|gracias|me sirvi[oó]|funcion[oó]|perfecto|resuelto|genial|listo)\b",
    re.IGNORECASE,
)


class Reason(StrEnum):
    """Why a question counts as a content gap."""

    LOW_CONFIDENCE = "low_confidence"
    REFUSED = "refused"
    THUMBS_DOWN = "thumbs_down"
    ESCALATED = "escalated"
    REPEAT = "repeat"
    REPHRASE = "rephrase"
    COMPLAINT = "complaint"
    PERSON_AFTER_ANSWER = "person_after_answer"


# The reasons that say an answer failed the customer (a weak answer alone does not).
FAILURES = frozenset(
    {
        Reason.THUMBS_DOWN,
        Reason.REPEAT,
        Reason.REPHRASE,
        Reason.COMPLAINT,
        Reason.PERSON_AFTER_ANSWER,
    }
)


class Evidence(StrEnum):
    """What shows the customer's question was answered."""

    SAID_IT_HELPED = "said_it_helped"
    THUMBS_UP = "thumbs_up"
    CSAT = "csat"
    QUIET = "quiet"


@dataclass(frozen=True, slots=True)
class Rules:
    """The thresholds of the definitions above (from settings)."""

    window: dt.timedelta = dt.timedelta(minutes=30)
    low_confidence: float = 0.3
    rephrase_similarity: float = 0.8

    @classmethod
    def of(cls, settings: Settings) -> Rules:
        """The rules the settings give (`analytics.quiet_minutes`, escalation thresholds)."""
        return cls(
            window=dt.timedelta(minutes=settings.analytics.quiet_minutes),
            low_confidence=settings.escalation.low_confidence,
            rephrase_similarity=settings.escalation.rephrase_similarity,
        )


@dataclass(slots=True)
class Question:
    """A customer question, the bot turn that answered it (if any), and its gap reasons."""

    row: Any
    answer: Any | None = None
    reasons: set[Reason] = field(default_factory=set)


@dataclass(slots=True)
class Outcome:
    """One conversation read against the rules."""

    conversation_id: str
    questions: list[Question] = field(default_factory=list)
    evidence: set[Evidence] = field(default_factory=set)
    escalated: bool = False

    @property
    def failed(self) -> bool:
        """An answer of this conversation failed the customer."""
        return any(q.reasons & FAILURES for q in self.questions)

    @property
    def resolved(self) -> bool:
        """Evidence of an answer, and no failure and no ticket."""
        return bool(self.evidence) and not self.failed and not self.escalated


def complains(text: str) -> bool:
    """The message says the answer missed ("that's not what I asked", "no me sirve")."""
    return bool(_COMPLAINT.search(text))


def says_it_helped(text: str) -> bool:
    """The message thanks or says it worked, without complaining."""
    return bool(_HELPED.search(text)) and not complains(text)


def normalised(text: str) -> str:
    """Lower-cased words only (punctuation and spacing do not make another question)."""
    return " ".join(re.findall(r"\w+", text.lower()))


def assess(
    turns: Sequence[Any],
    tickets: Sequence[Any],
    feedback: Sequence[Any],
    csat: Mapping[str, int | None],
    *,
    rules: Rules,
    now: dt.datetime,
    embedder: Embedder | None = None,
) -> dict[str, Outcome]:
    """The outcome of each conversation of these rows (turns ordered by conversation, seq)."""
    ratings = {fb.turn_id: fb.rating for fb in feedback}
    by_conversation: dict[str, list[Any]] = {cid: [] for cid in csat}
    for row in turns:
        by_conversation.setdefault(row.conversation_id, []).append(row)
    ticket_rows: dict[str, list[Any]] = {}
    for ticket in tickets:
        ticket_rows.setdefault(ticket.conversation_id, []).append(ticket)
    similar = _Similarity(embedder, rules.rephrase_similarity)
    readers = [
        _Reader(cid, rows, ticket_rows.get(cid, []), ratings, rules)
        for cid, rows in by_conversation.items()
    ]
    similar.prepare(text for reader in readers for pair in reader.follow_ups() for text in pair)
    outcomes = {}
    for reader in readers:
        outcome = reader.read(similar)
        score = csat.get(reader.conversation_id)
        if score is not None and score >= HIGH_CSAT:
            outcome.evidence.add(Evidence.CSAT)
        last = reader.rows[-1] if reader.rows else None
        if (
            last is not None
            and last.role == "bot"
            and last.kind == TurnKind.ANSWER
            and (last.confidence is None or last.confidence >= rules.low_confidence)
            and now - last.created_at >= rules.window
        ):
            outcome.evidence.add(Evidence.QUIET)
        outcomes[reader.conversation_id] = outcome
    return outcomes


def _short(text: str) -> bool:
    """Short enough to be only a reaction ("thanks!", "that's not what I asked")."""
    return len(normalised(text).split()) <= SHORT_WORDS


class _Similarity:
    """Same question in other words: embedding cosine, else a text ratio (batched)."""

    def __init__(self, embedder: Embedder | None, threshold: float) -> None:
        self._embedder = embedder
        self._threshold = threshold
        self._unit: dict[str, Any] = {}

    def prepare(self, texts: Iterable[str]) -> None:
        """Embed, in one batch, the texts not embedded yet."""
        missing = sorted(set(texts) - self._unit.keys())
        if self._embedder is None or not missing:
            return
        vectors = np.asarray(self._embedder.embed_documents(missing), dtype=np.float64)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self._unit.update(zip(missing, vectors / np.where(norms == 0, 1.0, norms), strict=True))

    def same(self, a: str, b: str) -> bool:
        """`b` asks what `a` asked."""
        if self._embedder is None:
            ratio = difflib.SequenceMatcher(None, normalised(a), normalised(b)).ratio()
            return ratio >= self._threshold
        self.prepare((a, b))  # a question asked again after a rephrase: not in the first batch
        return float(self._unit[a] @ self._unit[b]) >= self._threshold


class _Reader:
    """Reads one conversation's turns and tickets in time order."""

    def __init__(
        self,
        conversation_id: str,
        rows: list[Any],
        tickets: list[Any],
        ratings: Mapping[int, int],
        rules: Rules,
    ) -> None:
        self.conversation_id = conversation_id
        self.rows = rows
        self._tickets = sorted(tickets, key=lambda t: t.created_at)
        self._ratings = ratings
        self._rules = rules

    def _person_requests(self) -> set[int]:
        """Customer turns that ask for a person: by words, or escalated as such before an answer."""
        found = {r.id for r in self.rows if r.role == "customer" and asks_for_person(r.text)}
        for ticket in self._tickets:
            if EscalationReason.EXPLICIT_REQUEST.value not in (ticket.reasons or []):
                continue
            before = [r for r in self.rows if r.created_at <= ticket.created_at]
            if before and before[-1].role == "customer":  # escalated instead of answered
                found.add(before[-1].id)
        return found

    def follow_ups(self) -> list[tuple[str, str]]:
        """(answered question, the customer's next message) pairs, for the similarity batch."""
        pairs, question, answered = [], None, False
        for row in self.rows:
            if row.role == "customer":
                if question is not None and answered:
                    pairs.append((question.text, row.text))
                question, answered = row, False
            elif row.role == "bot" and row.kind in ANSWER_KINDS:
                answered = True
        return pairs

    def read(self, similar: _Similarity) -> Outcome:
        outcome = Outcome(self.conversation_id, escalated=bool(self._tickets))
        persons = self._person_requests()
        open_question: Question | None = None  # asked, not answered yet
        answered: Question | None = None  # the last answered question, until a new message
        tickets = list(self._tickets)
        for row in self.rows:
            while tickets and tickets[0].created_at < row.created_at:
                self._ticket(tickets.pop(0), open_question, answered)
                answered = None
            if row.role == "system" and row.kind == TurnKind.HANDOFF:
                outcome.escalated = True
            if row.role == "customer":
                signal = None
                if answered is not None:
                    signal = self._follow_up(answered, row, row.id in persons, similar, outcome)
                if signal in (Reason.REPEAT, Reason.REPHRASE):
                    open_question = answered  # the same question again: one question, not two
                elif row.id in persons or (_short(row.text) and signal is not None):
                    open_question = None  # "a person, please", "that's not what I asked"
                elif _short(row.text) and says_it_helped(row.text):
                    open_question = None  # "thanks!"
                else:
                    open_question = Question(row)
                    outcome.questions.append(open_question)
                answered = None
            elif row.role == "bot" and row.kind in ANSWER_KINDS and open_question is not None:
                open_question.answer = row
                open_question.reasons |= self._answer_reasons(row)
                answered, open_question = open_question, None
        for ticket in tickets:
            self._ticket(ticket, open_question, answered)
            answered = None
        for question in outcome.questions:
            if question.answer is not None and self._ratings.get(question.answer.id, 0) > 0:
                outcome.evidence.add(Evidence.THUMBS_UP)
        outcome.questions = [q for q in outcome.questions if q.reasons]
        return outcome

    def _answer_reasons(self, answer: Any) -> set[Reason]:
        found: set[Reason] = set()
        # Refusing an attempt to give the bot instructions is no gap in the help center.
        if answer.kind == TurnKind.REFUSAL and not AnswerMeta.of(answer.meta or {}).injection:
            found.add(Reason.REFUSED)
        elif (
            answer.kind == TurnKind.ANSWER
            and answer.confidence is not None
            and answer.confidence < self._rules.low_confidence
        ):
            found.add(Reason.LOW_CONFIDENCE)
        if self._ratings.get(answer.id, 0) < 0:
            found.add(Reason.THUMBS_DOWN)
        return found

    @staticmethod
    def _follow_up(
        answered: Question, row: Any, person: bool, similar: _Similarity, outcome: Outcome
    ) -> Reason | None:
        """The failure the customer's next message signals about the answer before it."""
        if person:
            signal = Reason.PERSON_AFTER_ANSWER
        elif complains(row.text):
            signal = Reason.COMPLAINT
        elif normalised(row.text) == normalised(answered.row.text):
            signal = Reason.REPEAT
        elif similar.same(answered.row.text, row.text):
            signal = Reason.REPHRASE
        else:
            if says_it_helped(row.text):
                outcome.evidence.add(Evidence.SAID_IT_HELPED)
            return None
        answered.reasons.add(signal)
        return signal

    @staticmethod
    def _ticket(ticket: Any, open_question: Question | None, answered: Question | None) -> None:
        """A ticket: the question it was opened on is a gap; the button after an answer too."""
        if open_question is not None:
            open_question.reasons.add(Reason.ESCALATED)
        elif answered is not None:
            answered.reasons.add(Reason.ESCALATED)
            if EscalationReason.EXPLICIT_REQUEST.value in (ticket.reasons or []):
                answered.reasons.add(Reason.PERSON_AFTER_ANSWER)
