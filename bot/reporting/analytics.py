"""Live support analytics from the SQL database (SQLAlchemy Core, SQLite or PostgreSQL).

Definitions (per UTC day of a conversation's start, and over the whole window):

- conversation: a conversation started in the window with at least one customer message;
- escalated: the conversation has a ticket (or a handoff notice turn);
- bot-resolved: with evidence and without a failure, as `bot.reporting.resolution` defines them
  (the customer said it helped, thumbs-up, CSAT >= 4, or quiet for the window after a confident
  answer; no thumbs-down, repeat, rephrase, complaint or person request after an answer), not
  escalated, and the same customer did not come back within 24 h of the conversation's last
  message with the same topic. Same topic = the first customer messages of both conversations
  have an embedding cosine of at least 0.8 (without an embedder: the same text, lower-cased).
  Only identified customers (email or external id) can be recognised when they come back;
- time to first agent reply: from a ticket's creation to the first agent reply after it (a
  note-only hand-back is no reply);
- escalation reasons: from `tickets.reasons` (a ticket may give several);
- top questions: first customer messages grouped by exact lower-cased text;
- content gaps: the questions `bot.reporting.resolution` flags (refused, low confidence, failure
  signals, escalated), grouped by lower-cased text, with their reasons; bare requests for a
  person are none;
- failure signals: how many answers got each failure reason;
- agent-resolved: a ticket of the conversation was resolved by an agent; reopened when the
  customer wrote again, or a new ticket was opened, after that;
- first-contact resolution (FCR): first-contact-resolved issues / issues. An issue is a
  conversation that is not a return (the same customer on the same topic within 7 days of an
  earlier conversation's last message, same-topic rule as above); it was resolved at first
  contact when it is bot- or agent-resolved, not reopened, and its customer did not return;
- first response: from the first customer message to the first bot or agent reply (p50,
  overall, per day and per channel); time to resolution: from the first customer message to
  the last bot answer (bot-resolved) or to the ticket's resolution (agent-resolved), p50 each;
- NPS: % promoters (9-10) - % detractors (0-6) of the answers given in the window
  (`bot.reporting.nps`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bot.conversations.models import Role, TurnKind
from bot.reporting.analytics_period import DAILY_COLUMNS, Period, csv_value, p50, ratio
from bot.reporting.nps import summarize
from bot.reporting.resolution import FAILURES, Outcome, Reason, Rules, assess
from bot.reporting.window import WindowSource, cited_articles, question_key, window
from retrieval.interfaces import Embedder

SAME_TOPIC_COSINE = 0.8
COME_BACK_WINDOW = dt.timedelta(hours=24)
RETURN_WINDOW = dt.timedelta(days=7)
REPLIES = (Role.BOT.value, Role.AGENT.value)
TOP_N = 10


@dataclass(frozen=True, slots=True)
class Analytics:
    """Every figure of the admin dashboard for one window."""

    since: dt.datetime
    until: dt.datetime
    overall: Period
    daily: list[tuple[dt.date, Period]]
    by_channel: dict[str, Period] = field(default_factory=dict)
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
            "by_channel": {channel: p.as_dict() for channel, p in self.by_channel.items()},
            "escalation_reasons": [
                {"reason": reason, "count": count, "rate": ratio(count, total)}
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
                "return_window_s": RETURN_WINDOW.total_seconds(),
            },
        }

    def summary(self) -> dict[str, Any]:
        """The headline figures (`supportbot analytics --json`), overall and per channel."""
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            **_headline(self.overall),
            "by_channel": {channel: _headline(p) for channel, p in self.by_channel.items()},
        }

    def daily_csv(self) -> str:
        """The daily table as CSV (header row first)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(DAILY_COLUMNS)
        for day, period in self.daily:
            row = {"day": day.isoformat(), **period.as_dict()}
            writer.writerow([csv_value(row[c]) for c in DAILY_COLUMNS])
        return buffer.getvalue()


