"""The responder with a scripted model: what reaches the customer is always grounded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from bot.answering.responder import ReplyEvent
from bot.conversations.models import Channel, Customer, Role, Turn
from bot.errors import InvalidInput, LLMTimeout
from bot.settings import Settings
from bot.wiring import Services, build_services
from escalation.config import EscalationConfig
from retrieval.interfaces import Embedder
from tests.conftest import KB_FIXTURE
from tests.fakes import ScriptedLLM


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("responder")


def services_with(model: ScriptedLLM | None, data_dir: Path, embedder: Embedder) -> Services:
    services = build_services(Settings(data_dir=data_dir), embedder=embedder, chat_model=model)
    services.kb.ingest_path(KB_FIXTURE)
    return services


def ask(services: Services, *questions: str) -> list[Turn]:
    async def run() -> list[Turn]:
        conversation, _ = await services.store.create_conversation(
            Customer(id=""), channel=Channel.API, locale="en"
        )
        out = []
        for question in questions:
            async for event in services.responder.reply(conversation.id, question):
                if event.type == "done" and event.turn is not None:
                    out.append(event.turn)
        return out

    return anyio.run(run)


@pytest.fixture
def scripted(index_dir: Path, embedder: Embedder) -> Iterator[tuple[ScriptedLLM, Services]]:
    model = ScriptedLLM()
    services = services_with(model, index_dir, embedder)
    yield model, services
    anyio.run(services.aclose)


def test_invented_sentences_never_reach_the_customer(
    scripted: tuple[ScriptedLLM, Services],
) -> None:
    model, services = scripted
    model._replies.append(
        "You can request a new link from the sign-in page [1]. The reset link is valid for "
        "30 minutes [1]. The link also works for 30 days on the mobile app [1]. Premium members "
        "get a free personal security advisor [2]."
    )
    (turn,) = ask(services, "how long is the password reset link valid?")
    assert "30 minutes" in turn.text
    assert "30 days" not in turn.text and "advisor" not in turn.text
    assert len(turn.meta["dropped"]) == 2
    assert [c.article_id for c in turn.citations] == ["reset-password"]
    assert "[1]" in turn.text and "[2]" not in turn.text
    prompt = model.calls[-1][1]["content"]
    assert "<customer_message>" in prompt and "reset" in prompt


def test_an_answer_that_loses_its_substance_is_replaced_by_the_extractive_one(
    scripted: tuple[ScriptedLLM, Services],
) -> None:
    model, services = scripted
    model._replies.append("Refunds take 45 days. We also refund shipping on all orders twice.")
    (turn,) = ask(services, "when will my refund reach my card?")
    assert turn.meta["fallback"] == "grounding"
    assert "45 days" not in turn.text
    assert "5-10 business days" in turn.text
    assert turn.citations[0].article_id == "refund-timing"
    assert turn.kind == "answer"


def events_of(services: Services, *messages: str) -> list[list[ReplyEvent]]:
    """Each message's reply events, in one conversation."""

    async def run() -> list[list[ReplyEvent]]:
        conversation, _ = await services.store.create_conversation(
            Customer(id=""), channel=Channel.API, locale="en"
        )
        return [
            [event async for event in services.responder.reply(conversation.id, message)]
            for message in messages
        ]

    return anyio.run(run)


def test_llm_failure_gives_an_apology_and_a_person(
    scripted: tuple[ScriptedLLM, Services],
) -> None:
    model, services = scripted
    model._replies.append(LLMTimeout("the LLM did not answer in time"))
    ((_, *_, done, handoff),) = events_of(services, "when will my refund reach my card?")
    turn = done.turn
    assert turn is not None and turn.kind == "fallback" and turn.confidence == 0
    assert "something went wrong" in turn.text and "did not answer in time" in turn.meta["error"]
    # A failure hands the chat over at once: the notice says so, nothing asks "would you like".
    assert "Would you like" not in turn.text and handoff.type == "handoff"


OFF_TOPIC = "what is the capital of France?"
OFFER = "Would you like me to connect you with a person from our support team?"


def test_a_refusal_that_hands_the_chat_over_does_not_ask_first(
    scripted: tuple[ScriptedLLM, Services],
) -> None:
    _, services = scripted
    ((*_, done, handoff),) = events_of(services, OFF_TOPIC)
    assert done.turn is not None and done.turn.kind == "refusal", done
    assert "Would you like" not in done.turn.text and "offered_person" not in done.turn.meta
    assert handoff.type == "handoff"


