"""The email channel end to end: real Dovecot, real SMTP, the real app server and its poller.

Mail is delivered with IMAP APPEND; the server's background poller (IDLE) reads it, answers or
escalates through the responder, and sends by SMTP; agents answer through the HTTP API.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from email.message import EmailMessage, Message

import anyio
import httpx
import pytest
from websockets.sync.client import connect

from bot.conversations.channels.email.factory import build_mail_service
from bot.conversations.channels.email.types import EmailRecord
from bot.conversations.models import Channel, Mode, Role, TurnKind
from bot.reporting.analytics import compute
from bot.reporting.resolution import Rules
from bot.wiring import Services
from escalation.types import AgentRole
from retrieval.interfaces import Embedder
from tests.api.conftest import PASSWORD, api_settings, log_in, start
from tests.live_server import LiveServer
from tests.mail.conftest import HELP_URL, mail_settings
from tests.mail.mails import CUSTOMER, mail, new_id
from tests.mail.servers import USER, Dovecot, SmtpServer
from tests.waiting import WAIT_S, eventually

pytestmark = pytest.mark.mail
ATTACHMENT_LIMIT = 50_000  # bytes of an attachment kept for agents


@pytest.fixture(scope="module")
def site(
    embedder: Embedder,
    tmp_path_factory: pytest.TempPathFactory,
    dovecot: Dovecot,
    smtp: SmtpServer,
) -> Iterator[tuple[Services, LiveServer]]:
    """The app with the email channel on, always open, and the agent "sam"."""
    settings = api_settings(
        tmp_path_factory.mktemp("mail-site"),
        escalation={"business_hours": ""},
        api={"rate_limit_per_ip": 100_000, "rate_limit_per_conversation": 1000},
        mail=mail_settings(dovecot, smtp, max_attachment_bytes=ATTACHMENT_LIMIT),
    )
    services, live = start(settings, embedder)
    anyio.run(services.escalator.agents.add, "sam", PASSWORD, AgentRole.AGENT, "Sam")
    with live:
        yield services, live
    anyio.run(services.aclose)


def handled(services: Services, message_id: str) -> EmailRecord | None:
    """The stored message once the channel is done with it."""
    try:
        record = services.database.emails.record(message_id)
    except Exception:  # noqa: BLE001 - not stored yet
        return None
    return record if record.handled else None


def text_of(message: Message, subtype: str = "plain") -> str:
    """The decoded text/<subtype> part of a received message."""
    for part in message.walk():
        if part.get_content_type() == f"text/{subtype}":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError(f"no text/{subtype} part")


def test_a_routine_question_is_answered_in_its_thread_with_cited_links(
    site: tuple[Services, LiveServer], dovecot: Dovecot, smtp: SmtpServer
) -> None:
    services, _ = site
    message_id, raw = mail(
        "Hi,\n\nhow long does a refund take?\n\nOn Mon, 1 Jan 2024, Shop <shop@x.test> wrote:\n"
        "> Your order shipped.\n\n-- \nAnn Example\nAcme fan club",
        subject="Refund question",
    )
    dovecot.deliver(raw)
    reply = smtp.outbox.wait_for(lambda m: m["In-Reply-To"] == message_id, "the bot's reply")
    assert reply["Subject"] == "Re: Refund question"
    assert reply["To"] == CUSTOMER
    assert USER in reply["From"]
    assert message_id in reply["References"].split()
    assert reply["Auto-Submitted"] == "auto-replied"  # other machines must not answer it
    plain, html = text_of(reply), text_of(reply, "html")
    assert "business days" in plain
    link = f"{HELP_URL}/help/refund-timing"
    assert "[1]" in plain and link in plain
    assert f'<a href="{link}">' in html
    record = eventually(lambda: handled(services, message_id), "the message handled")
    assert record.conversation_id is not None
    conversation = anyio.run(services.store.get, record.conversation_id)
    assert conversation.channel is Channel.EMAIL
    turns = anyio.run(services.store.turns, conversation.id)
    said = [t.text for t in turns if t.role is Role.CUSTOMER]
    assert said == ["Refund question\n\nHi,\n\nhow long does a refund take?"]  # quote, signature
    eventually(lambda: dovecot.unseen() == 0, "the message marked seen")
    report = compute(
        services.database.windows, days=1, embedder=services.kb.embedder, rules=Rules()
    )
    assert report.by_channel["email"].first_response_s_p50 is not None


def test_an_escalation_reaches_the_queue_and_the_agent_answers_by_email(
    site: tuple[Services, LiveServer], dovecot: Dovecot, smtp: SmtpServer
) -> None:
    services, live = site
    message_id, raw = mail("I want to talk to a person about my order, please.", subject="My order")
    dovecot.deliver(raw)
    notice = smtp.outbox.wait_for(lambda m: m["In-Reply-To"] == message_id, "the handoff notice")
    assert "A person from our team will follow up by email" in text_of(notice)
    record = eventually(lambda: handled(services, message_id), "the message handled")
    agent = log_in(live.url, "sam")
    with httpx.Client(base_url=live.url, headers=agent, timeout=30) as http:
        queue = http.get("/api/agent/tickets").json()
        ticket = next(t for t in queue if t["conversation_id"] == record.conversation_id)
        assert ticket["customer_email"] == CUSTOMER
        detail = http.get(f"/api/agent/tickets/{ticket['id']}").json()
        assert any("talk to a person" in t["text"] for t in detail["turns"])
        supplied = detail["customer"]["customer_supplied"]
        assert supplied["email"] == CUSTOMER
        assert supplied["metadata"]["email_subject"] == "My order"
        assert http.post(f"/api/agent/tickets/{ticket['id']}/claim").status_code == 200
        note = http.post(
            f"/api/agent/tickets/{ticket['id']}/notes", json={"text": "INTERNAL: VIP, careful"}
        )
        assert note.status_code == 200
        sent = http.post(
            f"/api/agent/tickets/{ticket['id']}/messages",
            json={"text": "Hi Ann, I'm Sam. Your order ships tomorrow."},
        )
        assert sent.status_code == 200, sent.text
    answer = smtp.outbox.wait_for(
        lambda m: "Sam" in (m["From"] or "") and m["In-Reply-To"] == message_id,
        "the agent's reply by email",
    )
    assert "Your order ships tomorrow." in text_of(answer)
    assert message_id in answer["References"].split()
    assert answer["Auto-Submitted"] is None  # a person wrote it
    assert not any("INTERNAL" in text_of(m) for m in smtp.outbox.messages)
    # The customer answers the agent's email: same conversation, the agent's to answer, and
    # the agent watching it sees the message arrive live.
    follow_id, raw = mail(
        "Thanks! Can you also change the address?",
        subject="Re: My order",
        in_reply_to=str(answer["Message-ID"]),
    )
    ws_url = live.url.replace("http", "ws", 1) + "/ws/agent"
    with connect(ws_url, open_timeout=30) as console:
        console.send(json.dumps({"type": "auth", "token": agent["Authorization"][7:]}))
        console.send(json.dumps({"type": "watch", "conversation_id": record.conversation_id}))
        console.send(json.dumps({"type": "ping"}))
        dovecot.deliver(raw)
        while (event := json.loads(console.recv(timeout=WAIT_S)))["type"] != "message":
            pass
    assert event["conversation_id"] == record.conversation_id
    assert event["turn"]["text"].startswith("Thanks! Can you also change the address?")
    follow = eventually(lambda: handled(services, follow_id), "the follow-up handled")
    assert follow.conversation_id is not None
    assert follow.conversation_id == record.conversation_id
    conversation = anyio.run(services.store.get, follow.conversation_id)
    assert conversation.mode is Mode.AGENT
    assert smtp.outbox.replies_to(follow_id) == []  # the bot stays out of the agent's chat


@pytest.mark.parametrize(
    ("sender", "subject", "headers"),
    [
        (CUSTOMER, "Automatic reply: A question", {"Auto-Submitted": "auto-replied"}),
        (CUSTOMER, "Out of Office: back Monday", {}),
        (CUSTOMER, "Re: A question", {"X-Autoreply": "yes"}),
        ("MAILER-DAEMON@mx.customer.test", "Undelivered Mail Returned to Sender", {}),
        (CUSTOMER, "Weekly digest", {"List-Id": "<news.lists.customer.test>"}),
        (CUSTOMER, "Sale!", {"Precedence": "bulk"}),
        (USER, "How long does a refund take?", {}),
    ],
    ids=["auto-submitted", "out-of-office", "x-autoreply", "bounce", "list-id", "bulk", "own"],
)
def test_machines_and_our_own_mail_are_stored_but_never_answered(
    site: tuple[Services, LiveServer],
    dovecot: Dovecot,
    smtp: SmtpServer,
    sender: str,
    subject: str,
    headers: dict[str, str],
) -> None:
    services, _ = site
    message_id, raw = mail(
        "How long does a refund take?", sender=sender, subject=subject, headers=headers
    )
    dovecot.deliver(raw)
    record = eventually(lambda: handled(services, message_id), "the message handled")
    assert record.flags  # why it got no answer
    eventually(lambda: dovecot.unseen() == 0, "the message marked seen")
    assert smtp.outbox.replies_to(message_id) == []  # a reply is sent before \Seen


def test_the_same_message_delivered_twice_is_answered_once(
    site: tuple[Services, LiveServer], dovecot: Dovecot, smtp: SmtpServer
) -> None:
    services, _ = site
    message_id, raw = mail("How long does a refund take?", subject="Twice", sender="t@c.test")
    dovecot.deliver(raw)
    dovecot.deliver(raw)
    eventually(lambda: handled(services, message_id), "the message handled")
    eventually(lambda: dovecot.unseen() == 0, "both copies marked seen")
    assert len(smtp.outbox.replies_to(message_id)) == 1
    record = services.database.emails.record(message_id)
    assert record.conversation_id is not None
    turns = anyio.run(services.store.turns, record.conversation_id)
    assert sum(t.role is Role.CUSTOMER for t in turns) == 1


def test_a_widget_customer_who_writes_an_email_has_one_history(
    site: tuple[Services, LiveServer], dovecot: Dovecot, smtp: SmtpServer
) -> None:
    services, live = site
    address = "bob@customer.test"
    chat = httpx.post(
        f"{live.url}/api/conversations", json={"channel": "widget", "email": address.upper()}
    ).json()
    said = httpx.post(
        f"{live.url}/api/conversations/{chat['id']}/messages",
        json={"text": "My parcel code is ZX-991, where is it?"},
        headers={"Authorization": f"Bearer {chat['token']}"},
        timeout=60,
    )
    assert said.status_code == 200, said.text
    message_id, raw = mail("How long does a refund take?", subject="Refund", sender=address)
    dovecot.deliver(raw)
    reply = smtp.outbox.wait_for(lambda m: m["In-Reply-To"] == message_id, "the bot's reply")
    # Only the earlier chat's channel and day, never its content (the sender is not verified).
    day = anyio.run(services.store.get, chat["id"]).created_at
    earlier = f"We have your earlier conversation with us (chat, {day.day} {day:%b}) on file"
    assert f"{earlier}, so there's no need to repeat yourself." in text_of(reply)
    assert "ZX-991" not in text_of(reply) and "parcel" not in text_of(reply)
    record = eventually(lambda: handled(services, message_id), "the message handled")
    assert record.conversation_id is not None
    by_mail = anyio.run(services.store.get, record.conversation_id)
    in_widget = anyio.run(services.store.get, chat["id"])
    assert by_mail.customer_id == in_widget.customer_id
    past = anyio.run(services.store.customer_conversations, by_mail.customer_id, 20)
    assert [(p.conversation.id, p.conversation.channel.value) for p in past] == [
        (by_mail.id, "email"),
        (chat["id"], "widget"),
    ]


def escalated_ticket(
    services: Services, live: LiveServer, dovecot: Dovecot, sender: str
) -> tuple[str, str, str]:
    """(Message-ID, conversation id, ticket id) of an email from `sender` that asks for a
    person and waits in the queue."""
    message_id, raw = mail("I want to talk to a person about my order, please.", sender=sender)
    dovecot.deliver(raw)
    record = eventually(lambda: handled(services, message_id), "the message handled")
    assert record.conversation_id is not None
    agent = log_in(live.url, "sam")
    queue = httpx.get(f"{live.url}/api/agent/tickets", headers=agent, timeout=30).json()
    ticket = next(t for t in queue if t["conversation_id"] == record.conversation_id)
    return message_id, record.conversation_id, ticket["id"]


def resolve(live: LiveServer, ticket_id: str) -> None:
    """Resolve the ticket as the agent "sam", through the HTTP API."""
    agent = log_in(live.url, "sam")
    with httpx.Client(base_url=live.url, headers=agent, timeout=30) as http:
        assert http.post(f"/api/agent/tickets/{ticket_id}/claim").status_code == 200
        resolved = http.post(f"/api/agent/tickets/{ticket_id}/resolve")
        assert resolved.status_code == 200, resolved.text


def test_a_resolved_email_ticket_gets_the_nps_survey_once_and_a_scored_reply_is_stored(
    site: tuple[Services, LiveServer], dovecot: Dovecot, smtp: SmtpServer
) -> None:
    services, live = site
    sender = "nps@customer.test"
    message_id, conversation_id, ticket_id = escalated_ticket(services, live, dovecot, sender)
    resolve(live, ticket_id)

    def is_survey(m: Message) -> bool:
        return m["To"] == sender and "recommend" in text_of(m)

    survey = smtp.outbox.wait_for(is_survey, "the NPS survey")
    assert survey["In-Reply-To"] == message_id  # in the ticket's thread
    company = services.settings.answer.company_name
    assert text_of(survey).strip() == (
        f"How likely are you to recommend {company} to a friend or colleague? Reply with a "
        "number from 0 to 10, and a comment if you like."
    )
    mail_service = build_mail_service(services)
    assert anyio.run(mail_service.send_surveys) == 0  # another pass sends nothing more
    assert len([m for m in smtp.outbox.messages if is_survey(m)]) == 1

    reply_id, raw = mail(
        "9 great help\n\nOn Sat, 5 Dec 2026, Support <support@example.test> wrote:\n> How likely?",
        subject="Re: A question",
        sender=sender,
        in_reply_to=str(survey["Message-ID"]),
    )
    dovecot.deliver(raw)
    thanks = smtp.outbox.wait_for(lambda m: m["In-Reply-To"] == reply_id, "the thank-you")
    assert text_of(thanks).strip() == "Thank you for your answer!"
    record = eventually(lambda: handled(services, reply_id), "the reply handled")
    assert record.flags == ("nps_answer",)
    assert record.conversation_id == conversation_id
    now = dt.datetime.now(dt.UTC)
    answers = services.database.surveys.nps_answers(now - dt.timedelta(hours=1), now)
    [answer] = [a for a in answers if a.conversation_id == conversation_id]
    assert (answer.score, answer.comment) == (9, "great help")
    assert len(smtp.outbox.replies_to(reply_id)) == 1  # the thank-you, no bot answer
    conversation = anyio.run(services.store.get, conversation_id)
    assert conversation.mode is Mode.CLOSED
    past = anyio.run(services.store.customer_conversations, conversation.customer_id, 5)
    assert [p.conversation.id for p in past] == [conversation_id]  # no new conversation


def test_a_customer_who_answered_nps_lately_gets_no_survey_email(
    site: tuple[Services, LiveServer], dovecot: Dovecot, smtp: SmtpServer
) -> None:
    services, live = site
    sender = "answered@customer.test"
    message_id, conversation_id, ticket_id = escalated_ticket(services, live, dovecot, sender)
    services.database.surveys.answer_nps(conversation_id, 8, "", dt.timedelta(days=90))
    resolve(live, ticket_id)

    def decided() -> bool:
        turns = anyio.run(services.store.turns, conversation_id)
        return any(t.kind is TurnKind.NPS_NOT_DUE for t in turns)

    eventually(decided, "the survey decided against")
    assert not any("recommend" in text_of(m) for m in smtp.outbox.messages if m["To"] == sender)


def ticket_with_files(
    services: Services,
    live: LiveServer,
    dovecot: Dovecot,
    sender: str,
    files: list[tuple[str, str, str, bytes]],
) -> str:
    """The id of the ticket of an email from `sender` that asks for a person, with `files`
    ((filename, maintype, subtype, bytes)) attached."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = USER
    msg["Subject"] = "Receipts"
    msg["Message-ID"] = message_id = new_id()
    msg.set_content("I want to talk to a person about my order, please. Receipts attached.")
    for filename, maintype, subtype, content in files:
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    dovecot.deliver(msg.as_bytes())
    record = eventually(lambda: handled(services, message_id), "the message handled")
    agent = log_in(live.url, "sam")
    queue = httpx.get(f"{live.url}/api/agent/tickets", headers=agent, timeout=30).json()
    return str(next(t["id"] for t in queue if t["conversation_id"] == record.conversation_id))


