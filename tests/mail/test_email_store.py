"""The `email_messages` store on SQLite and PostgreSQL: one row per Message-ID, claims, threads,
the loop guard's count, the agents' replies, the NPS surveys still to send and the attachments
kept with their message."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import anyio
import pytest

from bot.conversations.channels.email.types import (
    Attachment,
    InboundEmail,
    MachineKind,
    Thread,
)
from bot.conversations.models import Channel, Customer, Mode, Role, TurnKind
from bot.db.engine import create_engine_for, migrate
from bot.db.sql_conversations import SqlConversationStore
from bot.db.sql_email import SqlEmailStore
from bot.errors import NotFound
from tests.contracts.conftest import fresh_database, require_postgres


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[SqlEmailStore, SqlConversationStore]]:
    """The email and conversation stores on a new database of each backend."""
    if request.param == "sqlite":
        engine = create_engine_for(f"sqlite:///{tmp_path / 'mail.db'}")
        migrate(engine)
        yield SqlEmailStore(engine), SqlConversationStore(engine)
        engine.dispose()
        return
    with fresh_database(require_postgres()) as url:
        engine = create_engine_for(url)
        migrate(engine)
        yield SqlEmailStore(engine), SqlConversationStore(engine)
        engine.dispose()


def inbound(message_id: str, *, sender: str = "ann@c.test", **extra: object) -> InboundEmail:
    """A received message."""
    return InboundEmail(
        message_id=message_id,
        sender=sender,
        sender_name="Ann",
        subject="Refund",
        text="How long?",
        full_text="How long?",
        **extra,  # type: ignore[arg-type]
    )


def test_one_row_per_message_id_and_one_claim_at_a_time(
    stores: tuple[SqlEmailStore, SqlConversationStore],
) -> None:
    emails, _ = stores
    first = emails.add_inbound(inbound("<a@c>", machine=(MachineKind.BOUNCE,), notes=("odd",)))
    again = emails.add_inbound(inbound("<a@c>"))
    assert again == first and first.flags == ("bounce",) and first.note == "odd"
    now = dt.datetime.now(dt.UTC)
    assert emails.claim("<a@c>", now - dt.timedelta(minutes=5))
    assert not emails.claim("<a@c>", now - dt.timedelta(minutes=5))  # another worker has it
    assert emails.claim("<a@c>", now + dt.timedelta(seconds=1))  # its claim went stale
    emails.unclaim("<a@c>")
    assert emails.claim("<a@c>", now - dt.timedelta(minutes=5))
    emails.finish("<a@c>", None, ["bounce"])
    assert emails.record("<a@c>").handled
    assert not emails.claim("<a@c>", now + dt.timedelta(seconds=1))  # handled: never again


def test_threads_outbound_mail_and_the_agents_replies_to_send(
    stores: tuple[SqlEmailStore, SqlConversationStore],
) -> None:
    emails, conversations = stores
    chat, _ = anyio.run(
        lambda: conversations.create_conversation(
            Customer(id="", email="Ann@C.test"), channel=Channel.WIDGET, locale=""
        )
    )
    conversation, _ = anyio.run(
        lambda: conversations.create_conversation(
            Customer(id="", email="ann@c.test"), channel=Channel.EMAIL, locale=""
        )
    )
    past = anyio.run(conversations.customer_conversations, conversation.customer_id, 20)
    assert [p.conversation.id for p in past] == [conversation.id, chat.id]
    emails.add_inbound(inbound("<q1@c>", references=("<r0@c>",)))
    emails.attach("<q1@c>", conversation.id)
    assert emails.thread_conversation(["<nope@c>", "<q1@c>"]) == conversation.id
    assert emails.thread_conversation([]) is None
    thread = emails.thread(conversation.id)
    assert thread == Thread("ann@c.test", "Refund", "<q1@c>", ("<r0@c>", "<q1@c>"))
    bot = anyio.run(lambda: conversations.append(conversation.id, Role.BOT, "answer"))
    agent = anyio.run(lambda: conversations.append(conversation.id, Role.AGENT, "hi, Sam"))
    anyio.run(
        lambda: conversations.append(conversation.id, Role.AGENT, "n", kind=TurnKind.HANDBACK_NOTE)
    )
    now = dt.datetime.now(dt.UTC)
    fresh = now - dt.timedelta(minutes=5)

    def claim(message_id: str, turn_id: int, stale_before: dt.datetime = fresh) -> bool:
        return emails.add_outbound(
            message_id,
            thread,
            sender="support@x.test",
            conversation_id=conversation.id,
            turn_id=turn_id,
            flags=["bot"],
            stale_before=stale_before,
        )

    assert claim("<out1@x>", bot.id)
    emails.sent("<out1@x>")
    assert not claim("<out1b@x>", bot.id, now + dt.timedelta(seconds=1))  # sent: never twice
    hour_ago = now - dt.timedelta(hours=1)
    assert emails.bot_replies_since(conversation.id, hour_ago, "<other@c>") == 1
    assert emails.bot_replies_since(conversation.id, hour_ago, "<q1@c>") == 0  # its own reply
    assert emails.unsent_agent_turns(fresh, 10) == [(conversation.id, agent.id)]
    assert claim("<out2@x>", agent.id)
    assert emails.unsent_agent_turns(fresh, 10) == []  # claimed by a worker now
    assert not claim("<out3@x>", agent.id)  # ...so nobody else sends it
    emails.release("<out2@x>")  # the SMTP server refused: try again
    assert emails.unsent_agent_turns(fresh, 10) == [(conversation.id, agent.id)]
    assert claim("<out4@x>", agent.id)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    assert claim("<out5@x>", agent.id, later)  # a claim left by a crash goes stale
    emails.sent("<out5@x>")
    assert emails.unsent_agent_turns(later, 10) == []
    assert emails.bot_replies_since(conversation.id, hour_ago, "<other@c>") == 1  # bot only


def test_resolved_email_conversations_wait_for_their_survey_decision(
    stores: tuple[SqlEmailStore, SqlConversationStore],
) -> None:
    emails, conversations = stores
    ids = []
    for n in range(3):
        create = partial(conversations.create_conversation, channel=Channel.EMAIL, locale="")
        conversation, _ = anyio.run(create, Customer(id="", email=f"c{n}@c.test"))
        emails.add_inbound(inbound(f"<s{n}@c>", sender=f"c{n}@c.test"))
        emails.attach(f"<s{n}@c>", conversation.id)
        ids.append(conversation.id)
    fresh = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    assert emails.unsurveyed(fresh, 10) == []  # none resolved yet
    for conversation_id in ids[:2]:
        anyio.run(conversations.set_mode, conversation_id, Mode.CLOSED)
    assert emails.unsurveyed(fresh, 10) == ids[:2]
    anyio.run(
        lambda: conversations.append(ids[0], Role.SYSTEM, "not due", kind=TurnKind.NPS_NOT_DUE)
    )
    survey = anyio.run(
        lambda: conversations.append(ids[1], Role.SYSTEM, "How likely?", kind=TurnKind.NPS_SURVEY)
    )
    assert emails.unsurveyed(fresh, 10) == [ids[1]]  # its survey is stored, not yet emailed
    thread = emails.thread(ids[1])
    assert thread is not None
    assert emails.add_outbound(
        "<nps@x>",
        thread,
        sender="support@x.test",
        conversation_id=ids[1],
        turn_id=survey.id,
        flags=["system"],
        stale_before=fresh,
    )
    assert emails.unsurveyed(fresh, 10) == []  # claimed by a worker
    emails.sent("<nps@x>")
    assert emails.unsurveyed(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1), 10) == []


def test_attachments_are_kept_with_their_message_once_and_served_only_in_its_conversation(
    stores: tuple[SqlEmailStore, SqlConversationStore],
) -> None:
    emails, conversations = stores
    binary = bytes(range(256)) * 4  # every byte value, NULs included
    files = (
        Attachment("receipt.pdf", "application/pdf", len(binary), False, binary),
        Attachment("huge.zip", "application/zip", 50_000_000, True, None),
        Attachment("<script>.html", "text/html", 8, False, b"<b>x</b>"),
    )
    emails.add_inbound(inbound("<att@c>", attachments=files))
    emails.add_inbound(inbound("<att@c>", attachments=files[:1]))  # delivered again: unchanged
    emails.add_inbound(inbound("<other@c>", attachments=files[:1]))
    mine, _ = anyio.run(
        partial(conversations.create_conversation, channel=Channel.EMAIL, locale=""),
        Customer(id="", email="ann@c.test"),
    )
    theirs, _ = anyio.run(
        partial(conversations.create_conversation, channel=Channel.EMAIL, locale=""),
        Customer(id="", email="bob@c.test"),
    )
    assert emails.attachments(mine.id) == []  # not in a conversation yet
    emails.attach("<att@c>", mine.id)
    emails.finish("<other@c>", theirs.id, [])
    listed = emails.attachments(mine.id)
    assert [(a.position, a.filename, a.content_type, a.size, a.kept) for a in listed] == [
        (0, "receipt.pdf", "application/pdf", 1024, True),
        (1, "huge.zip", "application/zip", 50_000_000, False),
        (2, "<script>.html", "text/html", 8, True),
    ]
    assert {a.message_id for a in listed} == {"<att@c>"}
    found, content = emails.attachment_content(mine.id, listed[0].id)
    assert found == listed[0] and content == binary
    assert emails.attachment_content(mine.id, listed[2].id)[1] == b"<b>x</b>"
    with pytest.raises(NotFound, match="over the size limit"):
        emails.attachment_content(mine.id, listed[1].id)
    [other] = emails.attachments(theirs.id)
    with pytest.raises(NotFound, match="no attachment"):
        emails.attachment_content(mine.id, other.id)  # another conversation's
    with pytest.raises(NotFound, match="no attachment"):
        emails.attachment_content(mine.id, 10**9)