def _headline(period: Period) -> dict[str, Any]:
    return {
        "conversations": period.conversations,
        "bot_resolved_rate": period.bot_resolved_rate,
        "escalation_rate": period.escalation_rate,
        "csat": period.csat_avg,
        "csat_count": period.csat_count,
        "nps": period.nps.score,
        "nps_answers": period.nps.answers,
        "fcr": period.fcr,
        "first_response_s_p50": period.first_response_s_p50,
        "resolution_s_p50_bot": period.resolution_s_p50_bot,
        "resolution_s_p50_agent": period.resolution_s_p50_agent,
        "median_first_agent_reply_s": period.median_first_agent_reply_s,
    }


@dataclass(slots=True)
class _Conv:
    id: str
    customer_id: str
    channel: str
    created_at: dt.datetime
    csat: int | None
    last_at: dt.datetime
    outcome: Outcome
    first_question: str = ""
    customer_turns: int = 0
    thumbs_up: int = 0
    thumbs_down: int = 0
    came_back: bool = False  # same topic within 24 h
    returned: bool = False  # same topic within 7 days
    is_return: bool = False  # an earlier conversation's return
    reply_s: list[float] = field(default_factory=list)
    first_customer_at: dt.datetime | None = None
    first_reply_at: dt.datetime | None = None
    last_bot_at: dt.datetime | None = None
    last_customer_at: dt.datetime | None = None
    last_ticket_at: dt.datetime | None = None
    agent_resolved_at: dt.datetime | None = None

    @property
    def escalated(self) -> bool:
        return self.outcome.escalated

    @property
    def bot_resolved(self) -> bool:
        return self.outcome.resolved and not self.came_back

    @property
    def first_contact_resolved(self) -> bool:
        resolved = self.bot_resolved or self.agent_resolved_at is not None
        return resolved and not self.returned and not self.reopened

    @property
    def reopened(self) -> bool:
        """Agent-resolved, then a customer message or a new ticket."""
        resolved = self.agent_resolved_at
        later = (self.last_customer_at, self.last_ticket_at)
        return resolved is not None and any(at is not None and at > resolved for at in later)

    @property
    def first_response_s(self) -> float | None:
        return _seconds(self.first_customer_at, self.first_reply_at)

    @property
    def bot_resolution_s(self) -> float | None:
        return _seconds(self.first_customer_at, self.last_bot_at) if self.bot_resolved else None

    @property
    def agent_resolution_s(self) -> float | None:
        return _seconds(self.first_customer_at, self.agent_resolved_at)


