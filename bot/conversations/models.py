"""Conversation data types: customers, conversations, turns, citations (no I/O).

A conversation belongs to a customer and has a channel; customers persist across
conversations (the email channel, verified identity and reporting build on this).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal


class Role(StrEnum):
    """Who wrote a turn."""

    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


# The kind of an agent turn written for the bot when a chat is handed back (issue 16): the bot
# reads it as context; the customer's view of the conversation leaves it out.
HANDBACK_NOTE = "handback_note"


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


class AnswerKind(StrEnum):
    """What kind of bot turn this is (drives confidence and escalation)."""

    ANSWER = "answer"
    REFUSAL = "refusal"
    SMALLTALK = "smalltalk"
    FALLBACK = "fallback"


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
    kind: str = ""
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
