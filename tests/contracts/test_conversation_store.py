"""Contract of `ConversationStore`, run against every backend (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import sqlalchemy as sa

from bot.conversations.models import (
    AnswerMeta,
    Channel,
    Citation,
    Conversation,
    Customer,
    Mode,
    RetrievedArticle,
    Role,
    TurnKind,
)
from bot.conversations.store import ConversationStore
from bot.db.database import open_store
from bot.db.engine import create_engine_for
from bot.db.schema import feedback, turns
from bot.db.sql_conversations import SqlConversationStore
from bot.errors import Forbidden, InvalidInput, NotFound

pytestmark = pytest.mark.anyio

UNKNOWN = "0" * 32


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[SqlConversationStore]:
    """An open store, closed after the test."""
    opened = open_store(store_url)
    yield opened
    await opened.aclose()


async def new_conversation(
    store: ConversationStore, customer: Customer | None = None
) -> tuple[Conversation, str]:
    """A fresh widget conversation of a new anonymous customer unless one is given."""
    return await store.create_conversation(
        customer or Customer(id=""), channel=Channel.WIDGET, locale="en"
    )


async def test_create_and_get(store: SqlConversationStore) -> None:
    conversation, token = await store.create_conversation(
        Customer(id="", name="Ana", email="Ana@Example.com", locale="es"),
        channel=Channel.WIDGET,
        locale="es",
        page_url="https://shop.example/help",
        metadata={"ua": "firefox"},
    )
    assert len(token) >= 40
    assert conversation.mode is Mode.BOT
    assert conversation.channel is Channel.WIDGET
    assert conversation.page_url == "https://shop.example/help"
    assert conversation.metadata == {"ua": "firefox"}
    assert conversation.csat is None
    assert conversation.created_at.tzinfo == dt.UTC
    assert await store.get(conversation.id) == conversation
    customer = await store.get_customer(conversation.customer_id)
    assert (customer.name, customer.email, customer.locale) == ("Ana", "ana@example.com", "es")
    assert customer.created_at is not None and customer.created_at.tzinfo == dt.UTC


async def test_customers_are_reused_by_email_or_external_id(store: SqlConversationStore) -> None:
    first, _ = await new_conversation(store, Customer(id="", email="bo@example.com"))
    again, _ = await new_conversation(store, Customer(id="", name="Bo", email=" BO@example.COM"))
    assert again.id != first.id
    assert again.customer_id == first.customer_id
    customer = await store.get_customer(first.customer_id)
    assert customer.name == "Bo"  # an empty name is filled in
    assert customer.locale == "en"

    by_id, _ = await new_conversation(store, Customer(id="", external_id="crm-7", name="Cy"))
    renamed, _ = await new_conversation(store, Customer(id="", external_id="crm-7", name="Other"))
    assert renamed.customer_id == by_id.customer_id
    assert (await store.get_customer(by_id.customer_id)).name == "Cy"

    stranger, _ = await new_conversation(store, Customer(id="", email="someone@example.com"))
    anonymous, _ = await new_conversation(store)
    anonymous_too, _ = await new_conversation(store)
    ids = {first.customer_id, by_id.customer_id, stranger.customer_id}
    ids |= {anonymous.customer_id, anonymous_too.customer_id}
    assert len(ids) == 5


async def test_a_customers_conversations_on_every_channel_newest_first(
    store: SqlConversationStore,
) -> None:
    ana = f"ana-{uuid.uuid4().hex}@example.com"  # the PostgreSQL database outlives one test
    chat, _ = await new_conversation(store, Customer(id="", email=ana))
    await store.append(chat.id, Role.BOT, "Hi! How can I help?")
    await store.append(chat.id, Role.CUSTOMER, "where is my parcel?")
    await store.append(chat.id, Role.CUSTOMER, "it was due Monday")
    mail, _ = await store.create_conversation(
        Customer(id="", email=ana.upper()), channel=Channel.EMAIL, locale="en"
    )
    other, _ = await new_conversation(store, Customer(id="", email=f"x{ana}"))
    await store.append(other.id, Role.CUSTOMER, "not Ana's")
    past = await store.customer_conversations(chat.customer_id, 10)
    assert [p.conversation.id for p in past] == [mail.id, chat.id]
    assert [p.conversation.channel for p in past] == [Channel.EMAIL, Channel.WIDGET]
    assert [(p.opening, p.turns) for p in past] == [("", 0), ("where is my parcel?", 3)]
    assert len(await store.customer_conversations(chat.customer_id, 1)) == 1
    assert await store.customer_conversations("no-such-customer", 10) == []


async def test_check_token(store: SqlConversationStore) -> None:
    conversation, token = await new_conversation(store)
    other, other_token = await new_conversation(store)
    assert await store.check_token(conversation.id, token) == conversation
    with pytest.raises(Forbidden, match="does not grant access"):
        await store.check_token(conversation.id, other_token)
    with pytest.raises(Forbidden):
        await store.check_token(conversation.id, "")
    with pytest.raises(NotFound):
        await store.check_token(UNKNOWN, token)
    assert token != other_token


async def test_append_assigns_consecutive_seqs(store: SqlConversationStore) -> None:
    conversation, _ = await new_conversation(store)
    roles = [Role.CUSTOMER, Role.BOT, Role.CUSTOMER, Role.AGENT]
    appended = [await store.append(conversation.id, role, f"m{i}") for i, role in enumerate(roles)]
    assert [turn.seq for turn in appended] == [1, 2, 3, 4]
    assert await store.turns(conversation.id) == appended
    assert [turn.role for turn in appended] == roles
    assert all(turn.created_at.tzinfo == dt.UTC for turn in appended)
    assert (await store.get(conversation.id)).updated_at >= conversation.updated_at
    # Seqs are per conversation.
    other, _ = await new_conversation(store)
    assert (await store.append(other.id, Role.CUSTOMER, "hi")).seq == 1


async def test_client_id_makes_append_idempotent(store: SqlConversationStore) -> None:
    conversation, _ = await new_conversation(store)
    first = await store.append(conversation.id, Role.CUSTOMER, "hello", client_id="c-1")
    again = await store.append(conversation.id, Role.CUSTOMER, "hello", client_id="c-1")
    assert again == first
    # The same client_id in another conversation is a different message.
    other, _ = await new_conversation(store)
    elsewhere = await store.append(other.id, Role.CUSTOMER, "hello", client_id="c-1")
    assert elsewhere.id != first.id
    racing = await asyncio.gather(
        *(store.append(conversation.id, Role.CUSTOMER, "dup", client_id="c-2") for _ in range(8))
    )
    assert len({turn.id for turn in racing}) == 1
    assert [turn.text for turn in await store.turns(conversation.id)] == ["hello", "dup"]


async def test_citations_and_meta_round_trip(store: SqlConversationStore) -> None:
    conversation, _ = await new_conversation(store)
    citations = (
        Citation(
            n=1,
            article_id="refund-timing",
            title="When will I get my refund?",
            url="https://help.example/refund-timing",
            chunk_id="refund-timing#2",
            section="Card payments",
            snippet="Refunds reach your card in 5–10 days.",
            relevance=0.87,
        ),
        Citation(n=2, article_id="return-policy", title="Returns", url="https://h.example/r"),
    )
    meta = {"model": "extractive", "latency_ms": 12, "reasons": ["a", "b"], "nested": {"ñ": 1}}
    turn = await store.append(
        conversation.id,
        Role.BOT,
        "Refunds take 5–10 days [1].",
        citations=citations,
        confidence=0.75,
        kind=TurnKind.ANSWER,
        meta=meta,
    )
    for read in (turn, await store.turn(conversation.id, turn.id)):
        assert read.citations == citations
        assert read.meta == meta
        assert (read.confidence, read.kind, read.client_id) == (0.75, TurnKind.ANSWER, None)
        assert type(read.kind) is TurnKind  # stored as "answer", read back as the enum
        assert read.text == "Refunds take 5–10 days [1]."


async def test_turns_after_seq(store: SqlConversationStore) -> None:
    conversation, _ = await new_conversation(store)
    assert await store.turns(conversation.id) == []
    for i in range(5):
        await store.append(conversation.id, Role.CUSTOMER, f"m{i}")
    assert [turn.seq for turn in await store.turns(conversation.id, after_seq=3)] == [4, 5]
    assert await store.turns(conversation.id, after_seq=5) == []


async def test_turn_belongs_to_its_conversation(store: SqlConversationStore) -> None:
    conversation, _ = await new_conversation(store)
    other, _ = await new_conversation(store)
    turn = await store.append(conversation.id, Role.CUSTOMER, "hi")
    assert await store.turn(conversation.id, turn.id) == turn
    with pytest.raises(NotFound):
        await store.turn(other.id, turn.id)


async def test_set_mode(store: SqlConversationStore) -> None:
    conversation, _ = await new_conversation(store)
    for mode in (Mode.WAITING, Mode.AGENT, Mode.CLOSED, Mode.BOT):
        changed = await store.set_mode(conversation.id, mode)
        assert changed.mode is mode
        assert await store.get(conversation.id) == changed


async def test_feedback_rules(store: SqlConversationStore, store_url: str) -> None:
    conversation, _ = await new_conversation(store)
    question = await store.append(conversation.id, Role.CUSTOMER, "how?")
    answer = await store.append(conversation.id, Role.BOT, "like this")
    for rating in (0, 2, -2):
        with pytest.raises(InvalidInput, match="rating"):
            await store.add_feedback(conversation.id, answer.id, rating, "")
    with pytest.raises(InvalidInput, match="bot turns"):
        await store.add_feedback(conversation.id, question.id, 1, "")
    with pytest.raises(NotFound):
        await store.add_feedback(conversation.id, answer.id + 1000, 1, "")
    other, _ = await new_conversation(store)
    with pytest.raises(NotFound):
        await store.add_feedback(other.id, answer.id, 1, "")

    await store.add_feedback(conversation.id, answer.id, 1, "great")
    await store.add_feedback(conversation.id, answer.id, -1, "actually wrong")
    engine = create_engine_for(store_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(feedback).where(feedback.c.turn_id == answer.id)).all()
    finally:
        engine.dispose()
    assert [(row.rating, row.comment) for row in rows] == [(-1, "actually wrong")]


async def test_a_turn_stored_before_the_types_reads_typed(
    store: SqlConversationStore, store_url: str
) -> None:
    """Issue 19: a bot answer written as plain strings and a meta dict (no migration) reads
    back with its kind as the enum and its meta parsed."""
    conversation, _ = await new_conversation(store)
    old_meta = {
        "locale": "en",
        "query": "ship to spain",
        "top_relevance": 0.35,
        "retrieved": [{"article_id": "shipping", "title": "Shipping times"}],
        "signals": {"coverage": 0.5},
        "uncovered": ["Spain"],
    }
    row = {
        "conversation_id": conversation.id,
        "seq": 1,
        "role": "bot",
        "text": "Sorry.",
        "citations": [],
        "confidence": 0.1,
        "kind": "refusal",
        "meta": old_meta,
        "created_at": dt.datetime.now(dt.UTC),
    }
    engine = create_engine_for(store_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(turns).values(row))
    finally:
        engine.dispose()
    [read] = await store.turns(conversation.id)
    assert type(read.kind) is TurnKind and read.kind is TurnKind.REFUSAL
    meta = AnswerMeta.of(read.meta)
    assert meta.uncovered == ("Spain",) and meta.signals == {"coverage": 0.5}
    assert meta.retrieved == (RetrievedArticle("shipping", "Shipping times"),)
    assert meta.as_json() == old_meta


async def test_csat_bounds(store: SqlConversationStore) -> None:
    conversation, _ = await new_conversation(store)
    for score in (0, 6, -1):
        with pytest.raises(InvalidInput, match="1 to 5"):
            await store.set_csat(conversation.id, score, "")
    await store.set_csat(conversation.id, 1, "meh")
    await store.set_csat(conversation.id, 5, "great")
    assert (await store.get(conversation.id)).csat == 5


async def test_unknown_ids_raise_not_found(store: SqlConversationStore) -> None:
    conversation, _ = await new_conversation(store)
    turn = await store.append(conversation.id, Role.BOT, "hi")
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: store.get(UNKNOWN),
        lambda: store.get_customer(UNKNOWN),
        lambda: store.append(UNKNOWN, Role.CUSTOMER, "hi"),
        lambda: store.append(UNKNOWN, Role.CUSTOMER, "hi", client_id="c"),
        lambda: store.turns(UNKNOWN),
        lambda: store.turn(UNKNOWN, turn.id),
        lambda: store.turn(conversation.id, turn.id + 1000),
        lambda: store.set_mode(UNKNOWN, Mode.AGENT),
        lambda: store.add_feedback(UNKNOWN, turn.id, 1, ""),
        lambda: store.set_csat(UNKNOWN, 3, ""),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            await call()


async def test_concurrent_appends_get_distinct_consecutive_seqs(
    store: SqlConversationStore,
) -> None:
    conversation, _ = await new_conversation(store)
    appended = await asyncio.gather(
        *(store.append(conversation.id, Role.CUSTOMER, f"m{i}") for i in range(50))
    )
    assert sorted(turn.seq for turn in appended) == list(range(1, 51))
    stored = await store.turns(conversation.id)
    assert [turn.seq for turn in stored] == list(range(1, 51))
    assert {turn.text for turn in stored} == {f"m{i}" for i in range(50)}


async def test_data_persists_after_reopening(store_url: str) -> None:
    first = open_store(store_url)
    conversation, token = await new_conversation(first, Customer(id="", email="p@example.com"))
    turn = await first.append(
        conversation.id, Role.BOT, "kept", citations=[Citation(1, "a", "A", "u")]
    )
    await first.set_csat(conversation.id, 4, "")
    await first.aclose()

    second = open_store(store_url)
    try:
        assert await second.check_token(conversation.id, token) == await second.get(conversation.id)
        assert (await second.get(conversation.id)).csat == 4
        assert await second.turns(conversation.id) == [turn]
        assert (await second.append(conversation.id, Role.CUSTOMER, "next")).seq == 2
    finally:
        await second.aclose()


async def test_ping(store: SqlConversationStore) -> None:
    await store.ping()


async def test_unanswered_lists_the_customer_turns_nothing_answered(
    store: SqlConversationStore,
) -> None:
    """What a crash leaves: customer turns without their answer, in bot mode."""
    before, _ = await new_conversation(store)
    await store.append(before.id, Role.CUSTOMER, "asked before the window")
    await asyncio.sleep(0.01)
    since = dt.datetime.now(dt.UTC)
    waiting, _ = await new_conversation(store)
    asked = await store.append(waiting.id, Role.CUSTOMER, "left without a reply")
    answered, _ = await new_conversation(store)
    question = await store.append(answered.id, Role.CUSTOMER, "question")
    await store.append(answered.id, Role.BOT, "answer", client_id=f"reply-to:{question.id}")
    handed, _ = await new_conversation(store)
    await store.append(handed.id, Role.CUSTOMER, "for a person")
    await store.set_mode(handed.id, Mode.WAITING)
    agent, _ = await new_conversation(store)
    await store.append(agent.id, Role.CUSTOMER, "to the agent")
    await store.append(agent.id, Role.AGENT, "hello, Marta here")
    handed_back, _ = await new_conversation(store)
    await store.append(handed_back.id, Role.CUSTOMER, "for a person, then the bot again")
    await store.set_mode(handed_back.id, Mode.WAITING)
    await store.set_mode(handed_back.id, Mode.BOT)
    second, _ = await new_conversation(store)
    lost = await store.append(second.id, Role.CUSTOMER, "its answer was lost")
    newer = await store.append(second.id, Role.CUSTOMER, "a newer message, answered")
    await store.append(second.id, Role.BOT, "answer", client_id=f"reply-to:{newer.id}")
    ours = {before.id, waiting.id, answered.id, handed.id, agent.id, handed_back.id, second.id}

    found = [t for t in await store.unanswered(since, 100) if t.conversation_id in ours]
    assert [t.id for t in found] == [asked.id, lost.id]
    assert found[0] == asked
    assert await store.unanswered(since, 0) == []
    # Claimed (by the worker that answers it): not listed until its next turn is stored.
    assert await store.claim(waiting.id)
    found = [t for t in await store.unanswered(since, 100) if t.conversation_id in ours]
    assert [t.id for t in found] == [lost.id]


async def test_claim_is_won_by_one_caller_until_the_next_turn(
    store: SqlConversationStore,
) -> None:
    conversation, _ = await new_conversation(store)
    await store.append(conversation.id, Role.CUSTOMER, "hello?")
    won = await asyncio.gather(*(store.claim(conversation.id) for _ in range(5)))
    assert sorted(won) == [False] * 4 + [True]
    assert not await store.claim(conversation.id)
    await store.append(conversation.id, Role.BOT, "hi")
    assert await store.claim(conversation.id)  # the next piece of work
    await store.set_mode(conversation.id, Mode.BOT)
    assert not await store.claim(conversation.id)  # changed since its last turn
    assert not await store.claim(UNKNOWN)


async def test_the_checked_identity_is_kept_and_verified_customers_stay_apart(
    store: SqlConversationStore,
) -> None:
    verified = {"status": "verified", "user_id": "u-1", "email": "ana@example.com"}
    first, _ = await store.create_conversation(
        Customer(id="", email="ana@example.com", external_id="u-1"),
        channel=Channel.WIDGET,
        locale="en",
        identity=verified,
    )
    again, _ = await store.create_conversation(
        Customer(id="", email="new@example.com", external_id="u-1"),
        channel=Channel.WIDGET,
        locale="en",
        identity=verified,
    )
    claimed, _ = await new_conversation(store, Customer(id="", email="ana@example.com"))
    assert await store.identity(first.id) == verified
    assert await store.identity(claimed.id) == {}
    assert again.customer_id == first.customer_id  # the same verified user, whatever the email
    assert claimed.customer_id != first.customer_id  # an unverified email is not them
    with pytest.raises(NotFound):
        await store.identity("no-such-conversation")
