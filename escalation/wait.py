"""The wait a customer is told at a handoff: measured from recent claims, else the setting."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WaitEstimate:
    """Minutes to say, and how many recent waits they come from (0: the configured guess)."""

    minutes: int
    measured: int


def estimate_wait(waits_s: Sequence[float], typical_minutes: int) -> WaitEstimate:
    """The median of the recent waits (ticket opened -> claimed) in whole minutes, rounded up.

    Without any recent claim the configured `typical_minutes` is all there is.
    """
    if not waits_s:
        return WaitEstimate(typical_minutes, 0)
    return WaitEstimate(max(1, math.ceil(statistics.median(waits_s) / 60)), len(waits_s))
