"""Conversation data types: customers, conversations, turns, citations (no I/O).

A conversation belongs to a customer and has a channel; customers persist across
conversations (the email channel, verified identity and reporting build on this).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any, Literal


class Role(StrEnum):
    """Who wrote a turn."""

    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


class Mode(StrEnum):
    """Who answers the conversation now."""

    BOT = "bot"
    WAITING = "waiting"
    AGENT = "agent"
    CLOSED = "closed"


class Channel(StrEnum):
    """Where a conversation takes place."""

    WIDGET = "widget"
    API = "api"
    CLI = "cli"
    EMAIL = "email"


class TurnKind(StrEnum):
    """What a turn is, beyond who wrote it; the value is what the store keeps."""

    MESSAGE = ""  # a customer's or an agent's own message
    # Bot answers (drive confidence and escalation): see `AnswerKind`.
    ANSWER = "answer"
    REFUSAL = "refusal"
    SMALLTALK = "smalltalk"
    FALLBACK = "fallback"
    # An agent's note for the bot when a chat is handed back (issue 16): the bot reads it as
    # context; the customer's view of the conversation leaves it out.
    HANDBACK_NOTE = "handback_note"
    # System notices.
    HANDOFF = "handoff"
    HANDOFF_CANCELLED = "handoff_cancelled"
    MERGED = "merged"
    EMAIL_SAVED = "email_saved"
    # The email channel's notices for agents: a message's details (attachments, headers), and
    # a message the loop guard left unanswered.
    EMAIL_DETAILS = "email_details"
    EMAIL_UNANSWERED = "email_unanswered"
    # The NPS survey by email (issue 21): one survey turn (its email sent at most once) or one
    # "not due" turn per conversation, and one answer turn per reply.
    NPS_SURVEY = "nps_survey"
    NPS_NOT_DUE = "nps_not_due"
    NPS_ANSWER = "nps_answer"


# The kinds a bot answer can have (what the responder drafts).
AnswerKind = Literal[TurnKind.ANSWER, TurnKind.REFUSAL, TurnKind.SMALLTALK, TurnKind.FALLBACK]


@dataclass(frozen=True, slots=True)
class Customer:
    """A person who talks to support; persists across conversations."""

    id: str
    name: str = ""
    email: str = ""
    locale: str = ""
    external_id: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    created_at: dt.datetime | None = None


CitationKind = Literal["article", "announcement", "account"]


@dataclass(frozen=True, slots=True)
class Citation:
    """A numbered source shown with an answer: `[n]` in the text maps to it."""

    n: int
    article_id: str
    title: str
    url: str
    chunk_id: str = ""
    section: str = ""
    snippet: str = ""
    relevance: float = 0.0
    # Or (issue 21) "announcement" (`article_id` is then announcement:<id>), or "account": the
    # verified customer's own data.
    kind: CitationKind = "article"


@dataclass(frozen=True, slots=True)
class RetrievedArticle:
    """An article the bot looked at for an answer."""

    article_id: str
    title: str


@dataclass(frozen=True, slots=True)
class AnswerMeta:
    """How a bot answer was made: the responder builds it, the store keeps it as the turn's
    `meta` JSON, and gaps, reporting, metrics and evals read it back with `of`.

    A field left at its default (None, False, "") was not set, and is left out of the JSON.
    """

    locale: str = ""
    injection: bool = False  # the question tried to give the bot instructions
    # Where the answer came from when not from articles: an announcement's id (issue 21), the
    # verified customer's account ("account"), or what an agent said earlier (issue 16).
    announcement: str | None = None
    source: str | None = None
    account_topic: str | None = None
    account_problem: str | None = None  # why the account was out of reach
    from_agent_turn: int | None = None
    agent_score: float | None = None
    agent_exception: bool | None = None
    # The search: what the bot looked at, even when it refuses (content gaps list these).
    query: str | None = None
    top_relevance: float | None = None
    probability: float | None = None  # the KB's calibrated chance that its best article is right
    retrieved: tuple[RetrievedArticle, ...] | None = None
    coverage: float | None = None
    signals: Mapping[str, float] | None = None  # for evaluations (issue 16)
    missing: tuple[str, ...] | None = None  # the question's terms no article covers
    uncovered: tuple[str, ...] | None = None  # a follow-up's subject the articles miss
    # The generated answer and its grounding.
    backend: str | None = None  # the answerer's name
    error: str | None = None  # the LLM error that made it a fallback
    grounded_ratio: float | None = None
    fallback: str | None = None  # "grounding": too little was grounded, the extract replaced it
    dropped: tuple[str, ...] | None = None  # sentences the grounding check removed
    feeling: str | None = None  # the feeling acknowledged first (issue 17)
    while_waiting: bool = False  # answered while the customer waited for a person
    offered_person: bool = False  # ended by asking whether the customer would like a person
    hands_over: bool = False  # a person takes the chat after it (finished at start after a stop)

    @classmethod
    def of(cls, meta: Mapping[str, Any]) -> AnswerMeta:
        """A bot turn's stored meta, parsed; keys it does not know are ignored."""
        read = {name: _READ[name](meta[name]) for name in _READ if meta.get(name) is not None}
        return cls(**read)

    def as_json(self) -> dict[str, Any]:
        """The JSON the store keeps: the fields that are set (tuples as lists)."""
        stored: dict[str, Any] = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            if value == spec.default:
                continue
            if isinstance(value, tuple):
                value = [asdict(v) if isinstance(v, RetrievedArticle) else v for v in value]
            stored[spec.name] = dict(value) if isinstance(value, Mapping) else value
        return stored


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value)


