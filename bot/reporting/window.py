"""The reporting window shared by analytics and content gaps: its bounds, its rows, and how
questions and cited articles are keyed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


def window(days: int, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """[start of the UTC day `days - 1` days ago, now]."""
    if days < 1:
        raise ValueError("days must be at least 1")
    until = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    start = dt.datetime.combine(until.date(), dt.time(), dt.UTC) - dt.timedelta(days=days - 1)
    return start, until


@dataclass(frozen=True, slots=True)
class WindowRows:
    """The rows of the conversations started in a window, read in one transaction."""

    # SQLAlchemy rows, read by column name.
    conversations: Sequence[Any]
    turns: Sequence[Any]  # ordered by conversation, then seq
    feedback: Sequence[Any]
    tickets: Sequence[Any]
    nps: Sequence[Any]  # answers given in the window, with their conversation's channel


class WindowSource(Protocol):
    """Where a window's rows come from (the SQL database: `bot.db.sql_window.SqlWindowSource`)."""

    def rows(self, since: dt.datetime, until: dt.datetime) -> WindowRows:
        """Conversations started in [since, until], their turns, feedback and tickets (blocking)."""
        ...


def question_key(text: str) -> str:
    """How questions are grouped: lower-cased, whitespace collapsed."""
    return " ".join(text.lower().split())


def cited_articles(citations: Any) -> dict[str, str]:
    """The article ids of a turn's stored citations (each once), with their titles; cited
    announcements (issue 21) are not articles."""
    cited: dict[str, str] = {}
    for item in citations or []:
        if (
            isinstance(item, Mapping)
            and item.get("article_id")
            and item.get("kind") != "announcement"
        ):
            cited.setdefault(str(item["article_id"]), str(item.get("title") or ""))
    return cited
