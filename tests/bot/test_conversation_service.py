"""Issue 19: the customer's side of a conversation as a service any channel calls (real SQLite
store and escalator): starting with or without a verified identity, the customer's view,
ratings, and asking for a person or no longer needing one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from bot.conversations.models import Channel, Conversation, Mode, Role, TurnKind
from bot.conversations.service import NewConversation, SignedIdentity
from bot.customers.identity import sign
from bot.settings import Settings
from bot.wiring import Services, build_services
from escalation.types import TicketStatus
from retrieval.interfaces import Embedder

SECRET = "a signing secret for the tests"


@pytest.fixture(scope="module")
def services(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """Services on SQLite, always open for handoffs, with identity signing on."""
    settings = Settings(
        data_dir=Path(tmp_path_factory.mktemp("conversations")),
        escalation={"business_hours": ""},  # type: ignore[arg-type]
        identity={"secret": SECRET},  # type: ignore[arg-type]
        answer={"company_name": "Acme"},  # type: ignore[arg-type]
    )
    built = build_services(settings, embedder=embedder)
    yield built
    anyio.run(built.aclose)


def _started(services: Services, **fields: object) -> Conversation:
    """A new anonymous conversation on the API channel, as stored."""

    async def main() -> Conversation:
        new = NewConversation(channel=Channel.API, **fields)  # type: ignore[arg-type]
        started = await services.conversations.start(new)
        return await services.store.get(started.id)

    return anyio.run(main)


def test_an_anonymous_start_stores_what_the_customer_said(services: Services) -> None:
    async def main() -> None:
        started = await services.conversations.start(
            NewConversation(
                channel=Channel.WIDGET,
                name="Ana",
                email="ana@example.com",
                locale="pt-BR",
                page_url="https://shop.example/cart",
                metadata={"plan": "gold"},
            )
        )
        assert (started.locale, started.mode, started.verified, started.greeting) == (
            "pt",
            Mode.BOT,
            False,
            "",
        )
        conversation = await services.store.check_token(started.id, started.token)
        assert conversation.channel is Channel.WIDGET
        assert conversation.page_url == "https://shop.example/cart"
        assert dict(conversation.metadata) == {"plan": "gold"}
        customer = await services.store.get_customer(conversation.customer_id)
        assert (customer.name, customer.email, customer.locale) == (
            "Ana",
            "ana@example.com",
            "pt-BR",
        )
        assert await services.store.identity(started.id) == {}

    anyio.run(main)


def test_a_signed_identity_makes_the_customer_verified_and_greeted(services: Services) -> None:
    payload, signature = sign(
        {"user_id": "cus_42", "name": "Bea", "email": "bea@example.com", "locale": "es"}, SECRET
    )

    async def main() -> None:
        started = await services.conversations.start(
            NewConversation(
                channel=Channel.API,
                name="Someone else",
                identity=SignedIdentity(payload, signature),
            )
        )
        assert started.verified and started.locale == "es"
        assert "Bea" in started.greeting
        conversation = await services.store.get(started.id)
        customer = await services.store.get_customer(conversation.customer_id)
        assert (customer.name, customer.external_id) == ("Bea", "cus_42")
        assert (await services.store.identity(started.id))["status"] == "verified"

    anyio.run(main)


def test_a_wrongly_signed_identity_leaves_the_customer_anonymous(services: Services) -> None:
    payload, _ = sign({"user_id": "cus_43", "name": "Cy"}, SECRET)

    async def main() -> None:
        started = await services.conversations.start(
            NewConversation(
                channel=Channel.API, name="Cy?", identity=SignedIdentity(payload, "00" * 32)
            )
        )
        assert not started.verified and started.greeting == ""
        identity = await services.store.identity(started.id)
        assert identity == {"status": "unverified", "problem": "the signature does not match"}

    anyio.run(main)


def test_the_customer_view_leaves_hand_back_notes_out(services: Services) -> None:
    conversation = _started(services)

    async def main() -> None:
        store = services.store
        await store.append(conversation.id, Role.CUSTOMER, "¿Dónde está mi pedido?")
        await store.append(
            conversation.id, Role.SYSTEM, "refund agreed", kind=TurnKind.HANDBACK_NOTE
        )
        await store.append(conversation.id, Role.BOT, "Está en camino.")
        view = await services.conversations.view(conversation)
        assert [t.text for t in view.turns] == ["¿Dónde está mi pedido?", "Está en camino."]
        assert view.notice_locale == "es"
        assert (view.id, view.mode, view.csat) == (conversation.id, Mode.BOT, None)

    anyio.run(main)


def test_a_thumbs_down_hands_the_chat_to_a_person_and_a_thumbs_up_does_not(
    services: Services,
) -> None:
    liked, disliked = _started(services), _started(services)

    async def main() -> None:
        for conversation, up in ((liked, True), (disliked, False)):
            answer = await services.store.append(conversation.id, Role.BOT, "An answer.")
            await services.conversations.rate_turn(conversation, answer.id, up, "meh")
        assert await services.escalator.queue.active_for(liked.id) is None
        assert (await services.store.get(liked.id)).mode is Mode.BOT
        ticket = await services.escalator.queue.active_for(disliked.id)
        assert ticket is not None and ticket.status is TicketStatus.OPEN
        assert (await services.store.get(disliked.id)).mode is Mode.WAITING

    anyio.run(main)


def test_a_satisfaction_score_is_kept_with_the_conversation(services: Services) -> None:
    conversation = _started(services)

    async def main() -> None:
        await services.conversations.rate_chat(conversation.id, 4, "quick")
        assert (await services.store.get(conversation.id)).csat == 4

    anyio.run(main)


def test_asking_for_a_person_opens_one_ticket_and_keeps_a_later_email(
    services: Services,
) -> None:
    conversation = _started(services)

    async def main() -> None:
        people = services.conversations
        first = await people.request_person(conversation)
        assert first.mode == "offline"  # nobody is online
        assert first.wait_message
        (notice,) = await services.store.turns(conversation.id)
        assert notice.kind is TurnKind.HANDOFF
        assert notice.meta == {  # the stored JSON, as before it was typed (issue 19)
            "ticket_id": first.ticket_id,
            "offline": True,
            "reasons": ["explicit_request"],
            "locale": "en",
        }
        again = await people.request_person(conversation)
        assert (again.ticket_id, again.wait_message) == (first.ticket_id, "")
        emailed = await people.request_person(conversation, "dee@example.com")
        assert emailed.ticket_id == first.ticket_id
        assert "dee@example.com" in emailed.wait_message
        ticket = await services.escalator.queue.get(first.ticket_id)
        assert ticket.customer_email == "dee@example.com"
        last = (await services.store.turns(conversation.id))[-1]
        assert (last.role, last.kind, last.text) == (
            Role.SYSTEM,
            "email_saved",
            emailed.wait_message,
        )

    anyio.run(main)


def test_cancelling_the_request_gives_the_chat_back_to_the_bot(services: Services) -> None:
    conversation = _started(services)

    async def main() -> None:
        people = services.conversations
        nothing = await people.cancel_person(conversation)
        assert (nothing.mode, nothing.notice) == (Mode.BOT, "")
        requested = await people.request_person(conversation)
        waiting = await services.store.get(conversation.id)
        cancelled = await people.cancel_person(waiting)
        assert cancelled.mode is Mode.BOT and cancelled.notice
        ticket = await services.escalator.queue.get(requested.ticket_id)
        assert ticket.status is TicketStatus.CANCELLED

    anyio.run(main)
