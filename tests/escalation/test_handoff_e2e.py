"""Handoff to a person end to end, through a real uvicorn server.

Customer (HTTP + WebSocket) → escalation → agent API (login, queue, context, claim race,
reply, notes, hand back, resolve) → customer sees it live; webhooks signed and retried;
offline handoff collects an email.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from bot.db.schema import escalation_tables
from bot.handoff.webhooks import SIGNATURE_HEADER, sign
from bot.wiring import Services
from escalation.types import AgentRole
from retrieval.interfaces import Embedder
from tests.api.conftest import Chat, api_settings, start
from tests.live_server import LiveServer

SECRET = "s3cret"
PASSWORD = "correct horse battery"
HUMAN = "I want to talk to a real person"
KB_QUESTION = "how long is the password reset link valid?"


# ---------------------------------------------------------------- webhook receiver


@dataclass
class Hook:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


@dataclass
class Receiver:
    """A stdlib HTTP server recording POSTs. `/ok` answers 200; `/flaky` answers 500 to the
    first two attempts of each delivery, then 200."""

    server: ThreadingHTTPServer
    hooks: list[Hook] = field(default_factory=list)
    attempts: dict[tuple[str, str], int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def matching(self, path: str, conversation_id: str) -> list[Hook]:
        with self.lock:
            return [
                h for h in self.hooks
                if h.path == path and h.json["data"]["conversation_id"] == conversation_id
            ]


def _handler(receiver_ref: list[Receiver]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (stdlib name)
            receiver = receiver_ref[0]
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            key = (self.path, self.headers.get("X-Supportbot-Delivery", ""))
            with receiver.lock:
                receiver.attempts[key] = attempt = receiver.attempts.get(key, 0) + 1
                failing = self.path == "/flaky" and attempt <= 2
                if not failing:
                    receiver.hooks.append(Hook(self.path, dict(self.headers.items()), body))
            self.send_response(500 if failing else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    ref: list[Receiver] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ref))
    ref.append(Receiver(server))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield ref[0]
    server.shutdown()
    server.server_close()


# ---------------------------------------------------------------- servers


@dataclass
class Site:
    """A running server and its services."""

    services: Services
    live: LiveServer

    @property
    def url(self) -> str:
        return self.live.url

    def ws_url(self, path: str) -> str:
        return self.live.url.replace("http://", "ws://") + path


def _site(
    embedder: Embedder,
    data_dir: Path,
    escalation: dict[str, Any],
    agents: list[tuple[str, str, AgentRole]],
) -> Iterator[Site]:
    settings = api_settings(
        data_dir,
        escalation={"business_hours": "", "webhook_backoff_s": 0.05, **escalation},
        api={"rate_limit_per_ip": 100_000, "rate_limit_per_conversation": 1000},
    )
    services, live = start(settings, embedder)
    for name, display, role in agents:
        anyio.run(services.escalator.agents.add, name, PASSWORD, role, display)
    with live:
        yield Site(services, live)
    anyio.run(services.aclose)


@pytest.fixture(scope="module")
def site(
    embedder: Embedder, tmp_path_factory: pytest.TempPathFactory, receiver: Receiver
) -> Iterator[Site]:
    yield from _site(
        embedder,
        tmp_path_factory.mktemp("handoff"),
        {"webhook_urls": [f"{receiver.url}/ok", f"{receiver.url}/flaky"], "webhook_secret": SECRET},
        [
            ("alice", "Alice Agent", AgentRole.AGENT),
            ("bob", "Bob Agent", AgentRole.AGENT),
            ("root", "Admin", AgentRole.ADMIN),
        ],
    )


@pytest.fixture
def client(site: Site) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, timeout=60) as http:
        yield http


# ---------------------------------------------------------------- helpers


class AgentSession:
    """An agent logged in through the API."""

    def __init__(self, client: httpx.Client, name: str) -> None:
        response = client.post("/api/agent/login", json={"name": name, "password": PASSWORD})
        assert response.status_code == 200, response.text
        body = response.json()
        self.client = client
        self.token: str = body["token"]
        self.agent: dict[str, Any] = body["agent"]
        self.headers = {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **params: str) -> Any:
        response = self.client.get(f"/api/agent{path}", params=params, headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.client.post(f"/api/agent{path}", json=body, headers=self.headers)

    def ok(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.post(path, body)
        assert response.status_code == 200, response.text
        return response.json()

    def ticket_of(self, conversation_id: str, status: str = "active") -> dict[str, Any]:
        found: list[dict[str, Any]] = [
            t for t in self.get("/tickets", status=status)
            if t["conversation_id"] == conversation_id
        ]
        assert len(found) == 1, found
        return found[0]


def next_event(
    ws: ClientConnection, kind: str, seen: list[dict[str, Any]] | None = None, timeout: float = 30
) -> dict[str, Any]:
    """Read events until one of type `kind` arrives (the others go to `seen`)."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {kind!r} event within {timeout} s; saw {seen}")
        event: dict[str, Any] = json.loads(ws.recv(timeout=left))
        if event["type"] == kind:
            return event
        if seen is not None:
            seen.append(event)


