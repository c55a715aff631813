"""Announcements (issue 21): audience matching, time windows, the status page's signed
updates, the SQL store on SQLite and PostgreSQL, and matching questions with the real embedder."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest

from bot.db.database import Database, open_database
from bot.errors import Forbidden, InvalidInput, NotFound
from bot.helpcenter.announcements import (
    Announcement,
    Announcements,
    Audience,
    new_announcement,
    parse_time,
)
from bot.helpcenter.status_page import IncidentUpdate, parse, signature, verify
from bot.reporting.window import cited_articles
from retrieval.interfaces import Embedder
from tests.contracts.conftest import fresh_database, require_postgres

NOW = dt.datetime(2026, 5, 3, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def make(**fields: object) -> Announcement:
    values: dict[str, object] = {"title": "Checkout outage", "text": "Payments fail.", "now": NOW}
    return new_announcement(**(values | fields))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "restriction,audience,shown",
    [
        ({}, Audience(), True),
        ({"locale": "es"}, Audience(locale="es-MX"), True),
        ({"locale": "es"}, Audience(locale="en"), False),
        ({"locale": "es"}, Audience(), False),
        ({"page_pattern": "/checkout*"}, Audience(page_url="https://shop.test/checkout/pay"), True),
        ({"page_pattern": "/checkout*"}, Audience(page_url="https://shop.test/cart"), False),
        ({"page_pattern": "/checkout*"}, Audience(), False),
        ({"page_pattern": "https://shop.test/*"}, Audience(page_url="https://shop.test/a"), True),
        ({"page_pattern": "*/HELP/*"}, Audience(page_url="https://x.test/help/faq"), True),
        ({"plan": "pro"}, Audience(plan="Pro"), True),
        ({"plan": "pro"}, Audience(plan="basic"), False),
        # Unverified or anonymous customers (plan None) never see a plan's announcements.
        ({"plan": "pro"}, Audience(), False),
    ],
)
def test_audience(restriction: dict[str, str], audience: Audience, shown: bool) -> None:
    assert make(**restriction).is_for(audience) is shown


def test_time_window() -> None:
    scheduled = make(starts_at=NOW + HOUR, ends_at=NOW + 2 * HOUR)
    assert [scheduled.state(NOW + n * HOUR) for n in (0, 1, 2, 3)] == [
        "scheduled",
        "active",
        "ended",
        "ended",
    ]
    assert make().state(NOW) == "active" and make().state(NOW + 1000 * HOUR) == "active"


def test_new_announcements_are_checked() -> None:
    assert make(title="", text="Checkout is down\nWe are on it").title == "Checkout is down"
    with pytest.raises(InvalidInput, match="needs a text"):
        make(text="  ")
    with pytest.raises(InvalidInput, match="must be after the start"):
        make(ends_at=NOW - HOUR)
    with pytest.raises(InvalidInput, match="not one of"):
        make(kind="party")


def test_times_are_iso_8601_in_utc() -> None:
    assert parse_time("2026-05-03T14:00Z", "until") == NOW + 2 * HOUR
    assert parse_time("2026-05-03T16:00+02:00", "until") == NOW + 2 * HOUR
    assert parse_time("2026-05-03 14:00", "until") == NOW + 2 * HOUR  # no offset: UTC
    with pytest.raises(InvalidInput, match="until 'tomorrow' is not an ISO 8601"):
        parse_time("tomorrow", "until")


def test_signatures() -> None:
    body = b'{"id": "inc-1", "status": "investigating"}'
    good = signature("s3cret", body)
    assert good.startswith("sha256=") and len(good) == 7 + 64
    verify("s3cret", body, good)
    for header, message in [
        (None, "sign the body"),
        ("", "sign the body"),
        (signature("other", body), "does not match"),
        (good.replace("sha256=", "sha1="), "does not match"),
        (signature("s3cret", body + b" "), "does not match"),
    ]:
        with pytest.raises(Forbidden, match=message):
            verify("s3cret", body, header)


def test_incident_updates_are_parsed() -> None:
    update = parse(
        json.dumps(
            {
                "id": "inc-1",
                "status": "identified",
                "title": "Checkout errors",
                "body": "Card payments fail.",
                "components": ["Checkout", "Payments"],
            }
        ).encode()
    )
    assert update == IncidentUpdate(
        "inc-1", "identified", "Checkout errors", "Card payments fail.", ("Checkout", "Payments")
    )
    assert update.text == "Card payments fail.\n\nAffected: Checkout, Payments."
    for body, message in [
        (b"not json", "not JSON"),
        (b"[]", "JSON object"),
        (b'{"status": "resolved"}', "id must be"),
        (b'{"id": "x", "status": "fixed"}', "status must be one of"),
        (b'{"id": "x", "status": "resolved", "components": "all"}', "components must be"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            parse(body)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """Every store on a new database of each backend."""
    if request.param == "sqlite":
        opened = open_database(f"sqlite:///{tmp_path / 'bot.db'}")
        yield opened
        opened.engine.dispose()
        return
    with fresh_database(require_postgres()) as url:
        opened = open_database(url)
        yield opened
        opened.engine.dispose()


def test_store_keeps_the_window(database: Database) -> None:
    store = database.announcements
    now_on = make(locale="en", page_pattern="/checkout*", plan="pro", ends_at=NOW + HOUR)
    later = make(title="Maintenance", kind="maintenance", starts_at=NOW + HOUR)
    store.add(now_on)
    store.add(later)
    assert store.get(now_on.id) == now_on
    assert [a.id for a in store.current(NOW)] == [now_on.id, later.id]
    assert [a.id for a in store.current(NOW + HOUR)] == [later.id]  # its end is exclusive
    ended = store.end(later.id, NOW + 2 * HOUR)
    assert ended.ends_at == NOW + 2 * HOUR and store.current(NOW + 2 * HOUR) == []
    assert store.end(later.id, NOW + 3 * HOUR).ends_at == NOW + 2 * HOUR  # keeps its end
    with pytest.raises(NotFound, match="no announcement 'nope'"):
        store.end("nope", NOW)


def test_store_applies_incident_updates(database: Database) -> None:
    store = database.announcements
    assert store.apply_incident("inc-0", "resolved", "Never announced", "x", NOW) is None
    assert store.current(NOW) == []
    opened = store.apply_incident("inc-1", "investigating", "Checkout errors", "Failing.", NOW)
    assert opened is not None and opened.kind == "incident" and opened.source_id == "inc-1"
    later = NOW + HOUR
    changed = store.apply_incident("inc-1", "identified", "", "Found the cause.", later)
    assert changed is not None
    assert (changed.id, changed.title, changed.text, changed.status) == (
        opened.id,
        "Checkout errors",
        "Found the cause.",
        "identified",
    )
    resolved = store.apply_incident("inc-1", "resolved", "", "", later + HOUR)
    assert resolved is not None and resolved.ends_at == later + HOUR
    assert store.current(later + HOUR) == []
    reopened = store.apply_incident("inc-1", "investigating", "", "Back again.", later + 2 * HOUR)
    assert reopened is not None and reopened.id == opened.id and reopened.ends_at is None


def test_questions_match_the_announcement_they_are_about(
    embedder: Embedder, tmp_path: Path
) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        announcements = Announcements(database.announcements, embedder, min_similarity=0.5)
        outage = announcements.post(
            make(text="Payments are failing at checkout; our team is investigating.")
        )
        policy = announcements.post(
            make(
                title="New return policy",
                text="From 1 June, returns are accepted within 60 days instead of 30.",
                kind="policy",
            )
        )
        pro_only = announcements.post(make(title="Checkout for Pro", plan="pro"))
        everyone = Audience()

        def found(question: str, audience: Audience = everyone) -> str | None:
            match = announcements.find(question, audience, NOW)
            return None if match is None else match.announcement.id

        assert found("is checkout broken?") == outage.id
        assert found("why does checkout fail") == outage.id
        assert found("how long do I have to return something") == policy.id
        assert found("how do I reset my password?") is None
        assert found("what payment methods do you accept?") is None
        assert found("is checkout broken?", Audience(plan="pro")) in (outage.id, pro_only.id)
        announcements.end(outage.id, NOW)
        assert found("is checkout broken?") is None  # ended: never again
        assert {a.id for a in announcements.active_for(everyone, NOW)} == {policy.id}
    finally:
        database.engine.dispose()


def test_a_cited_announcement_is_not_a_cited_article() -> None:
    stored = [asdict(make().citation(1)), {"article_id": "returns", "title": "Returns", "n": 2}]
    assert stored[0]["title"] == "Announcement: Checkout outage"
    assert cited_articles(stored) == {"returns": "Returns"}


def test_a_signed_status_update_is_applied_only_with_the_webhook_on_and_a_good_signature(
    embedder: Embedder, tmp_path: Path
) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'bot.db'}")
    body = json.dumps(
        {
            "id": "inc-9",
            "status": "investigating",
            "title": "Login slow",
            "body": "Logins are slow.",
        }
    ).encode()
    try:
        off = Announcements(database.announcements, embedder, 0.5)
        with pytest.raises(NotFound):
            off.apply_signed(body, signature("s3cret", body), NOW)
        on = Announcements(database.announcements, embedder, 0.5, webhook_secret="s3cret")
        with pytest.raises(Forbidden):
            on.apply_signed(body, signature("another secret", body), NOW)
        with pytest.raises(Forbidden):
            on.apply_signed(body, None, NOW)
        with pytest.raises(InvalidInput):
            on.apply_signed(b"{}", signature("s3cret", b"{}"), NOW)
        assert on.current(NOW) == []
        applied = on.apply_signed(body, signature("s3cret", body), NOW)
        assert applied is not None and applied.title == "Login slow"
        assert on.current(NOW) == [applied]
    finally:
        database.engine.dispose()
