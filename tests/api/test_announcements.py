"""Announcements through a real server (issue 21): admins post, list and end them; the widget's
banner endpoint; the status page's signed webhook; the bot answers from an active announcement,
cited as such, and never once it has ended."""

from __future__ import annotations

import json
from collections.abc import Iterator

import anyio
import httpx
import pytest

from bot.helpcenter.status_page import SIGNATURE_HEADER, signature
from bot.wiring import Services
from escalation.types import AgentRole
from retrieval.interfaces import Embedder
from tests.api.conftest import PASSWORD, Chat, api_settings, log_in, start
from tests.live_server import LiveServer

SECRET = "status-page-secret"


@pytest.fixture(scope="module")
def site(
    embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Services, LiveServer]]:
    settings = api_settings(
        tmp_path_factory.mktemp("announcements"),
        api={"rate_limit_per_ip": 100_000, "rate_limit_per_conversation": 1000},
        escalation={"business_hours": ""},
        announcements={"webhook_secret": SECRET},
    )
    services, live = start(settings, embedder)
    for name, role in (("ada", AgentRole.ADMIN), ("sam", AgentRole.AGENT)):
        anyio.run(services.escalator.agents.add, name, PASSWORD, role, name.title())
    with live:
        yield services, live
    anyio.run(services.aclose)


@pytest.fixture
def client(site: tuple[Services, LiveServer]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site[1].url, timeout=60) as http:
        yield http


@pytest.fixture(autouse=True)
def nothing_announced(site: tuple[Services, LiveServer]) -> Iterator[None]:
    """Each test starts and ends without active announcements."""
    yield
    announcements = site[0].announcements
    for announcement in announcements.current():
        announcements.end(announcement.id)


def _post(client: httpx.Client, headers: dict[str, str], **body: object) -> httpx.Response:
    return client.post("/api/announcements", json=body, headers=headers)


def test_admins_post_list_and_end(client: httpx.Client, site: tuple[Services, LiveServer]) -> None:
    admin, agent = log_in(site[1].url, "ada"), log_in(site[1].url, "sam")
    body = {"text": "Payments fail at checkout.", "title": "Checkout outage", "page": "/checkout*"}
    assert client.post("/api/announcements", json=body).status_code == 401  # anonymous
    assert _post(client, agent, **body).status_code == 403
    created = _post(client, admin, **body, kind="incident")
    assert created.status_code == 201, created.text
    posted = created.json()
    assert (
        posted["state"] == "active" and posted["until"] is None and posted["page"] == "/checkout*"
    )
    scheduled = _post(client, admin, text="Read-only on Sunday.", starts_at="2099-01-01T02:00")
    assert scheduled.json()["state"] == "scheduled"
    assert scheduled.json()["starts_at"] == "2099-01-01T02:00:00+00:00"

    listed = client.get("/api/announcements", headers=admin).json()
    assert [(a["id"], a["state"]) for a in listed] == [
        (posted["id"], "active"),
        (scheduled.json()["id"], "scheduled"),
    ]
    assert client.get("/api/announcements", headers=agent).status_code == 403
    console = client.get("/api/agent/announcements", headers=agent)
    assert console.status_code == 200 and console.json() == listed

    bad = _post(client, admin, text="x", until="next week")
    assert bad.status_code == 422 and "until 'next week' is not an ISO 8601" in bad.json()["detail"]
    assert _post(client, admin, text="x", until="2000-01-01").status_code == 422

    assert client.post(f"/api/announcements/{posted['id']}/end", headers=agent).status_code == 403
    ended = client.post(f"/api/announcements/{posted['id']}/end", headers=admin)
    assert ended.status_code == 200 and ended.json()["state"] == "ended"
    missing = client.post("/api/announcements/nope/end", headers=admin)
    assert missing.status_code == 404 and "no announcement 'nope'" in missing.json()["detail"]
    listed = client.get("/api/announcements", headers=admin).json()
    assert [a["id"] for a in listed] == [scheduled.json()["id"]]


def test_the_banner_endpoint_matches_the_audience(
    client: httpx.Client, site: tuple[Services, LiveServer]
) -> None:
    admin = log_in(site[1].url, "ada")
    everyone = _post(client, admin, text="<b>Holiday</b> hours.", title="Holidays").json()
    checkout = _post(client, admin, text="Slow checkout.", page="/checkout*", locale="en").json()
    _post(client, admin, text="Pro plan news.", plan="pro")  # needs a verified customer

    def active(**query: str) -> list[str]:
        response = client.get("/api/announcements/active", params=query)
        assert response.status_code == 200, response.text
        return [a["id"] for a in response.json()]

    page = "https://shop.test/checkout/pay"
    assert sorted(active(locale="en", page=page)) == sorted([everyone["id"], checkout["id"]])
    assert active(locale="es", page=page) == [everyone["id"]]
    assert active(locale="en", page="https://shop.test/cart") == [everyone["id"]]
    shown = client.get("/api/announcements/active").json()
    assert shown == [
        {
            "id": everyone["id"],
            "kind": "notice",
            "title": "Holidays",
            "text": "<b>Holiday</b> hours.",
            "status": "",
        }
    ]  # the text as posted: the widget escapes it


