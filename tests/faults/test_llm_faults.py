"""A misbehaving LLM never holds a customer past the deadlines in settings (issue #15, item 6).

The bot runs as a real server (real embedder, Chroma, SQLite) against a real HTTP server that
speaks the OpenAI chat-completions API and hangs, drips, errors or cuts its streams.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from retrieval.interfaces import Embedder
from tests.api.conftest import Chat, api_settings, start
from tests.faults.llm_server import FaultyLLM, Mode
from tests.live_server import LiveServer

pytestmark = pytest.mark.faults

FIRST_TOKEN_S = 1.0
DEADLINE_S = 3.0
# Generous: retrieval and grounding on a busy 2-core machine; without deadlines it took 183 s.
BOUND_S = 10 * DEADLINE_S
QUESTION = "how long do refunds take?"


@pytest.fixture
def llm() -> Iterator[tuple[FaultyLLM, str]]:
    """The misbehaving server and its base URL."""
    state = FaultyLLM()
    with LiveServer(state.app()) as live:
        try:
            yield state, f"{live.url}/v1"
        finally:
            state.closing = True  # let hanging handlers return so the server can stop


@contextmanager
def bot(
    tmp_path: Path,
    embedder: Embedder,
    base_url: str,
    escalation: dict[str, Any] | None = None,
    **llm: Any,
) -> Iterator[httpx.Client]:
    """The bot as a real server using the LLM at `base_url`; a client of it."""
    settings = api_settings(
        tmp_path,
        llm={
            "backend": "openai-compatible",
            "base_url": base_url,
            "model": "fake",
            "first_token_s": FIRST_TOKEN_S,
            "deadline_s": DEADLINE_S,
            **llm,
        },
        escalation=escalation or {},
    )
    services, live = start(settings, embedder)
    with live, httpx.Client(base_url=live.url, timeout=300) as client:
        yield client
    anyio.run(services.aclose)


def ask_timed(chat: Chat, text: str) -> tuple[dict[str, Any], float]:
    """The whole response to a message and how long it took."""
    started = time.monotonic()
    response = chat.send(text)
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body, elapsed


def assert_apology_and_person(chat: Chat, body: dict[str, Any]) -> None:
    """The customer got the apology, and a person was asked for (the notice says so)."""
    reply = body["reply"]
    assert reply["kind"] == "fallback"
    assert "something went wrong" in reply["text"]
    assert body["mode"] == "waiting"
    history = chat.client.get(f"/api/conversations/{chat.id}", headers=chat.headers).json()
    assert history["turns"][-1]["kind"] == "handoff"


@pytest.mark.parametrize("mode", ["hang", "drip"])
def test_a_stalled_llm_gives_the_apology_and_a_person_within_the_deadline(
    llm: tuple[FaultyLLM, str], embedder: Embedder, tmp_path: Path, mode: Mode
) -> None:
    """hang: no first token; drip: a first token, then too slow to finish by the deadline."""
    state, url = llm
    state.mode = mode
    with bot(tmp_path, embedder, url) as client:
        chat = Chat(client)
        body, elapsed = ask_timed(chat, QUESTION)
        assert_apology_and_person(chat, body)
    assert elapsed < BOUND_S, f"the customer waited {elapsed:.1f} s"
    # The stalled stream was not retried, and the handoff summary did not ask the LLM again.
    assert state.completions() == 1


def test_a_stream_cut_midway_gives_the_apology_and_no_half_answer(
    llm: tuple[FaultyLLM, str], embedder: Embedder, tmp_path: Path
) -> None:
    state, url = llm
    state.mode = "cut"
    with bot(tmp_path, embedder, url) as client:
        chat = Chat(client)
        body, _ = ask_timed(chat, QUESTION)
        assert_apology_and_person(chat, body)
        assert "Refunds reach" not in body["reply"]["text"]
    assert state.completions() == 1


def test_after_failures_in_a_row_nothing_waits_on_the_llm(
    llm: tuple[FaultyLLM, str], embedder: Embedder, tmp_path: Path
) -> None:
    """The breaker opens after 2 HTTP 500s: the third customer is handed over at once."""
    state, url = llm
    state.mode = "error"
    with bot(
        tmp_path, embedder, url, max_retries=0, breaker_failures=2, breaker_cooloff_s=600
    ) as client:
        for _ in range(2):
            chat = Chat(client)
            assert_apology_and_person(chat, ask_timed(chat, QUESTION)[0])
        assert state.completions() == 2
        chat = Chat(client)
        assert_apology_and_person(chat, ask_timed(chat, QUESTION)[0])
    assert state.completions() == 2


def test_follow_up_rewrites_skip_a_dead_llm(
    llm: tuple[FaultyLLM, str], embedder: Embedder, tmp_path: Path
) -> None:
    """With escalation off the chat stays with the bot; the follow-up is not rewritten by the
    LLM while it is down (the heuristic rewrite is used) and its answer fails at once."""
    state, url = llm
    state.mode = "error"
    with bot(
        tmp_path,
        embedder,
        url,
        max_retries=0,
        breaker_failures=1,
        breaker_cooloff_s=600,
        escalation={"enabled": False},
    ) as client:
        chat = Chat(client)
        assert chat.ask("how long does delivery to canada take?")["kind"] == "fallback"
        assert state.completions() == 1
        assert chat.ask("and how much does it cost?")["kind"] == "fallback"
    assert state.completions() == 1
