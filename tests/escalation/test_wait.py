"""The wait told at a handoff: the median of measured waits, else the configured guess."""

from __future__ import annotations

from escalation.wait import WaitEstimate, estimate_wait


def test_without_measured_waits_the_configured_minutes_are_said() -> None:
    assert estimate_wait([], 5) == WaitEstimate(minutes=5, measured=0)


def test_the_median_wait_in_whole_minutes_rounded_up() -> None:
    # Median 250 s: 4.2 minutes, said as 5; one quick claim is at least a minute.
    assert estimate_wait([60, 250, 1200], 9) == WaitEstimate(minutes=5, measured=3)
    assert estimate_wait([12], 9) == WaitEstimate(minutes=1, measured=1)
