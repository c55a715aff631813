"""Parsing mail into the channel's input: quotes, signatures, machines, threads, bad input."""

from __future__ import annotations

from dataclasses import replace
from email.message import EmailMessage

import pytest

from bot.conversations.channels.email.compose import compose_reply
from bot.conversations.channels.email.parsing import (
    html_to_text,
    message_ids,
    new_text,
    parse_email,
)
from bot.conversations.channels.email.service import NPS_REPLY
from bot.conversations.channels.email.threads import MAX_REFERENCES, references, reply_subject
from bot.conversations.channels.email.types import MachineKind, Thread
from bot.conversations.models import Citation


def raw(headers: str, body: str = "Hello") -> bytes:
    """A message from header lines (\\n-separated) and a body."""
    return (headers.strip().replace("\n", "\r\n") + "\r\n\r\n" + body).encode()


BASE = "From: Ann <Ann@Customer.test>\nTo: support@example.test\nMessage-ID: <m1@c.test>"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "Where is my order?\n\nOn Tue, 2 Jan 2024 at 10:00, Shop <s@x> wrote:\n> Hi",
            "Where is my order?",
        ),
        (
            "Where is my order?\nOn Tue, 2 Jan 2024 at 10:00, Shop\n<s@x> wrote:\n> Hi",
            "Where is my order?",
        ),
        ("Yes please.\n> earlier\n> text\nThanks", "Yes please.\nThanks"),
        ("Refund?\n\n-- \nAnn\n555-1234", "Refund?"),
        ("Refund?\n\n-----Original Message-----\nFrom: x", "Refund?"),
        ("Hola\n\nEl lun, 1 ene 2024, Tienda <t@x> escribió:\n> hola", "Hola"),
        ("No quotes here.", "No quotes here."),
    ],
    ids=["on-wrote", "on-wrote-wrapped", "quote-lines", "signature", "outlook", "spanish", "plain"],
)
def test_quoted_history_and_signatures_are_stripped(body: str, expected: str) -> None:
    assert new_text(body) == expected


@pytest.mark.parametrize(
    ("headers", "kinds"),
    [
        ("Auto-Submitted: auto-replied", [MachineKind.AUTO_REPLY]),
        ("Auto-Submitted: no", []),
        ("X-Autoreply: yes", [MachineKind.AUTO_REPLY]),
        ("X-Autorespond: yes", [MachineKind.AUTO_REPLY]),
        ("Subject: Out of Office: back Monday", [MachineKind.AUTO_REPLY]),
        ("Subject: Automatic reply: hi", [MachineKind.AUTO_REPLY]),
        (
            "Content-Type: multipart/report; report-type=delivery-status; boundary=b",
            [MachineKind.BOUNCE],
        ),
        ("List-Id: <news.x.test>", [MachineKind.MAILING_LIST]),
        ("Precedence: bulk", [MachineKind.MAILING_LIST]),
        ("Precedence: junk", [MachineKind.MAILING_LIST]),
        ("Subject: Where is my order?", []),
    ],
)
def test_machines_are_recognised(headers: str, kinds: list[MachineKind]) -> None:
    assert list(parse_email(raw(f"{BASE}\n{headers}")).machine) == kinds


def test_bounces_and_our_own_messages_are_recognised_by_sender() -> None:
    bounce = raw("From: MAILER-DAEMON@mx.test\nMessage-ID: <b@x>")
    assert parse_email(bounce).machine == (MachineKind.BOUNCE,)
    postmaster = raw("From: postmaster@mx.test\nMessage-ID: <p@x>")
    assert parse_email(postmaster).machine == (MachineKind.BOUNCE,)
    own = raw("From: Support <Support@Example.test>\nMessage-ID: <o@x>")
    assert parse_email(own, own_address="support@example.test").machine == (MachineKind.OWN,)


def test_thread_ids_and_a_missing_message_id() -> None:
    mail = parse_email(
        raw(f"{BASE}\nIn-Reply-To: <p2@x>\nReferences: <p0@x>\n <p1@x> <p2@x>\nSubject: Re: hi")
    )
    assert mail.sender == "ann@customer.test" and mail.sender_name == "Ann"
    assert mail.references == ("<p0@x>", "<p1@x>", "<p2@x>")
    assert mail.thread_ids == ("<p2@x>", "<p1@x>", "<p0@x>")
    anonymous = raw("From: a@b.test\nSubject: no id")
    assert parse_email(anonymous).message_id == parse_email(anonymous).message_id  # stable
    assert parse_email(anonymous).message_id.endswith("@no-message-id.invalid>")
    assert message_ids("<" + "x" * 600 + "@y>")[0].endswith("@digest.invalid>")


