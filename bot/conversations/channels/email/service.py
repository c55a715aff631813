"""The email channel's service: inbound message → store → answer or escalate → reply by SMTP.

Conversations start and are answered through the same services as a chat
(`ConversationService`, and `ReplyService`: same retrieval, escalation queue, context and live
events for agents); this module only turns mail into their input and its stored turns back
into mail.
Every step is idempotent by Message-ID, so a crash anywhere re-processes a message without a
second reply (issue 20).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Sequence

import anyio

from bot.answering import messages
from bot.answering.responder import answer_key
from bot.conversations.channels.email.compose import compose_reply
from bot.conversations.channels.email.errors import MailError
from bot.conversations.channels.email.interfaces import EmailStore, Mailbox, MailSender, NpsSurveys
from bot.conversations.channels.email.parsing import parse_email
from bot.conversations.channels.email.threads import new_message_id, references
from bot.conversations.channels.email.types import InboundEmail, Thread
from bot.conversations.models import (
    AgentTurnMeta,
    Channel,
    Citation,
    Conversation,
    HandoffMeta,
    Mode,
    Role,
    Turn,
    TurnKind,
)
from bot.conversations.replies import ReplyService
from bot.conversations.service import ConversationService, NewConversation
from bot.conversations.store import ConversationStore
from bot.errors import BotError, Conflict
from bot.reporting.nps import MAX_COMMENT_CHARS
from bot.settings import MailConfig

log = logging.getLogger(__name__)

CLAIM_S = 300.0  # a claim older than this was left by a crash: another pass may take it
AGENT_REPLIES_S = 1.0  # how often agents' replies are looked for
LOOP_GUARD = "loop_guard"
EMAILED_NOTICES = (TurnKind.HANDOFF, TurnKind.HANDOFF_CANCELLED)  # system turns emailed
CLIENT_ID_CHARS = 128  # the turns' client_id column
SURVEY_KEY = "email-nps-survey"  # the client id of a conversation's one survey decision
# A reply to the survey: a score from 0 to 10 (also "9/10"), then any comment.
NPS_REPLY = re.compile(
    r"\s*(10|[0-9])(?![\d.,]\d)(?:\s*(?:/|out of)\s*10)?\b[\s:.,;!\-\u2013\u2014]*(.*)",
    re.DOTALL | re.IGNORECASE,
)


class MailService:
    """Reads the mailbox, answers through the reply pipeline, sends replies and agents'
    replies."""

    def __init__(
        self,
        *,
        config: MailConfig,
        company: str,
        max_message_chars: int,
        store: ConversationStore,
        emails: EmailStore,
        conversations: ConversationService,
        replies: ReplyService,
        mailbox: Mailbox,
        sender: MailSender,
        surveys: NpsSurveys,
        nps_period: dt.timedelta,
    ) -> None:
        self._config = config
        self._company = company
        self._max_chars = max_message_chars
        self._store = store
        self._emails = emails
        self._conversations = conversations
        self._replies = replies
        self._mailbox = mailbox
        self._sender = sender
        self._surveys = surveys
        self._nps_period = nps_period

    async def run(self) -> None:
        """Poll the mailbox and send agents' replies until cancelled; failures are logged and
        retried (the server keeps running while the mail server is away)."""
        async with anyio.create_task_group() as group:
            group.start_soon(self._agent_replies_loop)
            while True:
                try:
                    await self.poll_once()
                    await anyio.to_thread.run_sync(
                        self._mailbox.wait, self._config.poll_interval_s, abandon_on_cancel=True
                    )
                except BotError as exc:
                    log.warning("email channel: %s; trying again", exc)
                    await anyio.sleep(self._config.poll_interval_s)
                except Exception:  # never stop the channel: log it and try again
                    log.exception("email channel: polling failed; trying again")
                    await anyio.sleep(self._config.poll_interval_s)

    async def close(self) -> None:
        """Log out of the mailbox."""
        await anyio.to_thread.run_sync(self._mailbox.close)

    async def poll_once(self) -> int:
        """Process the unseen messages, marking each seen once it is handled; their number."""
        unseen = await anyio.to_thread.run_sync(self._mailbox.unseen)
        for fetched in unseen:
            try:
                done = await self.receive(fetched.raw, fetched.size)
            except Exception:  # this message waits for the next pass; the others go on
                log.exception("email channel: message %s not handled; tried again", fetched.uid)
                continue
            if done:
                await anyio.to_thread.run_sync(self._mailbox.mark_seen, fetched.uid)
        return len(unseen)

    async def receive(self, raw: bytes, size: int = 0) -> bool:
        """Store one message, then answer it, escalate it or only keep it (machines, loops);
        `size` is its size on the server when `raw` is only its headers.

        True once it needs nothing more (also for a duplicate); False while another worker
        holds it. A failure (the SMTP server away) leaves it to the next pass.
        """
        mail = parse_email(
            raw,
            size=size,
            own_address=self._config.address,
            max_attachment_bytes=self._config.max_attachment_bytes,
            max_attachments=self._config.max_attachments,
        )
        record = await anyio.to_thread.run_sync(self._emails.add_inbound, mail)
        if record.handled:
            return True  # delivered twice, or seen again after a crash before \Seen
        if not await anyio.to_thread.run_sync(self._emails.claim, mail.message_id, _stale()):
            return False
        try:
            await self._handle(mail, record.conversation_id)
        except BaseException:
            with anyio.CancelScope(shield=True):  # also when the server stops meanwhile
                await anyio.to_thread.run_sync(self._emails.unclaim, mail.message_id)
            raise
        return True

    async def send_agent_replies(self) -> int:
        """Send each agent reply in an email conversation that has no email yet; how many."""
        pending = await anyio.to_thread.run_sync(self._emails.unsent_agent_turns, _stale(), 50)
        sent = 0
        for conversation_id, turn_id in pending:
            thread = await anyio.to_thread.run_sync(self._emails.thread, conversation_id)
            if thread is None:
                continue
            turn = await self._store.turn(conversation_id, turn_id)
            agent = AgentTurnMeta.of(turn.meta).agent_name
            sent += await self._send(
                conversation_id, turn, thread, turn.text, automatic=False, agent=agent
            )
        return sent

    async def send_surveys(self) -> int:
        """Email the NPS question in each resolved email conversation not yet surveyed, when
        its customer is due (issue 21); how many were sent."""
        pending = await anyio.to_thread.run_sync(self._emails.unsurveyed, _stale(), 20)
        sent = 0
        for conversation_id in pending:
            thread = await anyio.to_thread.run_sync(self._emails.thread, conversation_id)
            if thread is None:
                continue
            due = await anyio.to_thread.run_sync(
                self._surveys.nps_due, conversation_id, self._nps_period
            )
            if not due:
                await self._store.append(
                    conversation_id,
                    Role.SYSTEM,
                    "NPS survey not emailed: the customer answered it within the last "
                    f"{self._nps_period.days} days.",
                    kind=TurnKind.NPS_NOT_DUE,
                    client_id=SURVEY_KEY,
                )
                continue
            locale = await self._locale(conversation_id)
            text = messages.text("email_nps_survey", locale, self._company)
            turn = await self._store.append(
                conversation_id, Role.SYSTEM, text, kind=TurnKind.NPS_SURVEY, client_id=SURVEY_KEY
            )
            if (
                turn.kind is TurnKind.NPS_SURVEY
            ):  # not a "not due" stored by another worker meanwhile
                sent += await self._send(conversation_id, turn, thread, turn.text)
        return sent

    async def _agent_replies_loop(self) -> None:
        while True:
            pause = AGENT_REPLIES_S
            try:
                await self.send_agent_replies()
                await self.send_surveys()
            except BotError as exc:
                log.warning("email channel: sending agents' replies: %s; trying again", exc)
                pause = self._config.poll_interval_s
            except Exception:  # never stop the channel: log it and try again
                log.exception("email channel: sending agents' replies failed; trying again")
                pause = self._config.poll_interval_s
            await anyio.sleep(pause)

    async def _handle(self, mail: InboundEmail, known: str | None) -> None:
        flags = [kind.value for kind in mail.machine]
        surveyed = None if mail.machine else await self._nps_answer(mail)
        if surveyed is not None:  # a score for the survey: stored and thanked, not answered
            await anyio.to_thread.run_sync(
                self._emails.finish, mail.message_id, surveyed, [TurnKind.NPS_ANSWER.value]
            )
            return
        conversation = await self._conversation(mail, known)
        if conversation is None or mail.machine:  # never answer machines (nor ourselves)
            conversation_id = conversation.id if conversation else None
            await anyio.to_thread.run_sync(
                self._emails.finish, mail.message_id, conversation_id, flags
            )
            return
        details = _details(mail)
        if details:
            await self._store.append(
                conversation.id,
                Role.SYSTEM,
                details,
                kind=TurnKind.EMAIL_DETAILS,
                client_id=_key(mail, "email-details"),
            )
        text = self._text(mail, conversation)
        hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        count = await anyio.to_thread.run_sync(
            self._emails.bot_replies_since, conversation.id, hour_ago, mail.message_id
        )
        if count >= self._config.max_replies_per_hour:
            await self._hold(conversation, mail, text, count)
            flags.append(LOOP_GUARD)
        else:
            await self._answer(conversation, mail, text)
        await anyio.to_thread.run_sync(self._emails.finish, mail.message_id, conversation.id, flags)

    async def _nps_answer(self, mail: InboundEmail) -> str | None:
        """Store a reply to the NPS survey that starts with a score, and thank the customer;
        the survey's conversation, or None when the message is no such reply."""
        found = NPS_REPLY.match(mail.text)
        if found is None or not mail.thread_ids:
            return None
        conversation_id = await anyio.to_thread.run_sync(
            self._emails.thread_conversation, mail.thread_ids
        )
        if conversation_id is None:
            return None
        conversation = await self._store.get(conversation_id)
        turns = await self._store.turns(conversation_id)
        if conversation.mode is not Mode.CLOSED or not any(
            t.kind is TurnKind.NPS_SURVEY for t in turns
        ):
            return None
        score, comment = int(found[1]), found[2].strip()[:MAX_COMMENT_CHARS]
        try:
            await anyio.to_thread.run_sync(
                self._surveys.answer_nps, conversation_id, score, comment, self._nps_period
            )
        except Conflict:  # answered already (in the widget, or by this message before a crash)
            log.info("email channel: NPS answer %s not stored: answered already", mail.message_id)
        note = f"NPS answer by email: {score}" + (f" — {comment}" if comment else "")
        turn = await self._store.append(
            conversation_id,
            Role.SYSTEM,
            note,
            kind=TurnKind.NPS_ANSWER,
            client_id=_key(mail, "nps"),
        )
        locale = messages.notices_locale(conversation, turns)
        thanks = messages.text("email_nps_thanks", locale, self._company)
        await self._send(conversation_id, turn, _thread_of(mail), thanks)
        return conversation_id

    async def _locale(self, conversation_id: str) -> str:
        """The language of the conversation's notices (its customer's latest message's)."""
        conversation = await self._store.get(conversation_id)
        return messages.notices_locale(conversation, await self._store.turns(conversation_id))

    async def _answer(self, conversation: Conversation, mail: InboundEmail, text: str) -> None:
        """The reply pipeline's answer (or handoff notice) to the message, sent in its thread;
        the loop guard, not the chat's rate limit, bounds how often it answers.

        What is sent is read back from the turns stored for the message, not from this run's
        events: a pass after a failure (SMTP away, a crash) sends what an earlier one stored.
        """
        answered = await self._replies.answer(
            conversation.id, text, client_id=_key(mail), rate_limited=False
        )
        customer = answered.message
        turns = await self._store.turns(conversation.id)
        parts: list[Turn] = []
        for turn in (t for t in turns if t.seq > customer.seq):
            if turn.role is Role.CUSTOMER:
                break  # what follows answers a later message
            if (turn.role is Role.BOT and turn.client_id == answer_key(customer)) or (
                turn.role is Role.SYSTEM and turn.kind in EMAILED_NOTICES
            ):
                parts.append(turn)
        if not parts:
            return  # a person answers (an agent holds the conversation, or it waits for one)
        answer = next((t for t in parts if t.role is Role.BOT), None)
        body = "\n\n".join(t.text for t in parts)
        handoff = next((t for t in parts if t.kind is TurnKind.HANDOFF), None)
        if handoff is not None:  # say honestly how the answer will come
            locale = HandoffMeta.of(handoff.meta).locale or conversation.locale or "en"
            body += "\n\n" + messages.text("email_follow_up", locale, self._company)
        if not any(t.role is Role.CUSTOMER and t.seq < customer.seq for t in turns):
            body += await self._earlier(conversation, messages.notices_locale(conversation, turns))
        citations = answer.citations if answer is not None else ()
        await self._send(conversation.id, parts[-1], _thread_of(mail), body, citations)

    async def _earlier(self, conversation: Conversation, locale: str) -> str:
        """A closing line naming the channel and day of the customer's latest earlier
        conversation (issue 20), or "". Never its content: a sender address is not verified."""
        past = await self._store.customer_conversations(conversation.customer_id, 3)
        earlier = next(
            (
                p.conversation
                for p in past
                if p.conversation.id != conversation.id
                and p.conversation.created_at <= conversation.created_at
            ),
            None,
        )
        if earlier is None:
            return ""
        return "\n\n" + messages.text(
            "email_earlier_conversation",
            locale,
            self._company,
            channel=messages.channel_name(earlier.channel.value, locale),
            date=messages.short_date(earlier.created_at.date(), locale),
        )

    async def _hold(
        self, conversation: Conversation, mail: InboundEmail, text: str, n: int
    ) -> None:
        """Keep a message the loop guard stops: stored for agents, not answered."""
        turn = await self._store.append(conversation.id, Role.CUSTOMER, text, client_id=_key(mail))
        await self._replies.announce("message", turn)
        await self._store.append(
            conversation.id,
            Role.SYSTEM,
            f"Not answered by email: the bot already sent {n} replies in this thread within "
            "the hour (loop guard). A person may answer it.",
            kind=TurnKind.EMAIL_UNANSWERED,
            client_id=_key(mail, "email-unanswered"),
        )

    async def _send(
        self,
        conversation_id: str,
        turn: Turn,
        thread: Thread,
        text: str,
        citations: Sequence[Citation] = (),
        *,
        automatic: bool = True,
        agent: str = "",
    ) -> int:
        """Send `text` for `turn` once (1), or nothing if the turn already has its email (0)."""
        message_id = new_message_id(self._config.address)
        claimed = await anyio.to_thread.run_sync(
            lambda: self._emails.add_outbound(
                message_id,
                thread,
                sender=self._config.address,
                conversation_id=conversation_id,
                turn_id=turn.id,
                flags=[turn.role.value],
                stale_before=_stale(),
            )
        )
        if not claimed:
            return 0
        name = self._config.display_name or self._company
        message = compose_reply(
            sender=self._config.address,
            sender_name=f"{agent} ({name})" if agent else name,
            thread=thread,
            message_id=message_id,
            text=text,
            citations=citations,
            public_url=self._config.public_url,
            automatic=automatic,
        )
        try:
            await anyio.to_thread.run_sync(self._sender.send, message)
        except MailError:
            await anyio.to_thread.run_sync(self._emails.release, message_id)
            raise
        await anyio.to_thread.run_sync(self._emails.sent, message_id)
        return 1

    async def _conversation(self, mail: InboundEmail, known: str | None) -> Conversation | None:
        """The open conversation of the message's thread, else a new one (none for machines:
        they only join an existing thread)."""
        found = known or await anyio.to_thread.run_sync(
            self._emails.thread_conversation, mail.thread_ids
        )
        if found is not None:
            conversation = await self._store.get(found)
            if conversation.mode is not Mode.CLOSED or found == known:
                return conversation
        if mail.machine or not mail.sender:
            return None
        # One history: the address is the customer record of their widget chats too, so a
        # ticket's timeline lists them all (`ConversationStore.customer_conversations`).
        started = await self._conversations.start(
            NewConversation(
                channel=Channel.EMAIL,
                name=mail.sender_name,
                email=mail.sender,
                metadata={"email_subject": mail.subject},
            )
        )
        await anyio.to_thread.run_sync(self._emails.attach, mail.message_id, started.id)
        return await self._store.get(started.id)

    def _text(self, mail: InboundEmail, conversation: Conversation) -> str:
        """What the customer asks: the new text (the subject too when it starts the thread),
        within the message limit."""
        text = mail.text or mail.full_text
        if mail.subject and not mail.thread_ids and mail.subject not in text:
            text = f"{mail.subject}\n\n{text}"
        text = text.strip() or mail.subject or "(an email without text)"
        return text[: self._max_chars]


def _thread_of(mail: InboundEmail) -> Thread:
    """The thread of a reply to `mail`."""
    return Thread(
        recipient=mail.sender,
        subject=mail.subject,
        last_message_id=mail.message_id,
        references=references(mail.references, mail.message_id),
    )


def _details(mail: InboundEmail) -> str:
    """A note for agents on what the message carried besides text, or on its defects."""
    lines = [
        f"Attachment: {a.filename} ({a.content_type}, {a.size:,} bytes)"
        + (" — over the size limit, its content not kept" if a.over_limit else "")
        for a in mail.attachments
    ]
    lines += [f"Note: {note}" for note in mail.notes]
    return "\n".join(lines)


def _key(mail: InboundEmail, kind: str = "email") -> str:
    """The client id of a turn stored for `mail`: one turn of each kind per Message-ID (a
    digest of a Message-ID too long for the column)."""
    key = f"{kind}:{mail.message_id}"
    if len(key) <= CLIENT_ID_CHARS:
        return key
    return f"{kind}:{hashlib.sha256(mail.message_id.encode()).hexdigest()}"


def _stale() -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(seconds=CLAIM_S)