def test_agents_download_kept_attachments_as_files_only_from_their_ticket(
    site: tuple[Services, LiveServer], dovecot: Dovecot
) -> None:
    services, live = site
    receipt = os.urandom(20_000) + bytes(range(256))  # any bytes, NULs included
    hostile = b"<html><script>alert(document.cookie)</script></html>"
    ticket_id = ticket_with_files(
        services,
        live,
        dovecot,
        "files@customer.test",
        [
            ("r\u00e9ceipt 1.pdf", "application", "pdf", receipt),
            ("big.zip", "application", "zip", b"z" * (ATTACHMENT_LIMIT + 1)),
            ("<script>.html", "text", "html", hostile),
        ],
    )
    other_ticket = ticket_with_files(
        services, live, dovecot, "other@customer.test", [("theirs.txt", "text", "plain", b"x")]
    )
    agent = log_in(live.url, "sam")
    with httpx.Client(base_url=live.url, headers=agent, timeout=30) as http:
        detail = http.get(f"/api/agent/tickets/{ticket_id}").json()
        small, big, page = detail["attachments"]
        assert (small["filename"], small["size"], small["kept"]) == (
            "r\u00e9ceipt 1.pdf",
            len(receipt),
            True,
        )
        assert small["content_type"] == "application/pdf"
        assert (big["filename"], big["size"], big["kept"]) == (
            "big.zip",
            ATTACHMENT_LIMIT + 1,
            False,
        )
        notes = [t["text"] for t in detail["turns"] if t["kind"] == "email_details"]
        assert "big.zip (application/zip, 50,001 bytes) — over the size limit" in notes[0]

        got = http.get(f"/api/agent/tickets/{ticket_id}/attachments/{small['id']}")
        assert got.status_code == 200 and got.content == receipt  # byte-identical
        assert got.headers["content-type"] == "application/octet-stream"
        assert got.headers["content-disposition"] == (
            "attachment; filename=\"r_ceipt 1.pdf\"; filename*=UTF-8''r%C3%A9ceipt%201.pdf"
        )
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["cache-control"] == "no-store"

        html = http.get(f"/api/agent/tickets/{ticket_id}/attachments/{page['id']}")
        assert html.status_code == 200 and html.content == hostile
        assert html.headers["content-type"] == "application/octet-stream"  # never text/html
        assert html.headers["content-disposition"] == (
            "attachment; filename=\"script_.html\"; filename*=UTF-8''script_.html"
        )

        not_kept = http.get(f"/api/agent/tickets/{ticket_id}/attachments/{big['id']}")
        assert not_kept.status_code == 404
        assert "over the size limit" in not_kept.json()["detail"]

        [theirs] = http.get(f"/api/agent/tickets/{other_ticket}").json()["attachments"]
        foreign = http.get(f"/api/agent/tickets/{ticket_id}/attachments/{theirs['id']}")
        assert foreign.status_code == 404
        assert "no attachment" in foreign.json()["detail"]
        assert (
            http.get(f"/api/agent/tickets/{other_ticket}/attachments/{theirs['id']}").content
            == b"x"
        )
        unknown = http.get(f"/api/agent/tickets/no-such-ticket/attachments/{small['id']}")
        assert unknown.status_code == 404

    path = f"{live.url}/api/agent/tickets/{ticket_id}/attachments/{small['id']}"
    assert httpx.get(path, timeout=30).status_code == 401  # anonymous
    chat = httpx.post(f"{live.url}/api/conversations", json={"channel": "widget"}).json()
    customer = {"Authorization": f"Bearer {chat['token']}"}
    assert httpx.get(path, headers=customer, timeout=30).status_code == 401
