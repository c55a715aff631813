"""Redis for the scale-out suites: a throwaway key prefix on the test server's db 15."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
import redis

REDIS_URL_ENV = "SUPPORTBOT_TEST_REDIS_URL"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
# Read at import (collection): the autouse fixture clears SUPPORTBOT_* before each test.
REDIS_SERVER_URL = os.environ.get(REDIS_URL_ENV) or DEFAULT_REDIS_URL


@pytest.fixture
def anyio_backend() -> str:
    """The scale-out suites run on asyncio, like the app."""
    return "asyncio"


def require_redis() -> str:
    """The test Redis server's URL; unreachable: fails under CI=true, else skips."""
    try:
        with redis.Redis.from_url(REDIS_SERVER_URL, socket_connect_timeout=5) as client:
            client.ping()
    except redis.RedisError as exc:
        reason = f"Redis at {REDIS_SERVER_URL} is unreachable ({exc}); set {REDIS_URL_ENV}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required in CI: {reason}")
        pytest.skip(reason)
    return REDIS_SERVER_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis server's URL (see `require_redis`)."""
    return require_redis()


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key and channel prefix of this test only; its keys are deleted afterwards."""
    prefix = f"supportbot_test_{secrets.token_hex(6)}:"
    yield prefix
    with redis.Redis.from_url(redis_url) as client:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
