"""Thread headers of our replies: Message-ID, In-Reply-To, References, Subject (RFC 5322 §3.6.4)."""

from __future__ import annotations

import re
import uuid

MAX_REFERENCES = 20  # keep the first id and the latest ones, as mail clients do
_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|vs|antw|r)\s*:\s*", re.I)


def new_message_id(address: str) -> str:
    """A fresh, globally unique `<id>` in the domain of our `address`."""
    domain = address.rpartition("@")[2] or "supportbot.invalid"
    return f"<{uuid.uuid4().hex}@{domain}>"


def references(earlier: tuple[str, ...], parent: str) -> tuple[str, ...]:
    """The References of a reply to `parent` whose own References were `earlier`."""
    chain = tuple(dict.fromkeys((*earlier, parent)))
    if len(chain) <= MAX_REFERENCES:
        return chain
    return (chain[0], *chain[-(MAX_REFERENCES - 1) :])


def reply_subject(subject: str) -> str:
    """`Re: <subject>` without stacking prefixes."""
    bare = subject
    while _REPLY_PREFIX.match(bare):
        bare = _REPLY_PREFIX.sub("", bare, count=1)
    return f"Re: {bare.strip()}" if bare.strip() else "Re: your message"
