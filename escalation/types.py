"""Plain data types of the escalation package (no I/O)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Reason(StrEnum):
    """Why a conversation goes to a person."""

    LOW_CONFIDENCE = "low_confidence"
    WEAK_STREAK = "weak_streak"
    EMOTION = "emotion"
    EXPLICIT_REQUEST = "explicit_request"
    REPEATED_FAILURE = "repeated_failure"
    SENSITIVE_TOPIC = "sensitive_topic"
    SYSTEM_ERROR = "system_error"


class Priority(StrEnum):
    """How soon a person should pick the ticket up."""

    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"

    @property
    def rank(self) -> int:
        """0 for the most urgent; queues sort by it."""
        return {"urgent": 0, "high": 1, "normal": 2}[self.value]


class TicketStatus(StrEnum):
    """Where a ticket is in its life."""

    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    RETURNED = "returned"
    CANCELLED = "cancelled"  # by the customer, before anyone claimed it (issue 17)


class AgentRole(StrEnum):
    """What an account may do."""

    AGENT = "agent"
    EDITOR = "editor"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Signals:
    """What the detectors look at for one customer message."""

    text: str
    vector: Any = None
    confidence: float | None = None
    earlier_confidences: tuple[float, ...] = ()
    previous_customer_texts: tuple[str, ...] = ()
    previous_vectors: Any = None
    last_bot_kind: str = ""
    thumbs_down: bool = False
    system_error: bool = False
    emotion: float | None = None  # EmotionModel.emotion_score of `text`, when already scored


@dataclass(frozen=True, slots=True)
class Finding:
    """One detector's verdict: a reason with its score and a readable detail."""

    reason: Reason
    score: float
    detail: str
    priority: Priority = Priority.NORMAL
    mild: bool = False  # the bot may answer first however high the score (annoyance in words)
    answer_first: bool = False  # a topic whose self-help the bot gives while the person comes
    self_help: str = ""  # the question of that self-help when the customer's words find none


@dataclass(frozen=True, slots=True)
class EscalationDecision:
    """Whether to hand off, why, and how urgently."""

    escalate: bool
    findings: tuple[Finding, ...] = ()
    priority: Priority = Priority.NORMAL
    scores: Mapping[str, float] = field(default_factory=dict)

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """The reasons of the findings, strongest first."""
        return tuple(f.reason for f in self.findings)

    @property
    def answers_first(self) -> bool:
        """The bot answers from the help center before the person comes: a topic whose
        self-help cannot wait (a hacked account), with nothing else found but a feeling."""
        return (
            self.escalate
            and any(f.answer_first for f in self.findings)
            and all(f.answer_first or f.reason is Reason.EMOTION for f in self.findings)
        )

    @property
    def self_help(self) -> str:
        """The question whose answer is the self-help where the customer's own words find none
        ("" when the bot does not answer first, or the topic names none)."""
        if not self.answers_first:
            return ""
        return next((f.self_help for f in self.findings if f.self_help), "")


@dataclass(frozen=True, slots=True)
class Ticket:
    """A conversation waiting for, or handled by, a person; `context` is the full handoff."""

    id: str
    conversation_id: str
    status: TicketStatus
    priority: Priority
    reasons: tuple[str, ...]
    summary: str
    context: Mapping[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime
    agent_id: str | None = None
    customer_email: str = ""
    offline: bool = False
    claimed_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Agent:
    """A support person's account."""

    id: str
    name: str
    role: AgentRole
    created_at: dt.datetime
    last_seen: dt.datetime | None = None
    display_name: str = ""
    takes_chats: bool = False  # an admin who answers chats too (agents always do)


@dataclass(frozen=True, slots=True)
class Note:
    """An internal note on a ticket (never shown to the customer)."""

    id: int
    ticket_id: str
    agent_id: str
    text: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One attempt history of a webhook event."""

    id: int
    event: str
    url: str
    status: str
    attempts: int
    last_error: str
    created_at: dt.datetime
    updated_at: dt.datetime
    payload: Mapping[str, Any] = field(default_factory=dict)
