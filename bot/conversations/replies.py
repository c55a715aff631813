"""The reply pipeline every channel calls: runs the responder's reply in a task that outlives
the request, and shows its events live on the conversation's channel (issue 19)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from bot.answering.responder import ReplyEvent, Responder, answer_key
from bot.conversations.events import (
    Handoff,
    Token,
    TurnEvent,
    TurnEventType,
    handoff_mode,
    tell_conversation,
)
from bot.conversations.models import AnswerMeta, HandoffMeta, Mode, Role, Turn
from bot.conversations.store import ConversationStore
from bot.errors import BotError
from bot.runtime.ratelimit import RateLimiter
from bot.runtime.realtime import Broadcaster
from escalation.errors import EscalationError

log = logging.getLogger(__name__)
HANDLED = (Role.AGENT, Role.SYSTEM)  # a person took over after the message
MAX_RECOVERED = 1_000  # per start; older ones wait for the next start or the customer's resend

OnAnswer = Callable[[Turn], None]
"""Called with each stored bot answer (the API counts them in its metrics); must not raise."""
Failure = BotError | EscalationError
Shown = Token | TurnEvent | Handoff
"""What a reply shows its customer, in order."""
Outcome = Shown | Failure | None
"""A queue item: what the reply showed, the failure that ended it, or None at its end."""


async def outcomes(queue: asyncio.Queue[Outcome]) -> AsyncIterator[Shown | Failure]:
    """The items of a reply's queue, in order, until its end."""
    while (outcome := await queue.get()) is not None:
        yield outcome


@dataclass(frozen=True, slots=True)
class Answered:
    """A finished reply: the stored customer message, the bot's reply or the notice that
    replaced it (None while a person answers), who answers the conversation now, and the
    handoff notice when the message handed the chat to a person (the wait, or that nobody is
    free and an email address is welcome)."""

    message: Turn
    reply: Turn | None
    mode: Mode
    handoff: Turn | None = None


def _left_to_finish(turn: Turn, later: list[Turn]) -> bool:
    """`turn` has no answer among the `later` turns, or its answer is the last turn and a
    person was due after it (`AnswerMeta.hands_over`): a chat that went on is left as it is."""
    answer = next((t for t in later if t.client_id == answer_key(turn)), None)
    if answer is None:
        return True
    return AnswerMeta.of(answer.meta).hands_over and answer.seq == later[-1].seq


