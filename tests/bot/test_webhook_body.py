"""Webhook bodies are typed (issue 19) and send the JSON they sent before they were."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Any

from bot.handoff.webhooks import TicketData, WebhookBody, WebhookEvent
from escalation.types import Priority, Ticket, TicketStatus, WebhookDelivery

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
TICKET = Ticket(
    id="t1",
    conversation_id="c1",
    status=TicketStatus.CLAIMED,
    priority=Priority.HIGH,
    reasons=("explicit_request", "frustration"),
    summary="Quiere un reembolso: «ya»",
    context={"customer": {"name": "Ana"}},
    created_at=NOW,
    updated_at=NOW,
    agent_id="ana",
    customer_email="ana@example.com",
    offline=True,
)


def old_body(event: str, delivery: int, ticket: Ticket) -> bytes:
    """The body as it was built before it was typed: `ticket_payload` in the envelope."""
    payload: dict[str, Any] = {
        "ticket_id": ticket.id,
        "conversation_id": ticket.conversation_id,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "reasons": list(ticket.reasons),
        "summary": ticket.summary,
        "customer_email": ticket.customer_email,
        "offline": ticket.offline,
        "agent_id": ticket.agent_id,
    }
    stored = json.loads(json.dumps(payload))  # the delivery log keeps it as JSON
    envelope = {"event": event, "delivery": delivery, "data": stored}
    return json.dumps(envelope, ensure_ascii=False).encode()


def test_the_body_is_byte_for_byte_what_it_was() -> None:
    for ticket in (TICKET, replace(TICKET, status=TicketStatus.OPEN, agent_id=None)):
        stored = json.loads(json.dumps(TicketData.from_ticket(ticket).as_json()))
        delivery = WebhookDelivery(7, "claim", "https://h", "pending", 0, "", NOW, NOW, stored)
        assert WebhookBody.of(delivery).encode() == old_body("claim", 7, ticket)


def test_logged_data_parses_back_to_the_same_data() -> None:
    data = TicketData.from_ticket(TICKET)
    stored = json.loads(json.dumps(data.as_json()))
    assert TicketData.of(stored) == data
    assert list(stored) == [
        "ticket_id",
        "conversation_id",
        "status",
        "priority",
        "reasons",
        "summary",
        "customer_email",
        "offline",
        "agent_id",
    ]


def test_event_names_keep_their_values() -> None:
    """Receivers switch on these strings (README: webhooks)."""
    assert [event.value for event in WebhookEvent] == ["escalation", "cancel", "claim", "resolve"]