@pytest.fixture(scope="module")
def asks_first(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[Services]:
    """Handoffs on, but no answer's confidence hands the chat over by itself."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("asks"), escalation=EscalationConfig(low_confidence=0)
    )
    services = build_services(settings, embedder=embedder)
    services.kb.ingest_path(KB_FIXTURE)
    yield services
    anyio.run(services.aclose)


def test_a_refusal_without_a_handoff_asks_and_yes_hands_the_chat_over(
    asks_first: Services,
) -> None:
    refused, accepted = events_of(asks_first, OFF_TOPIC, "yes please")
    done = refused[-1].turn
    assert done is not None and done.kind == "refusal" and done.text.endswith(OFFER), done
    assert done.meta["offered_person"] is True
    assert "".join(e.text for e in refused if e.type == "token") == done.text  # as streamed
    assert [e.type for e in accepted] == ["customer_turn", "handoff"]
    conversation_id = done.conversation_id
    ticket = anyio.run(asks_first.escalator.queue.active_for, conversation_id)
    assert ticket is not None and ticket.reasons == ("explicit_request",)


@pytest.mark.parametrize(
    ("first", "then"),
    [
        (OFF_TOPIC, "no thanks"),  # declined (below)
        ("how long is the password reset link valid?", "yes"),  # nobody asked
        (OFF_TOPIC, "sure, and how long do refunds take?"),  # a question of its own
    ],
)
def test_only_a_plain_yes_to_the_offer_hands_the_chat_over(
    asks_first: Services, first: str, then: str
) -> None:
    _, reply = events_of(asks_first, first, then)
    assert "handoff" not in [e.type for e in reply] and reply[-1].type == "done", reply


def test_follow_up_is_rewritten_by_the_model_when_there_is_one(
    scripted: tuple[ScriptedLLM, Services],
) -> None:
    model, services = scripted
    model._replies.extend(
        [
            "Delivery to Canada takes 5-10 business days [1].",
            "shipping cost to Canada",
            "Shipping to Canada costs CA$14.99 [1].",
        ]
    )
    first, second = ask(services, "how long does delivery to canada take?", "and the price?")
    assert second.meta["query"] == "shipping cost to Canada"
    assert "CA$14.99" in second.text


def test_extractive_default_and_customer_message_stored_first(
    index_dir: Path, embedder: Embedder
) -> None:
    services = services_with(None, index_dir, embedder)
    try:
        (turn,) = ask(services, "what can't I return?")
        assert turn.citations[0].article_id == "return-policy"
        assert "gift cards" in turn.text.lower()
        assert turn.meta["grounded_ratio"] == 1.0
        assert turn.meta["retrieved"][0]["article_id"] == "return-policy"

        async def history() -> list[Turn]:
            return await services.store.turns(turn.conversation_id)

        turns = anyio.run(history)
        assert [t.role for t in turns] == [Role.CUSTOMER, Role.BOT]
        with pytest.raises(InvalidInput, match="limit is 4,000"):
            services.responder.validate("x" * 4001)
    finally:
        anyio.run(services.aclose)


def test_a_cut_off_fragment_is_dropped_and_the_fallback_starts_a_paragraph(
    scripted: tuple[ScriptedLLM, Services],
) -> None:
    model, services = scripted
    model._replies.append("We sell used cars on weekends. Cars are great. This is a")
    (turn,) = ask(services, "How long is the password reset link valid?")
    assert turn.meta["fallback"] == "grounding"
    assert "This is a" not in turn.text and "used cars" not in turn.text
    assert "30 minutes" in turn.text
    assert any("(cut off)" in d for d in turn.meta["dropped"])


def test_a_message_resent_while_it_is_answered_gets_one_stored_answer(
    index_dir: Path, embedder: Embedder
) -> None:
    """The widget resends an unacknowledged message; both deliveries may be answered at
    once (on one worker or two), but only one answer is stored and both get that one."""
    services = services_with(None, index_dir, embedder)

    async def run() -> tuple[list[Turn], list[Turn]]:
        conversation, _ = await services.store.create_conversation(
            Customer(id=""), channel=Channel.WIDGET, locale="en"
        )
        done: list[Turn] = []

        async def deliver() -> None:
            async for event in services.responder.reply(
                conversation.id, "how long do refunds take?", client_id="msg-1"
            ):
                if event.type == "done" and event.turn is not None:
                    done.append(event.turn)

        async with anyio.create_task_group() as group:
            group.start_soon(deliver)
            group.start_soon(deliver)
        return done, await services.store.turns(conversation.id)

    try:
        done, stored = anyio.run(run)
    finally:
        anyio.run(services.aclose)
    assert [t.role for t in stored] == [Role.CUSTOMER, Role.BOT]
    assert [t.id for t in done] == [stored[1].id, stored[1].id]


def test_a_message_resent_after_a_newer_one_gets_its_own_answer(
    index_dir: Path, embedder: Embedder
) -> None:
    """A crash stored "refunds" without its answer; "reset link" was then answered. The widget
    resends "refunds": it gets an answer about refunds, not the later answer about the link."""
    services = services_with(None, index_dir, embedder)

    async def run() -> tuple[list[Turn], list[Turn]]:
        conversation, _ = await services.store.create_conversation(
            Customer(id=""), channel=Channel.WIDGET, locale="en"
        )
        await services.store.append(
            conversation.id, Role.CUSTOMER, "how long do refunds take?", client_id="m1"
        )
        done: list[Turn] = []
        for text, client_id in (
            ("how long is the password reset link valid?", "m2"),
            ("how long do refunds take?", "m1"),
            ("how long do refunds take?", "m1"),  # once more: now it replays that answer
        ):
            async for event in services.responder.reply(conversation.id, text, client_id=client_id):
                if event.type == "done" and event.turn is not None:
                    done.append(event.turn)
        return done, await services.store.turns(conversation.id)

    try:
        done, stored = anyio.run(run)
    finally:
        anyio.run(services.aclose)
    refunds, link = stored[0], stored[1]
    assert [t.role for t in stored] == [Role.CUSTOMER, Role.CUSTOMER, Role.BOT, Role.BOT]
    assert done[0].client_id == f"reply-to:{link.id}" and "30 minutes" in done[0].text
    assert done[1].client_id == f"reply-to:{refunds.id}"
    assert [c.article_id for c in done[1].citations] == ["refund-timing"]
    assert done[2] == done[1] == stored[3]


def test_a_follow_up_takes_the_topic_of_the_last_answer_and_is_answered(
    index_dir: Path, embedder: Embedder
) -> None:
    services = services_with(None, index_dir, embedder)
    try:
        first, cost = ask(
            services, "how long does shipping to Canada take?", "and how much does it cost?"
        )
        assert first.citations[0].title == "Shipping times and costs" and cost.kind == "answer"
        # Its topic is the section quoted ("Canada"), which the earlier question names already.
        assert (
            cost.meta["query"]
            == "how long does shipping to Canada take? and how much does it cost?"
        )
        assert "CA$14.99" in cost.text
    finally:
        anyio.run(services.aclose)


def test_a_follow_up_about_a_place_the_help_center_does_not_cover_is_refused(
    index_dir: Path, embedder: Embedder
) -> None:
    services = services_with(None, index_dir, embedder)
    try:
        first, spain = ask(services, "how long does shipping to Canada take?", "what about Spain?")
        assert first.kind == "answer" and "5-10 business days" in first.text
        assert spain.kind == "refusal" and spain.meta["uncovered"] == ["Spain"]
        assert "couldn't find anything about Spain" in spain.text
        assert "CA$" not in spain.text and "$5.99" not in spain.text and not spain.citations
    finally:
        anyio.run(services.aclose)


def test_asking_whether_the_shop_has_what_no_article_names_is_refused(
    index_dir: Path, embedder: Embedder
) -> None:
    services = services_with(None, index_dir, embedder)
    try:
        spain = ask(services, "do you have free shipping to Spain?")[0]
        canada = ask(services, "do you offer shipping to Canada?")[0]
        assert spain.kind == "refusal" and spain.meta["uncovered"] == ["Spain"], spain.text
        assert "couldn't find anything about Spain" in spain.text and not spain.citations
        assert canada.kind == "answer" and canada.citations, canada.text
    finally:
        anyio.run(services.aclose)


def test_agent_turns_reach_the_model_as_support_agent_lines(
    scripted: tuple[ScriptedLLM, Services],
) -> None:
    model, services = scripted
    model._replies.append("The reset link is valid for 30 minutes [1].")

    async def run() -> Turn | None:
        conversation, _ = await services.store.create_conversation(
            Customer(id=""), channel=Channel.API, locale="en"
        )
        await services.store.append(
            conversation.id,
            Role.AGENT,
            "Hi Ann, I'm checking order 1234 now.",
            meta={"agent_name": "Sam"},
        )
        question = "how long is the password reset link valid?"
        events = [e async for e in services.responder.reply(conversation.id, question)]
        return next(e.turn for e in events if e.type == "done")

    turn = anyio.run(run)
    assert turn is not None and "30 minutes" in turn.text
    assert "from_agent_turn" not in turn.meta
    prompt = model.calls[-1][1]["content"]
    assert "Support agent: Hi Ann, I'm checking order 1234 now." in prompt


def test_no_thanks_to_the_offer_is_acknowledged_not_searched(asks_first: Services) -> None:
    """It was read as a follow-up of the refused question and answered from an article."""
    _, declined = events_of(asks_first, "do you price match?", "no thanks")
    done = declined[-1].turn
    assert done is not None and done.kind == "smalltalk" and not done.citations, declined
    assert done.text == "OK. I'm still here if you need anything else."


def test_a_sum_to_work_out_says_what_the_bot_is_for(scripted: tuple[ScriptedLLM, Services]) -> None:
    """ "what's 2+2" was answered from the two-step verification article ("2SV")."""
    model, services = scripted
    ((*_, done),) = events_of(services, "what's 2+2")
    assert done.type == "done" and done.turn is not None and done.turn.kind == "smalltalk"
    assert done.turn.text.startswith("I can only help with questions about"), done.turn.text
    assert not done.turn.citations and not model.calls
