"""What a customer does with a conversation on any channel: start it, read it, rate it, ask for
a person or stop waiting for one (issue 19: routes only call it)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.answering import messages
from bot.answering.account_answers import greeting
from bot.conversations.events import HandoffMode, handoff_mode
from bot.conversations.models import Channel, Conversation, Customer, Mode, Role, Turn, TurnKind
from bot.conversations.store import ConversationStore
from bot.customers.identity import Check, verify
from bot.handoff.escalator import Escalator, notice_locale
from bot.settings import IdentityConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SignedIdentity:
    """An identity the host site's server signed (bot/customers/identity.py), not yet checked."""

    payload: str
    signature: str


@dataclass(frozen=True, slots=True)
class NewConversation:
    """What a customer (or the page around the widget) says when a conversation starts."""

    channel: Channel
    name: str = ""
    email: str = ""
    locale: str = ""
    page_url: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)
    identity: SignedIdentity | None = None


@dataclass(frozen=True, slots=True)
class Started:
    """A new conversation, the token every later call on it needs, and how it was greeted."""

    id: str
    token: str
    locale: str
    mode: Mode
    created_at: dt.datetime
    verified: bool
    greeting: str


@dataclass(frozen=True, slots=True)
class CustomerView:
    """A conversation as its customer sees it: hand-back notes left out, and the language the
    server words its notices in."""

    id: str
    mode: Mode
    locale: str
    notice_locale: str
    created_at: dt.datetime
    csat: int | None
    turns: list[Turn]


@dataclass(frozen=True, slots=True)
class PersonRequested:
    """Who answers after a request for a person: a person soon, or nobody now (offline)."""

    mode: HandoffMode
    wait_message: str
    ticket_id: str


@dataclass(frozen=True, slots=True)
class Cancelled:
    """Who answers after the customer cancelled, and the notice saying so ("" when a person
    already took the chat and nothing changed)."""

    mode: Mode
    notice: str


class ConversationService:
    """The customer's actions on conversations, for every channel."""

    def __init__(
        self,
        store: ConversationStore,
        escalator: Escalator,
        identity: IdentityConfig,
        identity_secret: str,
        company: str,
    ) -> None:
        self._store = store
        self._escalator = escalator
        self._identity = identity
        self._secret = identity_secret
        self._company = company

    async def start(self, new: NewConversation) -> Started:
        """Store a new conversation; a signed identity that checks out makes the customer
        verified (greeted by name), anything else leaves them anonymous."""
        check = self._check(new.identity)
        who = check.identity if check is not None else None
        locale = (who.locale if who is not None and who.locale else new.locale) or ""
        conversation, token = await self._store.create_conversation(
            Customer(
                id="",
                name=who.name if who is not None else new.name,
                email=who.email if who is not None else new.email,
                locale=locale,
                external_id=who.user_id if who is not None else "",
            ),
            channel=new.channel,
            locale=locale.split("-")[0].split("_")[0].lower(),
            page_url=new.page_url,
            metadata=new.metadata,
            identity=check.stored() if check is not None else None,
        )
        return Started(
            id=conversation.id,
            token=token,
            locale=conversation.locale,
            mode=conversation.mode,
            created_at=conversation.created_at,
            verified=who is not None,
            greeting=greeting(who.name, conversation.locale or "en", self._company)
            if who is not None and who.name
            else "",
        )

    def _check(self, identity: SignedIdentity | None) -> Check | None:
        """The offered identity checked, or None when none was offered."""
        if identity is None:
            return None
        check = verify(
            identity.payload,
            identity.signature,
            self._secret,
            max_age_s=self._identity.max_age_s,
            allow_no_expiry=self._identity.allow_no_expiry,
        )
        if check.identity is None:
            log.info("an offered customer identity is unverified: %s", check.problem)
        return check

    async def view(self, conversation: Conversation) -> CustomerView:
        """The conversation and its history as the customer sees it."""
        turns = await self._store.turns(conversation.id)
        return CustomerView(
            id=conversation.id,
            mode=conversation.mode,
            locale=conversation.locale,
            notice_locale=messages.notices_locale(conversation, turns),
            created_at=conversation.created_at,
            csat=conversation.csat,
            turns=[t for t in turns if t.kind is not TurnKind.HANDBACK_NOTE],
        )

    async def rate_turn(
        self, conversation: Conversation, turn_id: int, up: bool, comment: str = ""
    ) -> None:
        """Thumbs up or down on a bot turn; a thumbs-down while the bot answers hands the
        chat to a person (when handoffs are enabled)."""
        await self._store.add_feedback(conversation.id, turn_id, 1 if up else -1, comment)
        escalator = self._escalator
        if not up and conversation.mode is Mode.BOT and escalator.config.enabled:
            await escalator.escalate(conversation, escalator.thumbs_down())

    async def rate_chat(self, conversation_id: str, csat: int, comment: str = "") -> None:
        """The customer's 1-5 satisfaction score of the conversation."""
        await self._store.set_csat(conversation_id, csat, comment)

    async def request_person(self, conversation: Conversation, email: str = "") -> PersonRequested:
        """The customer asks for a person: a ticket opens, or the open one is kept and the
        `email` left for an answer when nobody is available is saved on it (and thanked for)."""
        ticket = await self._escalator.queue.active_for(conversation.id)
        if ticket is None:
            handed = await self._escalator.escalate(
                conversation, self._escalator.explicit_request(), email=email
            )
            return PersonRequested(
                handoff_mode(handed.offline), handed.notice.text, handed.ticket.id
            )
        thanks = ""
        if email:
            ticket = await self._escalator.queue.update(ticket.id, customer_email=email)
            locale = await notice_locale(self._store, conversation)
            thanks = messages.text("email_saved", locale, self._company, email=email)
            await self._store.append(
                conversation.id, Role.SYSTEM, thanks, kind=TurnKind.EMAIL_SAVED
            )
        return PersonRequested(handoff_mode(ticket.offline), thanks, ticket.id)

    async def cancel_person(self, conversation: Conversation) -> Cancelled:
        """The customer no longer needs a person: the waiting request is cancelled and the bot
        answers again; once an agent has taken the chat, nothing changes."""
        notice = await self._escalator.cancel(conversation)
        current = await self._store.get(conversation.id)
        return Cancelled(current.mode, notice.text if notice is not None else "")
