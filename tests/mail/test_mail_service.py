"""The email channel's service on real Dovecot and SMTP servers, one pass at a time: crashes,
bad input, attachments and the loop guard (no web server needed)."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage

import anyio
import pytest

from bot.conversations.channels.email.errors import MailError
from bot.conversations.channels.email.factory import build_mail_service
from bot.conversations.channels.email.imap_poller import ImapMailbox
from bot.conversations.channels.email.types import EmailRecord, Fetched
from bot.conversations.models import Role, Turn
from bot.wiring import Services, build_services
from retrieval.interfaces import Embedder
from tests.api.conftest import api_settings
from tests.conftest import KB_FIXTURE
from tests.mail.conftest import mail_settings
from tests.mail.mails import mail, new_id
from tests.mail.servers import PASSWORD, USER, Dovecot, SmtpServer

pytestmark = pytest.mark.mail


@pytest.fixture(scope="module")
def services(
    embedder: Embedder,
    tmp_path_factory: pytest.TempPathFactory,
    dovecot: Dovecot,
    smtp: SmtpServer,
) -> Iterator[Services]:
    """Services with the email channel configured: small attachment and loop limits."""
    settings = api_settings(
        tmp_path_factory.mktemp("mail-service"),
        escalation={"business_hours": ""},
        mail=mail_settings(
            dovecot, smtp, max_attachment_bytes=1000, max_attachments=3, max_replies_per_hour=2
        ),
    )
    built = build_services(settings, embedder=embedder)
    built.kb.ingest_path(KB_FIXTURE)
    yield built
    anyio.run(built.aclose)


class CrashOnSeen:
    """The real mailbox, except that the process "dies" where it would mark a message seen."""

    def __init__(self, mailbox: ImapMailbox) -> None:
        self._mailbox = mailbox

    def unseen(self) -> list[Fetched]:
        return self._mailbox.unseen()

    def mark_seen(self, uid: str) -> None:
        raise MailError("the worker crashed before marking the message seen")

    def wait(self, timeout_s: float) -> None:
        self._mailbox.wait(timeout_s)

    def close(self) -> None:
        self._mailbox.close()


def imap(dovecot: Dovecot, max_message_bytes: int = 25_000_000) -> ImapMailbox:
    """The support mailbox on the test server."""
    return ImapMailbox(
        host="127.0.0.1",
        port=dovecot.port,
        security="plain",
        user=USER,
        password=PASSWORD,
        max_message_bytes=max_message_bytes,
    )


def poll(services: Services, mailbox: ImapMailbox | CrashOnSeen | None = None) -> int:
    """One pass of the channel over the mailbox."""

    async def once() -> int:
        service = build_mail_service(services, mailbox)
        try:
            return await service.poll_once()
        finally:
            await service.close()

    return anyio.run(once)


def stored(services: Services, message_id: str) -> tuple[EmailRecord, list[Turn]]:
    """The stored message and its conversation's turns."""
    record = services.database.emails.record(message_id)
    assert record.conversation_id is not None
    return record, anyio.run(services.store.turns, record.conversation_id)


def test_a_crash_between_storing_and_marking_seen_sends_no_second_reply(
    services: Services, dovecot: Dovecot, smtp: SmtpServer
) -> None:
    first, raw = mail("How long does a refund take?", subject="Crash", sender="c@c.test")
    dovecot.deliver(raw)
    poll(services)
    (reply,) = smtp.outbox.replies_to(first)
    # The second message of the thread: the loop guard's last allowed reply (2 per hour).
    message_id, raw = mail(
        "And how long does a refund take by card?",
        subject="Re: Crash",
        sender="c@c.test",
        in_reply_to=str(reply["Message-ID"]),
    )
    dovecot.deliver(raw)
    with pytest.raises(MailError, match="crashed"):
        poll(services, CrashOnSeen(imap(dovecot)))
    assert len(smtp.outbox.replies_to(message_id)) == 1  # answered, stored, not yet seen
    assert dovecot.unseen() == 1
    assert poll(services) == 1  # the restarted worker reads it again...
    assert dovecot.unseen() == 0  # ...marks it seen...
    assert len(smtp.outbox.replies_to(message_id)) == 1  # ...and does not answer it again
    record, turns = stored(services, message_id)
    assert "loop_guard" not in record.flags  # its own reply does not count against it
    assert not any(t.kind == "email_unanswered" for t in turns)


