"""Every route of the app, called as each kind of caller, answers exactly as the table says.

A new route without a row here fails `test_every_route_has_a_row` (issue 15: editors could
read the queue, claim tickets, reply to customers and open the agent WebSocket). Calls carry
no body and unknown ids, so an admitted caller gets 404/422 without changing anything and a
refused one gets 401/403 before any lookup. WebSocket rows give 101 for an accepted
connection, else the close code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import anyio
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route
from starlette.websockets import WebSocketDisconnect

from bot.api.app import create_app
from bot.wiring import build_services
from escalation.types import AgentRole
from retrieval.interfaces import Embedder
from tests.api.conftest import PASSWORD, api_settings
from tests.conftest import KB_FIXTURE

ANONYMOUS, CUSTOMER, AGENT, EDITOR, ADMIN = "anonymous", "customer", "agent", "editor", "admin"
CALLERS = (ANONYMOUS, CUSTOMER, AGENT, EDITOR, ADMIN)
STAFF = {AGENT: AgentRole.AGENT, EDITOR: AgentRole.EDITOR, ADMIN: AgentRole.ADMIN}
ACCEPTED = 101  # a WebSocket connection that was accepted
UNAUTHENTICATED = 4401  # a socket whose first message is not {"type": "auth", "token": ...}
Expected = dict[str, int]


def everyone(status: int) -> Expected:
    """A public route: the same answer for every caller."""
    return dict.fromkeys(CALLERS, status)


def any_staff(ok: int) -> Expected:
    """Any logged-in account (its own session)."""
    return {ANONYMOUS: 401, CUSTOMER: 401, AGENT: ok, EDITOR: ok, ADMIN: ok}


def agents(ok: int) -> Expected:
    """People who answer customers: tickets, customer data."""
    return {ANONYMOUS: 401, CUSTOMER: 401, AGENT: ok, EDITOR: 403, ADMIN: ok}


def editors(ok: int) -> Expected:
    """The help center's content."""
    return {ANONYMOUS: 401, CUSTOMER: 401, AGENT: 403, EDITOR: ok, ADMIN: ok}


def admins(ok: int) -> Expected:
    """Analytics and the webhook log."""
    return {ANONYMOUS: 401, CUSTOMER: 401, AGENT: 403, EDITOR: 403, ADMIN: ok}


def conversation_owner(ok: int) -> Expected:
    """The customer's own conversation: only its token opens it, not a staff session."""
    return {ANONYMOUS: 403, CUSTOMER: ok, AGENT: 403, EDITOR: 403, ADMIN: 403}


