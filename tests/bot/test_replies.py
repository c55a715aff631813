"""Issue 19: the reply pipeline as a service any channel calls (real responder, SQLite, Chroma,
the in-process broadcaster): what the caller's queue gets is what the live channel shows."""

from __future__ import annotations

import asyncio
from pathlib import Path

import anyio
import pytest

from bot.conversations.events import Token, TurnEvent, conversation_channel
from bot.conversations.models import Channel, Customer, Mode, Role, Turn
from bot.conversations.replies import Failure, Outcome, Shown
from bot.errors import InvalidInput, RateLimited
from bot.settings import Settings
from bot.wiring import build_services
from retrieval.interfaces import Embedder
from tests.conftest import KB_FIXTURE


async def _drain(queue: asyncio.Queue[Outcome]) -> list[Shown | Failure]:
    shown: list[Shown | Failure] = []
    with anyio.fail_after(120):
        while (outcome := await queue.get()) is not None:
            shown.append(outcome)
    return shown


def test_a_reply_goes_to_its_caller_and_live_and_is_counted(
    embedder: Embedder, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, api={"rate_limit_per_conversation": 2})  # type: ignore[arg-type]
    services = build_services(settings, embedder=embedder)
    services.kb.ingest_path(KB_FIXTURE)
    answers: list[Turn] = []

    async def main() -> None:
        conversation, _ = await services.store.create_conversation(
            Customer(id=""), channel=Channel.API, locale="en"
        )
        replies = services.replies
        with pytest.raises(InvalidInput):  # checked before anything is stored or counted
            await replies.start(conversation.id, "   ")
        async with services.broadcaster.subscribe(conversation_channel(conversation.id)) as live:
            queue = await replies.start(
                conversation.id, "how long do refunds take?", on_answer=answers.append
            )
            shown = await _drain(queue)
            with anyio.fail_after(30):
                heard = [await anext(live) for _ in shown]
        assert heard == [event.payload() for event in shown if not isinstance(event, Exception)]
        first, *tokens, last = shown
        assert isinstance(first, TurnEvent) and first.type == "message"
        assert first.turn.role is Role.CUSTOMER
        assert tokens and all(isinstance(t, Token) for t in tokens)
        assert isinstance(last, TurnEvent) and last.type == "reply"
        assert answers == [last.turn]
        await _drain(await replies.start(conversation.id, "and for gift cards?"))
        with pytest.raises(RateLimited):  # the third message within the minute
            await replies.start(conversation.id, "one more")
        assert len(await services.store.turns(conversation.id)) == 4

    try:
        anyio.run(main)
    finally:
        anyio.run(services.aclose)


def test_the_email_channel_announces_stored_turns_live(embedder: Embedder, tmp_path: Path) -> None:
    services = build_services(Settings(data_dir=tmp_path), embedder=embedder)

    async def main() -> None:
        conversation, _ = await services.store.create_conversation(
            Customer(id="", email="ana@example.com"), channel=Channel.EMAIL, locale=""
        )
        turn = await services.store.append(conversation.id, Role.CUSTOMER, "Where is my parcel?")
        async with services.broadcaster.subscribe(conversation_channel(conversation.id)) as live:
            await services.replies.announce("message", turn)
            with anyio.fail_after(30):
                heard = await anext(live)
        assert heard == TurnEvent("message", turn).payload()
        assert heard["turn"]["text"] == "Where is my parcel?"

    try:
        anyio.run(main)
    finally:
        anyio.run(services.aclose)


def test_a_channel_that_sends_whole_answers_gets_the_message_reply_and_mode(
    embedder: Embedder, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        escalation={"business_hours": ""},  # type: ignore[arg-type]
        api={"rate_limit_per_conversation": 1},  # type: ignore[arg-type]
    )
    services = build_services(settings, embedder=embedder)
    services.kb.ingest_path(KB_FIXTURE)

    async def main() -> None:
        conversation, _ = await services.store.create_conversation(
            Customer(id=""), channel=Channel.EMAIL, locale="en"
        )
        replies = services.replies
        answered = await replies.answer(conversation.id, "how long do refunds take?")
        assert answered.message.role is Role.CUSTOMER
        assert answered.reply is not None and answered.reply.role is Role.BOT
        assert answered.mode is Mode.BOT
        with pytest.raises(RateLimited):  # the chat's limit: one message a minute here
            await replies.answer(conversation.id, "and by card?")
        # A channel with limits of its own (email's loop guard) is not counted.
        handed = await replies.answer(
            conversation.id, "I want to talk to a real person", rate_limited=False
        )
        assert handed.message.text == "I want to talk to a real person"
        assert handed.reply is None and handed.mode is Mode.WAITING  # a person answers now

    try:
        anyio.run(main)
    finally:
        anyio.run(services.aclose)