def test_while_the_smtp_server_is_down_the_message_waits_for_the_next_pass(
    services: Services, dovecot: Dovecot, smtp: SmtpServer
) -> None:
    message_id, raw = mail("How long does a refund take?", subject="Down", sender="d@c.test")
    dovecot.deliver(raw)
    smtp.stop()
    try:
        assert poll(services) == 1  # the failure is logged; the message stays unseen
        assert dovecot.unseen() == 1
        assert not services.database.emails.record(message_id).handled
    finally:
        smtp.start()
    assert poll(services) == 1
    assert dovecot.unseen() == 0
    assert len(smtp.outbox.replies_to(message_id)) == 1
    _, turns = stored(services, message_id)
    assert sum(t.role is Role.BOT for t in turns) == 1  # the stored answer, sent once


def test_a_handoff_notice_the_smtp_server_refused_is_sent_on_the_next_pass(
    services: Services, dovecot: Dovecot, smtp: SmtpServer
) -> None:
    message_id, raw = mail("I want to talk to a person.", subject="Person", sender="p@c.test")
    dovecot.deliver(raw)
    smtp.stop()
    try:
        assert poll(services) == 1  # escalated and stored; the notice could not be sent
        assert smtp.outbox.replies_to(message_id) == []
    finally:
        smtp.start()
    assert poll(services) == 1
    notices = smtp.outbox.replies_to(message_id)
    assert len(notices) == 1
    assert "A person from our team will follow up by email" in str(notices[0])
    assert dovecot.unseen() == 0


def test_malformed_mime_and_an_unknown_charset_are_kept_with_a_note(
    services: Services, dovecot: Dovecot, smtp: SmtpServer
) -> None:
    message_id = new_id()
    raw = (
        b"From: Dee <dee@customer.test>\r\nTo: support@example.test\r\nSubject: broken\r\n"
        b"Message-ID: " + message_id.encode() + b"\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="zzz"\r\n\r\n--zzz\r\n'
        b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\n"
        b"How long does a refund take? \xff\xfe\r\n"  # no closing boundary
    )
    dovecot.deliver(raw)
    assert poll(services) == 1
    record, turns = stored(services, message_id)
    assert "malformed MIME" in record.note
    assert "unknown charset 'x-no-such-charset'" in record.note
    details = [t for t in turns if t.kind == "email_details"]
    assert details and "malformed MIME" in details[0].text  # the agent sees what was wrong
    assert any(t.role is Role.CUSTOMER and "refund" in t.text for t in turns)
    assert len(smtp.outbox.replies_to(message_id)) == 1  # still answered


