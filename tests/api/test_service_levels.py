"""NPS, first-contact resolution and response times from a seeded set of conversations,
through `compute`, `/api/analytics` (JSON and CSV) and `supportbot analytics --json`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bot.api.app import create_app
from bot.cli.main import main
from bot.conversations.models import Channel, Citation, Customer, Role, TurnKind
from bot.db.schema import conversations, escalation_tables, turns
from bot.reporting.analytics import Analytics, compute
from bot.reporting.nps import summarize
from bot.settings import Settings
from bot.wiring import Services, build_services
from escalation.types import AgentRole, Priority
from retrieval.interfaces import Embedder
from tests.api.conftest import PASSWORD

RESET = Citation(1, "reset-password", "Reset your password", "https://help.example/reset")
REFUND = Citation(1, "refund-timing", "When will I get my refund?", "https://help.example/refund")
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Chat:
    """A seeded conversation: when it starts, and each turn's offset in seconds."""

    key: str
    email: str
    channel: Channel
    ago: dt.timedelta
    turns: tuple[tuple[Role, str, float], ...]
    ticket: tuple[float, float] | None = None  # created, resolved (seconds after the start)


CHATS = (
    # Answered; the customer returns 3 days later on the same topic (w2): bot-resolved (after
    # 24 h), but not resolved at first contact. First response 20 s.
    Chat(
        "w1",
        "a@x.test",
        Channel.WIDGET,
        6 * DAY,
        (
            (Role.CUSTOMER, "How do I reset my password?", 0),
            (Role.BOT, "Here is how.", 20),
        ),
    ),
    # The return: bot-resolved, first response 5 s, no issue of its own.
    Chat(
        "w2",
        "a@x.test",
        Channel.WIDGET,
        3 * DAY,
        (
            (Role.CUSTOMER, "How can I reset my password?", 0),
            (Role.BOT, "Here is how.", 5),
        ),
    ),
    # Answered, no return: resolved at first contact. First response 40 s.
    Chat(
        "w3",
        "b@x.test",
        Channel.WIDGET,
        2 * DAY,
        (
            (Role.CUSTOMER, "Where is my refund?", 0),
            (Role.BOT, "Here is how.", 40),
        ),
    ),
    # Handed to an agent who resolves it 600 s after the first message: first contact.
    Chat(
        "a1",
        "c@x.test",
        Channel.API,
        DAY,
        (
            (Role.CUSTOMER, "I want to talk to a person", 0),
            (Role.BOT, "Sorry.", 10),
            (Role.AGENT, "Hi, I can help.", 70),
        ),
        ticket=(15, 600),
    ),
    # Resolved by an agent at 1200 s, then the customer writes again: reopened.
    Chat(
        "a2",
        "d@x.test",
        Channel.API,
        5 * HOUR,
        (
            (Role.CUSTOMER, "My invoice shows the wrong amount", 0),
            (Role.BOT, "Sorry.", 30),
            (Role.AGENT, "Let me check.", 90),
            (Role.CUSTOMER, "It is still wrong", 1500),
        ),
        ticket=(40, 1200),
    ),
    # Refused by the bot by email, never resolved. First response 120 s.
    Chat(
        "e1",
        "e@x.test",
        Channel.EMAIL,
        3 * HOUR,
        (
            (Role.CUSTOMER, "Do you price match Amazon?", 0),
            (Role.BOT, "Sorry, I don't know.", 120),
        ),
    ),
)
# NPS answers: (conversation, score, how long ago). f0 answered 40 days ago: outside 30 days.
ANSWERS = (("w2", 10, HOUR), ("w3", 9, HOUR), ("a1", 9, HOUR), ("a2", 7, HOUR), ("e1", 3, HOUR))


@dataclass
class Seeded:
    services: Services
    now: dt.datetime
    ids: dict[str, str]


