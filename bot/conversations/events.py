"""Live events: the turn as listeners see it (more event types join in issue 19)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from bot.conversation import Citation, CitationKind, Turn


class CitationOut(BaseModel):
    """A numbered source: `[n]` in the text links to it."""

    n: int
    article_id: str
    title: str
    url: str
    section: str
    snippet: str
    kind: CitationKind = Field(
        default="article",
        description="`article`: a help-center article; `announcement`: an active announcement "
        "(issue 21); `account`: the verified customer's own account data (no link).",
    )

    @classmethod
    def of(cls, citation: Citation) -> CitationOut:
        """From the domain type."""
        return cls(
            n=citation.n,
            article_id=citation.article_id,
            title=citation.title,
            url=citation.url,
            section=citation.section,
            snippet=citation.snippet,
            kind=citation.kind,
        )


class TurnOut(BaseModel):
    """One message of the conversation."""

    id: int
    seq: int
    role: str
    text: str
    citations: list[CitationOut]
    confidence: float | None
    kind: str
    created_at: dt.datetime

    @classmethod
    def of(cls, turn: Turn) -> TurnOut:
        """From the domain type."""
        return cls(
            id=turn.id,
            seq=turn.seq,
            role=turn.role.value,
            text=turn.text,
            citations=[CitationOut.of(c) for c in turn.citations],
            confidence=turn.confidence,
            kind=turn.kind,
            created_at=turn.created_at,
        )
