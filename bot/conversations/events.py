"""Live events: every event type published to listeners, its JSON, and the channel names
(issue 19: defined once; the widget and the staff pages read these fields)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from bot.conversations.models import CitationKind, Turn
from bot.runtime.realtime import Broadcaster, Event, publish_or_log
from escalation.types import Ticket


class CitationOut(BaseModel):
    """A numbered source: `[n]` in the text links to it."""

    model_config = ConfigDict(from_attributes=True)

    n: int
    article_id: str
    title: str
    url: str
    section: str
    snippet: str
    kind: CitationKind = Field(
        default="article",
        description="`article`: a help-center article; `announcement`: an active announcement "
        "(issue 21); `account`: the verified customer's own account data (no link).",
    )


class TurnOut(BaseModel):
    """One message of the conversation."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    seq: int
    role: str
    text: str
    citations: list[CitationOut]
    confidence: float | None
    kind: str
    created_at: dt.datetime


QUEUE_CHANNEL = "queue"
"""The live channel of the agents' queue: ticket and availability changes."""


def conversation_channel(conversation_id: str) -> str:
    """The live channel of a conversation: its customer's widget and the agents watching it."""
    return f"conversation:{conversation_id}"


class LiveEvent(Protocol):
    """An event published on a live channel; `payload()` is its JSON, as the widget
    (web_widget/) and the staff pages (bot/web/static/) read it: never rename a field."""

    @property
    def type(self) -> str:
        """The event's `type` field."""
        ...

    def payload(self) -> Event:
        """The JSON object sent to listeners."""
        ...


async def tell_conversation(
    broadcaster: Broadcaster, conversation_id: str, event: LiveEvent
) -> None:
    """Publish `event` to the conversation's listeners (logged, never raised, on failure)."""
    await publish_or_log(broadcaster, conversation_channel(conversation_id), event.payload())


async def tell_queue(broadcaster: Broadcaster, event: LiveEvent) -> None:
    """Publish `event` to the agents' queue (logged, never raised, on failure)."""
    await publish_or_log(broadcaster, QUEUE_CHANNEL, event.payload())


async def tell_ticket(broadcaster: Broadcaster, ticket: Ticket, event: LiveEvent) -> None:
    """Publish `event` to the ticket's conversation and the ticket's status to the queue."""
    await tell_conversation(broadcaster, ticket.conversation_id, event)
    await tell_queue(broadcaster, TicketChanged.of(ticket))


def _turn(turn: Turn) -> Event:
    return TurnOut.model_validate(turn).model_dump(mode="json")


@dataclass(frozen=True, slots=True)
class Token:
    """Approved text of the bot's reply, as it streams."""

    text: str
    type: ClassVar[str] = "token"

    def payload(self) -> Event:
        """`{type, text}`."""
        return {"type": self.type, "text": self.text}


TurnEventType = Literal["message", "reply", "notice"]


@dataclass(frozen=True, slots=True)
class TurnEvent:
    """A stored turn: `message` (the customer's), `reply` (the bot's), or `notice` (a system
    turn, e.g. the request for a person cancelled; only to the customer who sent the message)."""

    type: TurnEventType
    turn: Turn

    def payload(self) -> Event:
        """`{type, turn}`."""
        return {"type": self.type, "turn": _turn(self.turn)}


HandoffMode = Literal["waiting", "offline"]


def handoff_mode(offline: bool) -> HandoffMode:
    """How a handed-off chat waits: for a person soon, or with nobody available now."""
    return "offline" if offline else "waiting"


@dataclass(frozen=True, slots=True)
class Handoff:
    """The chat waits for a person (`offline`: none is available now).

    On the live channel it names the ticket; to the customer whose message was handed off it
    carries the stored notice turn instead; a merged chat's gets only the wait message.
    """

    mode: HandoffMode
    wait_message: str
    ticket_id: str | None = None
    locale: str | None = None
    turn: Turn | None = None
    type: ClassVar[str] = "handoff"

    def payload(self) -> Event:
        """`{type, mode, wait_message}`, then `ticket_id`, `locale` and `turn` when set."""
        event: Event = {"type": self.type, "mode": self.mode, "wait_message": self.wait_message}
        if self.ticket_id is not None:
            event["ticket_id"] = self.ticket_id
        if self.locale is not None:
            event["locale"] = self.locale
        if self.turn is not None:
            event["turn"] = _turn(self.turn)
        return event


@dataclass(frozen=True, slots=True)
class HandoffCancelled:
    """The customer no longer waits for a person: the bot answers again."""

    text: str
    ticket_id: str
    type: ClassVar[str] = "handoff_cancelled"

    def payload(self) -> Event:
        """`{type, mode: "bot", text, ticket_id}`."""
        return {"type": self.type, "mode": "bot", "text": self.text, "ticket_id": self.ticket_id}


@dataclass(frozen=True, slots=True)
class AgentJoined:
    """A person took the chat; `text` is the notice in the conversation's language, None when
    that could not be read (the widget words it in the page's language)."""

    agent_name: str
    text: str | None = None
    type: ClassVar[str] = "agent_joined"

    def payload(self) -> Event:
        """`{type, agent: {name}}`, then `text` when set."""
        event: Event = {"type": self.type, "agent": {"name": self.agent_name}}
        if self.text is not None:
            event["text"] = self.text
        return event


@dataclass(frozen=True, slots=True)
class AgentMessage:
    """An agent's stored reply."""

    turn: Turn
    agent_name: str
    type: ClassVar[str] = "agent_message"

    def payload(self) -> Event:
        """`{type, turn, agent: {name}}`."""
        return {"type": self.type, "turn": _turn(self.turn), "agent": {"name": self.agent_name}}


@dataclass(frozen=True, slots=True)
class Transferred:
    """The chat went to another agent, or back to the queue."""

    type: ClassVar[str] = "transferred"

    def payload(self) -> Event:
        """`{type}`."""
        return {"type": self.type}


@dataclass(frozen=True, slots=True)
class Closed:
    """An agent resolved the chat; `locale` is the language of its survey, None when unread."""

    locale: str | None = None
    type: ClassVar[str] = "closed"

    def payload(self) -> Event:
        """`{type}`, then `locale` when set."""
        return {"type": self.type} | ({} if self.locale is None else {"locale": self.locale})


@dataclass(frozen=True, slots=True)
class ReturnedToBot:
    """An agent handed the chat back to the bot; `text` as for `AgentJoined`."""

    text: str | None = None
    type: ClassVar[str] = "returned_to_bot"

    def payload(self) -> Event:
        """`{type}`, then `text` when set."""
        return {"type": self.type} | ({} if self.text is None else {"text": self.text})


@dataclass(frozen=True, slots=True)
class TicketChanged:
    """On the queue channel: a ticket was opened or changed status."""

    ticket_id: str
    status: str
    type: ClassVar[str] = "ticket"

    @classmethod
    def of(cls, ticket: Ticket) -> TicketChanged:
        """The event for `ticket`'s current status."""
        return cls(ticket.id, ticket.status.value)

    def payload(self) -> Event:
        """`{type, ticket_id, status}`."""
        return {"type": self.type, "ticket_id": self.ticket_id, "status": self.status}


@dataclass(frozen=True, slots=True)
class AvailabilityChanged:
    """On the queue channel: who takes chats changed (the consoles redraw it)."""

    type: ClassVar[str] = "availability"

    def payload(self) -> Event:
        """`{type}`."""
        return {"type": self.type}
