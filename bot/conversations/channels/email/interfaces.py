"""Protocols at the seams of the email channel: the mailbox, the sender and the store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from email.message import EmailMessage
from typing import Protocol

from bot.conversations.channels.email.types import (
    EmailRecord,
    Fetched,
    InboundEmail,
    StoredAttachment,
    Thread,
)
from bot.reporting.nps import NpsAnswer


class Mailbox(Protocol):
    """The support mailbox (IMAP). Synchronous: call it from a worker thread.

    Methods raise `MailError` when the server cannot be reached or refuses.
    """

    def unseen(self) -> list[Fetched]:
        """The messages not marked seen, oldest first; reading them does not mark them seen.
        A message over the size limit comes as its headers only."""
        ...

    def mark_seen(self, uid: str) -> None:
        """Mark the message seen (call only once it is stored)."""
        ...

    def wait(self, timeout_s: float) -> None:
        """Return when new mail may have arrived, after `timeout_s` at most (IMAP IDLE where
        the server has it, else a plain sleep)."""
        ...

    def close(self) -> None:
        """Log out and close the connection (it reopens on the next call)."""
        ...


class MailSender(Protocol):
    """Sends mail (SMTP). Synchronous; raises `MailError` when the message was not accepted."""

    def send(self, message: EmailMessage) -> None:
        """Hand `message` to the server for its To recipients."""
        ...


class EmailStore(Protocol):
    """Stored mail of the channel. Synchronous: call it from a worker thread.

    Raises `StorageError` when the database fails.
    """

    def add_inbound(self, mail: InboundEmail) -> EmailRecord:
        """Store a received message with its attachments (their content where `content` is
        set), in one transaction; the stored one, unchanged, if its Message-ID is already
        there."""
        ...

    def attachments(self, conversation_id: str) -> list[StoredAttachment]:
        """The attachments of the mail received in the conversation, in the order of the
        messages, then of the attachments in each; kept or not."""
        ...

    def attachment_content(
        self, conversation_id: str, attachment_id: int
    ) -> tuple[StoredAttachment, bytes]:
        """An attachment of mail received in the conversation, with its content (bytes as
        received: never open, execute or inline them). Raises `NotFound` when no such
        attachment is in that conversation, or when its content was not kept."""
        ...

    def record(self, message_id: str) -> EmailRecord:
        """The stored message with this Message-ID (it must exist)."""
        ...

    def claim(self, message_id: str, stale_before: dt.datetime) -> bool:
        """Take an unhandled message for processing: True unless it is handled, or another
        worker claimed it after `stale_before` (a claim older than that was left by a crash)."""
        ...

    def unclaim(self, message_id: str) -> None:
        """Give a claimed message back (processing failed: the next pass takes it again)."""
        ...

    def attach(self, message_id: str, conversation_id: str) -> None:
        """Record the conversation a message started (before it is answered)."""
        ...

    def finish(self, message_id: str, conversation_id: str | None, flags: Sequence[str]) -> None:
        """Mark the message handled (answered, or needing no answer) in that conversation."""
        ...

    def thread_conversation(self, message_ids: Sequence[str]) -> str | None:
        """The conversation of the first of `message_ids` that is stored with one."""
        ...

    def thread(self, conversation_id: str) -> Thread | None:
        """Where a reply in the conversation goes: its latest received message's sender and
        ids; None when nothing was received in it."""
        ...

    def add_outbound(
        self,
        message_id: str,
        thread: Thread,
        *,
        sender: str,
        conversation_id: str,
        turn_id: int,
        flags: Sequence[str],
        stale_before: dt.datetime,
    ) -> bool:
        """Record (claim) the email we are about to send for a turn; False if the turn has one
        sent, or claimed after `stale_before` by another worker."""
        ...

    def sent(self, message_id: str) -> None:
        """Mark an outbound message sent."""
        ...

    def release(self, message_id: str) -> None:
        """Forget an outbound message that could not be sent (it is tried again)."""
        ...

    def bot_replies_since(self, conversation_id: str, since: dt.datetime, besides: str) -> int:
        """Bot emails sent in the conversation at or after `since`, other than the reply to
        the message `besides` (the loop guard; a message seen again keeps its own reply)."""
        ...

    def unsent_agent_turns(self, stale_before: dt.datetime, limit: int) -> list[tuple[str, int]]:
        """(conversation id, turn id) of agent replies in email conversations (with recent
        mail) that have no email sent or claimed after `stale_before`, oldest first."""
        ...

    def unsurveyed(self, stale_before: dt.datetime, limit: int) -> list[str]:
        """Ids of closed email conversations (with recent mail) that have neither an
        `NPS_NOT_DUE` turn nor an `NPS_SURVEY` turn (`TurnKind`) whose email was sent or
        claimed after `stale_before`; at most `limit`, the longest closed first."""
        ...


class NpsSurveys(Protocol):
    """The NPS survey's answers (`SqlSurveyStore`). Synchronous: call it from a worker thread."""

    def nps_due(self, conversation_id: str, period: dt.timedelta) -> bool:
        """Whether the conversation's customer may be asked (no answer within `period`)."""
        ...

    def answer_nps(
        self, conversation_id: str, score: int, comment: str, period: dt.timedelta
    ) -> NpsAnswer:
        """Store the customer's answer; `Conflict` if they answered within `period`."""
        ...
