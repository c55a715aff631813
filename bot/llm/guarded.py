"""Deadlines and a circuit breaker around any ChatModel (issue #15: a hanging LLM once held a
customer for three minutes).

Every call ends by its deadline (an answer's first token sooner), and after a few failures in
a row the model counts as down for a cool-off period: calls then fail at once with
`LLMUnavailable`, so answers, handoff summaries and follow-up rewrites fall back immediately.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping, Sequence

import anyio

from bot.errors import LLMError, LLMTimeout, LLMUnavailable
from bot.llm.interfaces import ChatModel
from bot.settings import LLMConfig

log = logging.getLogger(__name__)


class CircuitBreaker:
    """Opens after `failures` consecutive failures; closed again by the first success.

    While open every call is refused for `cooloff_s`; then one trial call goes through (and
    the others keep being refused until it succeeds, or for another cool-off if it fails).
    State is per process: each worker finds out on its own that the model is down.
    """

    def __init__(
        self, failures: int, cooloff_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._threshold = failures
        self._cooloff_s = cooloff_s
        self._clock = clock
        self._failures = 0
        self._open_until: float | None = None

    def admit(self, where: str) -> None:
        """Let a call through, or raise `LLMUnavailable` while the breaker is open."""
        if self._open_until is None:
            return
        now = self._clock()
        if now < self._open_until:
            raise LLMUnavailable(
                f"the LLM at {where} is skipped for {self._open_until - now:.0f} s more after "
                f"{self._failures} failures in a row"
            )
        self._open_until = now + self._cooloff_s  # this call is the trial; others wait

    def succeeded(self) -> None:
        """A call worked: close the breaker."""
        if self._open_until is not None:
            log.warning("the LLM answers again; it is used again")
        self._failures = 0
        self._open_until = None

    def failed(self, error: LLMError) -> None:
        """A call failed or timed out; the last one of a streak opens the breaker."""
        self._failures += 1
        if self._failures >= self._threshold:
            self._open_until = self._clock() + self._cooloff_s
            log.warning(
                "the LLM failed %d times in a row (%s); skipping it for %.0f s",
                self._failures,
                error,
                self._cooloff_s,
            )


class GuardedChatModel:
    """A ChatModel whose calls end by their deadlines and skip a model that is down."""

    def __init__(
        self,
        model: ChatModel,
        *,
        first_token_s: float,
        deadline_s: float,
        breaker: CircuitBreaker,
        where: str = "",
    ) -> None:
        self._model = model
        self._first_token_s = first_token_s
        self._deadline_s = deadline_s
        self.breaker = breaker
        self._where = where or model.model

    @property
    def model(self) -> str:
        """The wrapped model's name."""
        return self._model.model

    async def complete(self, messages: Sequence[Mapping[str, str]], *, max_tokens: int) -> str:
        """The whole reply within the deadline."""
        self.breaker.admit(self._where)
        try:
            with anyio.fail_after(self._deadline_s):
                text = await self._model.complete(messages, max_tokens=max_tokens)
        except TimeoutError as exc:
            raise self._timed_out(f"no reply within {self._deadline_s:g} s") from exc
        except LLMError as exc:
            self.breaker.failed(exc)
            raise
        self.breaker.succeeded()
        return text

    async def stream(
        self, messages: Sequence[Mapping[str, str]], *, max_tokens: int
    ) -> AsyncIterator[str]:
        """The reply as generated: the first piece within `first_token_s`, all of it within
        the deadline. A stalled stream is abandoned, never retried."""
        self.breaker.admit(self._where)
        started = anyio.current_time()
        deadline = started + self._deadline_s
        due = min(deadline, started + self._first_token_s)
        pieces = self._model.stream(messages, max_tokens=max_tokens)
        first = True
        try:
            while (piece := await self._next(pieces, due)) is not None:
                first, due = False, deadline
                yield piece
        except TimeoutError as exc:
            waited = "no first token" if first else "the answer was not finished"
            raise self._timed_out(f"{waited} after {anyio.current_time() - started:.1f} s") from exc
        except LLMError as exc:
            self.breaker.failed(exc)
            raise
        finally:
            if isinstance(pieces, AsyncGenerator):
                await pieces.aclose()
        self.breaker.succeeded()

    @staticmethod
    async def _next(pieces: AsyncIterator[str], due: float) -> str | None:
        with anyio.fail_after(max(0.0, due - anyio.current_time())):
            return await anext(pieces, None)

    def _timed_out(self, what: str) -> LLMTimeout:
        error = LLMTimeout(f"the LLM at {self._where} timed out: {what}")
        self.breaker.failed(error)
        return error

    async def aclose(self) -> None:
        """Close the wrapped model."""
        await self._model.aclose()


def guarded(model: ChatModel, config: LLMConfig) -> GuardedChatModel:
    """`model` with the deadlines and the circuit breaker of `config`."""
    return GuardedChatModel(
        model,
        first_token_s=config.first_token_s,
        deadline_s=config.deadline_s,
        breaker=CircuitBreaker(config.breaker_failures, config.breaker_cooloff_s),
        where=config.base_url,
    )
