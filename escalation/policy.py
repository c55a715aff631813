"""Turns detector findings into one decision: escalate, why, how urgently (deterministic)."""

from __future__ import annotations

from collections.abc import Iterable

from escalation.types import EscalationDecision, Finding, Priority, Reason


def assess(
    findings: Iterable[Finding | None], scores: dict[str, float] | None = None
) -> EscalationDecision:
    """Escalate when any detector fired; priority is the most urgent finding's.

    An explicit request from an emotionally charged customer is raised to high priority.
    """
    found = sorted(
        (f for f in findings if f is not None), key=lambda f: (f.priority.rank, -f.score)
    )
    if not found:
        return EscalationDecision(False, scores=scores or {})
    priority = found[0].priority
    reasons = {f.reason for f in found}
    if {Reason.EXPLICIT_REQUEST, Reason.EMOTION} <= reasons and priority is Priority.NORMAL:
        priority = Priority.HIGH
    return EscalationDecision(True, tuple(found), priority, scores or {})
