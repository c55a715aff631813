"""Agent API request and response models."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from bot.answering.customer_said import CustomerSaid
from bot.api.schemas.chat import ClientId
from bot.conversations.events import TurnOut
from bot.conversations.models import PastConversation, TicketLink, Turn
from bot.customers.connector import Lookup, account_json
from bot.customers.identity import restored
from bot.handoff.ticket_view import TicketDetail
from escalation.types import Ticket


class LoginIn(BaseModel):
    """Agent credentials."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class AgentOut(BaseModel):
    """An agent account (never the password hash)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    display_name: str
    role: str
    online: bool = False
    takes_chats: bool = False  # answers chats: every agent, admins who opted in


class LoginOut(BaseModel):
    """A session token for `Authorization: Bearer <token>`."""

    model_config = ConfigDict(from_attributes=True)

    token: str
    agent: AgentOut


class WebhookDeliveryOut(BaseModel):
    """One webhook delivery in the log: its status and last error."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    event: str
    url: str
    status: str
    attempts: int
    last_error: str
    created_at: dt.datetime

    @field_serializer("created_at")
    def _iso(self, created_at: dt.datetime) -> str:
        # `isoformat()` (`+00:00`), as this log always answered, not pydantic's `Z`.
        return created_at.isoformat()


class TicketOut(BaseModel):
    """A ticket in the queue."""

    id: str
    conversation_id: str
    status: str
    priority: str
    reasons: list[str]
    summary: str
    customer_email: str
    offline: bool
    agent_id: str | None
    created_at: dt.datetime
    waiting_s: float

    @classmethod
    def of(cls, ticket: Ticket) -> TicketOut:
        """From the domain type."""
        waited = (dt.datetime.now(dt.UTC) - ticket.created_at).total_seconds()
        return cls(
            id=ticket.id,
            conversation_id=ticket.conversation_id,
            status=ticket.status.value,
            priority=ticket.priority.value,
            reasons=list(ticket.reasons),
            summary=ticket.summary,
            customer_email=ticket.customer_email,
            offline=ticket.offline,
            agent_id=ticket.agent_id,
            created_at=ticket.created_at,
            waiting_s=round(waited, 1),
        )


class NoteOut(BaseModel):
    """An internal note."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    agent_id: str
    text: str
    created_at: dt.datetime


class AttachmentOut(BaseModel):
    """An attachment of the customer's email, as they declared it (name and type unverified)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    content_type: str = Field(description="The type the sender declared; served as a download.")
    size: int = Field(description="Bytes.")
    kept: bool = Field(
        description="Whether its content was kept (within the size limit) for download at "
        "`GET /api/agent/tickets/{ticket_id}/attachments/{id}`."
    )


class SuggestionOut(BaseModel):
    """A KB article that may help the agent's reply."""

    article_id: str
    title: str
    url: str
    snippet: str
    relevance: float


class CustomerSuppliedOut(BaseModel):
    """What the customer, or the page that embeds the widget, said about them: never checked."""

    name: str = ""
    email: str = ""
    locale: str = ""
    page_url: str = ""
    metadata: dict[str, str] = Field(default_factory=dict)


class SuggestedReplyOut(BaseModel):
    """A reply made from an article the bot answered from; the console inserts `text`."""

    model_config = ConfigDict(from_attributes=True)

    article_id: str
    title: str
    passage: str
    url: str
    text: str


class CustomerSaidOut(BaseModel):
    """What the customer wrote in the chat about themselves (their name, order numbers)."""

    name: str = ""
    order_numbers: list[str] = Field(default_factory=list)


class LinkedConversationOut(BaseModel):
    """A conversation an agent merged into this ticket (confirmed the same customer)."""

    conversation_id: str
    summary: str
    linked_at: dt.datetime
    turns: list[TurnOut]

    @classmethod
    def of(cls, link: TicketLink, turns: list[Turn]) -> LinkedConversationOut:
        """From the link and the conversation's turns."""
        return cls(
            conversation_id=link.conversation_id,
            summary=link.summary,
            linked_at=link.linked_at,
            turns=[TurnOut.model_validate(t) for t in turns],
        )


class PastConversationOut(BaseModel):
    """Another conversation of the same customer record, on any channel (the timeline)."""

    conversation_id: str
    channel: str = Field(description="widget, api or email")
    mode: str
    created_at: dt.datetime
    opening: str = Field(description="The customer's first message (empty if none).")
    turns: int

    @classmethod
    def of(cls, past: PastConversation) -> PastConversationOut:
        """From the store's timeline entry."""
        conversation = past.conversation
        return cls(
            conversation_id=conversation.id,
            channel=conversation.channel.value,
            mode=conversation.mode.value,
            created_at=conversation.created_at,
            opening=past.opening[:300],
            turns=past.turns,
        )


