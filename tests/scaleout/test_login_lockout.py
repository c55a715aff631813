"""Staff login throttling (issue 15, item 7): lockouts after wrong passwords, per account and
per address, with backoff, on the in-process and the Redis backends."""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import pytest
import redis.asyncio
from fastapi import FastAPI

from bot.api.app import create_app
from bot.errors import RateLimited
from bot.runtime.backends.redis_ratelimit import RedisFailureLimiter
from bot.runtime.ratelimit import (
    Backoff,
    FailureLimiter,
    FallbackFailureLimiter,
    MemoryFailureLimiter,
)
from bot.settings import ApiConfig, RedisConfig, Settings
from bot.wiring import Services, build_failure_limiter, build_services
from escalation.types import AgentRole
from retrieval.interfaces import Embedder
from tests.live_server import LiveServer

PASSWORD = "correct horse battery"
WRONG = "Tr0ub4dor&3-wrong"

# make(backoff) -> a limiter; limiters made by one factory share their counts like the API
# workers of one deployment (memory: the same instance, as within one worker).
Limiters = Callable[[Backoff], FailureLimiter]


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def limiters(request: pytest.FixtureRequest) -> AsyncIterator[Limiters]:
    """Makes lockout counters of one backend, closed afterwards."""
    made: list[FailureLimiter] = []
    memory: dict[Backoff, FailureLimiter] = {}

    def make(backoff: Backoff) -> FailureLimiter:
        limiter: FailureLimiter
        if request.param == "memory":
            limiter = memory.setdefault(backoff, MemoryFailureLimiter(backoff))
        else:
            limiter = RedisFailureLimiter(
                request.getfixturevalue("redis_url"),
                name="login",
                backoff=backoff,
                prefix=request.getfixturevalue("redis_prefix"),
            )
        made.append(limiter)
        return limiter

    yield make
    for limiter in made:
        await limiter.aclose()


async def unlocked_within(limiter: FailureLimiter, key: str, deadline_s: float) -> bool:
    """Poll until `key` is no longer locked out; False if it still is after `deadline_s`."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            await limiter.check(key, "failed logins")
        except RateLimited:
            await anyio.sleep(0.05)
        else:
            return True
    return False


@pytest.mark.anyio
async def test_lockouts_double_after_the_limit_up_to_the_cap(limiters: Limiters) -> None:
    limiter = limiters(Backoff(limit=3, lockout_s=10, max_lockout_s=35, forget_s=60))
    lockouts = [await limiter.fail("alice") for _ in range(7)]
    assert lockouts == [0, 0, 10, 20, 35, 35, 35]


@pytest.mark.anyio
async def test_locked_after_the_limit_and_unlocked_when_the_lockout_ends(
    limiters: Limiters,
) -> None:
    limiter = limiters(Backoff(limit=2, lockout_s=3, max_lockout_s=60, forget_s=60))
    await limiter.fail("alice")
    await limiter.check("alice", "failed logins")  # one failure: not locked yet
    await limiter.fail("alice")
    with pytest.raises(RateLimited, match=r"too many failed logins; try again in \d+ s") as refused:
        await limiter.check("alice", "failed logins")
    assert 1 <= refused.value.retry_after_s <= 3  # rounded up to whole seconds
    await limiter.check("bob", "failed logins")  # keys are counted apart
    assert await unlocked_within(limiter, "alice", 30)
    assert await limiter.fail("alice") == 6  # failures are remembered: the next one doubles


@pytest.mark.anyio
async def test_clear_forgets_and_workers_share_lockouts(limiters: Limiters) -> None:
    backoff = Backoff(limit=2, lockout_s=60, max_lockout_s=60, forget_s=60)
    one, two = limiters(backoff), limiters(backoff)
    await one.fail("alice")
    await two.fail("alice")
    for limiter in (one, two):
        with pytest.raises(RateLimited):
            await limiter.check("alice", "failed logins")
    await two.clear("alice")
    await one.check("alice", "failed logins")
    assert await one.fail("alice") == 0  # the count restarted


@pytest.mark.redis
@pytest.mark.anyio
async def test_redis_failures_expire_after_forget_s(redis_url: str, redis_prefix: str) -> None:
    backoff = Backoff(limit=5, lockout_s=100, max_lockout_s=100, forget_s=30)
    limiter = RedisFailureLimiter(redis_url, name="login", backoff=backoff, prefix=redis_prefix)
    try:
        await limiter.fail("alice")
        async with redis.asyncio.Redis.from_url(redis_url) as admin:
            assert 0 < await admin.pttl(f"{redis_prefix}login:alice") <= 30_000
    finally:
        await limiter.aclose()


@pytest.mark.anyio
async def test_settings_pick_the_failure_limiter() -> None:
    backoff = Backoff(5, 30, 900, 900)
    assert isinstance(build_failure_limiter(Settings(), "x", backoff), MemoryFailureLimiter)
    settings = Settings(
        redis=RedisConfig(url="redis://127.0.0.1:1/0"), api=ApiConfig(rate_limit_backend="redis")
    )
    chosen = build_failure_limiter(settings, "x", backoff)
    assert isinstance(chosen, FallbackFailureLimiter)
    try:  # nothing listens on port 1: lockouts count in this worker instead of failing
        for _ in range(5):
            await chosen.fail("alice")
        with pytest.raises(RateLimited):
            await chosen.check("alice", "login attempts")
        await chosen.clear("alice")
        await chosen.check("alice", "login attempts")
    finally:
        await chosen.aclose()


# ------------------------------------------------------------------- through the login API

LOCKOUT_S = 5.0  # long enough to observe the lockout on a busy machine, short enough to wait


@dataclass
class Site:
    """A live server, and a client on a loopback address of its own (the IP that is counted)."""

    client: httpx.Client
    ip: str
    tag: str  # account names end with it

    def login(self, name: str, password: str) -> httpx.Response:
        return self.client.post("/api/agent/login", json={"name": name, "password": password})


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def site(request: pytest.FixtureRequest, embedder: Embedder, tmp_path: Path) -> Iterator[Site]:
    """A live server with agents alice, bob and carol; 5 failures lock an account, 8 an
    address. Redis keys are this test's own: a random client address and account names."""
    backend = {}
    if request.param == "redis":
        backend = {
            "api": {"rate_limit_backend": "redis"},
            "redis": {"url": request.getfixturevalue("redis_url")},
        }
    login = {
        "max_failures_per_account": 5,
        "max_failures_per_ip": 8,
        "lockout_s": LOCKOUT_S,
        "max_lockout_s": 60,
        "forget_after_s": 60,
    }
    settings = Settings(data_dir=tmp_path, login=login, **backend)  # type: ignore[arg-type]
    ip = "127." + ".".join(str(secrets.randbelow(254) + 1) for _ in range(3))
    tag = secrets.token_hex(4)
    services = build_services(settings, embedder=embedder)
    for name in ("alice", "bob", "carol"):
        anyio.run(services.escalator.agents.add, f"{name}-{tag}", PASSWORD, AgentRole.AGENT, name)
    with LiveServer(closing_services(create_app(settings, services), services)) as live:
        transport = httpx.HTTPTransport(local_address=ip)
        with httpx.Client(base_url=live.url, transport=transport, timeout=60) as client:
            yield Site(client, ip, tag)