async def _seed(services: Services, now: dt.datetime) -> dict[str, str]:
    store, queue = services.store, services.escalator.queue
    await services.escalator.agents.add("admin", PASSWORD, AgentRole.ADMIN, "Ada Admin")
    ids: dict[str, str] = {}
    for chat in (*CHATS, Chat("f0", "f@x.test", Channel.WIDGET, 40 * DAY, ())):
        conversation, _ = await store.create_conversation(
            Customer(id="", email=chat.email), channel=chat.channel, locale="en"
        )
        ids[chat.key] = conversation.id
        if chat.ticket:
            ids[f"t-{chat.key}"] = (
                await queue.enqueue(
                    conversation.id,
                    priority=Priority.NORMAL,
                    reasons=["explicit_request"],
                    summary="",
                    context={},
                )
            ).id
        for role, text, _ in chat.turns:
            answer = role is Role.BOT and text == "Here is how."
            cited = (RESET if "password" in chat.turns[0][1] else REFUND,) if answer else ()
            await store.append(
                conversation.id,
                role,
                text,
                citations=cited,
                confidence=(0.8 if answer else 0.1) if role is Role.BOT else None,
                kind=(TurnKind.ANSWER if answer else TurnKind.REFUSAL)
                if role is Role.BOT
                else TurnKind.MESSAGE,
            )
    period = dt.timedelta(days=90)
    surveys = services.database.surveys
    surveys.answer_nps(ids["f0"], 0, "", period, now=now - 40 * DAY)
    for key, score, ago in ANSWERS:
        surveys.answer_nps(ids[key], score, "", period, now=now - ago)
    return ids


def _place(engine: sa.Engine, ids: dict[str, str], now: dt.datetime) -> None:
    """Move every seeded row to its time before `now`."""
    tickets = escalation_tables.tickets
    with engine.begin() as conn:
        for chat in CHATS:
            cid, start = ids[chat.key], now - chat.ago
            conn.execute(
                conversations.update()
                .where(conversations.c.id == cid)
                .values(created_at=start, updated_at=start)
            )
            rows = conn.execute(
                sa.select(turns.c.id).where(turns.c.conversation_id == cid).order_by(turns.c.seq)
            ).all()
            for row, (_, _, offset) in zip(rows, chat.turns, strict=True):
                at = start + dt.timedelta(seconds=offset)
                conn.execute(turns.update().where(turns.c.id == row.id).values(created_at=at))
            if chat.ticket:
                created, resolved = (start + dt.timedelta(seconds=s) for s in chat.ticket)
                conn.execute(
                    tickets.update()
                    .where(tickets.c.id == ids[f"t-{chat.key}"])
                    .values(status="resolved", created_at=created, resolved_at=resolved)
                )
        f0 = now - 40 * DAY
        conn.execute(
            conversations.update()
            .where(conversations.c.id == ids["f0"])
            .values(created_at=f0, updated_at=f0)
        )


