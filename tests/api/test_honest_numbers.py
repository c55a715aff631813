"""Honest numbers (issue #17): the admin figures on seeded conversations, computed by hand.

Fifteen conversations, written through the real stores (SQLite) and moved to fixed times;
each comment says what the customer did and how it counts. `now` is the moment of reading;
the quiet window is the default 30 minutes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from bot.api.app import create_app
from bot.conversations.models import AgentTurnMeta, Channel, Citation, Customer, Role, TurnKind
from bot.db.schema import escalation_tables, turns
from bot.db.sql_window import SqlWindowSource, read_window
from bot.helpcenter.gaps import flag_questions
from bot.reporting.analytics import compute
from bot.reporting.resolution import Reason, Rules
from bot.reporting.window import window
from bot.settings import Settings
from bot.wiring import Services, build_services
from escalation.types import AgentRole, Priority
from retrieval.interfaces import Embedder
from tests.api.conftest import PASSWORD, backdate_conversation

ARTICLE = Citation(1, "faq", "FAQ", "https://help.example/faq")
TURN_GAP = dt.timedelta(seconds=10)
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)


@dataclass
class Ticket:
    """A handoff after the conversation's last turn so far, and what the agent did."""

    reasons: list[str]
    reply_after_s: int | None = None  # an agent reply this long after the ticket
    note_after_s: int | None = None  # a note-only hand-back to the bot, this long after


@dataclass
class Spec:
    """One seeded conversation: turns in order, then feedback, CSAT and a ticket."""

    started_ago: dt.timedelta
    turns: list[tuple[str, str, str, float | None]]  # role, text, kind, confidence
    thumbs: int = 0  # on the last bot turn
    csat: int | None = None
    ticket: Ticket | None = None
    ids: dict[str, str] = field(default_factory=dict)


def ask(text: str) -> tuple[str, str, str, float | None]:
    return ("customer", text, "", None)


def answer(confidence: float = 0.8, kind: str = "answer") -> tuple[str, str, str, float | None]:
    return ("bot", "Here is how it works." if kind == "answer" else "Sorry.", kind, confidence)


SPECS: dict[str, Spec] = {
    # Resolved: the customer said it helped.
    "s1": Spec(
        2 * HOUR, [ask("How do I reset my password?"), answer(), ask("Thanks, that worked!")]
    ),
    # Resolved: quiet for 2 h after a confident answer.
    "s2": Spec(2 * HOUR, [ask("When will I get my refund?"), answer()]),
    # Complaint: not resolved; a gap (complaint).
    "s3": Spec(
        2 * HOUR,
        [
            ask("Can I change my delivery address?"),
            answer(),
            ask("That's not what I asked"),
            answer(0.7),
        ],
    ),
    # The same question again: not resolved; one gap question (repeat).
    "s4": Spec(
        2 * HOUR, [ask("Do you ship to Canada?"), answer(), ask("Do you ship to Canada?"), answer()]
    ),
    # The same question in other words: not resolved; a gap (rephrase).
    "s5": Spec(
        2 * HOUR,
        [
            ask("How do I cancel my subscription?"),
            answer(),
            ask("How can I cancel my subscription?"),
            answer(),
        ],
    ),
    # "Talk to a person" right after an answer; the agent replies 120 s later.
    "s6": Spec(
        2 * HOUR,
        [ask("What are your opening hours?"), answer()],
        ticket=Ticket(["explicit_request"], reply_after_s=120),
    ),
    # A bare request for a person: escalated, no gap.
    "s7": Spec(2 * HOUR, [ask("I want to talk to a person")], ticket=Ticket(["explicit_request"])),
    # Refused, then nothing: no evidence; a gap (refused).
    "s8": Spec(2 * HOUR, [ask("Do you price match Amazon?"), answer(0.1, "refusal")]),
    # A low-confidence answer, then nothing: no evidence; a gap (low confidence).
    "s9": Spec(2 * HOUR, [ask("Is there a student discount?"), answer(0.2)]),
    # Thumbs-down: a gap (thumbs down).
    "s10": Spec(2 * HOUR, [ask("How long is the warranty?"), answer()], thumbs=-1),
    # Answered five minutes ago: too early to tell, not resolved (yet), no gap.
    "s11": Spec(6 * MINUTE, [ask("Where is my order?"), answer()]),
    # Thumbs-up ten minutes after the start: resolved before the quiet window.
    "s12": Spec(10 * MINUTE, [ask("Can I pay with PayPal?"), answer()], thumbs=1),
    # CSAT 5: resolved.
    "s13": Spec(2 * HOUR, [ask("Do you sell gift cards?"), answer(0.9)], csat=5),
    # Escalated on emotion; the agent only hands back with a note (no reply): a gap (escalated).
    "s14": Spec(
        2 * HOUR,
        [ask("My parcel arrived damaged and I am furious")],
        ticket=Ticket(["emotion"], note_after_s=60),
    ),
    # A complaint in Spanish: a gap (complaint).
    "s15": Spec(
        2 * HOUR, [ask("¿Cómo cambio mi contraseña?"), answer(), ask("no me sirve"), answer()]
    ),
}