def customer_ws(site: Site, chat: Chat) -> ClientConnection:
    ws = connect(site.ws_url(f"/ws/conversations/{chat.id}?token={chat.token}"), open_timeout=10)
    ws.send(json.dumps({"type": "ping"}))
    assert json.loads(ws.recv(timeout=10)) == {"type": "pong"}
    return ws


def eventually(check: Callable[[], bool], timeout: float = 20, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def history(client: httpx.Client, chat: Chat) -> dict[str, Any]:
    response = client.get(f"/api/conversations/{chat.id}", headers=chat.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


# ---------------------------------------------------------------- tests


def test_full_handoff_from_bot_to_agent_and_back(site: Site, client: httpx.Client) -> None:
    alice, bob = AgentSession(client, "alice"), AgentSession(client, "bob")
    chat = Chat(
        client, name="Ann Example", email="ann@example.com", locale="en",
        page_url="https://shop.example/account/orders",
    )
    with customer_ws(site, chat) as ws:
        # The bot answers a KB question.
        answer = chat.ask(KB_QUESTION)
        assert answer["kind"] == "answer" and "30 minutes" in str(answer["text"])

        # Asking for a person: no bot reply, the chat waits for an agent.
        response = chat.send(HUMAN)
        assert response.status_code == 200, response.text
        assert response.json()["reply"] is None and response.json()["mode"] == "waiting"
        handoff = next_event(ws, "handoff")
        assert handoff["mode"] == "waiting" and handoff["wait_message"]
        assert "person" in handoff["wait_message"]

        # The agent console follows the conversation live.
        agent_ws_url = site.ws_url(f"/ws/agent?token={alice.token}")
        with connect(agent_ws_url, open_timeout=10) as agent_ws:
            agent_ws.send(json.dumps({"type": "watch", "conversation_id": chat.id}))
            agent_ws.send(json.dumps({"type": "ping"}))
            next_event(agent_ws, "pong")  # the watch is registered before the ping's answer
            time.sleep(0.2)

            # The customer keeps writing: stored in order, no bot answer.
            more = chat.send("also my order number is 1234")
            assert more.status_code == 200 and more.json()["reply"] is None
            assert more.json()["mode"] == "waiting"
            live = next_event(agent_ws, "message")
            assert live["conversation_id"] == chat.id
            assert live["turn"]["text"] == "also my order number is 1234"

        turns = history(client, chat)["turns"]
        assert [t["role"] for t in turns] == ["customer", "bot", "customer", "system", "customer"]
        assert turns[3]["kind"] == "handoff"
        assert [t["text"] for t in turns if t["role"] == "customer"] == [
            KB_QUESTION, HUMAN, "also my order number is 1234"
        ]
        assert [t["seq"] for t in turns] == sorted(t["seq"] for t in turns)

        # The queue shows the ticket with its reasons, priority and summary.
        ticket = alice.ticket_of(chat.id, "open")
        assert ticket["reasons"] == ["explicit_request"]
        assert ticket["priority"] in {"urgent", "high", "normal"}
        assert ticket["summary"].strip()
        assert ticket["status"] == "open" and not ticket["offline"]
        assert ticket["waiting_s"] >= 0

        # The ticket detail carries the whole context.
        detail = alice.get(f"/tickets/{ticket['id']}")
        context = detail["context"]
        said = [t["text"] for t in context["transcript"] if t["role"] == "customer"]
        assert said == [KB_QUESTION, HUMAN]
        live_said = [t["text"] for t in detail["turns"] if t["role"] == "customer"]
        assert live_said == [KB_QUESTION, HUMAN, "also my order number is 1234"]
        supplied = detail["customer"]["customer_supplied"]  # unverified: the customer said so
        assert supplied["name"] == "Ann Example"
        assert supplied["email"] == "ann@example.com"
        assert supplied["page_url"] == "https://shop.example/account/orders"
        assert supplied["locale"] == "en"
        assert [f["reason"] for f in context["findings"]] == ["explicit_request"]
        assert any(s["article_id"] == "reset-password" for s in context["sources"])
        assert context["scores"]["answer_confidences"]
        assert detail["mode"] == "waiting" and detail["notes"] == []
        assert detail["suggestions"]

        # Two agents claim at once: exactly one wins, the other gets 409.
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda a: (a, a.post(f"/tickets/{ticket['id']}/claim")),
                                    [alice, bob]))
        codes = sorted(r.status_code for _, r in results)
        assert codes == [200, 409], [r.text for _, r in results]
        winner = next(a for a, r in results if r.status_code == 200)
        loser = next(r for _, r in results if r.status_code == 409)
        assert loser.json()["error_code"] == "already_claimed"
        joined = next_event(ws, "agent_joined")
        assert joined["agent"]["name"] == winner.agent["display_name"]
        assert winner.ticket_of(chat.id, "mine")["agent_id"] == winner.agent["id"]
        other = alice if winner is bob else bob
        intruder = other.post(f"/tickets/{ticket['id']}/messages", {"text": "me too"})
        assert intruder.status_code == 409, intruder.text
        assert intruder.json()["error_code"] == "invalid_transition"

        # The agent's reply reaches the customer live; customer messages get no bot answer.
        sent = winner.ok(f"/tickets/{ticket['id']}/messages",
                         {"text": "Hi Ann, I'm checking order 1234 now."})
        assert sent["role"] == "agent"
        message = next_event(ws, "agent_message")
        assert message["turn"]["text"] == "Hi Ann, I'm checking order 1234 now."
        assert message["agent"]["name"] == winner.agent["display_name"]
        during = chat.send("thank you!")
        assert during.json()["reply"] is None and during.json()["mode"] == "agent"

        # Internal notes never reach the customer.
        secret_note = "customer seems legit, refund approved internally"
        note = winner.ok(f"/tickets/{ticket['id']}/notes", {"text": secret_note})
        assert note["text"] == secret_note
        assert [n["text"] for n in winner.get(f"/tickets/{ticket['id']}")["notes"]] == [secret_note]
        customer_view = client.get(f"/api/conversations/{chat.id}", headers=chat.headers)
        assert secret_note not in customer_view.text and "refund approved" not in customer_view.text

        # Hand back to the bot: the next question gets a bot answer again.
        assert winner.ok(f"/tickets/{ticket['id']}/return")["status"] == "returned"
        next_event(ws, "returned_to_bot")
        again = chat.ask("how long do refunds take to reach my card?")
        assert again["kind"] == "answer"
        assert history(client, chat)["mode"] == "bot"

        # A second escalation, then resolve: the customer is told the chat is closed.
        second = client.post(f"/api/conversations/{chat.id}/handoff", json={},
                             headers=chat.headers)
        assert second.status_code == 202, second.text
        assert second.json()["mode"] == "waiting"
        next_event(ws, "handoff")
        ticket2 = alice.ticket_of(chat.id, "open")
        assert ticket2["id"] != ticket["id"]
        alice.ok(f"/tickets/{ticket2['id']}/claim")
        next_event(ws, "agent_joined")
        assert alice.ok(f"/tickets/{ticket2['id']}/resolve")["status"] == "resolved"
        next_event(ws, "closed")
        assert history(client, chat)["mode"] == "closed"
        assert alice.ticket_of(chat.id, "resolved")["id"] == ticket2["id"]


