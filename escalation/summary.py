"""The extractive handoff summary (3-5 lines: issue, what was tried, what the customer wants)."""

from __future__ import annotations

from collections.abc import Sequence


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def extractive_summary(
    customer_messages: Sequence[str], tried_titles: Sequence[str], reasons: Sequence[str]
) -> str:
    """A short summary an agent reads at a glance; needs no model."""
    lines = [f"Issue: {_clip(customer_messages[0]) if customer_messages else '(no message)'}"]
    if tried_titles:
        lines.append("Bot tried: " + "; ".join(dict.fromkeys(tried_titles)))
    else:
        lines.append("Bot tried: no matching help-center article")
    if len(customer_messages) > 1:
        lines.append(f"Latest: {_clip(customer_messages[-1])}")
    lines.append("Escalated because: " + ", ".join(reasons))
    return "\n".join(lines)