# The figures, by hand from the comments above.
CONVERSATIONS = 15
RESOLVED = {"s1", "s2", "s12", "s13"}
ESCALATED = {"s6", "s7", "s14"}
GAPS = {
    "can i change my delivery address?": {"complaint": 1},
    "do you ship to canada?": {"repeat": 1},
    "how do i cancel my subscription?": {"rephrase": 1},
    "what are your opening hours?": {"escalated": 1, "person_after_answer": 1},
    "do you price match amazon?": {"refused": 1},
    "is there a student discount?": {"low_confidence": 1},
    "how long is the warranty?": {"thumbs_down": 1},
    "my parcel arrived damaged and i am furious": {"escalated": 1},
    "¿cómo cambio mi contraseña?": {"complaint": 1},
}
FAILURE_SIGNALS = {
    "thumbs_down": 1,
    "repeat": 1,
    "rephrase": 1,
    "complaint": 2,
    "person_after_answer": 1,
}
MEDIAN_FIRST_REPLY_S = 120.0  # s6 only: s14's note-only hand-back is no reply


async def seed(services: Services) -> dict[str, str]:
    """Write every conversation; returns conversation ids by key (tickets as `key/ticket`)."""
    store, lifecycle = services.store, services.database.lifecycle
    await services.escalator.agents.add("admin", PASSWORD, AgentRole.ADMIN, "Ada Admin")
    agent = await services.escalator.agents.add("agent", PASSWORD, AgentRole.AGENT, "Alan")
    ids: dict[str, str] = {}
    for key, spec in SPECS.items():
        conversation, _ = await store.create_conversation(
            Customer(id="", email=f"{key}@x.test"), channel=Channel.WIDGET, locale="en"
        )
        ids[key] = conversation.id
        last_bot = None
        for role, text, kind, confidence in spec.turns:
            turn = await store.append(
                conversation.id,
                Role(role),
                text,
                citations=(ARTICLE,) if kind == "answer" else (),
                confidence=confidence,
                kind=TurnKind(kind),
            )
            last_bot = turn if role == "bot" else last_bot
        if spec.thumbs and last_bot is not None:
            await store.add_feedback(conversation.id, last_bot.id, spec.thumbs, "")
        if spec.csat is not None:
            await store.set_csat(conversation.id, spec.csat, "")
        if spec.ticket is not None:
            ticket = await lifecycle.open(
                conversation.id,
                priority=Priority.NORMAL,
                reasons=spec.ticket.reasons,
                summary="",
                context={},
            )
            ids[f"{key}/ticket"] = ticket.id
            await lifecycle.claim(ticket.id, agent.id)
            if spec.ticket.reply_after_s is not None:
                await lifecycle.reply(
                    ticket.id, agent.id, "Hi, I can help.", meta=AgentTurnMeta(agent.id)
                )
            if spec.ticket.note_after_s is not None:
                await lifecycle.return_to_bot(ticket.id, agent.id, note="Sent a replacement.")
    return ids