ROUTES: dict[tuple[str, str], Expected] = {
    # Customers
    ("POST", "/api/conversations"): everyone(201),
    ("GET", "/api/conversations/{conversation_id}"): conversation_owner(200),
    ("POST", "/api/conversations/{conversation_id}/messages"): conversation_owner(422),
    ("POST", "/api/conversations/{conversation_id}/messages/stream"): conversation_owner(422),
    ("POST", "/api/conversations/{conversation_id}/feedback"): conversation_owner(422),
    ("POST", "/api/conversations/{conversation_id}/handoff"): conversation_owner(422),
    ("POST", "/api/conversations/{conversation_id}/handoff/cancel"): conversation_owner(200),
    ("GET", "/api/conversations/{conversation_id}/nps"): conversation_owner(200),
    ("POST", "/api/conversations/{conversation_id}/nps"): conversation_owner(422),
    ("GET", "/api/suggestions"): everyone(200),
    ("WS", "/ws/conversations/{conversation_id}"): {
        ANONYMOUS: UNAUTHENTICATED,
        CUSTOMER: ACCEPTED,
        AGENT: 4403,
        EDITOR: 4403,
        ADMIN: 4403,
    },
    # Staff sessions
    ("POST", "/api/agent/login"): everyone(422),
    ("POST", "/api/agent/logout"): any_staff(204),
    ("GET", "/api/agent/me"): any_staff(200),
    # Agents: the queue, tickets and everything with customer data
    ("GET", "/api/agent/agents"): agents(200),
    ("GET", "/api/agent/tickets"): agents(200),
    ("GET", "/api/agent/announcements"): agents(200),
    ("GET", "/api/agent/tickets/{ticket_id}"): agents(404),
    ("POST", "/api/agent/tickets/{ticket_id}/claim"): agents(404),
    ("POST", "/api/agent/tickets/{ticket_id}/messages"): agents(422),
    ("POST", "/api/agent/tickets/{ticket_id}/notes"): agents(422),
    ("POST", "/api/agent/tickets/{ticket_id}/transfer"): agents(422),
    ("POST", "/api/agent/tickets/{ticket_id}/resolve"): agents(404),
    ("POST", "/api/agent/tickets/{ticket_id}/return"): agents(404),
    ("POST", "/api/agent/tickets/{ticket_id}/merge"): agents(422),
    ("GET", "/api/agent/tickets/{ticket_id}/attachments/{attachment_id}"): agents(404),
    ("WS", "/ws/agent"): {
        ANONYMOUS: UNAUTHENTICATED,
        CUSTOMER: 4401,
        AGENT: ACCEPTED,
        EDITOR: 4403,
        ADMIN: ACCEPTED,
    },
    # Editors
    ("GET", "/api/editor/articles"): editors(200),
    ("POST", "/api/editor/articles"): editors(422),
    ("GET", "/api/editor/articles/{article_id}"): editors(404),
    ("PUT", "/api/editor/articles/{article_id}"): editors(422),
    ("DELETE", "/api/editor/articles/{article_id}"): editors(404),
    ("POST", "/api/editor/articles/{article_id}/publish"): editors(404),
    ("POST", "/api/editor/articles/{article_id}/unpublish"): editors(404),
    ("GET", "/api/editor/articles/{article_id}/versions"): editors(404),
    ("GET", "/api/editor/articles/{article_id}/versions/{version}"): editors(404),
    ("GET", "/api/editor/articles/{article_id}/diff"): editors(422),
    ("POST", "/api/editor/articles/{article_id}/restore"): editors(422),
    ("POST", "/api/editor/articles/{article_id}/try"): editors(422),
    ("POST", "/api/editor/import"): editors(422),
    ("GET", "/api/editor/export"): editors(200),
    ("POST", "/api/editor/render"): editors(422),
    ("GET", "/api/editor/gaps"): editors(200),
    ("POST", "/api/editor/gaps/{key}/cover"): editors(422),
    ("GET", "/api/editor/stale"): editors(200),
    ("GET", "/api/editor/helpful"): editors(200),
    # Admins
    ("GET", "/api/analytics"): admins(200),
    ("GET", "/api/analytics.csv"): admins(200),
    ("GET", "/api/agent/webhooks"): admins(200),
    ("GET", "/api/agent/staff"): admins(200),
    ("PUT", "/api/agent/staff/{agent_id}/takes-chats"): admins(422),
    ("GET", "/api/announcements"): admins(200),
    ("POST", "/api/announcements"): admins(422),
    ("POST", "/api/announcements/{announcement_id}/end"): admins(404),
    # The widget's banner, and the status page's webhook (off without its secret)
    ("GET", "/api/announcements/active"): everyone(200),
    ("POST", "/api/announcements/webhook"): everyone(404),
    # Public pages and files (staff pages log in through the API above)
    ("GET", "/"): everyone(200),
    ("GET", "/demo/checkout"): everyone(200),
    ("GET", "/widget.js"): everyone(200),
    ("GET", "/demo/connector/customers/{user_id}"): everyone(404),
    ("GET", "/help"): everyone(200),
    ("GET", "/help/search"): everyone(200),
    ("GET", "/help/sitemap.xml"): everyone(200),
    ("GET", "/help/c/{category:path}"): everyone(404),
    ("GET", "/help/{article_id}"): everyone(404),
    ("POST", "/help/{article_id}/vote"): everyone(404),
    ("GET", "/agent"): everyone(200),
    ("GET", "/agent/render.js"): everyone(200),
    ("GET", "/editor"): everyone(200),
    ("GET", "/admin"): everyone(200),
    ("MOUNT", "/static"): everyone(200),
    ("GET", "/healthz"): everyone(200),
    ("GET", "/readyz"): everyone(200),
    ("GET", "/metrics"): everyone(200),
    ("GET", "/openapi.json"): everyone(200),
    ("GET", "/docs"): everyone(200),
    ("GET", "/docs/oauth2-redirect"): everyone(200),
    ("GET", "/redoc"): everyone(200),
}


