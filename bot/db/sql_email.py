"""The `email_messages` table: mail of the email channel (SQLite or PostgreSQL).

Synchronous: call it from a worker thread. The unique Message-ID makes a message delivered
twice one row; claims let one worker of several process it (issue 20). Attachments are rows
of `email_attachments`, stored with their message (their content only within the size limit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, RowMapping

from bot.conversations.channels.email.types import (
    EmailRecord,
    InboundEmail,
    StoredAttachment,
    Thread,
)
from bot.conversations.models import Channel, Mode, Role, TurnKind
from bot.db.engine import ConstraintViolation, transaction
from bot.db.schema import conversations, email_attachments, email_messages, turns
from bot.errors import NotFound

_NOTE_CHARS = 4000
RECENT_DAYS = 30  # agents' replies are looked for in threads with mail this recent


class SqlEmailStore:
    """Stored mail, one row per Message-ID."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add_inbound(self, mail: InboundEmail) -> EmailRecord:
        """Store a received message; the stored one if its Message-ID is already there."""
        values = {
            "message_id": mail.message_id,
            "direction": "in",
            "sender": mail.sender[:320],
            "recipient": "",
            "subject": mail.subject,
            "in_reply_to": mail.in_reply_to,
            "reference_ids": list(mail.references),
            "flags": [kind.value for kind in mail.machine],
            "attachments": [a.as_dict() for a in mail.attachments],
            "note": "; ".join(mail.notes)[:_NOTE_CHARS],
            "size": mail.size,
            "created_at": _now(),
        }
        try:
            with transaction(self._engine) as conn:
                email_id = conn.execute(
                    email_messages.insert().values(**values).returning(email_messages.c.id)
                ).scalar_one()
                if mail.attachments:
                    conn.execute(
                        email_attachments.insert(),
                        [
                            {
                                "email_id": email_id,
                                "position": n,
                                "filename": a.filename,
                                "content_type": a.content_type[:255],
                                "size": a.size,
                                "content": a.content,
                            }
                            for n, a in enumerate(mail.attachments)
                        ],
                    )
        except ConstraintViolation:  # delivered twice (or by two workers at once): one row
            pass
        return self.record(mail.message_id)

    def attachments(self, conversation_id: str) -> list[StoredAttachment]:
        """The attachments of the mail received in the conversation, oldest message first."""
        statement = (
            _attachment_select()
            .where(email_messages.c.conversation_id == conversation_id)
            .order_by(email_messages.c.id, email_attachments.c.position)
        )
        with transaction(self._engine) as conn:
            return [_stored_attachment(row) for row in conn.execute(statement).mappings()]

    def attachment_content(
        self, conversation_id: str, attachment_id: int
    ) -> tuple[StoredAttachment, bytes]:
        """An attachment of the conversation's mail and its kept content."""
        statement = _attachment_select(email_attachments.c.content).where(
            email_attachments.c.id == attachment_id,
            email_messages.c.conversation_id == conversation_id,
        )
        with transaction(self._engine) as conn:
            row = conn.execute(statement).mappings().first()
        if row is None:
            raise NotFound(
                f"no attachment {attachment_id} in this ticket's conversation: the ticket "
                "detail lists its attachments"
            )
        found = _stored_attachment(row)
        if row["content"] is None:
            raise NotFound(
                f"attachment {found.filename!r} was over the size limit, so its content was "
                "not kept: the original message stays on the mail server"
            )
        return found, bytes(row["content"])

    def claim(self, message_id: str, stale_before: dt.datetime) -> bool:
        """Take an unhandled message unless another worker claimed it after `stale_before`."""
        free = email_messages.c.claimed_at.is_(None) | (email_messages.c.claimed_at < stale_before)
        with transaction(self._engine) as conn:
            done = conn.execute(
                email_messages.update()
                .where(
                    email_messages.c.message_id == message_id,
                    email_messages.c.handled_at.is_(None),
                    free,
                )
                .values(claimed_at=_now())
            )
        return bool(done.rowcount)

    def unclaim(self, message_id: str) -> None:
        """Give a claimed message back to the next pass."""
        with transaction(self._engine) as conn:
            conn.execute(
                email_messages.update()
                .where(email_messages.c.message_id == message_id)
                .values(claimed_at=None)
            )

    def attach(self, message_id: str, conversation_id: str) -> None:
        """Record the conversation a message started."""
        with transaction(self._engine) as conn:
            conn.execute(
                email_messages.update()
                .where(email_messages.c.message_id == message_id)
                .values(conversation_id=conversation_id)
            )

    def finish(self, message_id: str, conversation_id: str | None, flags: Sequence[str]) -> None:
        """Mark the message handled in that conversation, with `flags` (why it got no answer)."""
        with transaction(self._engine) as conn:
            conn.execute(
                email_messages.update()
                .where(email_messages.c.message_id == message_id)
                .values(conversation_id=conversation_id, flags=list(flags), handled_at=_now())
            )

    def thread_conversation(self, message_ids: Sequence[str]) -> str | None:
        """The conversation of the first of `message_ids` stored with one."""
        if not message_ids:
            return None
        with transaction(self._engine) as conn:
            rows = conn.execute(
                sa.select(email_messages.c.message_id, email_messages.c.conversation_id).where(
                    email_messages.c.message_id.in_(list(message_ids)),
                    email_messages.c.conversation_id.is_not(None),
                )
            ).all()
        found = {row.message_id: row.conversation_id for row in rows}
        return next((found[i] for i in message_ids if i in found), None)

    def thread(self, conversation_id: str) -> Thread | None:
        """The latest received message of the conversation, as the thread to reply in."""
        with transaction(self._engine) as conn:
            row = (
                conn.execute(
                    sa.select(email_messages)
                    .where(
                        email_messages.c.conversation_id == conversation_id,
                        email_messages.c.direction == "in",
                        email_messages.c.sender != "",
                    )
                    .order_by(email_messages.c.id.desc())
                    .limit(1)
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        return Thread(
            recipient=row["sender"],
            subject=row["subject"],
            last_message_id=row["message_id"],
            references=(*row["reference_ids"], row["message_id"]),
        )

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
        """Claim the email for a turn; False if it has one sent or freshly claimed."""
        stale = (
            (email_messages.c.turn_id == turn_id)
            & email_messages.c.handled_at.is_(None)
            & (email_messages.c.claimed_at < stale_before)
        )
        values: dict[str, Any] = {
            "message_id": message_id,
            "conversation_id": conversation_id,
            "turn_id": turn_id,
            "direction": "out",
            "sender": sender[:320],
            "recipient": thread.recipient[:320],
            "subject": thread.subject,
            "in_reply_to": thread.last_message_id,
            "reference_ids": list(thread.references),
            "flags": list(flags),
            "attachments": [],
            "claimed_at": _now(),
            "created_at": _now(),
        }
        try:
            with transaction(self._engine) as conn:
                conn.execute(email_messages.delete().where(stale))
                conn.execute(email_messages.insert().values(**values))
        except ConstraintViolation:
            return False
        return True

    def sent(self, message_id: str) -> None:
        """Mark an outbound message sent."""
        with transaction(self._engine) as conn:
            conn.execute(
                email_messages.update()
                .where(email_messages.c.message_id == message_id)
                .values(handled_at=_now())
            )

    def release(self, message_id: str) -> None:
        """Forget an outbound message that was not sent (it is tried again)."""
        with transaction(self._engine) as conn:
            conn.execute(
                email_messages.delete().where(
                    email_messages.c.message_id == message_id,
                    email_messages.c.direction == "out",
                    email_messages.c.handled_at.is_(None),
                )
            )

    def bot_replies_since(self, conversation_id: str, since: dt.datetime, besides: str) -> int:
        """Emails sent for the bot's (and the system's) turns in the conversation since then,
        other than the reply to the message `besides`."""
        with transaction(self._engine) as conn:
            count = conn.execute(
                sa.select(sa.func.count())
                .select_from(email_messages.join(turns, turns.c.id == email_messages.c.turn_id))
                .where(
                    email_messages.c.conversation_id == conversation_id,
                    email_messages.c.direction == "out",
                    email_messages.c.created_at >= since,
                    email_messages.c.in_reply_to != besides,
                    turns.c.role != Role.AGENT.value,
                )
            ).scalar_one()
        return int(count)

    def unsent_agent_turns(self, stale_before: dt.datetime, limit: int) -> list[tuple[str, int]]:
        """Agent replies in email conversations with no email sent or freshly claimed (in
        conversations with mail in the last `RECENT_DAYS`: this runs every second)."""
        statement = (
            sa.select(turns.c.conversation_id, turns.c.id)
            .where(
                turns.c.conversation_id.in_(_recent()),
                turns.c.role == Role.AGENT.value,
                turns.c.kind != TurnKind.HANDBACK_NOTE.value,
                turns.c.id.not_in(_taken(stale_before)),
            )
            .order_by(turns.c.id)
            .limit(limit)
        )
        with transaction(self._engine) as conn:
            return [(row.conversation_id, row.id) for row in conn.execute(statement)]

    def unsurveyed(self, stale_before: dt.datetime, limit: int) -> list[str]:
        """Closed email conversations (with mail in the last `RECENT_DAYS`) whose NPS survey
        is neither decided against nor emailed (sent, or claimed after `stale_before`), the
        longest closed first."""
        surveyed = sa.select(turns.c.conversation_id).where(
            (turns.c.kind == TurnKind.NPS_NOT_DUE.value)
            | ((turns.c.kind == TurnKind.NPS_SURVEY.value) & turns.c.id.in_(_taken(stale_before)))
        )
        statement = (
            sa.select(conversations.c.id)
            .where(
                conversations.c.id.in_(_recent()),
                conversations.c.channel == Channel.EMAIL.value,
                conversations.c.mode == Mode.CLOSED.value,
                conversations.c.id.not_in(surveyed),
            )
            .order_by(conversations.c.updated_at)
            .limit(limit)
        )
        with transaction(self._engine) as conn:
            return [row.id for row in conn.execute(statement)]

    def record(self, message_id: str) -> EmailRecord:
        """The stored message with this Message-ID."""
        with transaction(self._engine) as conn:
            row = (
                conn.execute(
                    sa.select(email_messages).where(email_messages.c.message_id == message_id)
                )
                .mappings()
                .one()
            )
        return _email_record(row)


def _email_record(row: RowMapping) -> EmailRecord:
    return EmailRecord(
        message_id=row["message_id"],
        direction=row["direction"],
        conversation_id=row["conversation_id"],
        sender=row["sender"],
        subject=row["subject"],
        in_reply_to=row["in_reply_to"],
        references=tuple(row["reference_ids"]),
        flags=tuple(row["flags"]),
        handled=row["handled_at"] is not None,
        created_at=row["created_at"],
        turn_id=row["turn_id"],
        note=row["note"],
        attachments=tuple(row["attachments"]),
    )


def _attachment_select(*extra: sa.ColumnElement[Any]) -> sa.Select[Any]:
    """Attachments with their message's id and whether their content is kept."""
    return sa.select(
        email_attachments.c.id,
        email_attachments.c.position,
        email_attachments.c.filename,
        email_attachments.c.content_type,
        email_attachments.c.size,
        email_attachments.c.content.is_not(None).label("kept"),
        email_messages.c.message_id,
        *extra,
    ).select_from(
        email_attachments.join(email_messages, email_messages.c.id == email_attachments.c.email_id)
    )


def _stored_attachment(row: RowMapping) -> StoredAttachment:
    return StoredAttachment(
        id=row["id"],
        message_id=row["message_id"],
        position=row["position"],
        filename=row["filename"],
        content_type=row["content_type"],
        size=row["size"],
        kept=bool(row["kept"]),
    )


def _taken(stale_before: dt.datetime) -> sa.Select[tuple[int | None]]:
    """Turns with an email sent, or claimed by a worker after `stale_before`."""
    return sa.select(email_messages.c.turn_id).where(
        email_messages.c.turn_id.is_not(None),
        email_messages.c.handled_at.is_not(None) | (email_messages.c.claimed_at >= stale_before),
    )


def _recent() -> sa.Select[tuple[str | None]]:
    """Conversations with mail in the last `RECENT_DAYS` (polled every second: keep it small)."""
    return sa.select(email_messages.c.conversation_id).where(
        email_messages.c.created_at >= _now() - dt.timedelta(days=RECENT_DAYS),
        email_messages.c.conversation_id.is_not(None),
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
