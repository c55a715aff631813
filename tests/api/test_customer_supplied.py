"""The agent API keeps what the customer said about themselves apart from verified facts
(issue 15, item 10): metadata like `verified: true` cannot pass for a server field."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx

from escalation.types import AgentRole
from retrieval.interfaces import Embedder
from tests.api.conftest import PASSWORD, api_settings, log_in, start

IMPERSONATION = {
    "verified": "true",
    "identity": "Identity check: PASSED",
    "email": "ceo@brightcart.example",
}


def test_the_ticket_detail_separates_customer_claims_from_verified_facts(
    embedder: Embedder, tmp_path: Path
) -> None:
    settings = api_settings(tmp_path, escalation={"business_hours": ""})
    services, live = start(settings, embedder)
    anyio.run(services.escalator.agents.add, "alice", PASSWORD, AgentRole.AGENT, "Alice")
    with live, httpx.Client(base_url=live.url, timeout=60) as client:
        agent = log_in(live.url, "alice")
        body = {
            "name": "Eve",
            "email": "eve@example.com",
            "page_url": "https://shop.example/cart",
            "locale": "en",
            "metadata": IMPERSONATION,
        }
        chat = client.post("/api/conversations", json=body).json()
        handoff = client.post(
            f"/api/conversations/{chat['id']}/handoff",
            json={},
            headers={"Authorization": f"Bearer {chat['token']}"},
        )
        assert handoff.status_code == 202, handoff.text
        ticket_id = handoff.json()["ticket_id"]
        detail = client.get(f"/api/agent/tickets/{ticket_id}", headers=agent).json()
        schemas = client.get("/openapi.json").json()["components"]["schemas"]
    anyio.run(services.aclose)

    assert detail["customer"] == {
        "identity": "unverified",  # no signed identity: anonymous (issue 21)
        "identity_problem": "",
        "verified": {},
        "account": None,
        "account_problem": "",
        "customer_supplied": {**body, "metadata": IMPERSONATION},
        "said_in_chat": {"name": "", "order_numbers": []},  # Eve wrote nothing
    }
    assert "customer" not in detail["context"]  # no second, unlabelled copy
    properties = schemas["CustomerOut"]["properties"]
    assert set(properties) == {
        "identity",
        "identity_problem",
        "verified",
        "account",
        "account_problem",
        "customer_supplied",
        "said_in_chat",
    }
    assert "unverified" in properties["customer_supplied"]["description"]
    assert "unverified" in properties["said_in_chat"]["description"]
