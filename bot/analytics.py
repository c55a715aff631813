"""Live support analytics from the SQL database (SQLAlchemy Core, SQLite or PostgreSQL).

Definitions (per UTC day of a conversation's start, and over the whole window):

- conversation: a conversation started in the window with at least one customer message;
- escalated: the conversation has a ticket (or a handoff notice turn);
- bot-resolved: with evidence and without a failure, as `bot.resolution` defines them (the
  customer said it helped, thumbs-up, CSAT >= 4, or quiet for the window after a confident
  answer; no thumbs-down, repeat, rephrase, complaint or person request after an answer), not
  escalated, and the same customer did not come back within 24 h of the conversation's last
  message with the same topic. Same topic = the first customer messages of both conversations
  have an embedding cosine of at least 0.8 (without an embedder: the same text, lower-cased).
  Only identified customers (email or external id) can be recognised when they come back;
- time to first agent reply: from a ticket's creation to the first agent reply after it (a
  note-only hand-back is no reply);
- escalation reasons: from `tickets.reasons` (a ticket may give several);
- top questions: first customer messages grouped by exact lower-cased text;
- content gaps: the questions `bot.resolution` flags (refused, low confidence, failure signals,
  escalated), grouped by lower-cased text, with their reasons; bare requests for a person are
  none;
- failure signals: how many answers got each failure reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.backends.sql_schema import conversations, escalation_tables, feedback, turns
from bot.conversation import HANDBACK_NOTE
from bot.resolution import FAILURES, Outcome, Reason, Rules, assess
from retrieval.interfaces import Embedder

SAME_TOPIC_COSINE = 0.8
COME_BACK_WINDOW = dt.timedelta(hours=24)
TOP_N = 10
DAILY_COLUMNS = (
    "day",
    "conversations",
    "bot_resolved",
    "bot_resolved_rate",
    "escalated",
    "escalation_rate",
    "thumbs_up",
    "thumbs_down",
    "csat_count",
    "csat_avg",
    "median_first_agent_reply_s",
)


@dataclass(frozen=True, slots=True)
class Period:
    """The figures of one day, or of the whole window."""

    conversations: int = 0
    bot_resolved: int = 0
    escalated: int = 0
    thumbs_up: int = 0
    thumbs_down: int = 0
    csat_count: int = 0
    csat_avg: float | None = None
    median_first_agent_reply_s: float | None = None

    @property
    def bot_resolved_rate(self) -> float | None:
        """Bot-resolved conversations / conversations."""
        return _ratio(self.bot_resolved, self.conversations)

    @property
    def escalation_rate(self) -> float | None:
        """Escalated conversations / conversations."""
        return _ratio(self.escalated, self.conversations)

    @property
    def thumbs_up_ratio(self) -> float | None:
        """Thumbs up / all thumbs."""
        return _ratio(self.thumbs_up, self.thumbs_up + self.thumbs_down)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures, rates included."""
        return {
            "conversations": self.conversations,
            "bot_resolved": self.bot_resolved,
            "bot_resolved_rate": self.bot_resolved_rate,
            "escalated": self.escalated,
            "escalation_rate": self.escalation_rate,
            "thumbs_up": self.thumbs_up,
            "thumbs_down": self.thumbs_down,
            "thumbs_up_ratio": self.thumbs_up_ratio,
            "csat_count": self.csat_count,
            "csat_avg": self.csat_avg,
            "median_first_agent_reply_s": self.median_first_agent_reply_s,
        }


