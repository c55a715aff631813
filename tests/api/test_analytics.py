"""Live analytics: figures from a seeded set of conversations, and the admin-only API."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from bot.api.app import create_app
from bot.conversations.models import Channel, Citation, Customer, Role, TurnKind
from bot.db.schema import escalation_tables, turns
from bot.db.sql_window import SqlWindowSource
from bot.reporting.analytics import compute
from bot.reporting.window import question_key, window
from bot.settings import Settings
from bot.wiring import Services, build_services
from escalation.types import AgentRole, Priority
from retrieval.interfaces import Embedder
from tests.api.conftest import PASSWORD, backdate_conversation

RESET = Citation(1, "reset-password", "Reset your password", "https://help.example/reset")
REFUND = Citation(1, "refund-timing", "When will I get my refund?", "https://help.example/refund")


@dataclass
class Seeded:
    """What was written, and the moment the timestamps are relative to."""

    now: dt.datetime
    ids: dict[str, str]


async def _conversation(
    services: Services, email: str, question: str, answer: Citation | None, kind: str = "answer"
) -> tuple[str, int]:
    conversation, _ = await services.store.create_conversation(
        Customer(id="", email=email), channel=Channel.WIDGET, locale="en"
    )
    await services.store.append(conversation.id, Role.CUSTOMER, question)
    bot = await services.store.append(
        conversation.id,
        Role.BOT,
        "Here is how." if answer else "Sorry, I don't know.",
        citations=(answer,) if answer else (),
        confidence=0.8 if answer else 0.1,
        kind=TurnKind(kind),
    )
    return conversation.id, bot.id


async def _escalate(services: Services, conversation_id: str, reasons: list[str]) -> str:
    queue = services.escalator.queue
    ticket = await queue.enqueue(
        conversation_id, priority=Priority.NORMAL, reasons=reasons, summary="", context={}
    )
    agent = (await services.escalator.agents.list())[0]
    await queue.claim(ticket.id, agent.id)
    await services.store.append(conversation_id, Role.AGENT, "Hi, I can help.")
    return ticket.id


async def seed(services: Services) -> dict[str, str]:
    """Eight conversations; see `test_figures_match_the_seeded_conversations` for the sums."""
    store = services.store
    await services.escalator.agents.add("admin", PASSWORD, AgentRole.ADMIN, "Ada Admin")
    await services.escalator.agents.add("agent", PASSWORD, AgentRole.AGENT, "Alan Agent")
    ids: dict[str, str] = {}
    # c1: answered, thumbs up, CSAT 5, but the customer came back 3 h later: not resolved.
    ids["c1"], bot = await _conversation(services, "a@x.test", "How do I reset my password?", RESET)
    await store.add_feedback(ids["c1"], bot, 1, "")
    await store.set_csat(ids["c1"], 5, "")
    # c2: the same customer again, same topic in other words: resolved.
    ids["c2"], _ = await _conversation(services, "a@x.test", "How can I reset my password?", RESET)
    # c3: answered, thumbs down, CSAT 2: not resolved.
    ids["c3"], bot = await _conversation(services, "b@x.test", "Where is my refund?", REFUND)
    await store.add_feedback(ids["c3"], bot, -1, "wrong")
    await store.set_csat(ids["c3"], 2, "")
    # c4: explicit request, agent replies 120 s after the ticket, CSAT 4.
    ids["c4"], _ = await _conversation(
        services, "c@x.test", "I want to talk to a person", None, "refusal"
    )
    ids["t4"] = await _escalate(services, ids["c4"], ["explicit_request"])
    await store.set_csat(ids["c4"], 4, "")
    # c5: refused (no answer), escalated for low confidence; agent replies after 300 s.
    ids["c5"], _ = await _conversation(
        services, "d@x.test", "Do you price match Amazon?", None, "refusal"
    )
    ids["t5"] = await _escalate(services, ids["c5"], ["low_confidence", "emotion"])
    # c6: opened, never written in: not a conversation.
    conversation, _ = await store.create_conversation(
        Customer(id=""), channel=Channel.WIDGET, locale="en"
    )
    ids["c6"] = conversation.id
    # c7: three days ago, anonymous, answered: resolved.
    ids["c7"], _ = await _conversation(services, "", "how do I reset my password?", RESET)
    # c8: forty days ago: outside a 30-day window.
    ids["c8"], _ = await _conversation(services, "", "Old question", RESET)
    return ids


def backdate(engine: sa.Engine, ids: dict[str, str], now: dt.datetime) -> None:
    """Move the seeded rows to fixed times before `now`."""
    hours = dt.timedelta(hours=1)
    starts = {
        "c1": now - 5 * hours,
        "c2": now - 2 * hours,
        "c3": now - 4 * hours,
        "c4": now - 4 * hours,
        "c5": now - 3 * hours,
        "c6": now - 3 * hours,
        "c7": now - dt.timedelta(days=3),
        "c8": now - dt.timedelta(days=40),
    }
    tickets = escalation_tables.tickets
    with engine.begin() as conn:
        for key, start in starts.items():
            cid = ids[key]
            backdate_conversation(conn, cid, start, dt.timedelta(seconds=10))
        for ticket, cid, wait in (("t4", "c4", 120), ("t5", "c5", 300)):
            created = starts[cid] + dt.timedelta(minutes=1)
            conn.execute(
                tickets.update().where(tickets.c.id == ids[ticket]).values(created_at=created)
            )
            conn.execute(
                turns.update()
                .where(turns.c.conversation_id == ids[cid], turns.c.role == "agent")
                .values(created_at=created + dt.timedelta(seconds=wait))
            )


@pytest.fixture(scope="module")
def seeded(
    embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Services, Seeded]]:
    data_dir: Path = tmp_path_factory.mktemp("analytics")
    services = build_services(Settings(data_dir=data_dir), embedder=embedder)
    ids = anyio.run(seed, services)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    backdate(services.database.engine, ids, now)
    yield services, Seeded(now, ids)
    anyio.run(services.aclose)


@pytest.fixture
def engine(seeded: tuple[Services, Seeded]) -> Iterator[sa.Engine]:
    services, _ = seeded
    yield services.database.engine


def test_figures_match_the_seeded_conversations(
    seeded: tuple[Services, Seeded], engine: sa.Engine, embedder: Embedder
) -> None:
    _, data = seeded
    report = compute(SqlWindowSource(engine), days=30, now=data.now, embedder=embedder)
    overall = report.overall
    assert overall.conversations == 6  # c1-c5, c7 (c6 is empty, c8 too old)
    assert overall.bot_resolved == 2  # c2, c7
    assert overall.bot_resolved_rate == pytest.approx(0.3333)
    assert overall.escalated == 2  # c4, c5
    assert overall.escalation_rate == pytest.approx(0.3333)
    assert overall.median_first_agent_reply_s == 210.0  # median of 120 and 300
    assert (overall.thumbs_up, overall.thumbs_down, overall.thumbs_up_ratio) == (1, 1, 0.5)
    assert overall.csat_count == 3
    assert overall.csat_avg == pytest.approx(11 / 3, abs=1e-3)
    assert report.csat_distribution == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}
    assert report.escalation_reasons == {"explicit_request": 1, "low_confidence": 1, "emotion": 1}
    assert report.top_questions[0] == ("how do i reset my password?", 2)  # c1 and c7
    assert len(report.top_questions) == 5
    assert report.top_articles[0] == ("reset-password", "Reset your password", 3)
    assert ("refund-timing", "When will I get my refund?", 1) in report.top_articles
    # A bare request for a person (c4) is no content gap; a thumbs-down (c3) is one.
    assert {text: reasons for text, _, reasons in report.gaps} == {
        "where is my refund?": {"thumbs_down": 1},
        "do you price match amazon?": {"escalated": 1, "refused": 1},
    }
    # Daily: 30 rows, today last; c7 alone three days ago; the rest within the last 5 hours.
    assert len(report.daily) == 30 and report.daily[-1][0] == data.now.date()
    per_day = {day: period for day, period in report.daily}
    three_days_ago = per_day[(data.now - dt.timedelta(days=3)).date()]
    assert (three_days_ago.conversations, three_days_ago.bot_resolved) == (1, 1)
    assert sum(p.conversations for _, p in report.daily) == 6
    assert sum(p.escalated for _, p in report.daily) == 2


def test_without_an_embedder_only_identical_questions_are_the_same_topic(
    seeded: tuple[Services, Seeded], engine: sa.Engine
) -> None:
    _, data = seeded
    report = compute(SqlWindowSource(engine), days=30, now=data.now)
    # "How can I reset..." is not the same text as "How do I reset...": c1 counts as resolved.
    assert report.overall.bot_resolved == 3
    assert "lower-cased" in report.same_topic_rule


def test_a_longer_window_reaches_older_conversations(
    seeded: tuple[Services, Seeded], engine: sa.Engine
) -> None:
    _, data = seeded
    assert compute(SqlWindowSource(engine), days=60, now=data.now).overall.conversations == 7
    assert compute(SqlWindowSource(engine), days=1, now=data.now).overall.conversations <= 5
    start, until = window(7, data.now)
    assert until == data.now and start.time() == dt.time() and (until - start).days == 6
    with pytest.raises(ValueError):
        window(0)


def test_question_key() -> None:
    assert question_key("  Where IS  my\norder? ") == "where is my order?"


@pytest.fixture
def client(seeded: tuple[Services, Seeded]) -> Iterator[TestClient]:
    services, _ = seeded
    with TestClient(create_app(services.settings, services)) as http:
        yield http


def _token(services: Services, name: str) -> str:
    async def login() -> str:
        agent = await services.escalator.agents.authenticate(name, PASSWORD)
        return await services.escalator.agents.open_session(agent.id, 600)

    return anyio.run(login)


def test_api_needs_an_admin(client: TestClient, seeded: tuple[Services, Seeded]) -> None:
    services, _ = seeded
    for path in ("/api/analytics", "/api/analytics.csv"):
        assert client.get(path).status_code == 401
        bad = client.get(path, headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401
        agent = client.get(path, headers={"Authorization": f"Bearer {_token(services, 'agent')}"})
        assert agent.status_code == 403
        assert agent.json()["error_code"] == "forbidden"


def test_api_json_and_csv(
    client: TestClient, seeded: tuple[Services, Seeded], engine: sa.Engine, embedder: Embedder
) -> None:
    services, data = seeded
    headers = {"Authorization": f"Bearer {_token(services, 'admin')}"}
    response = client.get("/api/analytics", params={"days": 30}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["overall"]["conversations"] == 6
    assert body["overall"]["bot_resolved"] == 2
    assert body["overall"]["median_first_agent_reply_s"] == 210.0
    assert {r["reason"]: r["count"] for r in body["escalation_reasons"]} == {
        "explicit_request": 1,
        "low_confidence": 1,
        "emotion": 1,
    }
    assert body["escalation_reasons"][0]["rate"] == pytest.approx(0.1667)
    assert body["csat_distribution"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert body["top_articles"][0] == {
        "article_id": "reset-password",
        "title": "Reset your password",
        "count": 3,
    }
    assert len(body["daily"]) == 30
    assert client.get("/api/analytics?days=0", headers=headers).status_code == 422

    exported = client.get("/api/analytics.csv", params={"days": 7}, headers=headers)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 7
    assert sum(int(r["conversations"]) for r in rows) == 6
    assert sum(int(r["escalated"]) for r in rows) == 2
    assert rows[-1]["day"] == dt.datetime.now(dt.UTC).date().isoformat()
    assert {r["csat_avg"] for r in rows} >= {""}  # days without ratings are empty cells


def test_admin_page_is_served(client: TestClient) -> None:
    page = client.get("/admin")
    assert page.status_code == 200
    assert "Content-Security-Policy" in page.headers
    assert "/static/admin/main.js?v=" in page.text and "/static/admin.css?v=" in page.text
    assert client.get("/static/admin/main.js").status_code == 200
