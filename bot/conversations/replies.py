"""The reply pipeline every channel calls: runs the responder's reply in a task that outlives
the request, and shows its events live on the conversation's channel (issue 19)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from bot.conversation import Turn
from bot.conversations.events import TurnOut
from bot.errors import BotError
from bot.realtime import Event, publish_or_log
from bot.responder import ReplyEvent
from bot.wiring import Services
from escalation.errors import EscalationError

log = logging.getLogger(__name__)
_running: set[asyncio.Task[None]] = set()
OnAnswer = Callable[[Turn], None]
"""Called with each stored bot answer (the API counts them in its metrics)."""


def channel_of(conversation_id: str) -> str:
    """The live-event channel of a conversation."""
    return f"conversation:{conversation_id}"


def turn_announcer(services: Services) -> Callable[[str, Turn], Awaitable[None]]:
    """Publishes a stored turn on its conversation's live channel as a `message` or `reply`
    event, as a chat's (the email channel's turns reach agents' consoles this way)."""

    async def announce(kind: str, turn: Turn) -> None:
        event = {"type": kind, "turn": TurnOut.of(turn).model_dump(mode="json")}
        await publish_or_log(services.broadcaster, channel_of(turn.conversation_id), event)

    return announce


Failure = BotError | EscalationError
Outcome = Event | Failure | None


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
    channel = channel_of(conversation_id)

    async def run() -> None:
        try:
            async for event in replies:
                if event.type == "token":
                    payload: Event = {"type": "token", "text": event.text}
                elif event.type == "handoff":
                    assert event.turn is not None
                    mode = "offline" if event.turn.meta.get("offline") else "waiting"
                    await queue.put(
                        {
                            "type": "handoff",
                            "mode": mode,
                            "wait_message": event.text,
                            "locale": event.turn.meta.get("locale", ""),
                            "turn": TurnOut.of(event.turn).model_dump(mode="json"),
                        }
                    )
                    continue  # the escalator already told the live channel
                elif event.type == "notice":
                    assert event.turn is not None
                    turn = TurnOut.of(event.turn).model_dump(mode="json")
                    await queue.put({"type": "notice", "turn": turn})
                    continue  # the escalator already told the live channel
                else:
                    assert event.turn is not None
                    kind = "message" if event.type == "customer_turn" else "reply"
                    payload = {"type": kind, "turn": TurnOut.of(event.turn).model_dump(mode="json")}
                    if event.type == "done":
                        on_answer(event.turn)
                await queue.put(payload)
                await publish_or_log(services.broadcaster, channel, payload)
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
