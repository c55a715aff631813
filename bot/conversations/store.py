"""The conversation store protocol: customers, conversations, their turns and modes."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from bot.conversations.models import (
    Channel,
    Citation,
    Conversation,
    Customer,
    Mode,
    PastConversation,
    Role,
    Turn,
    TurnKind,
)


class ConversationStore(Protocol):
    """Persists customers, conversations, turns and feedback.

    Methods raise `NotFound` for unknown ids and `StorageError` when the database fails.
    Turn `seq` numbers are assigned by the store, strictly increasing per conversation.
    """

    async def create_conversation(
        self,
        customer: Customer,
        *,
        channel: Channel,
        locale: str,
        page_url: str = "",
        metadata: Mapping[str, Any] | None = None,
        identity: Mapping[str, Any] | None = None,
    ) -> tuple[Conversation, str]:
        """Create (or reuse, by email/external id) the customer and a new conversation;
        `identity` is the checked identity (bot.customers.identity.Check.stored), kept as it is.

        Returns the conversation and its access token; only a hash of the token is stored.
        """
        ...

    async def identity(self, conversation_id: str) -> Mapping[str, Any]:
        """The checked identity kept with the conversation ({} when none was offered);
        `NotFound` for an unknown conversation."""
        ...

    async def get(self, conversation_id: str) -> Conversation:
        """The conversation."""
        ...

    async def get_customer(self, customer_id: str) -> Customer:
        """The customer."""
        ...

    async def check_token(self, conversation_id: str, token: str) -> Conversation:
        """The conversation if `token` is its token; raises `Forbidden` otherwise."""
        ...

    async def append(
        self,
        conversation_id: str,
        role: Role,
        text: str,
        *,
        citations: Sequence[Citation] = (),
        confidence: float | None = None,
        kind: TurnKind = TurnKind.MESSAGE,
        meta: Mapping[str, Any] | None = None,
        client_id: str | None = None,
    ) -> Turn:
        """Store a turn (committed before returning) and return it with its id and seq.

        With a `client_id` already used in this conversation, nothing is written and the
        existing turn is returned (idempotent resend).
        """
        ...

    async def turns(self, conversation_id: str, *, after_seq: int = 0) -> list[Turn]:
        """Turns with seq > after_seq, in order."""
        ...

    async def turn(self, conversation_id: str, turn_id: int) -> Turn:
        """One turn of this conversation."""
        ...

    async def set_mode(self, conversation_id: str, mode: Mode) -> Conversation:
        """Change who answers the conversation."""
        ...

    async def customer_conversations(
        self, customer_id: str, limit: int
    ) -> builtins.list[PastConversation]:
        """The customer's conversations on every channel, newest first, at most `limit`, each
        with its first customer message (empty if none) and number of turns."""
        ...

    async def unanswered(self, since: dt.datetime, limit: int) -> builtins.list[Turn]:
        """Customer turns stored at or after `since` that nothing answered (a reply lost in a
        crash): no bot turn under their key (`reply-to:<turn id>`), or one whose handoff was
        due (`AnswerMeta.hands_over`), and no agent or system turn after them, in a
        conversation in bot mode untouched since its last turn (not claimed, its mode not
        changed since). Oldest first, at most `limit`."""
        ...

    async def claim(self, conversation_id: str) -> bool:
        """Mark the conversation as changed now unless it changed since its last turn was
        stored; True for exactly one of several callers (workers claim work this way; the
        next stored turn makes it claimable again)."""
        ...

    async def add_feedback(
        self, conversation_id: str, turn_id: int, rating: int, comment: str
    ) -> None:
        """Record thumbs up (+1) / down (-1) on a bot turn of this conversation (last one wins)."""
        ...

    async def set_csat(self, conversation_id: str, score: int, comment: str) -> None:
        """Record the 1-5 satisfaction score of the conversation."""
        ...

    async def ping(self) -> None:
        """Raise `StorageError` unless the database answers."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
