"""Protocols at the seams of the bot package."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from bot.answering.passages import AnswerRequest
from bot.conversations.models import (
    Channel,
    Citation,
    Conversation,
    Customer,
    Mode,
    PastConversation,
    Role,
    TicketLink,
    Turn,
    TurnKind,
)
from bot.helpcenter.articles import (
    ArticleContent,
    ArticleStatus,
    ArticleVersion,
    IndexState,
    StoredArticle,
)
from escalation.types import Priority, Ticket
from retrieval.types import SearchResult

if TYPE_CHECKING:
    from bot.helpcenter.announcements import Announcement


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
        `identity` is the checked identity (bot.identity.Check.stored), kept as it is.

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
        crash): no bot turn under their key (`reply-to:<turn id>`) and no agent or system turn
        after them, in a conversation in bot mode untouched since its last turn (not claimed,
        its mode not changed since). Oldest first, at most `limit`."""
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


class TicketLifecycle(Protocol):
    """Ticket transitions that also set who answers the conversation, each one atomic.

    Every method checks the ticket's state and writes the ticket, the conversation's mode
    (open: waiting, claimed: agent, resolved: closed, returned: bot) and any turn in one
    transaction, so concurrent transitions on one ticket, from any process, apply one at a
    time. Raises `TicketNotFound`, `AlreadyClaimed` (another agent won the claim),
    `InvalidTransition` (the ticket's status or holder does not allow it; the message says
    which), `NotFound` for an unknown conversation and `StorageError`.
    """

    async def open(
        self,
        conversation_id: str,
        *,
        priority: Priority,
        reasons: Sequence[str],
        summary: str,
        context: Mapping[str, Any],
        customer_email: str = "",
        offline: bool = False,
    ) -> Ticket:
        """Open a ticket (or return the conversation's active one); the mode follows it.

        Every conversation gets its own ticket (emails are not verified), except one an agent
        merged into an active ticket (`merge`): it gets that ticket back.
        """
        ...

    async def links(self, ticket_id: str) -> builtins.list[TicketLink]:
        """The conversations agents merged into the ticket, oldest first."""
        ...

    async def possibly_same(self, ticket_id: str) -> builtins.list[Ticket]:
        """The other active tickets with the ticket's customer record or email: a hint for
        agents (nothing the customer typed is verified), never a change to any chat."""
        ...

    async def merge(self, ticket_id: str, into_id: str, agent_id: str) -> tuple[Ticket, Ticket]:
        """An agent confirms two tickets are one customer's: the ticket closes (resolved) and
        its conversation joins `into_id`'s links, following that ticket's status from then on;
        the (source, target) tickets. Both must be active and linked by `possibly_same`, the
        source open or held by the agent (InvalidTransition otherwise)."""
        ...

    async def claim(self, ticket_id: str, agent_id: str) -> Ticket:
        """Give an open ticket to the agent (re-claiming one's own ticket returns it)."""
        ...

    async def transfer(self, ticket_id: str, agent_id: str, to_agent_id: str | None) -> Ticket:
        """Hand a held ticket to another agent, or back to the open queue (None)."""
        ...

    async def resolve(self, ticket_id: str, agent_id: str) -> Ticket:
        """Close a held ticket as resolved."""
        ...

    async def return_to_bot(
        self,
        ticket_id: str,
        agent_id: str,
        *,
        note: str = "",
        meta: Mapping[str, Any] | None = None,
    ) -> Ticket:
        """Close a held ticket and let the bot answer again; a `note` for the bot is stored
        with it as an agent turn of kind `TurnKind.HANDBACK_NOTE` (with `meta`)."""
        ...

    async def cancel(
        self, ticket_id: str, notice: str, meta: Mapping[str, Any]
    ) -> tuple[Ticket, Turn]:
        """Close an open ticket as cancelled by the customer (InvalidTransition once claimed
        or closed); the bot answers again, and `notice` is stored as a system turn."""
        ...

    async def reply(
        self,
        ticket_id: str,
        agent_id: str,
        text: str,
        *,
        meta: Mapping[str, Any],
        client_id: str | None = None,
    ) -> tuple[Ticket, Turn]:
        """Store an agent turn while the agent holds the ticket.

        A `client_id` already stored in the conversation returns that turn and writes nothing
        (the retry of a stored reply succeeds even if the ticket has closed since).
        """
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


