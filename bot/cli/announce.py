"""`supportbot announce`: post, list and end announcements (issue 21) from the terminal."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from bot.cli.output import echo
from bot.helpcenter.announcements import KINDS, Announcement, new_announcement, parse_time
from bot.helpcenter.status_page import IncidentUpdate
from bot.settings import Settings

# The demo shop's announcement (`make run`): a banner on the demo page, and the bot's answer to
# "is tracking broken?" while it lasts.
DEMO_INCIDENT = IncidentUpdate(
    incident_id="brightcart-demo",
    status="monitoring",
    title="Tracking updates are delayed",
    body="Our carriers' tracking pages are updating up to 6 hours late today. Parcels are "
    "moving as usual: there is nothing you need to do.",
)


def add_announce_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `announce "text" [options]`, `announce --list` and `announce --end ID`."""
    announce = sub.add_parser(
        "announce",
        help="post, list or end announcements (banner in the widget, the bot's first source)",
        description="Post an announcement (an incident, maintenance, a policy change) that the "
        "widget shows as a banner and the bot answers from while it is active; or list the "
        "active and scheduled ones; or end one.",
        epilog='Examples: supportbot announce "Payments fail at checkout; we are on it." '
        '--title "Checkout outage" --page "/checkout*" --until 2026-05-03T18:00Z  |  '
        "supportbot announce --list  |  supportbot announce --end ID",
    )
    announce.add_argument("text", nargs="?", help="the announcement (plain text or markdown)")
    action = announce.add_mutually_exclusive_group()
    action.add_argument("--list", action="store_true", help="list active and scheduled ones")
    action.add_argument("--end", metavar="ID", help="end the announcement ID now")
    action.add_argument(
        "--demo",
        action="store_true",
        help="post (or refresh) the demo shop's sample announcement; `make run` does",
    )
    announce.add_argument("--title", default="", help="title (default: the text's first line)")
    announce.add_argument("--kind", choices=KINDS, default="notice", help="default: notice")
    announce.add_argument(
        "--starts", metavar="ISO", help="start, ISO 8601 (default: now; UTC without offset)"
    )
    announce.add_argument(
        "--until", metavar="ISO", help="end, ISO 8601 (default: until --end; UTC without offset)"
    )
    announce.add_argument("--locale", default="", help="only customers in this language (en)")
    announce.add_argument(
        "--page", default="", metavar="GLOB", help="only on pages matching: /checkout* or a URL"
    )
    announce.add_argument("--plan", default="", help="only verified customers on this plan")
    announce.add_argument("--json", action="store_true", help="print JSON")
    announce.set_defaults(handler=_announce)


def _announce(args: argparse.Namespace, settings: Settings) -> int:
    from bot.db.database import open_database

    if not (args.list or args.end or args.demo or args.text):
        echo("error: give the text to announce, --list, --end ID or --demo (see --help)", err=True)
        return 2
    if (args.list or args.end or args.demo) and args.text:
        echo("error: --list, --end and --demo take no text", err=True)
        return 2
    now = dt.datetime.now(dt.UTC)
    announcement = None
    if args.text:  # checked before the database is opened
        announcement = new_announcement(
            title=args.title,
            text=args.text,
            kind=args.kind,
            locale=args.locale,
            page_pattern=args.page,
            plan=args.plan,
            starts_at=parse_time(args.starts, "--starts") if args.starts else None,
            ends_at=parse_time(args.until, "--until") if args.until else None,
            created_by="cli",
            now=now,
        )
    database = open_database(settings.database_url, 1)
    try:
        store = database.announcements
        if args.list:
            _show(store.current(now), now, args.json)
        elif args.end:
            _show([store.end(args.end, now)], now, args.json)
        elif args.demo:  # one row however often it runs: an incident of the demo status page
            update = DEMO_INCIDENT
            posted = store.apply_incident(
                update.incident_id, update.status, update.title, update.text, now
            )
            _show([posted] if posted is not None else [], now, args.json)
        elif announcement is not None:
            store.add(announcement)
            _show([announcement], now, args.json)
    finally:
        database.engine.dispose()
    return 0


def _show(announcements: list[Announcement], now: dt.datetime, as_json: bool) -> None:
    if as_json:
        echo(json.dumps([a.as_json(now) for a in announcements], indent=2, ensure_ascii=False))
        return
    if not announcements:
        echo("No active or scheduled announcements.")
    for a in announcements:
        window = f"from {a.starts_at:%Y-%m-%d %H:%M}Z"
        window += f" until {a.ends_at:%Y-%m-%d %H:%M}Z" if a.ends_at else " until ended"
        audience = ", ".join(
            f"{name} {value}"
            for name, value in (("locale", a.locale), ("page", a.page_pattern), ("plan", a.plan))
            if value
        )
        echo(f"{a.id}  [{a.state(now)}] {a.kind}: {a.title}")
        echo(f"    {window}; {audience or 'everyone'}")