def _retrieved(value: Any) -> tuple[RetrievedArticle, ...]:
    return tuple(
        RetrievedArticle(str(v["article_id"]), str(v.get("title") or ""))
        for v in value
        if isinstance(v, Mapping) and v.get("article_id")
    )


_READ: dict[str, Callable[[Any], Any]] = {
    "locale": str,
    "injection": bool,
    "announcement": str,
    "source": str,
    "account_topic": str,
    "account_problem": str,
    "from_agent_turn": int,
    "agent_score": float,
    "agent_exception": bool,
    "query": str,
    "top_relevance": float,
    "probability": float,
    "retrieved": _retrieved,
    "coverage": float,
    "signals": lambda value: {str(k): float(v) for k, v in value.items()},
    "missing": _strings,
    "uncovered": _strings,
    "backend": str,
    "error": str,
    "grounded_ratio": float,
    "fallback": str,
    "dropped": _strings,
    "feeling": str,
    "while_waiting": bool,
    "offered_person": bool,
    "hands_over": bool,
}


@dataclass(frozen=True, slots=True)
class HandoffMeta:
    """A handoff notice's record (a system turn of kind `HANDOFF`): the escalator writes it as
    the turn's `meta` JSON; the chat and the email channel read it back with `of`."""

    ticket_id: str = ""
    offline: bool = False  # nobody was available
    reasons: tuple[str, ...] = ()
    locale: str = ""  # the notices' language
    feeling: str | None = None  # the feeling acknowledged first (issue 17)

    @classmethod
    def of(cls, meta: Mapping[str, Any]) -> HandoffMeta:
        """A handoff turn's stored meta, parsed; a missing key reads as its default."""
        feeling = meta.get("feeling")
        return cls(
            ticket_id=str(meta.get("ticket_id") or ""),
            offline=bool(meta.get("offline")),
            reasons=_strings(meta.get("reasons") or ()),
            locale=str(meta.get("locale") or ""),
            feeling=None if feeling is None else str(feeling),
        )

    def as_json(self) -> dict[str, Any]:
        """The JSON the store keeps (`feeling` only when one was acknowledged)."""
        stored: dict[str, Any] = {
            "ticket_id": self.ticket_id,
            "offline": self.offline,
            "reasons": list(self.reasons),
            "locale": self.locale,
        }
        if self.feeling is not None:
            stored["feeling"] = self.feeling
        return stored


@dataclass(frozen=True, slots=True)
class HandoffCancelledMeta:
    """A cancelled handoff's notice record (a system turn of kind `HANDOFF_CANCELLED`)."""

    ticket_id: str = ""

    @classmethod
    def of(cls, meta: Mapping[str, Any]) -> HandoffCancelledMeta:
        """The turn's stored meta, parsed."""
        return cls(str(meta.get("ticket_id") or ""))

    def as_json(self) -> dict[str, Any]:
        """The JSON the store keeps."""
        return {"ticket_id": self.ticket_id}


@dataclass(frozen=True, slots=True)
class AgentTurnMeta:
    """Who wrote an agent turn (a reply, or a note for the bot when handing back): the ticket
    desk writes it as the turn's `meta` JSON; the email channel and the bot read it with `of`."""

    agent_id: str = ""
    agent_name: str = ""  # as customers see it

    @classmethod
    def of(cls, meta: Mapping[str, Any]) -> AgentTurnMeta:
        """An agent turn's stored meta, parsed; a missing key reads as empty."""
        return cls(str(meta.get("agent_id") or ""), str(meta.get("agent_name") or ""))

    def as_json(self) -> dict[str, Any]:
        """The JSON the store keeps."""
        return {"agent_id": self.agent_id, "agent_name": self.agent_name}


@dataclass(frozen=True, slots=True)
class Turn:
    """One message in a conversation; `seq` orders turns within it (from 1)."""

    id: int
    conversation_id: str
    seq: int
    role: Role
    text: str
    created_at: dt.datetime
    citations: tuple[Citation, ...] = ()
    confidence: float | None = None
    kind: TurnKind = TurnKind.MESSAGE
    # Stored JSON, read with the `of` of its kind's record: `AnswerMeta` (bot answers),
    # `HandoffMeta`, `HandoffCancelledMeta` (those notices), `AgentTurnMeta` (agent turns);
    # other turns keep none.
    meta: Mapping[str, Any] = field(default_factory=dict)
    client_id: str | None = None


@dataclass(frozen=True, slots=True)
class Conversation:
    """A chat between one customer and support (bot, then maybe agents)."""

    id: str
    customer_id: str
    channel: Channel
    mode: Mode
    locale: str
    created_at: dt.datetime
    updated_at: dt.datetime
    page_url: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    csat: int | None = None


@dataclass(frozen=True, slots=True)
class PastConversation:
    """One entry of a customer's timeline: a conversation and its first customer message."""

    conversation: Conversation
    opening: str
    turns: int


@dataclass(frozen=True, slots=True)
class Feedback:
    """A thumbs up (+1) or down (-1) on one bot turn."""

    turn_id: int
    rating: int
    comment: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class TicketLink:
    """An earlier conversation of a ticket's customer, and the summary its request had then
    (issue 17: an agent merged that conversation's ticket into this one)."""

    conversation_id: str
    summary: str
    linked_at: dt.datetime
