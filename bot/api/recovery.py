"""At start: answer the customer messages that a crash left without a reply (issue 15)."""

from __future__ import annotations

import datetime as dt
import logging

from bot.answering.responder import answer_key
from bot.api.metrics import Metrics
from bot.conversations.models import Role
from bot.errors import BotError
from bot.wiring import Services

log = logging.getLogger(__name__)
HANDLED = (Role.AGENT, Role.SYSTEM)  # a person took over after the message
MAX_RECOVERED = 1_000  # per start; older ones wait for the next start or the customer's resend


async def answer_unanswered(services: Services, metrics: Metrics) -> int:
    """Answer (or hand to a person) each recent customer message that a stop left without a
    reply; returns how many this worker answered.

    Several workers may start at once: each message is claimed by one of them, and a resend
    racing with the recovery stores one answer (the answer's key is the message's).
    """
    window = services.settings.answer.recovery_window_s
    if not window:
        return 0
    store = services.store
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=window)
    answered = 0
    try:
        for turn in await store.unanswered(since, MAX_RECOVERED):
            # One claim per answer: of several workers, one answers each message.
            if not await store.claim(turn.conversation_id):
                continue  # another worker is answering in this conversation
            later = await store.turns(turn.conversation_id, after_seq=turn.seq)
            if any(t.client_id == answer_key(turn) or t.role in HANDLED for t in later):
                continue  # answered, or handed to a person, since the listing
            queue = services.replies.resume(turn, on_answer=metrics.record_answer)
            while (outcome := await queue.get()) is not None:
                if isinstance(outcome, Exception):
                    log.warning("could not answer message %d after a restart: %s", turn.id, outcome)
                elif outcome.type in ("reply", "handoff"):
                    answered += 1
    except BotError as exc:
        log.error("answering the messages left without a reply stopped: %s", exc)
    if answered:
        log.warning("answered %d customer message(s) left without a reply by a stop", answered)
    return answered