def _seconds(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds()


def compute(
    source: WindowSource,
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
    data = source.rows(since, until)
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
        r.id: _Conv(
            r.id, r.customer_id, r.channel, r.created_at, r.csat, r.created_at, outcomes[r.id]
        )
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
            _track_times(conv, row)
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
            if t.role == "agent"
            and t.kind != TurnKind.HANDBACK_NOTE
            and t.created_at >= ticket.created_at
        ]
        if agent_turns:
            conv.reply_s.append((min(agent_turns) - ticket.created_at).total_seconds())
        conv.last_ticket_at = max(conv.last_ticket_at or ticket.created_at, ticket.created_at)
        if ticket.status == "resolved" and ticket.resolved_at is not None:
            resolved_at = conv.agent_resolved_at
            conv.agent_resolved_at = max(resolved_at or ticket.resolved_at, ticket.resolved_at)
    active = [c for c in convs.values() if c.customer_turns]
    rule = _mark_returns(active, embedder, same_topic)
    flagged = [q for c in active for q in c.outcome.questions]
    gap_counts = Counter(question_key(q.row.text) for q in flagged)
    gap_reasons: dict[str, Counter[str]] = {}
    for q in flagged:
        gap_reasons.setdefault(question_key(q.row.text), Counter()).update(
            r.value for r in q.reasons
        )
    daily_groups: dict[dt.date, list[_Conv]] = {}
    channel_groups: dict[str, list[_Conv]] = {}
    for conv in active:
        daily_groups.setdefault(conv.created_at.astimezone(dt.UTC).date(), []).append(conv)
        channel_groups.setdefault(conv.channel, []).append(conv)
    daily_scores: dict[dt.date, list[int]] = {}
    channel_scores: dict[str, list[int]] = {}
    for answer in data.nps:
        daily_scores.setdefault(answer.answered_at.astimezone(dt.UTC).date(), []).append(
            answer.score
        )
        channel_scores.setdefault(answer.channel, []).append(answer.score)
    all_days = [since.date() + dt.timedelta(days=i) for i in range(days)]
    return Analytics(
        since=since,
        until=until,
        overall=_period(active, [a.score for a in data.nps]),
        daily=[
            (day, _period(daily_groups.get(day, []), daily_scores.get(day, []))) for day in all_days
        ],
        by_channel={
            channel: _period(channel_groups.get(channel, []), channel_scores.get(channel, []))
            for channel in sorted(set(channel_groups) | set(channel_scores))
        },
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


def _period(convs: Sequence[_Conv], nps_scores: Sequence[int]) -> Period:
    csat = [c.csat for c in convs if c.csat is not None]
    replies = [s for c in convs for s in c.reply_s]
    issues = [c for c in convs if not c.is_return]
    return Period(
        conversations=len(convs),
        bot_resolved=sum(1 for c in convs if c.bot_resolved),
        escalated=sum(1 for c in convs if c.escalated),
        thumbs_up=sum(c.thumbs_up for c in convs),
        thumbs_down=sum(c.thumbs_down for c in convs),
        csat_count=len(csat),
        csat_avg=round(statistics.fmean(csat), 3) if csat else None,
        median_first_agent_reply_s=p50(replies),
        agent_resolved=sum(1 for c in convs if c.agent_resolved_at is not None),
        issues=len(issues),
        first_contact_resolved=sum(1 for c in issues if c.first_contact_resolved),
        first_response_s_p50=p50(s for c in convs if (s := c.first_response_s) is not None),
        resolution_s_p50_bot=p50(s for c in convs if (s := c.bot_resolution_s) is not None),
        resolution_s_p50_agent=p50(s for c in convs if (s := c.agent_resolution_s) is not None),
        nps=summarize(nps_scores),
    )


def _track_times(conv: _Conv, row: Any) -> None:
    """Note the first and last customer messages, the first reply and the last bot answer."""
    if row.role == Role.CUSTOMER.value:
        conv.first_customer_at = conv.first_customer_at or row.created_at
        conv.last_customer_at = row.created_at
    elif row.role in REPLIES and row.kind != TurnKind.HANDBACK_NOTE and conv.first_customer_at:
        conv.first_reply_at = conv.first_reply_at or row.created_at
        if row.role == Role.BOT.value:
            conv.last_bot_at = row.created_at


def _mark_returns(convs: Sequence[_Conv], embedder: Embedder | None, threshold: float) -> str:
    """Flag conversations whose customer came back on the same topic: within 24 h
    (`came_back`) or 7 days (`returned`), and the conversations that are such returns."""
    by_customer: dict[str, list[_Conv]] = {}
    for conv in convs:
        by_customer.setdefault(conv.customer_id, []).append(conv)
    pairs: list[tuple[_Conv, _Conv]] = []
    for items in by_customer.values():
        items.sort(key=lambda c: c.created_at)
        for i, earlier in enumerate(items):
            for later in items[i + 1 :]:
                if later.created_at - earlier.last_at > RETURN_WINDOW:
                    break
                if later.created_at >= earlier.created_at and later is not earlier:
                    pairs.append((earlier, later))
    if embedder is None:
        for earlier, later in pairs:
            if question_key(earlier.first_question) == question_key(later.first_question):
                _mark_return(earlier, later)
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
                _mark_return(earlier, later)
    return f"cosine >= {threshold:g} of the first customer messages"


def _mark_return(earlier: _Conv, later: _Conv) -> None:
    earlier.returned = later.is_return = True
    earlier.came_back = earlier.came_back or later.created_at - earlier.last_at <= COME_BACK_WINDOW