class CustomerOut(BaseModel):
    """Who the customer is: facts the server verified, apart from claims nobody checked."""

    identity: Literal["verified", "unverified"] = Field(
        default="unverified",
        description="`verified` when the host site's signed identity checked out (issue 21); "
        "otherwise the customer is anonymous and nothing below `verified` is set.",
    )
    identity_problem: str = Field(
        default="",
        description="Why an offered identity was refused (e.g. the signature does not match).",
    )
    verified: dict[str, str] = Field(
        default_factory=dict,
        description="Facts the server verified (the signed identity: user_id, email, name, "
        "plan, locale, attributes). Only these may be shown to agents as facts.",
    )
    account: dict[str, Any] | None = Field(
        default=None,
        description="The verified customer's account from the customer data connector "
        "(orders, subscription, invoices); null when unverified or not available.",
    )
    account_problem: str = Field(
        default="", description="Why the account data is not shown (timeout, http 500...)."
    )
    customer_supplied: CustomerSuppliedOut = Field(
        description="Sent by the customer or the widget's page, unverified: show it as such."
    )
    said_in_chat: CustomerSaidOut = Field(
        default_factory=CustomerSaidOut,
        description="Picked up from what the customer wrote in the chat, unverified: show it "
        "as said by the customer.",
    )

    @classmethod
    def of(
        cls,
        ticket: Ticket,
        said: CustomerSaid | None = None,
        identity: Mapping[str, Any] | None = None,
        lookup: Lookup | None = None,
    ) -> CustomerOut:
        """From a ticket, whose customer details all came from the customer (issue 15, item 10),
        what the customer wrote about themselves, the conversation's checked identity and the
        connector's lookup of that verified customer."""
        given = ticket.context.get("customer")
        given = given if isinstance(given, Mapping) else {}
        metadata = given.get("metadata")
        said = said or CustomerSaid()
        who = restored(identity)
        return cls(
            identity="verified" if who is not None else "unverified",
            identity_problem=str((identity or {}).get("problem") or ""),
            verified=who.facts() if who is not None else {},
            account=account_json(lookup.account) if lookup and lookup.account else None,
            account_problem=lookup.problem if lookup is not None else "",
            said_in_chat=CustomerSaidOut(name=said.name, order_numbers=list(said.order_numbers)),
            customer_supplied=CustomerSuppliedOut(
                name=str(given.get("name") or ""),
                email=ticket.customer_email or str(given.get("email") or ""),
                locale=str(given.get("locale") or ""),
                page_url=str(given.get("page_url") or ""),
                metadata={
                    str(k): str(v)
                    for k, v in (metadata.items() if isinstance(metadata, Mapping) else ())
                },
            ),
        )


class TicketDetailOut(BaseModel):
    """Everything an agent needs: the ticket, its context, the live transcript, notes."""

    ticket: TicketOut
    customer: CustomerOut
    context: dict[str, Any] = Field(
        description="Why and how it was escalated: transcript, findings, scores, sources "
        "(the customer's details are in `customer`)."
    )
    turns: list[TurnOut]
    notes: list[NoteOut]
    suggestions: list[SuggestionOut]
    suggested_replies: list[SuggestedReplyOut] = Field(
        description="Replies made from the articles the bot cited in this chat."
    )
    linked: list[LinkedConversationOut] = Field(
        description="Conversations agents merged into this ticket, oldest first."
    )
    history: list[PastConversationOut] = Field(
        default_factory=list,
        description="The customer's other conversations on every channel (widget, API, email), "
        "newest first, at most 20: one record per email address or verified id, so the same "
        "person across channels; an unverified email can be typed by anyone.",
    )
    possibly_same: list[TicketOut] = Field(
        default_factory=list,
        description="Other active tickets with this customer record or email: possibly the "
        "same customer, but emails are not verified. An agent may merge them (`/merge`).",
    )
    attachments: list[AttachmentOut] = Field(
        default_factory=list,
        description="Attachments of the email received in this conversation, oldest first; "
        "those over the size limit are listed but not kept.",
    )
    mode: str

    @classmethod
    def of(cls, detail: TicketDetail) -> TicketDetailOut:
        """From the domain type: the customer's details gathered in `customer`, out of the
        escalation's `context` (issue 15)."""
        ticket = detail.ticket
        return cls(
            ticket=TicketOut.of(ticket),
            customer=CustomerOut.of(ticket, detail.said, detail.identity, detail.lookup),
            context={k: v for k, v in ticket.context.items() if k != "customer"},
            turns=[TurnOut.model_validate(t) for t in detail.turns],
            linked=[LinkedConversationOut.of(link, turns) for link, turns in detail.linked],
            history=[PastConversationOut.of(p) for p in detail.history],
            possibly_same=[TicketOut.of(t) for t in detail.possibly_same],
            notes=[NoteOut.model_validate(n) for n in detail.notes],
            suggested_replies=[
                SuggestedReplyOut.model_validate(r) for r in detail.suggested_replies
            ],
            suggestions=[
                SuggestionOut(
                    article_id=r.article_id,
                    title=r.title,
                    url=r.url,
                    snippet=r.best.text[:240],
                    relevance=round(r.relevance, 3),
                )
                for r in detail.suggestions
            ],
            attachments=[AttachmentOut.model_validate(a) for a in detail.attachments],
            mode=detail.conversation.mode.value,
        )


class TextIn(BaseModel):
    """A reply or a note."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000)


class ReplyIn(TextIn):
    """A reply to the customer; `client_id` makes the agent's resends idempotent."""

    client_id: ClientId = None


class HandBackIn(BaseModel):
    """An optional note for the bot when handing the chat back (it may quote it)."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=4000)


class TakesChatsIn(BaseModel):
    """Whether an admin account also answers chats."""

    model_config = ConfigDict(extra="forbid")

    takes_chats: bool


class MergeIn(BaseModel):
    """The ticket to merge this one into."""

    model_config = ConfigDict(extra="forbid")

    into: str = Field(min_length=1, max_length=64)


class TransferIn(BaseModel):
    """Give the ticket to another agent, or back to the queue (null)."""

    model_config = ConfigDict(extra="forbid")

    agent_id: str | None = None