def _hook(client: httpx.Client, payload: dict[str, object], secret: str = SECRET) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = {SIGNATURE_HEADER: signature(secret, body), "Content-Type": "application/json"}
    return client.post("/api/announcements/webhook", content=body, headers=headers)


def test_the_status_page_webhook(client: httpx.Client, site: tuple[Services, LiveServer]) -> None:
    incident: dict[str, object] = {
        "id": "inc-7",
        "status": "investigating",
        "title": "Checkout errors",
        "body": "Some card payments fail.",
        "components": ["Checkout"],
    }
    # Unsigned, wrongly signed, or signed for another body: refused, nothing stored.
    body = json.dumps(incident).encode()
    unsigned = client.post("/api/announcements/webhook", content=body)
    assert unsigned.status_code == 403 and SIGNATURE_HEADER in unsigned.json()["detail"]
    assert _hook(client, incident, secret="guess").status_code == 403
    forged = client.post(
        "/api/announcements/webhook",
        content=body.replace(b"inc-7", b"inc-8"),
        headers={SIGNATURE_HEADER: signature(SECRET, body)},
    )
    assert forged.status_code == 403
    assert site[0].announcements.current() == []

    created = _hook(client, incident)
    assert created.status_code == 200, created.text
    first = created.json()["announcement"]
    assert first["kind"] == "incident" and first["source_id"] == "inc-7"
    assert first["text"] == "Some card payments fail.\n\nAffected: Checkout."
    updated = _hook(client, incident | {"status": "identified", "body": "A bank is down."})
    assert updated.json()["announcement"]["id"] == first["id"]
    banner = client.get("/api/announcements/active").json()
    assert [(a["id"], a["status"]) for a in banner] == [(first["id"], "identified")]
    assert banner[0]["text"].startswith("A bank is down.")
    resolved = _hook(client, incident | {"status": "resolved", "body": ""})
    assert resolved.json()["announcement"]["state"] == "ended"
    assert client.get("/api/announcements/active").json() == []
    invalid = _hook(client, {"id": "inc-9", "status": "done"})
    assert invalid.status_code == 422 and "status must be one of" in invalid.json()["detail"]


def test_the_webhook_is_off_without_a_secret(
    embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> None:
    services, live = start(api_settings(tmp_path_factory.mktemp("no-secret")), embedder)
    try:
        with live, httpx.Client(base_url=live.url, timeout=60) as http:
            response = _hook(http, {"id": "inc-1", "status": "investigating"}, secret="")
            assert response.status_code == 404
            assert "SUPPORTBOT_ANNOUNCEMENTS__WEBHOOK_SECRET" in response.json()["detail"]
            assert services.announcements.current() == []
    finally:
        anyio.run(services.aclose)


def kinds(reply: dict[str, object]) -> list[str]:
    """The kind of each source cited by a bot reply."""
    citations = reply["citations"]
    assert isinstance(citations, list)
    return [c["kind"] for c in citations]


def test_the_bot_answers_from_an_active_announcement_only(
    client: httpx.Client, site: tuple[Services, LiveServer]
) -> None:
    admin = log_in(site[1].url, "ada")
    posted = _post(
        client,
        admin,
        title="Checkout outage",
        text="Payments are failing at checkout; our team is investigating. Your cart is saved.",
        kind="incident",
    ).json()
    chat = Chat(client)
    reply = chat.ask("is checkout broken?")
    assert "Payments are failing at checkout" in str(reply["text"])
    assert reply["citations"] == [
        {
            "n": 1,
            "article_id": f"announcement:{posted['id']}",
            "title": "Announcement: Checkout outage",
            "url": "",
            "section": "",
            "snippet": posted["text"],
            "kind": "announcement",
        }
    ]
    # An unrelated question is answered from the help center, as before.
    other = chat.ask("how do I reset my password?")
    assert kinds(other) == ["article"]

    assert client.post(f"/api/announcements/{posted['id']}/end", headers=admin).status_code == 200
    after = Chat(client).ask("is checkout broken?")
    assert "Payments are failing" not in str(after["text"])
    assert "announcement" not in kinds(after)
    # ...and the earlier answer, stored, still shows where it came from.
    history = client.get(f"/api/conversations/{chat.id}", headers=chat.headers).json()
    assert history["turns"][1]["citations"][0]["kind"] == "announcement"


def test_page_restricted_announcements_answer_on_their_pages(
    client: httpx.Client, site: tuple[Services, LiveServer]
) -> None:
    admin = log_in(site[1].url, "ada")
    _post(
        client,
        admin,
        title="Checkout outage",
        text="Payments are failing at checkout; our team is investigating.",
        page="/checkout*",
    )
    on_page = Chat(client, page_url="https://shop.test/checkout")
    elsewhere = Chat(client, page_url="https://shop.test/account")
    assert kinds(on_page.ask("is checkout broken?")) == ["announcement"]
    assert "announcement" not in kinds(elsewhere.ask("is checkout broken?"))