@dataclass(frozen=True, slots=True)
class Analytics:
    """Every figure of the admin dashboard for one window."""

    since: dt.datetime
    until: dt.datetime
    overall: Period
    daily: list[tuple[dt.date, Period]]
    escalation_reasons: dict[str, int] = field(default_factory=dict)
    csat_distribution: dict[int, int] = field(default_factory=dict)
    top_questions: list[tuple[str, int]] = field(default_factory=list)
    top_articles: list[tuple[str, str, int]] = field(default_factory=list)
    gaps: list[tuple[str, int, dict[str, int]]] = field(default_factory=list)
    failure_signals: dict[str, int] = field(default_factory=dict)
    same_topic_rule: str = ""
    resolution_window_s: float = 0.0

    def as_json(self) -> dict[str, Any]:
        """The `GET /api/analytics` body."""
        total = self.overall.conversations
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "overall": self.overall.as_dict(),
            "daily": [{"day": day.isoformat(), **p.as_dict()} for day, p in self.daily],
            "escalation_reasons": [
                {"reason": reason, "count": count, "rate": _ratio(count, total)}
                for reason, count in self.escalation_reasons.items()
            ],
            "csat_distribution": {str(score): n for score, n in self.csat_distribution.items()},
            "top_questions": [{"text": t, "count": n} for t, n in self.top_questions],
            "top_articles": [
                {"article_id": a, "title": t, "count": n} for a, t, n in self.top_articles
            ],
            "content_gaps": [
                {"text": t, "count": n, "reasons": reasons} for t, n, reasons in self.gaps
            ],
            "failure_signals": self.failure_signals,
            "definitions": {
                "same_topic": self.same_topic_rule,
                "resolution_window_s": self.resolution_window_s,
            },
        }

    def daily_csv(self) -> str:
        """The daily table as CSV (header row first)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(DAILY_COLUMNS)
        for day, period in self.daily:
            row = {"day": day.isoformat(), **period.as_dict()}
            writer.writerow(["" if row[c] is None else _csv_value(row[c]) for c in DAILY_COLUMNS])
        return buffer.getvalue()


def _csv_value(value: Any) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def question_key(text: str) -> str:
    """How questions are grouped: lower-cased, whitespace collapsed."""
    return " ".join(text.lower().split())


@dataclass(slots=True)
class _Conv:
    id: str
    customer_id: str
    created_at: dt.datetime
    csat: int | None
    last_at: dt.datetime
    outcome: Outcome
    first_question: str = ""
    customer_turns: int = 0
    thumbs_up: int = 0
    thumbs_down: int = 0
    came_back: bool = False
    reply_s: list[float] = field(default_factory=list)

    @property
    def escalated(self) -> bool:
        return self.outcome.escalated

    @property
    def bot_resolved(self) -> bool:
        return self.outcome.resolved and not self.came_back


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


def read_window(engine: Engine, since: dt.datetime, until: dt.datetime) -> WindowRows:
    """Conversations started in [since, until] with their turns, feedback and tickets."""
    tickets = escalation_tables.tickets
    in_window = sa.and_(conversations.c.created_at >= since, conversations.c.created_at <= until)
    chosen = sa.select(conversations.c.id).where(in_window)
    with engine.connect() as conn, conn.begin():
        return WindowRows(
            conversations=conn.execute(
                sa.select(
                    conversations.c.id,
                    conversations.c.customer_id,
                    conversations.c.created_at,
                    conversations.c.csat,
                ).where(in_window)
            ).all(),
            turns=conn.execute(
                sa.select(
                    turns.c.id,
                    turns.c.conversation_id,
                    turns.c.seq,
                    turns.c.role,
                    turns.c.text,
                    turns.c.kind,
                    turns.c.confidence,
                    turns.c.citations,
                    turns.c.meta,
                    turns.c.created_at,
                )
                .where(turns.c.conversation_id.in_(chosen))
                .order_by(turns.c.conversation_id, turns.c.seq)
            ).all(),
            feedback=conn.execute(
                sa.select(feedback.c.conversation_id, feedback.c.turn_id, feedback.c.rating).where(
                    feedback.c.conversation_id.in_(chosen)
                )
            ).all(),
            tickets=conn.execute(
                sa.select(tickets.c.conversation_id, tickets.c.created_at, tickets.c.reasons).where(
                    tickets.c.conversation_id.in_(chosen)
                )
            ).all(),
        )


def cited_articles(citations: Any) -> dict[str, str]:
    """The article ids of a turn's stored citations (each once), with their titles."""
    cited: dict[str, str] = {}
    for item in citations or []:
        if isinstance(item, Mapping) and item.get("article_id"):
            cited.setdefault(str(item["article_id"]), str(item.get("title") or ""))
    return cited


