"""Self-help before the person, through a real server: a sensitive topic whose rules say
`answer_first` (a hacked account) gets the help center's answer, then the handoff notice, and
the agent's ticket holds both; other sensitive topics still go straight to a person."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from bot.conversations.models import AnswerMeta, Role
from escalation.types import AgentRole
from retrieval.interfaces import Embedder
from tests.api.conftest import Chat
from tests.conftest import KB_FIXTURE
from tests.escalation.test_handoff_e2e import AgentSession, Site, _site, history

# Written for this test, after the sample shop's compromised-account article.
HACKED = """---
id: hacked-account
title: Secure your account if someone else got in
category: account
locale: en
---
Orders you didn't place or sign-ins you don't recognise mean someone else may have
access to your account. Secure it right away:

1. Go to **Settings > Security > Sign out everywhere**. This signs out every device,
   including the intruder's.
2. Choose a new password with **Forgot password?** on the sign-in page.
"""


@pytest.fixture(scope="module")
def site(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    kb = tmp_path_factory.mktemp("kb")
    shutil.copytree(KB_FIXTURE, kb, dirs_exist_ok=True)
    (kb / "hacked-account.md").write_text(HACKED, encoding="utf-8")
    for site in _site(
        embedder, tmp_path_factory.mktemp("answer-first"), {}, [("ana", "Ana", AgentRole.AGENT)]
    ):
        site.services.kb.ingest_path(kb)
        yield site


@pytest.fixture
def client(site: Site) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, timeout=60) as http:
        yield http


def self_help_then_person(chat: Chat, text: str) -> dict[str, Any]:
    """The bot's answer to `text`, which cites the hacked-account article, with the chat
    waiting for a person."""
    response = chat.send(text)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    reply: dict[str, Any] = body["reply"]
    assert reply is not None and reply["kind"] == "answer", body
    assert [c["article_id"] for c in reply["citations"]] == ["hacked-account"]
    assert body["mode"] == "waiting"
    return reply


def test_a_hacked_account_gets_the_self_help_then_a_person(
    site: Site, client: httpx.Client
) -> None:
    chat = Chat(client)
    reply = self_help_then_person(
        chat, "someone hacked my account and there are orders i didn't make"
    )
    assert "Sign out everywhere" in reply["text"]
    turns = history(client, chat)["turns"]
    assert [(t["role"], t["kind"]) for t in turns[-2:]] == [
        ("bot", "answer"),
        ("system", "handoff"),
    ]
    # The agent sees why, with the answer the customer already has.
    ana = AgentSession(client, "ana")
    ticket = ana.ticket_of(chat.id, status="open")
    assert ticket["priority"] == "urgent" and "sensitive_topic" in ticket["reasons"]
    said = [t["text"] for t in ana.get(f"/tickets/{ticket['id']}")["context"]["transcript"]]
    assert reply["text"] in said
    # Stored with the answer: a stop before the handoff would have it finished at start.
    (stored,) = [t for t in anyio.run(site.services.store.turns, chat.id) if t.role is Role.BOT]
    assert AnswerMeta.of(stored.meta).hands_over


def test_words_that_find_no_article_get_the_topics_own_self_help(
    site: Site, client: httpx.Client
) -> None:
    """A message that finds no article of its own ("my ex still knows my password" got a
    refusal before the rules named the topic's `self_help` question) gets the steps to secure
    the account all the same, then the person."""
    chat = Chat(client)
    reply = self_help_then_person(chat, "my ex still knows my password and logged in")
    assert "Sign out everywhere" in reply["text"] or "Forgot password?" in reply["text"]
    (stored,) = [t for t in anyio.run(site.services.store.turns, chat.id) if t.role is Role.BOT]
    assert AnswerMeta.of(stored.meta).query == (
        "How do I secure my account if it's been compromised?"
    )


def test_telling_what_happened_without_a_question_gets_the_topics_self_help(
    site: Site, client: httpx.Client
) -> None:
    """A customer who tells what happened and asks nothing needs the steps to secure the
    account: "a caller asked and I read him my verification code" was answered from the
    two-step article ("SMS. We text a code ...")."""
    chat = Chat(client)
    reply = self_help_then_person(chat, "a caller asked and I read him my verification code")
    assert "Sign out everywhere" in reply["text"] or "Forgot password?" in reply["text"]


def test_a_topic_without_self_help_goes_straight_to_a_person(client: httpx.Client) -> None:
    chat = Chat(client)
    response = chat.send("the kettle caught fire on my counter")
    assert response.status_code == 200, response.text
    assert response.json()["reply"] is None and response.json()["mode"] == "waiting"
    assert [t["role"] for t in history(client, chat)["turns"]] == ["customer", "system"]