def test_attachments_are_listed_up_to_the_limits_and_never_inlined(
    services: Services, dovecot: Dovecot, smtp: SmtpServer
) -> None:
    msg = EmailMessage()
    msg["From"] = "Eve <eve@customer.test>"
    msg["To"] = USER
    msg["Subject"] = "Refund with receipts"
    msg["Message-ID"] = message_id = new_id()
    msg.set_content("How long does a refund take? Receipts attached.")
    msg.add_attachment(b"x" * 5000, maintype="application", subtype="pdf", filename="big.pdf")
    msg.add_attachment(
        b"<script>alert(1)</script>", maintype="text", subtype="html", filename="<b>x</b>.html"
    )
    for n in range(3):
        msg.add_attachment(b"small", maintype="image", subtype="png", filename=f"p{n}.png")
    dovecot.deliver(msg.as_bytes())
    assert poll(services) == 1
    record, turns = stored(services, message_id)
    assert [a["filename"] for a in record.attachments] == ["big.pdf", "<b>x</b>.html", "p0.png"]
    assert record.attachments[0]["over_limit"] is True and record.attachments[0]["size"] == 5000
    assert "over the 1,000-byte limit" in record.note
    assert "2 more attachments" in record.note
    details = next(t for t in turns if t.kind == "email_details")
    assert "big.pdf (application/pdf, 5,000 bytes) — over the size limit" in details.text
    assert record.conversation_id is not None
    emails = services.database.emails
    kept = emails.attachments(record.conversation_id)  # the ones past the count: not stored
    assert [(a.filename, a.kept) for a in kept] == [
        ("big.pdf", False),
        ("<b>x</b>.html", True),
        ("p0.png", True),
    ]
    page = emails.attachment_content(record.conversation_id, kept[1].id)[1]
    assert page == b"<script>alert(1)</script>"  # kept as received, never opened
    customer = next(t for t in turns if t.role is Role.CUSTOMER)
    assert "alert(1)" not in customer.text  # an attachment is never read as the message
    reply = smtp.outbox.replies_to(message_id)
    assert len(reply) == 1 and "alert(1)" not in reply[0].as_string()


def test_a_message_over_the_size_limit_is_kept_as_its_headers_with_a_note(
    services: Services, dovecot: Dovecot
) -> None:
    message_id, raw = mail("x" * 5000, subject="How long does a refund take?", sender="h@c.test")
    dovecot.deliver(raw)
    assert poll(services, imap(dovecot, max_message_bytes=2000)) == 1
    record, turns = stored(services, message_id)
    assert "over the size limit: only its headers were read" in record.note
    assert any(t.kind == "email_details" and "only its headers" in t.text for t in turns)
    assert "x" * 100 not in "".join(t.text for t in turns)
    assert dovecot.unseen() == 0


def test_html_only_mail_is_read_as_text_and_answered_without_its_markup(
    services: Services, dovecot: Dovecot, smtp: SmtpServer
) -> None:
    msg = EmailMessage()
    msg["From"] = "Fay <fay@customer.test>"
    msg["To"] = USER
    msg["Subject"] = "Question"
    msg["Message-ID"] = message_id = new_id()
    msg.set_content(
        "<html><body><p>How long does a <b>refund</b> take?</p><script>evil()</script>"
        "<blockquote>old quoted mail</blockquote></body></html>",
        subtype="html",
    )
    dovecot.deliver(msg.as_bytes())
    assert poll(services) == 1
    _, turns = stored(services, message_id)
    said = next(t for t in turns if t.role is Role.CUSTOMER).text
    assert said == "Question\n\nHow long does a refund take?"
    reply = smtp.outbox.replies_to(message_id)
    assert len(reply) == 1 and "evil()" not in reply[0].as_string()


def test_the_loop_guard_stops_bot_replies_in_a_thread_after_the_hourly_limit(
    services: Services, dovecot: Dovecot, smtp: SmtpServer
) -> None:
    first, raw = mail("How long does a refund take?", subject="Loop", sender="bot@loop.test")
    dovecot.deliver(raw)
    poll(services)
    parent = first
    for _ in range(2):  # a machine that answers each of our replies, unflagged
        reply = smtp.outbox.replies_to(parent)
        assert len(reply) == 1
        parent, raw = mail(
            "How long does a refund take?",
            subject="Re: Loop",
            sender="bot@loop.test",
            in_reply_to=str(reply[0]["Message-ID"]),
        )
        dovecot.deliver(raw)
        poll(services)
    assert smtp.outbox.replies_to(parent) == []  # the third message: two replies this hour
    record, turns = stored(services, parent)
    assert "loop_guard" in record.flags and record.handled
    assert turns[-1].kind == "email_unanswered"
    assert services.database.emails.record(first).conversation_id == record.conversation_id
