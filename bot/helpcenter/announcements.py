"""Announcements (issue 21, proactive help): incidents, maintenance and policy changes that
admins post for an audience and a time window. The widget shows the matching ones as a banner
and the bot answers from them first, cited as "Announcement: <title>".

Types and audience matching here are pure; `Announcements` adds the store and the embedder.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args
from urllib.parse import urlsplit

from bot.conversations.models import Citation
from bot.errors import InvalidInput, NotFound
from bot.helpcenter.status_page import IncidentUpdate, parse, verify
from retrieval.interfaces import Embedder

if TYPE_CHECKING:  # the Protocol's module imports this one's types
    from bot.helpcenter.interfaces import AnnouncementStore

Kind = Literal["notice", "incident", "maintenance", "policy"]
KINDS: tuple[Kind, ...] = get_args(Kind)
MAX_TITLE_CHARS = 200
MAX_TEXT_CHARS = 4000
MAX_PATTERN_CHARS = 500
CITATION_PREFIX = "Announcement: "


@dataclass(frozen=True, slots=True)
class Audience:
    """Who is looking: the customer's locale and page, and their plan only once verified.

    `plan` stays None for anonymous or unverified customers (identity verification, issue 21,
    fills it); an announcement restricted to a plan is never shown to them.
    """

    locale: str = ""
    page_url: str = ""
    plan: str | None = None


@dataclass(frozen=True, slots=True)
class Announcement:
    """One announcement; `ends_at` None runs until an admin (or a "resolved" update) ends it.

    `locale`, `page_pattern` and `plan` restrict the audience ("" = everyone). `source_id`
    is the status-page incident id of one made by the webhook.
    """

    id: str
    title: str
    text: str
    kind: Kind = "notice"
    locale: str = ""
    page_pattern: str = ""
    plan: str = ""
    starts_at: dt.datetime = dt.datetime.min.replace(tzinfo=dt.UTC)
    ends_at: dt.datetime | None = None
    source_id: str | None = None
    status: str = ""
    created_by: str = ""

    def state(self, now: dt.datetime) -> Literal["scheduled", "active", "ended"]:
        """Where `now` falls in the time window."""
        if self.ends_at is not None and self.ends_at <= now:
            return "ended"
        return "scheduled" if self.starts_at > now else "active"

    def is_for(self, audience: Audience) -> bool:
        """Whether the announcement's audience includes `audience` (time is not looked at)."""
        if self.locale and _language(self.locale) != _language(audience.locale):
            return False
        if self.plan and (audience.plan is None or audience.plan.lower() != self.plan.lower()):
            return False
        return not self.page_pattern or page_matches(self.page_pattern, audience.page_url)

    def as_json(self, now: dt.datetime) -> dict[str, object]:
        """Plain JSON (the API, the CLI's --json), with its state at `now`."""
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state(now),
            "title": self.title,
            "text": self.text,
            "locale": self.locale,
            "page": self.page_pattern,
            "plan": self.plan,
            "starts_at": self.starts_at.isoformat(),
            "until": self.ends_at.isoformat() if self.ends_at else None,
            "source_id": self.source_id,
            "status": self.status,
        }

    def citation(self, n: int = 1) -> Citation:
        """The source shown with an answer taken from this announcement."""
        return Citation(
            n=n,
            article_id=f"announcement:{self.id}",
            title=CITATION_PREFIX + self.title,
            url="",
            snippet=self.text[:300],
            kind="announcement",
        )


def page_matches(pattern: str, page_url: str) -> bool:
    """Glob match (`*`, `?`, `[...]`, case-insensitive): a pattern starting with "/" is matched
    against the page's path, any other against the whole URL."""
    if not page_url:
        return False
    subject = page_url
    if pattern.startswith("/"):
        subject = urlsplit(page_url).path or "/"
    return fnmatch.fnmatch(subject.lower(), pattern.lower())


def _language(locale: str) -> str:
    return locale.split("-")[0].split("_")[0].lower()


