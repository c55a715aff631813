"""Turns detector findings into one decision: escalate, why, how urgently (deterministic)."""

from __future__ import annotations

from collections.abc import Iterable

from escalation.types import EscalationDecision, Finding, Priority, Reason


def assess(
    findings: Iterable[Finding | None],
    scores: dict[str, float] | None = None,
    *,
    answer_first_below: float = 0.0,
) -> EscalationDecision:
    """Escalate when any detector fired; priority is the most urgent finding's.

    An explicit request from an emotionally charged customer is raised to high priority.
    When emotion is the only finding and scores under `answer_first_below`, or is mild
    (annoyance in words only, or no feeling said; `Cues.mild`) while `answer_first_below` is
    set, the decision keeps the finding
    but does not escalate: the bot acknowledges the feeling and answers first.
    """
    found = sorted(
        (f for f in findings if f is not None), key=lambda f: (f.priority.rank, -f.score)
    )
    if not found:
        return EscalationDecision(False, scores=scores or {})
    priority = found[0].priority
    reasons = {f.reason for f in found}
    mild = answer_first_below > 0 and all(f.mild for f in found)
    if reasons == {Reason.EMOTION} and (found[0].score < answer_first_below or mild):
        return EscalationDecision(False, tuple(found), priority, scores or {})
    if {Reason.EXPLICIT_REQUEST, Reason.EMOTION} <= reasons and priority is Priority.NORMAL:
        priority = Priority.HIGH
    return EscalationDecision(True, tuple(found), priority, scores or {})
