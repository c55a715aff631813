"""The handoff notice tells the measured recent wait, and says so; else the configured one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import anyio
import pytest

from bot.answering import messages
from bot.conversations.models import Channel, Customer, Role
from bot.db.schema import escalation_tables
from bot.settings import Settings
from bot.wiring import Services, build_services
from escalation.config import EscalationConfig
from escalation.types import AgentRole, Priority
from retrieval.interfaces import Embedder
from tests.api.conftest import PASSWORD


@pytest.fixture
def services(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("wait"),
        escalation=EscalationConfig(business_hours="", typical_wait_minutes=5),
    )
    built = build_services(settings, embedder=embedder)

    async def agent_online() -> None:
        agents = built.escalator.agents
        agent = await agents.add("alan", PASSWORD, AgentRole.AGENT)
        await agents.agent_for_session(await agents.open_session(agent.id, 600), console=True)

    anyio.run(agent_online)
    yield built
    anyio.run(built.aclose)


async def _handoff_notice(services: Services) -> str:
    conversation, _ = await services.store.create_conversation(
        Customer(id=""), channel=Channel.WIDGET, locale="en"
    )
    await services.store.append(conversation.id, Role.CUSTOMER, "I want to talk to a person")
    escalator = services.escalator
    result = await escalator.escalate(conversation, escalator.explicit_request())
    return result.notice.text


async def _claimed_after(services: Services, minutes: float) -> None:
    """A chat claimed a moment ago after waiting `minutes`."""
    queue = services.escalator.queue
    conversation, _ = await services.store.create_conversation(
        Customer(id=""), channel=Channel.WIDGET, locale="en"
    )
    ticket = await queue.enqueue(
        conversation.id, priority=Priority.NORMAL, reasons=["emotion"], summary="", context={}
    )
    agent = (await services.escalator.agents.list())[0]
    await queue.claim(ticket.id, agent.id)
    tickets = escalation_tables.tickets
    claimed = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)
    with services.database.engine.begin() as conn:
        conn.execute(
            tickets.update()
            .where(tickets.c.id == ticket.id)
            .values(created_at=claimed - dt.timedelta(minutes=minutes), claimed_at=claimed)
        )


def test_no_claims_yet_the_configured_typical_wait(services: Services) -> None:
    notice = anyio.run(_handoff_notice, services)
    assert "The typical wait is about 5 minutes" in notice


def test_recent_claims_give_the_median_wait(services: Services) -> None:
    for minutes in (2, 11.5, 12):
        anyio.run(_claimed_after, services, minutes)
    notice = anyio.run(_handoff_notice, services)
    assert "Lately the wait has been about 12 minutes" in notice  # median 11.5, rounded up


def test_a_short_wait_is_one_minute_in_words(services: Services) -> None:
    anyio.run(_claimed_after, services, 0.4)
    notice = anyio.run(_handoff_notice, services)
    assert "Lately the wait has been about a minute." in notice
    assert messages.about_minutes(1, "es") == "alrededor de un minuto"
    assert messages.about_minutes(7, "es-MX") == "unos 7 minutos"
