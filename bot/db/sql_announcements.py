"""The `announcements` table (SQLite or PostgreSQL). Synchronous: call it from a worker thread."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.db.engine import ConstraintViolation, transaction
from bot.db.schema import announcements
from bot.db.sql_support import write_lock
from bot.errors import NotFound
from bot.helpcenter.announcements import Announcement

_INCIDENT_TITLE = "Service incident"


class SqlAnnouncementStore:
    """Announcements; a status page's incident is one row, found by its `source_id`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, announcement: Announcement) -> None:
        """Store a new announcement."""
        now = dt.datetime.now(dt.UTC)
        with transaction(self._engine) as conn:
            conn.execute(announcements.insert().values(**_row(announcement), created_at=now))

    def get(self, announcement_id: str) -> Announcement:
        """The announcement; NotFound for an unknown id."""
        with transaction(self._engine) as conn:
            return _get(conn, announcement_id)

    def end(self, announcement_id: str, now: dt.datetime) -> Announcement:
        """End it at `now` unless it ended earlier; NotFound for an unknown id."""
        with transaction(self._engine) as conn:
            write_lock(conn)
            _get(conn, announcement_id)
            conn.execute(
                announcements.update()
                .where(
                    announcements.c.id == announcement_id,
                    sa.or_(announcements.c.ends_at.is_(None), announcements.c.ends_at > now),
                )
                .values(ends_at=now, updated_at=now)
            )
            return _get(conn, announcement_id)

    def current(self, now: dt.datetime) -> list[Announcement]:
        """Announcements not ended by `now` (active or scheduled), by start."""
        statement = (
            sa.select(announcements)
            .where(sa.or_(announcements.c.ends_at.is_(None), announcements.c.ends_at > now))
            .order_by(announcements.c.starts_at, announcements.c.id)
        )
        with transaction(self._engine) as conn:
            return [_announcement(row._mapping) for row in conn.execute(statement)]

    def apply_incident(
        self, incident_id: str, status: str, title: str, text: str, now: dt.datetime
    ) -> Announcement | None:
        """Create or update the incident's announcement: "resolved" ends it, another status
        (re)opens it; None for a resolved incident that was never announced."""
        try:
            return self._apply_incident(incident_id, status, title, text, now)
        except ConstraintViolation:  # the first two updates of one incident raced: one won
            return self._apply_incident(incident_id, status, title, text, now)

    def _apply_incident(
        self, incident_id: str, status: str, title: str, text: str, now: dt.datetime
    ) -> Announcement | None:
        resolved = status == "resolved"
        with transaction(self._engine) as conn:
            write_lock(conn)
            row = conn.execute(
                sa.select(announcements)
                .where(announcements.c.source_id == incident_id)
                .with_for_update()
            ).first()
            if row is None:
                if resolved:
                    return None
                announcement_id = secrets.token_hex(6)
                conn.execute(
                    announcements.insert().values(
                        id=announcement_id,
                        kind="incident",
                        title=title or _INCIDENT_TITLE,
                        text=text or title or _INCIDENT_TITLE,
                        starts_at=now,
                        source_id=incident_id,
                        status=status,
                        created_by="status page",
                        created_at=now,
                        updated_at=now,
                    )
                )
                return _get(conn, announcement_id)
            existing = _announcement(row._mapping)
            changes: dict[str, Any] = {"status": status, "updated_at": now}
            if title:
                changes["title"] = title
            if text:
                changes["text"] = text
            if resolved:
                if existing.state(now) != "ended":
                    changes["ends_at"] = now
            else:
                changes["ends_at"] = None
            conn.execute(
                announcements.update().where(announcements.c.id == existing.id).values(**changes)
            )
            return _get(conn, existing.id)


def _row(a: Announcement) -> dict[str, Any]:
    return {
        "id": a.id,
        "kind": a.kind,
        "title": a.title,
        "text": a.text,
        "locale": a.locale,
        "page_pattern": a.page_pattern,
        "plan": a.plan,
        "starts_at": a.starts_at,
        "ends_at": a.ends_at,
        "source_id": a.source_id,
        "status": a.status,
        "created_by": a.created_by,
        "updated_at": dt.datetime.now(dt.UTC),
    }


def _get(conn: sa.Connection, announcement_id: str) -> Announcement:
    row = conn.execute(
        sa.select(announcements).where(announcements.c.id == announcement_id)
    ).first()
    if row is None:
        raise NotFound(f"no announcement {announcement_id!r}: see `supportbot announce --list`")
    return _announcement(row._mapping)


def _announcement(row: Any) -> Announcement:
    return Announcement(
        id=row["id"],
        title=row["title"],
        text=row["text"],
        kind=row["kind"],
        locale=row["locale"],
        page_pattern=row["page_pattern"],
        plan=row["plan"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        source_id=row["source_id"],
        status=row["status"],
        created_by=row["created_by"],
    )
