"""When supportbot's code started loading: `/readyz` reports the seconds from here to ready
(issue 18: a cold start under 10 s, models included)."""

from __future__ import annotations

import time

LOADING_SINCE = time.monotonic()


def seconds_since_loading() -> float:
    """Seconds since supportbot's package was first imported in this process."""
    return round(time.monotonic() - LOADING_SINCE, 2)
