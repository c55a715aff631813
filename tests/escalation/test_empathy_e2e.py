"""Issue 17 through a real server: feelings acknowledged in the customer's language before the
handoff or the answer, answers while waiting for a person, and taking the request back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from escalation.types import AgentRole
from retrieval.interfaces import Embedder
from tests.api.conftest import Chat
from tests.escalation.test_handoff_e2e import (
    AgentSession,
    Site,
    _site,
    customer_ws,
    eventually,
    history,
    next_event,
)

KB_QUESTION = "how long is the password reset link valid?"
APOLOGIES = ("sorry", "siento", "disculp", "lo lamento")


@pytest.fixture(scope="module")
def site(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from _site(
        embedder, tmp_path_factory.mktemp("empathy"), {}, [("ana", "Ana", AgentRole.AGENT)]
    )


@pytest.fixture
def client(site: Site) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, timeout=60) as http:
        yield http


def handed_over(chat: Chat, text: str) -> str:
    """Send `text`, which must hand the chat to a person; the notice the customer got."""
    response = chat.send(text)
    assert response.status_code == 200, response.text
    assert response.json()["reply"] is None and response.json()["mode"] == "waiting"
    notice: dict[str, Any] = history(chat.client, chat)["turns"][-1]
    assert notice["role"] == "system" and notice["kind"] == "handoff", notice
    return str(notice["text"])


@pytest.mark.parametrize(
    ("text", "starts"),
    [
        (
            "this is RIDICULOUS, third time I write about my refund, I want a real person NOW!!!",
            "I'm sorry this has been so frustrating; let's get it sorted. Nobody from our",
        ),
        (
            "estoy muy preocupada, creo que me han hackeado la cuenta, quiero hablar con una "
            "persona",
            "Entiendo que esto te preocupe; vamos a verlo juntos. Ahora no hay nadie libre",
        ),
    ],
)
def test_a_charged_message_is_acknowledged_before_the_handoff_notice(
    client: httpx.Client, text: str, starts: str
) -> None:
    notice = handed_over(Chat(client, locale="en"), text)
    assert notice.startswith(starts), notice


def test_the_customers_own_mistake_gets_no_apology(client: httpx.Client) -> None:
    notice = handed_over(
        Chat(client, locale="en"),
        "I typed the wrong address and I'm so frustrated, I need to talk to a person",
    )
    assert notice.startswith("No worries, that can happen to anyone; "), notice
    assert not any(word in notice.lower() for word in APOLOGIES), notice


def test_a_calm_question_gets_no_acknowledgement(client: httpx.Client) -> None:
    reply = Chat(client, locale="en").ask(KB_QUESTION)
    assert reply["kind"] == "answer", reply
    assert str(reply["text"]).startswith("The reset link is valid"), reply


def test_a_worried_question_is_acknowledged_before_the_answer(client: httpx.Client) -> None:
    chat = Chat(client, locale="en")
    response = chat.send("I'm a bit worried, how long is the password reset link valid?")
    assert response.status_code == 200, response.text
    reply = response.json()["reply"]
    assert response.json()["mode"] == "bot" and reply["kind"] == "answer", response.json()
    text = str(reply["text"])
    assert text.startswith("I understand this is worrying; let's look at it together.\n\n"), text
    assert "30 minutes" in text


def test_while_waiting_the_bot_answers_what_it_can_and_the_request_stays(
    site: Site, client: httpx.Client
) -> None:
    ana = AgentSession(client, "ana")
    chat = Chat(client, locale="en")
    handed_over(chat, "I want to talk to a real person")
    ticket = ana.ticket_of(chat.id, "open")
    with connect(site.ws_url(f"/ws/agent?token={ana.token}"), open_timeout=10) as agent_ws:
        agent_ws.send(json.dumps({"type": "watch", "conversation_id": chat.id}))
        agent_ws.send(json.dumps({"type": "ping"}))
        next_event(agent_ws, "pong")

        answered = chat.send(KB_QUESTION)
        assert answered.status_code == 200, answered.text
        body = answered.json()
        assert body["mode"] == "waiting", body
        text = str(body["reply"]["text"])
        assert text.startswith("While you wait: ") and "30 minutes" in text, text
        assert body["reply"]["citations"], body["reply"]
        seen = next_event(agent_ws, "reply")  # the agent sees what the bot told the customer
        assert seen["turn"]["text"] == text

    # A follow-up is read with the chat: on its own it names nothing the bot could answer.
    followup = chat.send("ok and what do i do once it's expired?")
    assert followup.status_code == 200, followup.text
    reply = followup.json()["reply"]
    assert reply is not None and str(reply["text"]).startswith("While you wait: "), reply
    assert [c["title"] for c in reply["citations"]] == ["Reset your password"], reply

    # Something the bot cannot verify is left for the person: no guess, no refusal noise.
    unsure = chat.send("my parcel 88123 was left at the wrong door, can you check the photo?")
    assert unsure.status_code == 200 and unsure.json()["reply"] is None, unsure.text
    assert unsure.json()["mode"] == "waiting"

    # In Spanish the label is Spanish.
    spanish = chat.send("¿cuánto tiempo es válido el enlace para restablecer la contraseña?")
    assert str(spanish.json()["reply"]["text"]).startswith("Mientras esperas: "), spanish.text

    # The request is still open, with the customer's messages in it.
    assert ana.ticket_of(chat.id, "open")["id"] == ticket["id"]
    assert history(client, chat)["mode"] == "waiting"


def test_the_customer_takes_the_request_back(site: Site, client: httpx.Client) -> None:
    ana = AgentSession(client, "ana")
    chat = Chat(client, locale="es")
    handed_over(chat, "quiero hablar con una persona, por favor")
    ticket = ana.ticket_of(chat.id, "open")
    with (
        customer_ws(site, chat) as ws,
        connect(site.ws_url(f"/ws/agent?token={ana.token}"), open_timeout=10) as agent_ws,
    ):
        agent_ws.send(json.dumps({"type": "ping"}))
        next_event(agent_ws, "pong")
        response = chat.send("ya está resuelto, el bot lo resolvió. gracias")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["mode"] == "bot", body
        assert body["reply"]["role"] == "system" and body["reply"]["kind"] == "handoff_cancelled"
        assert body["reply"]["text"].startswith("De acuerdo, he cancelado tu solicitud")
        event = next_event(ws, "handoff_cancelled")
        assert event["mode"] == "bot" and event["text"] == body["reply"]["text"]
        queued = next_event(agent_ws, "ticket")  # the agents' queue updates live
        assert (queued["ticket_id"], queued["status"]) == (ticket["id"], "cancelled")
    assert ana.ticket_of(chat.id, "cancelled")["id"] == ticket["id"]
    assert not [t for t in ana.get("/tickets", status="active") if t["conversation_id"] == chat.id]
    # The bot answers again.
    again = chat.ask("¿cuánto tiempo es válido el enlace para restablecer la contraseña?")
    assert again["kind"] == "answer" and "30 minutos" in str(again["text"])


def test_no_thanks_to_the_handoff_after_a_refusal_takes_the_request_back(
    client: httpx.Client,
) -> None:
    """A refusal hands the chat to a person at once (the notice says so; the refusal does not
    ask "would you like ..." as well); "no thanks" right after turns the person down."""
    ana = AgentSession(client, "ana")
    declined, insisted = Chat(client, locale="en"), Chat(client, locale="en")
    for chat in (declined, insisted):
        response = chat.send("do you offer gift wrapping?")
        assert response.json()["reply"]["kind"] == "refusal", response.text
        assert "Would you like" not in response.json()["reply"]["text"]
        assert response.json()["mode"] == "waiting"
        assert history(client, chat)["turns"][-1]["kind"] == "handoff"
    body = declined.send("no thanks").json()
    assert body["mode"] == "bot", body
    assert body["reply"]["kind"] == "handoff_cancelled"
    assert ana.ticket_of(declined.id, "cancelled")
    # The whole message must decline: "no, I want a person" keeps the request.
    kept = insisted.send("no, I want a person").json()
    assert kept["mode"] == "waiting" and kept["reply"] is None, kept
    assert ana.ticket_of(insisted.id, "open")


def test_the_widget_button_cancels_and_a_claimed_chat_stays_with_the_agent(
    client: httpx.Client,
) -> None:
    ana = AgentSession(client, "ana")
    chat = Chat(client, locale="en")
    client.post(f"/api/conversations/{chat.id}/handoff", json={}, headers=chat.headers)
    cancelled = client.post(f"/api/conversations/{chat.id}/handoff/cancel", headers=chat.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["mode"] == "bot"
    assert cancelled.json()["notice"].startswith("OK, I've cancelled your request for a person.")
    kinds = [t["kind"] for t in history(client, chat)["turns"]]
    assert kinds == ["handoff", "handoff_cancelled"]

    # Once a person has taken the chat, "never mind" goes to them and nothing is cancelled.
    client.post(f"/api/conversations/{chat.id}/handoff", json={}, headers=chat.headers)
    ticket = ana.ticket_of(chat.id, "open")
    ana.ok(f"/tickets/{ticket['id']}/claim")
    said = chat.send("never mind, the bot solved it")
    assert said.json()["reply"] is None and said.json()["mode"] == "agent", said.text
    again = client.post(f"/api/conversations/{chat.id}/handoff/cancel", headers=chat.headers)
    assert again.json() == {"mode": "agent", "notice": ""}
    eventually(lambda: ana.ticket_of(chat.id, "mine")["status"] == "claimed")


def test_the_survey_is_asked_in_the_conversations_language(
    site: Site, client: httpx.Client
) -> None:
    ana = AgentSession(client, "ana")
    chat = Chat(client, locale="en")  # an English page, a Spanish-writing customer
    handed_over(chat, "hola, quiero hablar con una persona, por favor")
    assert history(client, chat)["notice_locale"] == "es"
    ticket = ana.ticket_of(chat.id, "open")
    with customer_ws(site, chat) as ws:
        ana.ok(f"/tickets/{ticket['id']}/claim")
        ana.ok(f"/tickets/{ticket['id']}/resolve")
        assert next_event(ws, "closed")["locale"] == "es"
