"""The NPS survey endpoint: once per customer per period, validation, access by token."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from fastapi.testclient import TestClient

from bot.api.app import create_app
from bot.conversations.models import Channel, Customer
from bot.db.database import open_database
from bot.db.sql_surveys import SqlSurveyStore
from bot.errors import Conflict
from bot.settings import Settings
from bot.wiring import Services, build_services
from retrieval.interfaces import Embedder
from tests.contracts.conftest import fresh_database, require_postgres


@pytest.fixture
def services(embedder: Embedder, tmp_path: Path) -> Iterator[Services]:
    settings = Settings(data_dir=tmp_path, analytics={"nps_period_days": 30})  # type: ignore[arg-type]
    built = build_services(settings, embedder=embedder)
    yield built
    anyio.run(built.aclose)


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services.settings, services)) as http:
        yield http


def _chat(client: TestClient, email: str = "") -> tuple[str, dict[str, str]]:
    response = client.post("/api/conversations", json={"email": email} if email else None)
    assert response.status_code == 201, response.text
    body = response.json()
    return body["id"], {"Authorization": f"Bearer {body['token']}"}


def _nps(client: TestClient, cid: str, headers: dict[str, str], **body: object) -> int:
    return client.post(f"/api/conversations/{cid}/nps", json=body, headers=headers).status_code


def test_a_customer_answers_once_per_period(client: TestClient, services: Services) -> None:
    first, headers = _chat(client, "ann@x.test")
    assert client.get(f"/api/conversations/{first}/nps", headers=headers).json() == {
        "due": True,
        "period_days": 30,
    }
    assert _nps(client, first, headers, score=9, comment="<b>great</b>") == 204
    # The same customer (same email) in a later chat: already answered.
    later, later_headers = _chat(client, "ann@x.test")
    assert (
        client.get(f"/api/conversations/{later}/nps", headers=later_headers).json()["due"] is False
    )
    again = client.post(f"/api/conversations/{later}/nps", json={"score": 3}, headers=later_headers)
    assert again.status_code == 409
    assert again.json()["error_code"] == "nps_already_answered"
    assert "at most once every 30 days" in again.json()["detail"]
    # Another customer is asked.
    other, other_headers = _chat(client, "bob@x.test")
    assert _nps(client, other, other_headers, score=0) == 204
    # The comment is stored as the text it was (escaping is for whoever displays it).
    now = dt.datetime.now(dt.UTC)
    answers = services.database.surveys.nps_answers(now - dt.timedelta(hours=1), now)
    assert [(a.conversation_id, a.score, a.comment) for a in answers] == [
        (first, 9, "<b>great</b>"),
        (other, 0, ""),
    ]
    # Once the period is over, the customer is asked again.
    period = dt.timedelta(days=30)
    after = now + period + dt.timedelta(minutes=1)
    assert services.database.surveys.nps_due(later, period, now=after)
    services.database.surveys.answer_nps(later, 7, "", period, now=after)


def test_bad_answers_are_refused(client: TestClient) -> None:
    cid, headers = _chat(client)
    for body in ({"score": 11}, {"score": -1}, {}, {"score": 5, "comment": "x" * 2001}):
        assert _nps(client, cid, headers, **body) == 422, body
    assert _nps(client, cid, headers, score=10, comment="x" * 2000) == 204


def test_only_the_conversation_token_answers(client: TestClient) -> None:
    cid, headers = _chat(client)
    other, other_headers = _chat(client)
    assert _nps(client, cid, {}, score=8) == 403
    assert _nps(client, cid, {"Authorization": "Bearer nope"}, score=8) == 403
    assert _nps(client, cid, other_headers, score=8) == 403
    assert _nps(client, "no-such-chat", headers, score=8) == 404
    assert client.get("/api/conversations/no-such-chat/nps", headers=headers).status_code == 404
    assert _nps(client, other, other_headers, score=8) == 204


def answer_at_once(surveys: SqlSurveyStore, conversation_ids: list[str]) -> list[str]:
    """Every conversation's NPS answer sent at the same moment, from its own thread."""
    period = dt.timedelta(days=30)
    outcomes: list[str] = []

    def answer(conversation_id: str) -> None:
        try:
            surveys.answer_nps(conversation_id, 8, "", period)
            outcomes.append("saved")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=answer, args=(cid,)) for cid in conversation_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_answers_sent_at_once_are_checked_one_after_the_other(
    client: TestClient, services: Services
) -> None:
    chats = [_chat(client, "cat@x.test")[0] for _ in range(4)]
    assert answer_at_once(services.database.surveys, chats) == ["conflict"] * 3 + ["saved"]


@pytest.mark.postgres
def test_answers_sent_at_once_on_postgresql() -> None:
    """The customer's row lock (FOR UPDATE) keeps it to one answer per period there too."""
    with fresh_database(require_postgres()) as url:
        database = open_database(url, 8)

        async def chats() -> list[str]:
            store = database.conversations
            made = [
                await store.create_conversation(
                    Customer(id="", email="cat@x.test"), channel=Channel.WIDGET, locale="en"
                )
                for _ in range(4)
            ]
            return [conversation.id for conversation, _ in made]

        try:
            ids = anyio.run(chats)
            assert answer_at_once(database.surveys, ids) == ["conflict"] * 3 + ["saved"]
        finally:
            anyio.run(database.conversations.aclose)