def route_keys(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves; WebSockets as "WS", mounts as "MOUNT"."""
    keys: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, str(context.path)
        if isinstance(route, APIWebSocketRoute):
            keys.add(("WS", path))
        elif isinstance(route, Mount):
            keys.add(("MOUNT", path))
        elif isinstance(route, APIRoute | Route):
            keys.update((method, path) for method in context.methods or () if method != "HEAD")
        else:
            raise AssertionError(f"a route of an unknown kind: {route!r}")
    return keys


@dataclass
class Site:
    """The app in process, a customer's conversation and how each caller authenticates."""

    client: TestClient
    conversation_id: str
    tokens: dict[str, str]
    fresh_token: Callable[[str], str]

    def path(self, template: str) -> str:
        return template.replace(":path}", "}").format(
            conversation_id=self.conversation_id,
            ticket_id="no-such-ticket",
            article_id="no-such-article",
            version=1,
            key="no-such-gap",
            agent_id="no-such-agent",
            category="no-such-category",
            announcement_id="no-such-announcement",
            user_id="no-such-customer",
            attachment_id=1,
        )


@pytest.fixture(scope="module")
def site(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings = api_settings(tmp_path_factory.mktemp("roles"), api={"rate_limit_per_ip": 100_000})
    services = build_services(settings, embedder=embedder)
    services.kb.ingest_path(KB_FIXTURE)
    for name, role in STAFF.items():
        anyio.run(services.escalator.agents.add, name, PASSWORD, role, "")
    with TestClient(create_app(settings, services)) as client:

        def log_in(name: str) -> str:
            response = client.post("/api/agent/login", json={"name": name, "password": PASSWORD})
            assert response.status_code == 200, response.text
            token: str = response.json()["token"]
            return token

        created = client.post("/api/conversations", json={"name": "Ann", "email": "a@x.example"})
        assert created.status_code == 201, created.text
        tokens = {CUSTOMER: created.json()["token"], **{name: log_in(name) for name in STAFF}}
        yield Site(client, created.json()["id"], tokens, log_in)
    anyio.run(services.aclose)


def test_every_route_has_a_row(site: Site) -> None:
    served = route_keys(site.client.app)  # type: ignore[arg-type]
    missing, stale = served - ROUTES.keys(), ROUTES.keys() - served
    assert not missing, f"routes without a row in ROUTES (say who may call them): {missing}"
    assert not stale, f"rows for routes the app no longer serves: {stale}"


def call(site: Site, method: str, template: str, caller: str) -> int:
    """The status `caller` gets (HTTP status, or 101 / the close code for a WebSocket)."""
    token = site.tokens.get(caller)
    if template == "/api/agent/logout" and caller in STAFF:
        token = site.fresh_token(caller)  # logging out ends the session used for the others
    path = site.path(template)
    if method == "WS":
        try:
            with site.client.websocket_connect(path) as ws:
                if token:
                    ws.send_json({"type": "auth", "token": token})
                ws.send_json({"type": "ping"})
                while (got := ws.receive_json()) == {"type": "ready"}:
                    pass  # the agent socket's "the queue is followed", before or after
                assert got == {"type": "pong"}
                return ACCEPTED
        except WebSocketDisconnect as exc:
            return exc.code
    if method == "MOUNT":
        method, path = "GET", f"{path}/agent/main.js"
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return site.client.request(method, path, headers=headers).status_code


@pytest.mark.parametrize("method,template", sorted(ROUTES))
def test_each_caller_gets_what_the_table_says(site: Site, method: str, template: str) -> None:
    got = {caller: call(site, method, template, caller) for caller in CALLERS}
    assert got == ROUTES[(method, template)], f"{method} {template}"