class ArticleSearch(Protocol):
    """The articles the responder answers from: the live knowledge base, or a preview overlay.

    Synchronous (the responder calls it in a worker thread). Results are articles, best first,
    each with a relevance in [0, 1] comparable across implementations.
    """

    def search(
        self, query: str, k: int = 5, *, locale: str | None = None, plan: str | None = None
    ) -> list[SearchResult]:
        """The k best articles for `query`, within `locale` when given; with `plan` given,
        only articles for everyone and that plan ("" = for everyone only)."""
        ...

    def locales(self) -> frozenset[str]:
        """Locales that have at least one article."""
        ...


class ArticleStore(Protocol):
    """Help-center articles and every saved version (the source of truth for what is published).

    Versions are numbered from 1 per article and never change once written. Methods raise
    `NotFound` for unknown ids or versions, `Conflict` when a write collides with the stored
    state, and `StorageError` when the database fails. Deleted articles keep their row (an id
    is never reused) and are listed only when asked for by status.
    """

    async def create(
        self,
        article_id: str,
        content: ArticleContent,
        *,
        author: str,
        source: str = "app",
        source_hash: str = "",
        note: str = "",
    ) -> StoredArticle:
        """A new draft at version 1; `Conflict` (code "article_exists") when the id is taken."""
        ...

    async def get(self, article_id: str) -> StoredArticle:
        """The article with its current version's content (deleted ones too)."""
        ...

    async def list(
        self,
        *,
        query: str = "",
        status: ArticleStatus | None = None,
        category: str = "",
        locale: str = "",
    ) -> list[StoredArticle]:
        """Articles matching every filter, newest update first; `query` matches id or title
        (case-insensitive substring). Without `status`, deleted articles are left out."""
        ...

    async def save(
        self,
        article_id: str,
        content: ArticleContent,
        *,
        author: str,
        base_version: int,
        note: str = "",
        source: str | None = None,
        source_hash: str | None = None,
    ) -> StoredArticle:
        """Write version base_version + 1 atomically.

        `Conflict` (code "stale_version", naming who saved the newer version and when) unless
        `base_version` is still the current version. The status stays (a deleted article comes
        back as a draft); a published article keeps serving its published version.
        """
        ...

    async def publish(self, article_id: str, version: int, *, author: str) -> StoredArticle:
        """Make `version` the live one: status published, index state pending."""
        ...

    async def withdraw(
        self,
        article_id: str,
        status: ArticleStatus,
        *,
        author: str,
        source_hash: str | None = None,
    ) -> StoredArticle:
        """Take the article off the help center: status unpublished or deleted, no live version.

        A `source_hash` replaces the recorded one (e.g. "" so that a returning file syncs again).
        """
        ...

    async def set_index_state(
        self, article_id: str, version: int, state: IndexState, error: str = ""
    ) -> bool:
        """Record the index state of published `version`; False (nothing written) when another
        version is live by now."""
        ...

    async def versions(self, article_id: str) -> builtins.list[ArticleVersion]:
        """Every version, oldest first."""
        ...

    async def version(self, article_id: str, version: int) -> ArticleVersion:
        """One version."""
        ...

    async def published_versions(self) -> builtins.list[ArticleVersion]:
        """The live version of every published article, by article id."""
        ...

    async def sources(self) -> dict[str, tuple[str, str]]:
        """(source, source hash) of every article, by id."""
        ...


class AnnouncementStore(Protocol):
    """Announcements and their time windows (issue 21). Synchronous: call it from a worker thread.

    Times are timezone-aware UTC. Methods raise `NotFound` for unknown ids and `StorageError`
    when the database fails.
    """

    def add(self, announcement: Announcement) -> None:
        """Store a new announcement (its id is new)."""
        ...

    def get(self, announcement_id: str) -> Announcement:
        """One announcement."""
        ...

    def end(self, announcement_id: str, now: dt.datetime) -> Announcement:
        """End it at `now` (one that ended earlier keeps its end); the stored result."""
        ...

    def current(self, now: dt.datetime) -> builtins.list[Announcement]:
        """Every announcement not ended at `now` (active or scheduled), by start."""
        ...

    def apply_incident(
        self, incident_id: str, status: str, title: str, text: str, now: dt.datetime
    ) -> Announcement | None:
        """Create or update the announcement of a status page's incident, atomically: status
        "resolved" ends it, any other (re)opens it; empty title/text keep the stored ones.
        None for a resolved incident that was never announced (nothing is stored)."""
        ...
