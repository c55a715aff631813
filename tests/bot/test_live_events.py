"""Issue 19: every live event's JSON, field by field and in order, as the widget
(web_widget/) and the staff pages (bot/web/static/) read it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.conversations.events import (
    QUEUE_CHANNEL,
    AgentJoined,
    AgentMessage,
    AvailabilityChanged,
    Closed,
    Handoff,
    HandoffCancelled,
    LiveEvent,
    ReturnedToBot,
    TicketChanged,
    Token,
    Transferred,
    TurnEvent,
    conversation_channel,
)
from bot.conversations.models import Citation, Role, Turn, TurnKind

AT = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
TURN = Turn(
    id=7,
    conversation_id="c1",
    seq=2,
    role=Role.BOT,
    text="Refunds take 5 days [1].",
    created_at=AT,
    citations=(Citation(1, "refunds", "Refunds", "/help/refunds", "refunds#0", "When", "5 d"),),
    confidence=0.8,
    kind=TurnKind.ANSWER,
    meta={"private": "never shown"},
)
TURN_JSON = (
    '{"id":7,"seq":2,"role":"bot","text":"Refunds take 5 days [1].","citations":[{"n":1,'
    '"article_id":"refunds","title":"Refunds","url":"/help/refunds","section":"When",'
    '"snippet":"5 d","kind":"article"}],"confidence":0.8,"kind":"answer",'
    '"created_at":"2026-03-01T09:30:00Z"}'
)


@pytest.mark.parametrize(
    ("event", "wire"),
    [
        (Token("Refunds"), '{"type":"token","text":"Refunds"}'),
        (TurnEvent("message", TURN), f'{{"type":"message","turn":{TURN_JSON}}}'),
        (TurnEvent("reply", TURN), f'{{"type":"reply","turn":{TURN_JSON}}}'),
        (TurnEvent("notice", TURN), f'{{"type":"notice","turn":{TURN_JSON}}}'),
        (
            Handoff("offline", "We will email you.", ticket_id="t1", locale="de"),
            '{"type":"handoff","mode":"offline","wait_message":"We will email you.",'
            '"ticket_id":"t1","locale":"de"}',
        ),
        (
            Handoff("waiting", "A person joins soon.", locale="", turn=TURN),
            '{"type":"handoff","mode":"waiting","wait_message":"A person joins soon.",'
            f'"locale":"","turn":{TURN_JSON}}}',
        ),
        (Handoff("waiting", ""), '{"type":"handoff","mode":"waiting","wait_message":""}'),
        (
            HandoffCancelled("The bot answers again.", "t1"),
            '{"type":"handoff_cancelled","mode":"bot","text":"The bot answers again.",'
            '"ticket_id":"t1"}',
        ),
        (
            AgentJoined("Ana", "Ana joined."),
            '{"type":"agent_joined","agent":{"name":"Ana"},"text":"Ana joined."}',
        ),
        (AgentJoined(""), '{"type":"agent_joined","agent":{"name":""}}'),
        (
            AgentMessage(TURN, "Ana"),
            f'{{"type":"agent_message","turn":{TURN_JSON},"agent":{{"name":"Ana"}}}}',
        ),
        (Transferred(), '{"type":"transferred"}'),
        (Closed("fr"), '{"type":"closed","locale":"fr"}'),
        (Closed(), '{"type":"closed"}'),
        (ReturnedToBot("Back to the bot."), '{"type":"returned_to_bot","text":"Back to the bot."}'),
        (ReturnedToBot(), '{"type":"returned_to_bot"}'),
        (TicketChanged("t1", "claimed"), '{"type":"ticket","ticket_id":"t1","status":"claimed"}'),
        (AvailabilityChanged(), '{"type":"availability"}'),
    ],
)
def test_each_event_has_the_json_listeners_read(event: LiveEvent, wire: str) -> None:
    payload = event.payload()
    assert json.dumps(payload, separators=(",", ":")) == wire
    assert payload["type"] == event.type


def test_channel_names() -> None:
    assert conversation_channel("c1") == "conversation:c1"
    assert QUEUE_CHANNEL == "queue"
