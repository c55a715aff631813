"""Protocols at the seams of the bot package."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol

from bot.conversation import Channel, Citation, Conversation, Customer, Mode, Role, Turn
from bot.passages import AnswerRequest


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
    ) -> tuple[Conversation, str]:
        """Create (or reuse, by email/external id) the customer and a new conversation.

        Returns the conversation and its access token; only a hash of the token is stored.
        """
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
        kind: str = "",
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


class ChatModel(Protocol):
    """A chat-completion language model (OpenAI-compatible or local).

    Messages are `{"role": "system"|"user"|"assistant", "content": str}` dicts. Raises
    `LLMTimeout` or `LLMError`; never returns partial output silently.
    """

    @property
    def model(self) -> str:
        """Model identifier, recorded with the turns it writes."""
        ...

    async def complete(self, messages: Sequence[Mapping[str, str]], *, max_tokens: int) -> str:
        """The whole reply."""
        ...

    def stream(
        self, messages: Sequence[Mapping[str, str]], *, max_tokens: int
    ) -> AsyncIterator[str]:
        """The reply in pieces as they are generated."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


class Answerer(Protocol):
    """Writes the answer to a request from its passages, streamed in pieces.

    Citations are `[n]` markers referring to `request.passages[i].n`. Raises `LLMError`.
    """

    @property
    def name(self) -> str:
        """Backend and model, recorded with each answer."""
        ...

    @property
    def verbatim(self) -> bool:
        """True when every sentence is copied from a passage (grounded by construction)."""
        ...

    def stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        """The answer text in pieces."""
        ...
