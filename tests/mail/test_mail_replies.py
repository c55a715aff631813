"""Issue 19: the email channel answers through the same reply pipeline as a chat
(`ReplyService`): agents see its turns live like a chat's, and the loop guard, not the chat's
rate limit, bounds its answers. Real SQLite, Chroma and SMTP server; no IMAP server needed
(the message is handed to `receive` as the poller would)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from bot.conversations.channels.email.factory import build_mail_service
from bot.conversations.channels.email.types import Fetched
from bot.conversations.events import conversation_channel
from bot.conversations.models import Role
from bot.runtime.realtime import Event
from bot.settings import Settings
from bot.wiring import Services, build_services
from retrieval.interfaces import Embedder
from tests.conftest import KB_FIXTURE
from tests.mail.mails import mail
from tests.mail.servers import USER, SmtpServer


class NoMailbox:
    """The poller's mailbox, unused: these tests hand messages to `receive` themselves."""

    def unseen(self) -> list[Fetched]:
        raise AssertionError("not polled in these tests")

    def mark_seen(self, uid: str) -> None:
        raise AssertionError("not polled in these tests")

    def wait(self, timeout_s: float) -> None:
        raise AssertionError("not polled in these tests")

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    """An SMTP server that keeps what it receives."""
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def services(
    embedder: Embedder, tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer
) -> Iterator[Services]:
    """Services with the email channel on: one chat message per conversation and minute, two
    email replies per thread and hour."""
    settings = Settings(
        data_dir=Path(tmp_path_factory.mktemp("mail-replies")),
        escalation={"business_hours": ""},  # type: ignore[arg-type]
        api={"rate_limit_per_conversation": 1},  # type: ignore[arg-type]
        mail={  # type: ignore[arg-type]
            "enabled": True,
            "address": USER,
            "imap_host": "127.0.0.1",  # never reached: see NoMailbox
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_security": "plain",
            "max_replies_per_hour": 2,
            "timeout_s": 10,
        },
    )
    built = build_services(settings, embedder=embedder)
    built.kb.ingest_path(KB_FIXTURE)
    yield built
    anyio.run(built.aclose)


def _receive(services: Services, raw: bytes, conversation_id: str = "") -> list[Event]:
    """Hand one message to the channel; what the conversation's live channel showed (when its
    id is known beforehand)."""

    async def main() -> list[Event]:
        service = build_mail_service(services, NoMailbox())
        if not conversation_id:
            assert await service.receive(raw)
            return []
        heard: list[Event] = []
        channel = conversation_channel(conversation_id)
        async with services.broadcaster.subscribe(channel) as live:
            assert await service.receive(raw)
            with anyio.move_on_after(2):
                async for event in live:
                    heard.append(event)
        return heard

    return anyio.run(main)


def test_a_thread_is_answered_through_the_reply_pipeline(
    services: Services, smtp: SmtpServer
) -> None:
    first, raw = mail("How long does a refund take?", subject="Refunds", sender="r@r.test")
    _receive(services, raw)
    (reply,) = smtp.outbox.replies_to(first)
    record = services.database.emails.record(first)
    assert record.conversation_id is not None
    conversation_id = record.conversation_id

    # The second message within the minute: the chat's rate limit (1) does not apply, and
    # agents watching the conversation see it as a chat's: the message, typing, the reply.
    second, raw = mail("And by card?", subject="Re: Refunds", sender="r@r.test", in_reply_to=first)
    heard = _receive(services, raw, conversation_id)
    (answer,) = smtp.outbox.replies_to(second)
    assert reply["Subject"] == answer["Subject"] == "Re: Refunds"
    kinds = [event["type"] for event in heard]
    assert kinds[0] == "message" and kinds[-1] == "reply"
    assert set(kinds[1:-1]) == {"token"}
    turns = anyio.run(services.store.turns, conversation_id)
    assert heard[0]["turn"]["id"] == turns[-2].id and turns[-2].role is Role.CUSTOMER
    assert heard[-1]["turn"]["id"] == turns[-1].id and turns[-1].role is Role.BOT

    # The third within the hour: the loop guard keeps it for agents, shown live, unanswered.
    third, raw = mail("Hello?", subject="Re: Refunds", sender="r@r.test", in_reply_to=second)
    heard = _receive(services, raw, conversation_id)
    assert smtp.outbox.replies_to(third) == []
    assert [event["type"] for event in heard] == ["message"]
    last = anyio.run(services.store.turns, conversation_id)[-1]
    assert (last.role, last.kind) == (Role.SYSTEM, "email_unanswered")
