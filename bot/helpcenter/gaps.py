"""Content gaps: the questions the bot could not answer well, grouped by meaning (issue #6).

Which questions: those `bot.reporting.resolution` flags: refused (not an injection attempt),
answered under `escalation.low_confidence`, disliked, followed by a failure signal (the same
question again, in other words, a complaint, a request for a person right after the answer),
or the last question before a ticket. Bare requests for a person are none. One question may
have several of these reasons.

Groups: average-linkage agglomerative clustering on cosine distance (the embeddings are unit
vectors, so the mean pairwise similarity of two groups is `sum_a . sum_b / (n_a n_b)`), merging
while it is at most `editor.gap_distance`. Groups of fewer than `editor.gap_min_questions`
questions are left out as noise.

Group key: a hash of the turn id of the group's earliest question. New questions are later,
so a key stays the same when they join; it changes only when that question leaves the window
or the group splits. "Covered by article X" therefore does not hang on the key alone: the link
stores the group's centroid, and a later group is covered by the link with the same key, else
by the most similar link whose centroid has cosine >= `editor.gap_cover_similarity` with its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from bot.conversations.models import AnswerMeta
from bot.errors import NotFound
from bot.helpcenter.articles import ArticleStatus, StoredArticle
from bot.reporting.resolution import Reason, Rules, assess
from bot.reporting.window import WindowRows, cited_articles, question_key, window
from bot.settings import EditorConfig
from retrieval.interfaces import Embedder

if TYPE_CHECKING:
    from bot.db.sql_gaps import SqlGapStore

MAX_EXAMPLES = 5
EMBED_BATCH = 64
Progress = Callable[[int, int], None]
Vector = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class FlaggedQuestion:
    """A customer message the bot did not answer well."""

    turn_id: int
    conversation_id: str
    text: str
    asked_at: dt.datetime
    reasons: frozenset[Reason]
    articles: Mapping[str, str] = field(default_factory=dict)  # cited by the bot: id -> title

    @property
    def day(self) -> dt.date:
        """The UTC day it was asked."""
        return self.asked_at.astimezone(dt.UTC).date()


@dataclass(frozen=True, slots=True)
class GapLink:
    """An editor's "this group is covered by article X"."""

    key: str
    label: str
    centroid: tuple[float, ...]
    article_id: str
    created_by: str
    created_at: dt.datetime

    def as_json(self) -> dict[str, Any]:
        """The link without its centroid."""
        return {
            "key": self.key,
            "label": self.label,
            "article_id": self.article_id,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class ArticleTried:
    """An article the bot cited for questions of a group, and for how many of them."""

    article_id: str
    title: str
    count: int


@dataclass(frozen=True, slots=True, eq=False)
class GapGroup:
    """Questions of one meaning: count, examples, reasons, articles tried, daily trend."""

    key: str
    label: str
    count: int
    examples: tuple[str, ...]
    reasons: Mapping[Reason, int]
    articles_tried: tuple[ArticleTried, ...]
    trend: tuple[tuple[dt.date, int], ...]
    centroid: Vector
    covered_by: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The group in the `GET /api/editor/gaps` shape."""
        return {
            "key": self.key,
            "label": self.label,
            "count": self.count,
            "examples": list(self.examples),
            "reasons": {reason.value: self.reasons.get(reason, 0) for reason in Reason},
            "articles_tried": [
                {"article_id": a.article_id, "title": a.title, "count": a.count}
                for a in self.articles_tried
            ],
            "trend": [{"day": day.isoformat(), "count": n} for day, n in self.trend],
            "covered_by": self.covered_by,
        }


def flag_questions(
    rows: WindowRows, rules: Rules, now: dt.datetime, embedder: Embedder | None = None
) -> list[FlaggedQuestion]:
    """The questions of these conversations that count as gaps (see `bot.reporting.resolution`)."""
    outcomes = assess(
        rows.turns,
        rows.tickets,
        rows.feedback,
        {r.id: r.csat for r in rows.conversations},
        rules=rules,
        now=now,
        embedder=embedder,
    )
    flagged = [q for outcome in outcomes.values() for q in outcome.questions]
    return [
        FlaggedQuestion(
            turn_id=q.row.id,
            conversation_id=q.row.conversation_id,
            text=q.row.text,
            asked_at=q.row.created_at,
            reasons=frozenset(q.reasons),
            articles=_articles_tried(q.answer) if q.answer is not None else {},
        )
        for q in sorted(flagged, key=lambda q: q.row.id)
    ]


def _articles_tried(answer: Any) -> dict[str, str]:
    """The articles an answer cited, else those it retrieved (a refusal cites none)."""
    tried = cited_articles(answer.citations)
    if not tried:
        for article in AnswerMeta.of(answer.meta or {}).retrieved or ():
            tried.setdefault(article.article_id, article.title)
    return tried


def cluster(vectors: Vector, max_distance: float) -> list[list[int]]:
    """Average-linkage groups of unit `vectors` (row indexes), by first member.

    Merges the two closest groups while their mean pairwise cosine distance is at most
    `max_distance`. Memory is a float32 n x n similarity matrix (5,000 questions: 100 MB);
    each merge costs O(n d) plus O(n) per group whose closest neighbour was one of the two.
    """
    n = len(vectors)
    sums = np.asarray(vectors, dtype=np.float64).copy()
    sizes = np.ones(n)
    similarity = (sums @ sums.T).astype(np.float32)
    np.fill_diagonal(similarity, -np.inf)
    members: list[list[int]] = [[i] for i in range(n)]
    alive = np.ones(n, dtype=bool)
    nearest = similarity.argmax(axis=1) if n else np.zeros(0, dtype=np.intp)
    best = similarity[np.arange(n), nearest]
    while n > 1:
        a = int(np.argmax(best))
        b = int(nearest[a])
        if 1.0 - float(best[a]) > max_distance:
            break
        sums[a] += sums[b]
        sizes[a] += sizes[b]
        members[a] += members[b]
        members[b] = []
        alive[b] = False
        row = ((sums @ sums[a]) / (sizes * sizes[a])).astype(np.float32)
        row[~alive] = -np.inf
        row[a] = -np.inf
        similarity[a, :] = row
        similarity[:, a] = row
        similarity[b, :] = -np.inf
        similarity[:, b] = -np.inf
        best[b] = -np.inf
        closer = row > best
        best[closer], nearest[closer] = row[closer], a
        for i in np.flatnonzero(alive & ((nearest == a) | (nearest == b))):
            nearest[i] = int(np.argmax(similarity[i]))
            best[i] = similarity[i, nearest[i]]
    return sorted((sorted(group) for group in members if group), key=lambda g: g[0])


def group_key(turn_id: int) -> str:
    """The key of a group whose earliest question is this turn (see the module docstring)."""
    return hashlib.sha256(f"turn:{turn_id}".encode()).hexdigest()[:12]


def summarize(
    questions: Sequence[FlaggedQuestion],
    vectors: Vector,
    members: Sequence[int],
    days: Sequence[dt.date],
) -> GapGroup:
    """One group: label (the most central question), examples, reasons, articles, trend."""
    group = [questions[i] for i in members]
    centroid = unit(vectors[list(members)].mean(axis=0))
    centrality = vectors[list(members)] @ centroid
    order = sorted(range(len(group)), key=lambda i: (-float(centrality[i]), group[i].turn_id))
    examples: dict[str, str] = {}
    for i in order:
        examples.setdefault(question_key(group[i].text), group[i].text)
    reasons: Counter[Reason] = Counter(r for q in group for r in q.reasons)
    tried: Counter[str] = Counter(a for q in group for a in q.articles)
    titles = {a: t for q in group for a, t in q.articles.items() if t}
    per_day = Counter(q.day for q in group)
    return GapGroup(
        key=group_key(min(group, key=lambda q: (q.asked_at, q.turn_id)).turn_id),
        label=group[order[0]].text,
        count=len(group),
        examples=tuple(examples.values())[:MAX_EXAMPLES],
        reasons={reason: reasons[reason] for reason in Reason},
        articles_tried=tuple(
            ArticleTried(a, titles.get(a, ""), n)
            for a, n in sorted(tried.items(), key=lambda item: (-item[1], item[0]))
        ),
        trend=tuple((day, per_day[day]) for day in days),
        centroid=centroid,
    )


def covering_link(
    group: GapGroup, links: Iterable[GapLink], min_similarity: float
) -> GapLink | None:
    """The link that covers the group: same key, else the closest centroid above the bar."""
    best: GapLink | None = None
    best_similarity = min_similarity
    for link in links:
        if link.key == group.key:
            return link
        if len(link.centroid) != len(group.centroid):  # another embedding model
            continue
        similarity = float(np.asarray(link.centroid, dtype=np.float32) @ group.centroid)
        if similarity >= best_similarity:
            best, best_similarity = link, similarity
    return best


def unit(vector: npt.NDArray[Any]) -> Vector:
    """The vector scaled to length 1 (a zero vector stays zero)."""
    norm = float(np.linalg.norm(vector))
    return np.asarray(vector / norm if norm else vector, dtype=np.float32)


class ContentGaps:
    """Finds the gap groups of a window and records which article covers one.

    Synchronous (database and embedding work): call it from a worker thread in async code.
    """

    def __init__(
        self,
        store: SqlGapStore,
        embedder: Embedder,
        config: EditorConfig,
        rules: Rules,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._config = config
        self._rules = rules

    def groups(
        self, days: int, *, now: dt.datetime | None = None, progress: Progress | None = None
    ) -> list[GapGroup]:
        """The groups of the last `days` UTC days, most questions first."""
        since, until = window(days, now)
        questions = self._store.questions(since, until, self._rules, self._embedder)
        vectors = self._embed([q.text for q in questions], progress)
        calendar = [since.date() + dt.timedelta(days=i) for i in range(days)]
        links = self._store.links()
        groups = []
        for members in cluster(vectors, self._config.gap_distance):
            if len(members) < self._config.gap_min_questions:
                continue
            group = summarize(questions, vectors, members, calendar)
            link = covering_link(group, links, self._config.gap_cover_similarity)
            if link is not None:
                group = replace(group, covered_by=link.article_id)
            groups.append(group)
        groups.sort(key=lambda g: (-g.count, g.label))
        return groups

    def cover(
        self,
        key: str,
        article: StoredArticle,
        created_by: str,
        *,
        days: int,
        now: dt.datetime | None = None,
    ) -> GapLink:
        """Link the group `key` of the last `days` days to a live article (else NotFound)."""
        if article.status is ArticleStatus.DELETED:
            raise NotFound(f"article {article.id!r} is deleted: cover the group with a live one")
        group = next((g for g in self.groups(days, now=now) if g.key == key), None)
        if group is None:
            raise NotFound(
                f"no content gap {key!r} in the last {days} days: list them again "
                "(`supportbot gaps` or GET /api/editor/gaps) and use a key shown there"
            )
        return self._store.cover(
            key, group.label, tuple(float(x) for x in group.centroid), article.id, created_by
        )

    def _embed(self, texts: Sequence[str], progress: Progress | None) -> Vector:
        parts = []
        for start in range(0, len(texts), EMBED_BATCH):
            parts.append(self._embedder.embed_documents(texts[start : start + EMBED_BATCH]))
            if progress is not None:
                progress(min(start + EMBED_BATCH, len(texts)), len(texts))
        if not parts:
            return np.zeros((0, self._embedder.dimension), dtype=np.float32)
        return np.asarray(np.concatenate(parts), dtype=np.float32)
