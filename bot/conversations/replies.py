"""The reply pipeline every channel calls: runs the responder's reply in a task that outlives
the request, and shows its events live on the conversation's channel (issue 19)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from bot.conversation import Turn
from bot.conversations.events import (
    Handoff,
    HandoffMode,
    Token,
    TurnEvent,
    TurnEventType,
    tell_conversation,
)
from bot.errors import BotError
from bot.responder import ReplyEvent
from bot.wiring import Services
from escalation.errors import EscalationError

log = logging.getLogger(__name__)
_running: set[asyncio.Task[None]] = set()
OnAnswer = Callable[[Turn], None]
"""Called with each stored bot answer (the API counts them in its metrics)."""


def turn_announcer(services: Services) -> Callable[[TurnEventType, Turn], Awaitable[None]]:
    """Publishes a stored turn on its conversation's live channel as a `message` or `reply`
    event, as a chat's (the email channel's turns reach agents' consoles this way)."""

    async def announce(kind: TurnEventType, turn: Turn) -> None:
        await tell_conversation(services.broadcaster, turn.conversation_id, TurnEvent(kind, turn))

    return announce


Failure = BotError | EscalationError
Shown = Token | TurnEvent | Handoff
"""What a reply shows its customer, in order."""
Outcome = Shown | Failure | None


def start_reply(
    services: Services,
    on_answer: OnAnswer,
    conversation_id: str,
    text: str,
    client_id: str | None = None,
) -> asyncio.Queue[Outcome]:
    """Run the responder in a task that outlives the request; events go to a queue and to
    the conversation's live channel. The reply is stored even if the client disconnects."""
    replies = services.responder.reply(conversation_id, text, client_id=client_id)
    return relay(services, on_answer, conversation_id, replies)


def relay(
    services: Services,
    on_answer: OnAnswer,
    conversation_id: str,
    replies: AsyncIterator[ReplyEvent],
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
                        offline = bool(event.turn.meta.get("offline"))
                        locale = str(event.turn.meta.get("locale", ""))
                        mode: HandoffMode = "offline" if offline else "waiting"
                        await queue.put(Handoff(mode, event.text, locale=locale, turn=event.turn))
                        continue  # the escalator already told the live channel
                    if event.type == "notice":
                        await queue.put(TurnEvent("notice", event.turn))
                        continue  # the escalator already told the live channel
                    kind: TurnEventType = "message" if event.type == "customer_turn" else "reply"
                    shown = TurnEvent(kind, event.turn)
                    if event.type == "done":
                        on_answer(event.turn)
                await queue.put(shown)
                await tell_conversation(services.broadcaster, conversation_id, shown)
        except (BotError, EscalationError) as exc:
            await queue.put(exc)
        except Exception:  # never a silent hang: the client gets an error event
            log.exception("the reply in conversation %s failed", conversation_id)
            await queue.put(BotError("the reply failed on our side; please send it again"))
        finally:
            await queue.put(None)

    task = asyncio.create_task(run())
    _running.add(task)
    task.add_done_callback(_running.discard)
    return queue
