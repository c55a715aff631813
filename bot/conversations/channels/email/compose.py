"""Outgoing mail: a plain-text and an HTML part, numbered citations as help-center links."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from bot.conversations.channels.email.threads import reply_subject
from bot.conversations.channels.email.types import Thread
from bot.conversations.models import Citation

_MARK = re.compile(r"\[(\d{1,3})\]")


def citation_url(citation: Citation, public_url: str) -> str:
    """Where a citation links in an email: an absolute web address as it is (an article's page
    in an external help center, `answer.citation_links`), a help-center path (`/help/<id>`)
    under `public_url`; anything else (no public URL, an account source, `javascript:`) is not
    linked."""
    url = citation.url
    if url.startswith(("https://", "http://")):
        return url
    if url.startswith("/") and public_url:
        return public_url.rstrip("/") + url
    return ""


def compose_reply(
    *,
    sender: str,
    sender_name: str,
    thread: Thread,
    message_id: str,
    text: str,
    citations: Sequence[Citation] = (),
    public_url: str = "",
    automatic: bool = True,
) -> EmailMessage:
    """A reply in `thread`; `automatic` marks the bot's (RFC 3834 Auto-Submitted: auto-replied,
    so that other machines do not answer it)."""
    links = {c.n: citation_url(c, public_url) for c in citations}
    msg = EmailMessage()
    msg["From"] = formataddr((sender_name, sender))
    msg["To"] = thread.recipient
    msg["Subject"] = reply_subject(thread.subject)
    msg["Message-ID"] = message_id
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    if thread.last_message_id:
        msg["In-Reply-To"] = thread.last_message_id
    if thread.references:
        msg["References"] = " ".join(thread.references)
    if automatic:
        msg["Auto-Submitted"] = "auto-replied"
    plain = text.strip()
    if citations:
        plain += "\n\n" + "\n".join(
            f"[{c.n}] {c.title}: {links[c.n]}".rstrip(": ") for c in citations
        )
    msg.set_content(plain + "\n")
    msg.add_alternative(_html(text, citations, links), subtype="html")
    return msg


def _html(text: str, citations: Sequence[Citation], links: dict[int, str]) -> str:
    """The text escaped, paragraphs kept, `[n]` linked to its source (nothing unescaped)."""

    def link(match: re.Match[str]) -> str:
        url = links.get(int(match.group(1)))
        if not url:
            return match.group(0)
        return f'<a href="{html.escape(url, quote=True)}">[{match.group(1)}]</a>'

    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    body = "\n".join(
        "<p>" + _MARK.sub(link, html.escape(p)).replace("\n", "<br>\n") + "</p>" for p in paragraphs
    )
    if citations:
        items = "\n".join(
            f'<li value="{c.n}"><a href="{html.escape(links[c.n], quote=True)}">'
            f"{html.escape(c.title)}</a></li>"
            if links[c.n]
            else f'<li value="{c.n}">{html.escape(c.title)}</li>'
            for c in citations
        )
        body += f"\n<ol>\n{items}\n</ol>"
    return f"<!DOCTYPE html>\n<html><body>\n{body}\n</body></html>\n"
