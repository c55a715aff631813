"""Messages a crash left without a reply are answered (or handed to a person) once at the next
start, also when several workers start at once (issue 15, item 3); SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from bot.answering.responder import answer_key
from bot.api.app import create_app
from bot.api.metrics import Metrics
from bot.conversations.models import AnswerMeta, Channel, Customer, Mode, Role, Turn, TurnKind
from bot.wiring import Services, build_services
from retrieval.interfaces import Embedder
from tests.api.conftest import api_settings
from tests.conftest import KB_FIXTURE
from tests.contracts.conftest import fresh_database, require_postgres
from tests.live_server import LiveServer

QUESTIONS = ["how long do refunds take?", "how long is the password reset link valid?"]
HUMAN = "I want to talk to a real person"


@contextlib.contextmanager
def database(backend: str, tmp_path: Path) -> Iterator[str]:
    """The storage URL of a fresh database of `backend`."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'supportbot.db'}"
        return
    with fresh_database(require_postgres()) as url:
        yield url


async def crash_after_storing(services: Services, *texts: str) -> list[Turn]:
    """Customer messages stored, as a worker does before answering, and never answered."""
    lost = []
    for n, text in enumerate(texts):
        conversation, _ = await services.store.create_conversation(
            Customer(id=""), channel=Channel.WIDGET, locale="en"
        )
        client_id = f"lost-{n}" if n % 2 else None  # API clients may send none
        lost.append(
            await services.store.append(conversation.id, Role.CUSTOMER, text, client_id=client_id)
        )
    return lost


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_messages_left_without_a_reply_are_answered_once_at_start(
    backend: str, embedder: Embedder, tmp_path: Path
) -> None:
    with database(backend, tmp_path) as url:
        settings = api_settings(tmp_path, storage={"url": url}, escalation={"business_hours": ""})
        services = build_services(settings, embedder=embedder)
        services.kb.ingest_path(KB_FIXTURE)
        store = services.store

        async def two_workers_start_at_once() -> tuple[list[Turn], list[int]]:
            lost = await crash_after_storing(services, *QUESTIONS, HUMAN)
            taken = await asyncio.gather(
                services.replies.answer_unanswered(on_answer=Metrics().record_answer),
                services.replies.answer_unanswered(on_answer=Metrics().record_answer),
            )
            return lost, list(taken)

        try:
            lost, taken = anyio.run(two_workers_start_at_once)
            assert sum(taken) == len(lost), taken

            async def histories() -> list[tuple[Mode, list[Turn]]]:
                return [
                    (
                        (await store.get(t.conversation_id)).mode,
                        await store.turns(t.conversation_id),
                    )
                    for t in lost
                ]

            (mode1, refunds), (mode2, link), (mode3, person) = anyio.run(histories)
            for mode, turns, article in (
                (mode1, refunds, "refund-timing"),
                (mode2, link, "reset-password"),
            ):
                assert mode is Mode.BOT
                assert [t.role for t in turns] == [Role.CUSTOMER, Role.BOT]
                assert turns[1].client_id == f"reply-to:{turns[0].id}"
                assert turns[1].citations[0].article_id == article
            assert mode3 is Mode.WAITING  # handed to a person, once
            assert [(t.role, t.kind) for t in person] == [
                (Role.CUSTOMER, ""),
                (Role.SYSTEM, "handoff"),
            ]

            # The app does it at start, in the background.
            (again,) = anyio.run(crash_after_storing, services, QUESTIONS[0])
            with (
                LiveServer(create_app(settings, services)) as live,
                httpx.Client(base_url=live.url, timeout=60) as http,
            ):
                deadline = time.monotonic() + 120
                while len(anyio.run(store.turns, again.conversation_id)) < 2:
                    assert time.monotonic() < deadline, "the lost message was never answered"
                    time.sleep(0.2)
                assert http.get("/healthz").status_code == 200
            answered = anyio.run(store.turns, again.conversation_id)
            assert [t.role for t in answered] == [Role.CUSTOMER, Role.BOT]
        finally:
            anyio.run(services.aclose)


def test_a_window_of_zero_turns_the_recovery_off(embedder: Embedder, tmp_path: Path) -> None:
    settings = api_settings(tmp_path, answer={"recovery_window_s": 0})
    services = build_services(settings, embedder=embedder)

    async def run() -> tuple[int, int]:
        (lost,) = await crash_after_storing(services, QUESTIONS[0])
        taken = await services.replies.answer_unanswered()
        return taken, len(await services.store.turns(lost.conversation_id))

    try:
        assert anyio.run(run) == (0, 1)
    finally:
        anyio.run(services.aclose)


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_a_handoff_cut_off_after_its_answer_is_finished_once_at_start(
    backend: str, embedder: Embedder, tmp_path: Path
) -> None:
    """A stop between a stored answer and the handoff due after it (`hands_over`) left the
    customer with a weak answer and no person; an answer with no handoff due, or a chat that
    went on since, is left alone."""
    with database(backend, tmp_path) as url:
        settings = api_settings(tmp_path, storage={"url": url}, escalation={"business_hours": ""})
        services = build_services(settings, embedder=embedder)
        store = services.store

        async def crash_after_answering(hands_over: bool, went_on: bool = False) -> Turn:
            conversation, _ = await store.create_conversation(
                Customer(id=""), channel=Channel.WIDGET, locale="en"
            )
            first = None
            for text in ("is the warranty void?", "ok thanks")[: 1 + went_on]:
                asked = await store.append(conversation.id, Role.CUSTOMER, text)
                await store.append(
                    conversation.id,
                    Role.BOT,
                    "Warranty terms are in the product manual.",
                    confidence=0.1 if hands_over else 0.9,
                    kind=TurnKind.ANSWER,
                    meta=AnswerMeta("en", hands_over=hands_over and first is None).as_json(),
                    client_id=answer_key(asked),
                )
                first = first or asked
            assert first is not None
            return first

        async def two_workers_start_at_once() -> tuple[list[int], list[list[Turn]], list[Mode]]:
            chats = [
                await crash_after_answering(True),
                await crash_after_answering(False),
                await crash_after_answering(True, went_on=True),
            ]
            taken = await asyncio.gather(
                services.replies.answer_unanswered(), services.replies.answer_unanswered()
            )
            ids = [t.conversation_id for t in chats]
            return (
                list(taken),
                [await store.turns(i) for i in ids],
                [(await store.get(i)).mode for i in ids],
            )

        try:
            taken, (cut, whole, went_on), modes = anyio.run(two_workers_start_at_once)
            assert sorted(taken) == [0, 1]
            assert [(t.role, t.kind) for t in cut] == [
                (Role.CUSTOMER, TurnKind.MESSAGE),
                (Role.BOT, TurnKind.ANSWER),
                (Role.SYSTEM, TurnKind.HANDOFF),
            ]
            assert [t.role for t in whole] == [Role.CUSTOMER, Role.BOT]
            assert [t.role for t in went_on] == [Role.CUSTOMER, Role.BOT] * 2
            assert modes == [Mode.WAITING, Mode.BOT, Mode.BOT]
            assert anyio.run(services.replies.answer_unanswered) == 0  # finished, once
        finally:
            anyio.run(services.aclose)