@pytest.fixture(scope="module")
def seeded(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    data_dir: Path = tmp_path_factory.mktemp("service-levels")
    services = build_services(Settings(data_dir=data_dir), embedder=embedder)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    ids = anyio.run(_seed, services, now)
    _place(services.database.engine, ids, now)
    yield Seeded(services, now, ids)
    anyio.run(services.aclose)


@pytest.fixture(scope="module")
def report(seeded: Seeded, embedder: Embedder) -> Iterator[Analytics]:
    yield compute(seeded.services.database.windows, days=30, now=seeded.now, embedder=embedder)


def test_nps_is_promoters_minus_detractors() -> None:
    assert summarize([]).score is None
    assert summarize([9, 7, 7]).score == 33  # 33.3 rounded
    every = summarize(range(11))  # 9-10 promote, 7-8 pass, 0-6 detract
    assert (every.promoters, every.passives, every.detractors) == (2, 2, 7)
    assert every.score == -45  # (2 - 7) / 11 = -45.45


def test_nps_fcr_and_times_match_the_seeded_conversations(
    report: Analytics, seeded: Seeded
) -> None:
    overall = report.overall
    assert overall.conversations == 6
    # Three promoters, one passive, one detractor of five answers; f0's is too old.
    assert (overall.nps.answers, overall.nps.score) == (5, 40)
    # Issues: every conversation but w2 (w1's return). Resolved at first contact: w3, a1.
    assert (overall.issues, overall.first_contact_resolved, overall.fcr) == (5, 2, 0.4)
    assert overall.agent_resolved == 2
    # First responses 20, 5, 40, 10, 30, 120 s.
    assert overall.first_response_s_p50 == 25.0
    # Bot-resolved w1, w2, w3 after 20, 5, 40 s; agents a1, a2 after 600, 1200 s.
    assert overall.resolution_s_p50_bot == 20.0
    assert overall.resolution_s_p50_agent == 900.0
    channels = {name: p.as_dict() for name, p in report.by_channel.items()}
    assert list(channels) == ["api", "email", "widget"]
    assert {n: c["first_response_s_p50"] for n, c in channels.items()} == {
        "api": 20.0,
        "email": 120.0,
        "widget": 20.0,
    }
    assert {n: c["nps"] for n, c in channels.items()} == {"api": 50, "email": -100, "widget": 100}
    assert {n: c["fcr"] for n, c in channels.items()} == {"api": 0.5, "email": 0.0, "widget": 0.5}
    answered = dict(report.daily)[(seeded.now - HOUR).date()]
    assert (answered.nps.answers, answered.nps.score) == (5, 40)


def _admin(services: Services) -> dict[str, str]:
    async def login() -> str:
        agent = await services.escalator.agents.authenticate("admin", PASSWORD)
        return await services.escalator.agents.open_session(agent.id, 600)

    return {"Authorization": f"Bearer {anyio.run(login)}"}


def test_api_json_and_csv_carry_the_figures(seeded: Seeded) -> None:
    services = seeded.services
    with TestClient(create_app(services.settings, services)) as client:
        headers = _admin(services)
        body = client.get("/api/analytics", headers=headers).json()
        exported = client.get("/api/analytics.csv", params={"days": 7}, headers=headers)
    overall = body["overall"]
    assert (overall["nps"], overall["fcr"], overall["first_response_s_p50"]) == (40, 0.4, 25.0)
    assert body["by_channel"]["email"]["first_response_s_p50"] == 120.0
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    answered = next(r for r in rows if r["day"] == (seeded.now - HOUR).date().isoformat())
    assert answered["nps"] == "40" and answered["nps_answers"] == "5"
    assert {"fcr", "first_response_s_p50", "resolution_s_p50_agent"} <= set(rows[0])
    assert rows[0]["day"] and rows[-1]["csat_avg"] == ""  # the old columns stay


def test_cli_json_and_table(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SUPPORTBOT_DATA_DIR", str(seeded.services.settings.data_dir))
    assert main(["analytics", "--since", "30", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert {
        "conversations",
        "bot_resolved_rate",
        "escalation_rate",
        "csat",
        "nps",
        "fcr",
        "first_response_s_p50",
    } <= set(figures)
    assert (figures["conversations"], figures["nps"], figures["fcr"]) == (6, 40, 0.4)
    assert figures["by_channel"]["widget"]["first_response_s_p50"] == 20.0
    assert main(["analytics"]) == 0
    table = capsys.readouterr().out
    assert "First-contact resolution" in table and "40.0 %" in table and "email" in table
    assert main(["analytics", "--since", "0"]) == 2


def test_prometheus_gauges_carry_the_figures(seeded: Seeded) -> None:
    services = seeded.services
    with TestClient(create_app(services.settings, services)) as client:
        scraped = client.get("/metrics")
        assert scraped.status_code == 200
        again = client.get("/metrics").text  # within the cache: the same figures
    samples = {
        (s.name, s.labels.get("channel")): s.value
        for family in text_string_to_metric_families(scraped.text)
        for s in family.samples
        if s.name.startswith("supportbot_") and "channel" in s.labels
    }
    assert samples[("supportbot_nps", "all")] == 40
    assert samples[("supportbot_fcr", "all")] == 0.4
    assert samples[("supportbot_first_response_seconds_p50", "all")] == 25.0
    assert samples[("supportbot_first_response_seconds_p50", "email")] == 120.0
    assert samples[("supportbot_first_response_seconds_p50", "widget")] == 20.0
    assert {c: samples[("supportbot_nps", c)] for c in ("api", "email", "widget")} == {
        "api": 50,
        "email": -100,
        "widget": 100,
    }
    figures = compute(services.database.windows, days=30, embedder=services.kb.embedder).summary()
    assert samples[("supportbot_bot_resolved_rate", "all")] == figures["bot_resolved_rate"]
    assert samples[("supportbot_escalation_rate", "all")] == figures["escalation_rate"]
    # No CSAT was given: the gauge has no sample rather than a made-up 0.
    assert figures["csat"] is None
    assert not any(name == "supportbot_csat" for name, _ in samples)
    assert "# TYPE supportbot_csat gauge" in again