def test_agent_api_needs_a_session(site: Site, client: httpx.Client) -> None:
    assert client.get("/api/agent/tickets").status_code == 401
    bad = client.get("/api/agent/tickets", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json()["error_code"] == "unauthorized"
    wrong = client.post("/api/agent/login", json={"name": "alice", "password": "wrong-password"})
    assert wrong.status_code == 401
    alice = AgentSession(client, "alice")
    assert client.get("/api/agent/webhooks", headers=alice.headers).status_code == 403


def test_the_console_heartbeat_keeps_an_agent_online(site: Site, client: httpx.Client) -> None:
    agents = site.services.escalator.agents
    window = site.services.escalator.config.agent_online_s
    bob = AgentSession(client, "bob")
    with site.services.database.engine.begin() as conn:  # bob's console: an hour ago
        conn.execute(
            escalation_tables.agents.update()
            .where(escalation_tables.agents.c.name == "bob")
            .values(console_seen=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
        )
    assert "bob" not in [a.name for a in anyio.run(agents.online, window)]
    with connect(site.ws_url("/ws/agent"), open_timeout=10) as console:
        console.send(json.dumps({"type": "auth", "token": bob.token}))
        console.send(json.dumps({"type": "ping"}))
        next_event(console, "pong")
        assert "bob" in [a.name for a in anyio.run(agents.online, window)]
        assert bob.post("/logout").status_code == 204
        console.send(json.dumps({"type": "ping"}))  # the session ended: the heartbeat stops
        with pytest.raises(ConnectionClosed) as closed:
            next_event(console, "pong")
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


def test_webhooks_are_signed_and_retried(
    site: Site, client: httpx.Client, receiver: Receiver
) -> None:
    alice, admin = AgentSession(client, "alice"), AgentSession(client, "root")
    chat = Chat(client, email="wh@example.com")
    assert chat.send(HUMAN).json()["mode"] == "waiting"
    ticket = alice.ticket_of(chat.id, "open")
    alice.ok(f"/tickets/{ticket['id']}/claim")
    alice.ok(f"/tickets/{ticket['id']}/resolve")

    def events(path: str) -> list[str]:
        return [h.json["event"] for h in receiver.matching(path, chat.id)]

    wanted = ["escalation", "claim", "resolve"]
    for path in ("/ok", "/flaky"):
        eventually(lambda p=path: sorted(events(p)) == sorted(wanted),  # type: ignore[misc]
                   what=f"webhooks on {path}: got {events(path)}")
    for hook in receiver.matching("/ok", chat.id) + receiver.matching("/flaky", chat.id):
        assert hook.headers[SIGNATURE_HEADER] == sign(SECRET, hook.body)
        assert hook.headers[SIGNATURE_HEADER].startswith("sha256=")
        assert hook.headers["X-Supportbot-Event"] == hook.json["event"]
        data = hook.json["data"]
        assert data["ticket_id"] == ticket["id"] and data["reasons"] == ["explicit_request"]
    by_event = {h.json["event"]: h.json["data"] for h in receiver.matching("/ok", chat.id)}
    assert by_event["claim"]["agent_id"] == alice.agent["id"]
    assert by_event["resolve"]["status"] == "resolved"
    assert by_event["escalation"]["customer_email"] == "wh@example.com"
    forged = receiver.matching("/ok", chat.id)[0]
    assert sign("not-the-secret", forged.body) != forged.headers[SIGNATURE_HEADER]

    # The flaky receiver failed twice per delivery, then took it: 3 attempts, delivered.
    delivery_ids = {h.json["delivery"] for h in receiver.matching("/flaky", chat.id)}

    def logged() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = admin.get("/webhooks")
        return [d for d in found if d["id"] in delivery_ids]

    eventually(lambda: len(logged()) == 3 and all(d["status"] == "delivered" for d in logged()),
               what="delivered flaky webhooks in the log")
    for delivery in logged():
        assert delivery["url"] == f"{receiver.url}/flaky"
        assert delivery["attempts"] == 3, delivery
    ok_ids = {h.json["delivery"] for h in receiver.matching("/ok", chat.id)}
    ok_log = [d for d in admin.get("/webhooks") if d["id"] in ok_ids]
    assert len(ok_log) == 3 and all(d["attempts"] == 1 and d["status"] == "delivered"
                                    for d in ok_log)


@pytest.fixture(scope="module")
def nobody_online(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from _site(
        embedder, tmp_path_factory.mktemp("offline"), {},
        [("carol", "Carol", AgentRole.AGENT)],  # an account, but never logged in
    )


def test_offline_handoff_collects_an_email(nobody_online: Site) -> None:
    site = nobody_online
    with httpx.Client(base_url=site.url, timeout=60) as client:
        chat = Chat(client, locale="en")
        with customer_ws(site, chat) as ws:
            response = client.post(f"/api/conversations/{chat.id}/handoff", json={},
                                   headers=chat.headers)
            assert response.status_code == 202, response.text
            body = response.json()
            assert body["mode"] == "offline" and "email" in body["wait_message"]
            event = next_event(ws, "handoff")
            assert event["mode"] == "offline" and event["wait_message"] == body["wait_message"]

        left = client.post(f"/api/conversations/{chat.id}/handoff",
                           json={"email": "late@example.com"}, headers=chat.headers)
        assert left.status_code == 202, left.text
        assert left.json()["mode"] == "offline"
        assert "late@example.com" in left.json()["wait_message"]
        bad = client.post(f"/api/conversations/{chat.id}/handoff", json={"email": "not-an-email"},
                          headers=chat.headers)
        assert bad.status_code == 422

        carol = AgentSession(client, "carol")
        ticket = carol.ticket_of(chat.id, "open")
        assert ticket["offline"] is True
        assert ticket["customer_email"] == "late@example.com"
        assert ticket["reasons"] == ["explicit_request"]


# ------------------------------------------------- notices in the customer's words (issue 17)

MADRID = "Europe/Madrid"
_DAY_KEYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_DAYS_ES = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábados", "domingos"]
_TODAY = dt.datetime.now(ZoneInfo(MADRID)).weekday()
# Two days that are neither today nor adjacent to each other: the chat is off hours all along.
_OPEN_DAYS = ((_TODAY + 2) % 7, (_TODAY + 4) % 7)


@pytest.fixture(scope="module")
def closed_now(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    first, second = (_DAY_KEYS[d] for d in _OPEN_DAYS)
    yield from _site(
        embedder, tmp_path_factory.mktemp("closed"),
        {"business_hours": f"{first} 08:00-20:00; {second} 09:00-17:00", "timezone": MADRID},
        [("dora", "Dora", AgentRole.AGENT)],
    )


@pytest.fixture(scope="module")
def always_open(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from _site(embedder, tmp_path_factory.mktemp("always"), {"business_hours": ""}, [])


def notices(client: httpx.Client, chat: Chat) -> list[str]:
    return [t["text"] for t in history(client, chat)["turns"] if t["role"] == "system"]


def test_spanish_customer_off_hours_gets_readable_hours_in_spanish(closed_now: Site) -> None:
    with httpx.Client(base_url=closed_now.url, timeout=60) as client:
        chat = Chat(client, locale="en")  # an English page, a Spanish-writing customer
        with customer_ws(closed_now, chat) as ws:
            response = chat.send("hola, quiero hablar con una persona, por favor")
            assert response.status_code == 200, response.text
            event = next_event(ws, "handoff")
        assert event["mode"] == "offline"
        notice = event["wait_message"]
        assert notice.startswith("Nuestro equipo no está disponible ahora. Atendemos "), notice
        first, second = _OPEN_DAYS
        assert f"{_DAYS_ES[first]} de 8:00 a 20:00" in notice, notice
        assert f"{_DAYS_ES[second]} de 9:00 a 17:00" in notice, notice
        assert "(hora de Europe/Madrid)" in notice and "08:00-20:00" not in notice

        left = client.post(f"/api/conversations/{chat.id}/handoff",
                           json={"email": "ana@example.com"}, headers=chat.headers)
        assert left.status_code == 202, left.text
        assert left.json()["wait_message"].startswith("¡Gracias! Te responderemos a ana@")
        assert notices(client, chat) == [notice, left.json()["wait_message"]]

        # An agent answers the saved ticket later: the live notices are in Spanish too.
        dora = AgentSession(client, "dora")
        ticket = dora.ticket_of(chat.id, "open")
        with customer_ws(closed_now, chat) as ws:
            dora.ok(f"/tickets/{ticket['id']}/claim")
            assert next_event(ws, "agent_joined")["text"] == "Dora se unió al chat."
            dora.ok(f"/tickets/{ticket['id']}/return")
            back = next_event(ws, "returned_to_bot")["text"]
            assert back == "Vuelves a hablar con el asistente virtual."


def test_empty_hours_never_show_empty_brackets_or_offline(always_open: Site) -> None:
    """Empty hours are always open: with nobody online the notice says nobody is free."""
    with httpx.Client(base_url=always_open.url, timeout=60) as client:
        for locale, word in (("en", "Nobody"), ("es", "nadie")):
            chat = Chat(client, locale=locale)
            response = client.post(f"/api/conversations/{chat.id}/handoff", json={},
                                   headers=chat.headers)
            assert response.status_code == 202, response.text
            assert word in response.json()["wait_message"]
            client.post(f"/api/conversations/{chat.id}/handoff",
                        json={"email": "late@example.com"}, headers=chat.headers)
            said = notices(client, chat)
            assert len(said) == 2, said
            assert not any("()" in s or "offline" in s for s in said), said


@pytest.fixture(scope="module")
def only_editors_at_work(
    embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    yield from _site(
        embedder,
        tmp_path_factory.mktemp("editors"),
        {},
        [
            ("carol", "Carol", AgentRole.AGENT),  # an account, but never logged in
            ("erin", "Erin Editor", AgentRole.EDITOR),
            ("root", "Admin", AgentRole.ADMIN),  # has not opted in to taking chats
        ],
    )


def test_editors_and_admins_at_work_are_not_agents_online(only_editors_at_work: Site) -> None:
    # Issue 17: an editor saving an article turned "we're offline" into "connecting you".
    site = only_editors_at_work
    add = site.services.escalator.agents.add
    anyio.run(functools.partial(add, "ops", PASSWORD, AgentRole.ADMIN, takes_chats=True))
    with httpx.Client(base_url=site.url, timeout=60) as client:

        def ask_for_a_person() -> str:
            chat = Chat(client, locale="en")
            response = chat.send(HUMAN)
            assert response.status_code == 200, response.text
            assert response.json()["reply"] is None
            notice: dict[str, Any] = history(client, chat)["turns"][-1]
            assert notice["kind"] == "handoff"
            return str(notice["text"])

        erin, root, ops = (AgentSession(client, name) for name in ("erin", "root", "ops"))
        for editor, slug in ((erin, "who-is-online"), (ops, "who-is-online-2")):
            saved = client.post(
                "/api/editor/articles",
                json={"id": slug, "title": "Who is online", "body": "Some text."},
                headers=editor.headers,
            )
            assert saved.status_code == 201, saved.text
        assert client.get("/api/editor/articles", headers=root.headers).status_code == 200
        assert client.get("/api/analytics", headers=root.headers).status_code == 200

        offline = ask_for_a_person()
        assert offline.startswith("Nobody from our support team is free right now")
        assert "connecting you" not in offline

        # ops, an admin who takes chats, opens the agent console: now someone is there.
        with connect(site.ws_url("/ws/agent"), open_timeout=10) as console:
            console.send(json.dumps({"type": "auth", "token": ops.token}))
            console.send(json.dumps({"type": "ping"}))
            next_event(console, "pong")
            assert ask_for_a_person().startswith("I'm connecting you with a person")