class ReplyService:
    """Answers customer messages through the responder and shows the reply live."""

    def __init__(
        self,
        responder: Responder,
        store: ConversationStore,
        broadcaster: Broadcaster,
        limiter: RateLimiter,
        recovery_window_s: int = 0,
    ) -> None:
        self._responder = responder
        self._store = store
        self._broadcaster = broadcaster
        self._limiter = limiter
        self._recovery_window_s = recovery_window_s
        self._running: set[asyncio.Task[None]] = set()  # referenced until done

    async def start(
        self,
        conversation_id: str,
        text: str,
        *,
        client_id: str | None = None,
        on_answer: OnAnswer | None = None,
        rate_limited: bool = True,
    ) -> asyncio.Queue[Outcome]:
        """Check the message and count it against the conversation's rate limit (raising
        `InvalidInput` or `RateLimited`), then reply in a task that outlives the request: its
        events go to the returned queue and to the conversation's live channel, and the reply
        is stored even if the client disconnects. A channel with limits of its own (email's
        loop guard) passes `rate_limited=False`."""
        self._responder.validate(text)
        if rate_limited:
            await self._limiter.hit(conversation_id, "messages in this conversation")
        replies = self._responder.reply(conversation_id, text, client_id=client_id)
        return self._relay(conversation_id, replies, on_answer)

    async def answer(
        self,
        conversation_id: str,
        text: str,
        *,
        client_id: str | None = None,
        on_answer: OnAnswer | None = None,
        rate_limited: bool = True,
    ) -> Answered:
        """`start`, then wait for the reply's end (raising the failure that ended it), for
        channels that send the answer whole."""
        queue = await self.start(
            conversation_id,
            text,
            client_id=client_id,
            on_answer=on_answer,
            rate_limited=rate_limited,
        )
        message: Turn | None = None
        reply: Turn | None = None
        handoff: Turn | None = None
        async for outcome in outcomes(queue):
            if isinstance(outcome, Exception):
                raise outcome
            if isinstance(outcome, TurnEvent) and outcome.type == "message":
                message = outcome.turn
            elif isinstance(outcome, TurnEvent):  # the reply, or a notice instead
                reply = outcome.turn
            elif isinstance(outcome, Handoff):
                handoff = outcome.turn
        assert message is not None  # the responder stores the message first
        current = await self._store.get(conversation_id)
        return Answered(message, reply, current.mode, handoff)

    def resume(self, turn: Turn, *, on_answer: OnAnswer | None = None) -> asyncio.Queue[Outcome]:
        """Answer a stored customer turn left without a reply (by a crash), as `start` does."""
        return self._relay(turn.conversation_id, self._responder.resume(turn), on_answer)

    async def answer_unanswered(self, *, on_answer: OnAnswer | None = None) -> int:
        """At start: answer (or hand to a person) each customer message of the last
        `recovery_window_s` that a stop left without a reply, or whose answer a stop left
        without the handoff due after it (issue 15); how many this worker answered or handed
        over (none with a window of 0).

        Several workers may start at once: each message is claimed by one of them, and a resend
        racing with the recovery stores one answer (the answer's key is the message's).
        """
        if not self._recovery_window_s:
            return 0
        store = self._store
        since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=self._recovery_window_s)
        answered = 0
        try:
            for turn in await store.unanswered(since, MAX_RECOVERED):
                # One claim per answer: of several workers, one answers each message.
                if not await store.claim(turn.conversation_id):
                    continue  # another worker is answering in this conversation
                later = await store.turns(turn.conversation_id, after_seq=turn.seq)
                if any(t.role in HANDLED for t in later) or not _left_to_finish(turn, later):
                    continue  # answered, or handed to a person, since the listing
                done = False
                async for outcome in outcomes(self.resume(turn, on_answer=on_answer)):
                    if isinstance(outcome, Exception):
                        log.warning(
                            "could not answer message %d after a restart: %s", turn.id, outcome
                        )
                    elif outcome.type in ("reply", "handoff"):
                        done = True
                answered += done
        except BotError as exc:
            log.error("answering the messages left without a reply stopped: %s", exc)
        if answered:
            log.warning("answered %d customer message(s) left without a reply by a stop", answered)
        return answered

    async def announce(self, kind: TurnEventType, turn: Turn) -> None:
        """Show a stored turn on its conversation's live channel as a `message` or `reply`
        event, as a chat's (the email channel's turns reach agents' consoles this way)."""
        await tell_conversation(self._broadcaster, turn.conversation_id, TurnEvent(kind, turn))

    def _relay(
        self,
        conversation_id: str,
        replies: AsyncIterator[ReplyEvent],
        on_answer: OnAnswer | None,
    ) -> asyncio.Queue[Outcome]:
        """Run `replies` in a task that outlives the request; events go to a queue and to the
        conversation's live channel."""
        queue: asyncio.Queue[Outcome] = asyncio.Queue()

        async def run() -> None:
            try:
                async for event in replies:
                    shown: Shown
                    if event.type == "token":
                        shown = Token(event.text)
                    else:
                        assert event.turn is not None
                        if event.type == "handoff":
                            meta = HandoffMeta.of(event.turn.meta)
                            mode = handoff_mode(meta.offline)
                            await queue.put(
                                Handoff(mode, event.text, locale=meta.locale, turn=event.turn)
                            )
                            continue  # the escalator already told the live channel
                        if event.type == "notice":
                            await queue.put(TurnEvent("notice", event.turn))
                            continue  # the escalator already told the live channel
                        kind: TurnEventType = (
                            "message" if event.type == "customer_turn" else "reply"
                        )
                        shown = TurnEvent(kind, event.turn)
                        if event.type == "done" and on_answer is not None:
                            on_answer(event.turn)
                    await queue.put(shown)
                    await tell_conversation(self._broadcaster, conversation_id, shown)
            except (BotError, EscalationError) as exc:
                await queue.put(exc)
            except Exception:  # never a silent hang: the client gets an error event
                log.exception("the reply in conversation %s failed", conversation_id)
                await queue.put(BotError("the reply failed on our side; please send it again"))
            finally:
                await queue.put(None)

        task = asyncio.create_task(run())
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return queue