def test_encoded_headers_charsets_and_html_only_bodies() -> None:
    latin = raw(
        f"{BASE}\nSubject: =?iso-8859-1?q?Devoluci=F3n?=\n"
        "Content-Type: text/plain; charset=latin-1",
        "",
    ) + "¿Cuándo llega mi devolución?".encode("latin-1")
    mail = parse_email(latin)
    assert mail.subject == "Devolución"
    assert mail.text == "¿Cuándo llega mi devolución?" and mail.notes == ()
    html = parse_email(
        raw(
            f"{BASE}\nContent-Type: text/html; charset=utf-8",
            "<p>Where is<br>my <b>order</b>?</p><style>p{}</style><script>x()</script>",
        )
    )
    assert html.text == "Where is\nmy order?"
    assert "HTML-only message" in html.notes[0]
    assert html_to_text("<p>a</p><blockquote>quoted</blockquote><p>b &amp; c</p>") == "a\n\nb & c"


def test_nul_characters_are_removed_and_noted() -> None:
    """PostgreSQL refuses a NUL in a text column: the message would never be stored."""
    mail = parse_email(raw(f"{BASE}\nContent-Type: text/plain; charset=utf-8", "Where\x00 is it?"))
    assert mail.text == "Where is it?" and mail.notes == ("NUL characters: removed",)


def test_garbage_never_raises() -> None:
    for garbage in (b"", b"\x00\xff\xfe", b"Content-Type: multipart/mixed\r\n\r\n--", b"::::"):
        mail = parse_email(garbage)
        assert mail.message_id.startswith("<")


def test_reply_headers_and_the_html_part_escape_everything() -> None:
    assert reply_subject("RE: Re: AW: Order") == "Re: Order"
    assert reply_subject("") == "Re: your message"
    chain = references(tuple(f"<{n}@x>" for n in range(30)), "<new@x>")
    assert len(chain) == MAX_REFERENCES and chain[0] == "<0@x>" and chain[-1] == "<new@x>"
    thread = Thread("ann@c.test", "Refund", "<m1@c.test>", ("<m0@c.test>", "<m1@c.test>"))
    citations = (
        Citation(1, "refund-timing", "Refunds <fast>", "https://help.example/refund"),
        Citation(2, "evil", "Evil", "javascript:alert(1)"),
    )
    message = compose_reply(
        sender="support@example.test",
        sender_name="Acme",
        thread=thread,
        message_id="<r1@example.test>",
        text="<script>x()</script> See [1] and [2].",
        citations=citations,
    )
    assert message["In-Reply-To"] == "<m1@c.test>"
    assert message["References"] == "<m0@c.test> <m1@c.test>"
    html_part = message.get_body(("html",))
    assert html_part is not None
    body = html_part.get_content()
    assert "<script>" not in body and "&lt;script&gt;" in body
    assert '<a href="https://help.example/refund">[1]</a>' in body
    assert "javascript:" not in body and "Refunds &lt;fast&gt;" in body
    linked = compose_reply(
        sender="support@example.test",
        sender_name="Acme",
        thread=thread,
        message_id="<r2@example.test>",
        text="See [1] and [2].",
        citations=(replace(citations[0], url="/help/refund-timing"), citations[1]),
        public_url="https://support.example/",
    )
    plain = linked.get_body(("plain",))
    assert plain is not None
    assert "[1] Refunds <fast>: https://support.example/help/refund-timing" in plain.get_content()
    assert "javascript:" not in plain.get_content()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9 great help", (9, "great help")),
        ("10", (10, "")),
        ("0 - too slow", (0, "too slow")),
        ("8/10: quick answer", (8, "quick answer")),
        ("7 out of 10", (7, "")),
        ("9. Thanks!", (9, "Thanks!")),
        ("11 is my score", None),
        ("9.5", None),
        ("100", None),
        ("Thanks, 9", None),
        ("2nd order missing", None),
    ],
)
def test_a_survey_reply_is_a_score_only_when_it_starts_with_0_to_10(
    text: str, expected: tuple[int, str] | None
) -> None:
    found = NPS_REPLY.match(text)
    assert (None if found is None else (int(found[1]), found[2])) == expected


def test_attachments_keep_their_bytes_up_to_the_limits_only() -> None:
    msg = EmailMessage()
    msg["From"] = "ann@customer.test"
    msg["Message-ID"] = "<att@c.test>"
    msg.set_content("Receipts attached.")
    small = bytes(range(256))
    msg.add_attachment(small, maintype="application", subtype="pdf", filename="r.pdf")
    msg.add_attachment(b"x" * 2000, maintype="application", subtype="zip", filename="big.zip")
    msg.add_attachment(b"third", maintype="image", subtype="png", filename="p.png")
    mail = parse_email(msg.as_bytes(), max_attachment_bytes=1000, max_attachments=2)
    kept = [(a.filename, a.size, a.over_limit, a.content) for a in mail.attachments]
    assert kept == [("r.pdf", 256, False, small), ("big.zip", 2000, True, None)]
    assert any("listed, its content not kept" in note for note in mail.notes)
    assert any("1 more attachments than the 2 listed" in note for note in mail.notes)
    assert "x" * 100 not in mail.full_text  # never read as the message
