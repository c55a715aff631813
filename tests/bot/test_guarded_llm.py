"""The circuit breaker's states, and deadlines on a model that never answers (logic only;
tests/faults runs them against a real misbehaving server)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence

import anyio
import pytest

from bot.errors import LLMError, LLMTimeout, LLMUnavailable
from bot.llm.guarded import CircuitBreaker, GuardedChatModel
from tests.fakes import ScriptedLLM


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_breaker_opens_after_failures_in_a_row_and_one_trial_closes_it() -> None:
    clock = Clock()
    breaker = CircuitBreaker(2, 30.0, clock)
    error = LLMError("HTTP 500")
    breaker.admit("llm")
    breaker.failed(error)
    breaker.succeeded()  # a success in between: the streak starts over
    breaker.failed(error)
    breaker.admit("llm")
    breaker.failed(error)
    with pytest.raises(LLMUnavailable, match="skipped for 30 s more after 2 failures"):
        breaker.admit("llm")
    clock.now += 31
    breaker.admit("llm")  # the one trial call after the cool-off...
    with pytest.raises(LLMUnavailable):
        breaker.admit("llm")  # ...while the others are still refused
    breaker.failed(error)  # the trial failed: another cool-off
    clock.now += 29
    with pytest.raises(LLMUnavailable):
        breaker.admit("llm")
    clock.now += 2
    breaker.admit("llm")
    breaker.succeeded()
    breaker.admit("llm")
    breaker.admit("llm")


class Silent:
    """A ChatModel that never sends anything."""

    model = "silent"

    async def complete(self, messages: Sequence[Mapping[str, str]], *, max_tokens: int) -> str:
        await anyio.sleep_forever()
        return ""

    async def stream(
        self, messages: Sequence[Mapping[str, str]], *, max_tokens: int
    ) -> AsyncIterator[str]:
        await anyio.sleep_forever()
        yield ""

    async def aclose(self) -> None:
        """Nothing to release."""


def guard(model: Silent | ScriptedLLM, failures: int = 2) -> GuardedChatModel:
    return GuardedChatModel(
        model, first_token_s=0.05, deadline_s=0.2, breaker=CircuitBreaker(failures, 600)
    )


def test_deadlines_turn_silence_into_timeouts_that_open_the_breaker() -> None:
    model = guard(Silent())

    async def run() -> None:
        with pytest.raises(LLMTimeout, match="no first token"):
            [piece async for piece in model.stream([], max_tokens=8)]
        with pytest.raises(LLMTimeout, match="no reply within 0.2 s"):
            await model.complete([], max_tokens=8)
        with pytest.raises(LLMUnavailable):
            await model.complete([], max_tokens=8)

    anyio.run(run)


def test_errors_count_and_a_success_resets_the_streak() -> None:
    scripted = ScriptedLLM(LLMError("HTTP 500"), "fine", LLMError("HTTP 500"), "again")
    model = guard(scripted)

    async def run() -> None:
        with pytest.raises(LLMError):
            await model.complete([], max_tokens=8)
        assert "".join([piece async for piece in model.stream([], max_tokens=8)]) == "fine"
        with pytest.raises(LLMError):
            await model.complete([], max_tokens=8)
        assert await model.complete([], max_tokens=8) == "again"

    anyio.run(run)