def compute(
    engine: Engine,
    *,
    days: int = 30,
    now: dt.datetime | None = None,
    embedder: Embedder | None = None,
    same_topic: float = SAME_TOPIC_COSINE,
    rules: Rules | None = None,
) -> Analytics:
    """The analytics of the last `days` UTC days (today included), read in one transaction."""
    rules = rules or Rules()
    since, until = window(days, now)
    data = read_window(engine, since, until)
    conv_rows, turn_rows = data.conversations, data.turns
    feedback_rows, ticket_rows = data.feedback, data.tickets
    outcomes = assess(
        turn_rows,
        ticket_rows,
        feedback_rows,
        {r.id: r.csat for r in conv_rows},
        rules=rules,
        now=until,
        embedder=embedder,
    )
    convs = {
        r.id: _Conv(r.id, r.customer_id, r.created_at, r.csat, r.created_at, outcomes[r.id])
        for r in conv_rows
    }
    questions: Counter[str] = Counter()
    articles: Counter[str] = Counter()
    titles: dict[str, str] = {}
    by_conversation: dict[str, list[Any]] = {}
    for row in turn_rows:
        by_conversation.setdefault(row.conversation_id, []).append(row)
    for conversation_id, rows in by_conversation.items():
        conv = convs[conversation_id]
        conv.last_at = max(conv.last_at, rows[-1].created_at)
        for row in rows:
            if row.role == "customer":
                conv.customer_turns += 1
                conv.first_question = conv.first_question or row.text
            elif row.role == "bot":
                for article_id, title in cited_articles(row.citations).items():
                    articles[article_id] += 1
                    titles.setdefault(article_id, title)
        if conv.first_question:
            questions[question_key(conv.first_question)] += 1
    for fb in feedback_rows:
        conv = convs[fb.conversation_id]
        if fb.rating > 0:
            conv.thumbs_up += 1
        elif fb.rating < 0:
            conv.thumbs_down += 1
    reasons: Counter[str] = Counter()
    for ticket in ticket_rows:
        conv = convs[ticket.conversation_id]
        ticket_reasons = tuple(str(r) for r in ticket.reasons or [])
        reasons.update(set(ticket_reasons))
        agent_turns = [
            t.created_at
            for t in by_conversation.get(ticket.conversation_id, [])
            if t.role == "agent" and t.kind != HANDBACK_NOTE and t.created_at >= ticket.created_at
        ]
        if agent_turns:
            conv.reply_s.append((min(agent_turns) - ticket.created_at).total_seconds())
    active = [c for c in convs.values() if c.customer_turns]
    rule = _mark_came_back(active, embedder, same_topic)
    flagged = [q for c in active for q in c.outcome.questions]
    gap_counts = Counter(question_key(q.row.text) for q in flagged)
    gap_reasons: dict[str, Counter[str]] = {}
    for q in flagged:
        gap_reasons.setdefault(question_key(q.row.text), Counter()).update(
            r.value for r in q.reasons
        )
    daily_groups: dict[dt.date, list[_Conv]] = {}
    for conv in active:
        daily_groups.setdefault(conv.created_at.astimezone(dt.UTC).date(), []).append(conv)
    all_days = [since.date() + dt.timedelta(days=i) for i in range(days)]
    return Analytics(
        since=since,
        until=until,
        overall=_period(active),
        daily=[(day, _period(daily_groups.get(day, []))) for day in all_days],
        escalation_reasons=dict(reasons.most_common()),
        csat_distribution={
            score: sum(1 for c in active if c.csat == score) for score in range(1, 6)
        },
        top_questions=questions.most_common(TOP_N),
        top_articles=[(a, titles.get(a, ""), n) for a, n in articles.most_common(TOP_N)],
        gaps=[
            (t, n, dict(sorted(gap_reasons[t].items()))) for t, n in gap_counts.most_common(TOP_N)
        ],
        failure_signals={
            reason.value: sum(1 for q in flagged if reason in q.reasons)
            for reason in Reason
            if reason in FAILURES
        },
        same_topic_rule=rule,
        resolution_window_s=rules.window.total_seconds(),
    )


def _period(convs: Sequence[_Conv]) -> Period:
    csat = [c.csat for c in convs if c.csat is not None]
    replies = [s for c in convs for s in c.reply_s]
    return Period(
        conversations=len(convs),
        bot_resolved=sum(1 for c in convs if c.bot_resolved),
        escalated=sum(1 for c in convs if c.escalated),
        thumbs_up=sum(c.thumbs_up for c in convs),
        thumbs_down=sum(c.thumbs_down for c in convs),
        csat_count=len(csat),
        csat_avg=round(statistics.fmean(csat), 3) if csat else None,
        median_first_agent_reply_s=round(statistics.median(replies), 1) if replies else None,
    )


def _mark_came_back(convs: Sequence[_Conv], embedder: Embedder | None, threshold: float) -> str:
    """Flag conversations whose customer came back within 24 h on the same topic."""
    by_customer: dict[str, list[_Conv]] = {}
    for conv in convs:
        by_customer.setdefault(conv.customer_id, []).append(conv)
    pairs: list[tuple[_Conv, _Conv]] = []
    for items in by_customer.values():
        items.sort(key=lambda c: c.created_at)
        for i, earlier in enumerate(items):
            for later in items[i + 1 :]:
                if later.created_at - earlier.last_at > COME_BACK_WINDOW:
                    break
                if later.created_at >= earlier.created_at and later is not earlier:
                    pairs.append((earlier, later))
    if embedder is None:
        for earlier, later in pairs:
            if question_key(earlier.first_question) == question_key(later.first_question):
                earlier.came_back = True
        return "same first customer message (lower-cased)"
    if pairs:
        texts = sorted({c.first_question for pair in pairs for c in pair})
        vectors = np.asarray(embedder.embed_documents(texts), dtype=np.float64)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit = vectors / np.where(norms == 0, 1.0, norms)
        index = {text: i for i, text in enumerate(texts)}
        for earlier, later in pairs:
            a, b = unit[index[earlier.first_question]], unit[index[later.first_question]]
            if float(a @ b) >= threshold:
                earlier.came_back = True
    return f"cosine >= {threshold:g} of the first customer messages"
