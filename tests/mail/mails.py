"""Hand-made messages for the email channel's tests."""

from __future__ import annotations

import uuid
from email.message import EmailMessage

CUSTOMER = "ann@customer.test"


def new_id() -> str:
    """A fresh Message-ID."""
    return f"<{uuid.uuid4().hex}@customer.test>"


def mail(
    body: str,
    *,
    subject: str = "A question",
    sender: str = CUSTOMER,
    message_id: str | None = None,
    in_reply_to: str = "",
    headers: dict[str, str] | None = None,
) -> tuple[str, bytes]:
    """(Message-ID, bytes) of a plain-text message to the support mailbox."""
    msg = EmailMessage()
    msg["From"] = f"Ann Example <{sender}>"
    msg["To"] = "support@example.test"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or new_id()
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return str(msg["Message-ID"]), msg.as_bytes()