def backdate(engine: sa.Engine, ids: dict[str, str], now: dt.datetime) -> None:
    """Turns 10 s apart from each start; a ticket 5 s after the last turn before it."""
    tickets = escalation_tables.tickets
    with engine.begin() as conn:
        for key, spec in SPECS.items():
            start = now - spec.started_ago
            backdate_conversation(conn, ids[key], start, TURN_GAP)
            if spec.ticket is None:
                continue
            created = start + TURN_GAP * len(spec.turns) + dt.timedelta(seconds=5)
            conn.execute(
                tickets.update()
                .where(tickets.c.id == ids[f"{key}/ticket"])
                .values(created_at=created, claimed_at=created + MINUTE)
            )
            after = spec.ticket.reply_after_s or spec.ticket.note_after_s or 0
            conn.execute(
                turns.update()
                .where(turns.c.conversation_id == ids[key], turns.c.role == "agent")
                .values(created_at=created + dt.timedelta(seconds=after))
            )


@dataclass
class Seeded:
    services: Services
    ids: dict[str, str]
    now: dt.datetime


@pytest.fixture(scope="module")
def seeded(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    data_dir: Path = tmp_path_factory.mktemp("honest")
    services = build_services(Settings(data_dir=data_dir), embedder=embedder)
    ids = anyio.run(seed, services)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    backdate(services.database.engine, ids, now)
    yield Seeded(services, ids, now)
    anyio.run(services.aclose)


@pytest.fixture
def engine(seeded: Seeded) -> Iterator[sa.Engine]:
    yield seeded.services.database.engine


def test_admin_figures_equal_the_hand_computed_ones(
    seeded: Seeded, engine: sa.Engine, embedder: Embedder
) -> None:
    report = compute(
        SqlWindowSource(engine), days=2, now=seeded.now, embedder=embedder, rules=Rules()
    )
    overall = report.overall
    assert overall.conversations == CONVERSATIONS
    assert overall.bot_resolved == len(RESOLVED)
    assert overall.bot_resolved_rate == pytest.approx(4 / 15, abs=1e-4)  # 26.7 %
    assert overall.escalated == len(ESCALATED)
    assert overall.median_first_agent_reply_s == MEDIAN_FIRST_REPLY_S
    assert {text: reasons for text, _, reasons in report.gaps} == GAPS
    assert all(count == 1 for _, count, _ in report.gaps)
    assert report.failure_signals == FAILURE_SIGNALS


def test_content_gaps_flag_the_same_questions_and_no_bare_person_request(
    seeded: Seeded, engine: sa.Engine, embedder: Embedder
) -> None:
    since, until = window(2, seeded.now)
    flagged = flag_questions(read_window(engine, since, until), Rules(), until, embedder)
    by_text = {q.text.lower(): {r.value for r in q.reasons} for q in flagged}
    assert by_text == {text: set(reasons) for text, reasons in GAPS.items()}
    assert "i want to talk to a person" not in by_text
    assert Reason.REPEAT.value in by_text["do you ship to canada?"]


def test_an_early_read_has_no_quiet_evidence_yet(seeded: Seeded, engine: sa.Engine) -> None:
    # With a 3 h quiet window, 2 h of quiet after s2's answer are not evidence yet: only the
    # customers who said so (s1) or rated it (s12, s13) count.
    early = compute(SqlWindowSource(engine), days=2, now=seeded.now, rules=Rules(window=3 * HOUR))
    assert early.overall.bot_resolved == 3


def test_the_api_serves_the_same_figures(seeded: Seeded) -> None:
    services = seeded.services

    async def token() -> str:
        admin = await services.escalator.agents.authenticate("admin", PASSWORD)
        return await services.escalator.agents.open_session(admin.id, 600)

    with TestClient(create_app(services.settings, services)) as http:
        body = http.get(
            "/api/analytics",
            params={"days": 2},
            headers={"Authorization": f"Bearer {anyio.run(token)}"},
        ).json()
    assert body["overall"]["bot_resolved"] == len(RESOLVED)
    assert body["overall"]["escalated"] == len(ESCALATED)
    assert {g["text"]: g["reasons"] for g in body["content_gaps"]} == GAPS
    assert body["failure_signals"] == FAILURE_SIGNALS
    assert body["definitions"]["resolution_window_s"] == 1800