def parse_time(value: str, name: str) -> dt.datetime:
    """An ISO 8601 date or time as UTC (a time without an offset is taken as UTC)."""
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"{name} {value!r} is not an ISO 8601 date or time: use e.g. 2026-05-03T14:00Z",
            "invalid_time",
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def new_announcement(
    *,
    title: str,
    text: str,
    kind: Kind = "notice",
    locale: str = "",
    page_pattern: str = "",
    plan: str = "",
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
    created_by: str = "",
    now: dt.datetime | None = None,
) -> Announcement:
    """A checked new announcement (starting now unless `starts_at`); InvalidInput says what
    to fix. A missing title is the text's first line."""
    now = now or dt.datetime.now(dt.UTC)
    text = text.strip()
    if not text:
        raise InvalidInput("the announcement needs a text", "empty_announcement")
    title = title.strip() or text.splitlines()[0][:MAX_TITLE_CHARS]
    if len(title) > MAX_TITLE_CHARS or len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(
            f"the title may have {MAX_TITLE_CHARS} characters and the text {MAX_TEXT_CHARS}",
            "announcement_too_long",
        )
    if len(page_pattern) > MAX_PATTERN_CHARS:
        raise InvalidInput(f"the page pattern may have {MAX_PATTERN_CHARS} characters")
    if kind not in KINDS:
        raise InvalidInput(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    starts = starts_at or now
    if ends_at is not None and ends_at <= starts:
        raise InvalidInput(
            f"until ({ends_at.isoformat()}) must be after the start ({starts.isoformat()})",
            "invalid_time",
        )
    return Announcement(
        id=secrets.token_hex(6),
        title=title,
        text=text,
        kind=kind,
        locale=locale.strip(),
        page_pattern=page_pattern.strip(),
        plan=plan.strip(),
        starts_at=starts,
        ends_at=ends_at,
        created_by=created_by,
    )


@dataclass(frozen=True, slots=True)
class Match:
    """An active announcement that answers a question, with the similarity that chose it."""

    announcement: Announcement
    similarity: float


class Announcements:
    """Posting, ending and finding announcements (synchronous: call it from a worker thread)."""

    def __init__(
        self,
        store: AnnouncementStore,
        embedder: Embedder,
        min_similarity: float,
        webhook_secret: str = "",
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._min_similarity = min_similarity
        self._webhook_secret = webhook_secret

    def post(self, announcement: Announcement) -> Announcement:
        """Store a new announcement."""
        self._store.add(announcement)
        return announcement

    def end(self, announcement_id: str, now: dt.datetime | None = None) -> Announcement:
        """End it now (an ended one keeps its end); NotFound for an unknown id."""
        return self._store.end(announcement_id, now or dt.datetime.now(dt.UTC))

    def apply(self, update: IncidentUpdate, now: dt.datetime | None = None) -> Announcement | None:
        """A status page's incident update: creates, changes or (resolved) ends the incident's
        announcement; None for a resolved incident never announced."""
        return self._store.apply_incident(
            update.incident_id,
            update.status,
            update.title[:MAX_TITLE_CHARS],
            update.text[:MAX_TEXT_CHARS],
            now or dt.datetime.now(dt.UTC),
        )

    def apply_signed(
        self, body: bytes, signature: str | None, now: dt.datetime | None = None
    ) -> Announcement | None:
        """`apply` a status page's incident update signed with the webhook secret over the raw
        `body`: `NotFound` while no secret is configured (the webhook is off), `Forbidden` for
        a missing or wrong signature, `InvalidInput` for a body that is no incident update."""
        if not self._webhook_secret:
            raise NotFound(
                "the status-page webhook is off: set SUPPORTBOT_ANNOUNCEMENTS__WEBHOOK_SECRET"
            )
        verify(self._webhook_secret, body, signature)
        return self.apply(parse(body), now)

    def current(self, now: dt.datetime | None = None) -> list[Announcement]:
        """Active and scheduled announcements, by start."""
        return self._store.current(now or dt.datetime.now(dt.UTC))

    def active_for(self, audience: Audience, now: dt.datetime | None = None) -> list[Announcement]:
        """The active announcements whose audience includes `audience`, newest first."""
        now = now or dt.datetime.now(dt.UTC)
        active = [a for a in self.current(now) if a.state(now) == "active" and a.is_for(audience)]
        return sorted(active, key=lambda a: a.starts_at, reverse=True)

    def find(
        self, question: str, audience: Audience, now: dt.datetime | None = None
    ) -> Match | None:
        """The active announcement for `audience` most similar to `question` (title and text
        against the question, by the app's embedder), if at least `min_similarity`."""
        candidates = self.active_for(audience, now)
        if not candidates:
            return None
        documents = self._embedder.embed_documents([_document(a) for a in candidates])
        scores = documents @ self._embedder.embed_query(question)
        best = max(range(len(candidates)), key=lambda i: float(scores[i]))
        if float(scores[best]) < self._min_similarity:
            return None
        return Match(candidates[best], float(scores[best]))


def _document(announcement: Announcement) -> str:
    return f"{announcement.title}\n{announcement.text}"
