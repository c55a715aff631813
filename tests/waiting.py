"""How long tests wait: one generous bound, so a busy machine slows tests instead of failing them.

Every wait polls for its condition and returns as soon as it holds; the bound only decides when
a test gives up. `TEST_WAIT_SCALE=2` doubles every bound (for very slow machines).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

WAIT_S = 180.0 * float(os.environ.get("TEST_WAIT_SCALE", "1"))
"""The longest a test waits for anything: a server to start, an event, a subprocess."""

POLL_S = 0.05


def eventually(check: Callable[[], T | None], what: str, timeout_s: float = WAIT_S) -> T:
    """Poll `check` until it returns something truthy (returned); fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not true within {timeout_s:.0f} s")
        time.sleep(POLL_S)