def closing_services(app: FastAPI, services: Services) -> FastAPI:
    """`app`, closing `services` when it stops, in its own event loop (Redis clients are bound
    to the loop that first used them)."""
    serving = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with serving(app):
            yield
        await services.aclose()

    app.router.lifespan_context = lifespan
    return app


def assert_refused(response: httpx.Response, whose: str) -> None:
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["error_code"] == "rate_limited"
    assert f"too many failed logins {whose}; try again in" in body["detail"]
    assert 1 <= int(response.headers["Retry-After"]) <= LOCKOUT_S


def test_wrong_passwords_lock_the_account_then_the_address(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.runtime.staff_login")
    alice, bob, carol, nobody = (f"{n}-{site.tag}" for n in ("alice", "bob", "carol", "nobody"))
    for _ in range(5):
        assert site.login(alice, WRONG).status_code == 401
    for _ in range(5):  # the 6th..10th wrong password are refused without being checked
        assert_refused(site.login(alice, WRONG), "for this account")
    assert_refused(site.login(alice, PASSWORD), "for this account")  # even the right one
    assert site.login(bob, PASSWORD).status_code == 200  # other accounts are not locked

    deadline = time.monotonic() + 60
    while (answer := site.login(alice, PASSWORD)).status_code == 429:
        assert time.monotonic() < deadline, "the lockout never ended"
        time.sleep(0.2)
    assert answer.status_code == 200, answer.text

    # This address has 5 failures; alice's and bob's successes do not reset them.
    assert site.login(bob, WRONG).status_code == 401
    assert site.login(carol, WRONG).status_code == 401
    assert site.login(nobody, WRONG).status_code == 401  # the 8th failure locks the address
    assert_refused(site.login(carol, PASSWORD), "from your address")

    failed = [r.getMessage() for r in caplog.records if r.name == "bot.runtime.staff_login"]
    assert len(failed) == 8
    assert f"failed staff login for account '{alice}' from {site.ip}" in failed[0]
    assert "locked out for 5 s" in failed[4] and "locked out" in failed[-1]
    assert not any(WRONG in message or PASSWORD in message for message in caplog.text.splitlines())
