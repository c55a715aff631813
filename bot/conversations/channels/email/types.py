"""Email channel data types (no I/O)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class MachineKind(StrEnum):
    """Why a message must not be answered: it was sent by a machine, or by us."""

    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    MAILING_LIST = "mailing_list"
    OWN = "own"


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attachment of a received message: `content` is its bytes when within the size
    limit (kept for agents to download, never opened, executed or inlined), else None."""

    filename: str
    content_type: str
    size: int
    over_limit: bool = False
    content: bytes | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for the store."""
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "over_limit": self.over_limit,
        }


@dataclass(frozen=True, slots=True)
class StoredAttachment:
    """An attachment as stored with its message: `kept` when its content can be downloaded.
    `filename` and `content_type` are what the sender declared (not verified)."""

    id: int
    message_id: str
    position: int
    filename: str
    content_type: str
    size: int
    kept: bool


@dataclass(frozen=True, slots=True)
class Fetched:
    """A message read from the mailbox: `raw` is its headers only when `size` (its size on the
    server) is over the limit."""

    uid: str
    raw: bytes
    size: int


@dataclass(frozen=True, slots=True)
class InboundEmail:
    """One received message, decoded as far as it could be.

    `text` is the new part only (quoted history and signature stripped), ready for retrieval;
    `full_text` is the whole decoded body. `notes` say what was wrong with the input.
    """

    message_id: str
    sender: str
    sender_name: str
    subject: str
    text: str
    full_text: str
    html: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    machine: tuple[MachineKind, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    notes: tuple[str, ...] = ()
    size: int = 0

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Message ids this one answers, nearest first (In-Reply-To, then References)."""
        ids = [self.in_reply_to, *reversed(self.references)]
        return tuple(dict.fromkeys(i for i in ids if i))


@dataclass(frozen=True, slots=True)
class EmailRecord:
    """A stored message of the channel, inbound or outbound."""

    message_id: str
    direction: str  # "in" or "out"
    conversation_id: str | None
    sender: str
    subject: str
    in_reply_to: str
    references: tuple[str, ...]
    flags: tuple[str, ...]
    handled: bool
    created_at: dt.datetime
    turn_id: int | None = None
    note: str = ""
    attachments: tuple[dict[str, object], ...] = ()


@dataclass(frozen=True, slots=True)
class Thread:
    """What a reply in a conversation's thread needs: whom to write, which ids to cite."""

    recipient: str
    subject: str
    last_message_id: str
    references: tuple[str, ...]
