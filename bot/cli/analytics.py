"""`supportbot analytics`: the live figures of the admin dashboard in the terminal."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.cli.output import echo
from bot.settings import Settings

_ROWS = (
    ("conversations", "Conversations", ""),
    ("bot_resolved_rate", "Bot-resolved", "%"),
    ("escalation_rate", "Escalated", "%"),
    ("fcr", "First-contact resolution", "%"),
    ("csat", "CSAT (1-5)", ""),
    ("nps", "NPS (-100..100)", ""),
    ("first_response_s_p50", "First response p50", "s"),
    ("resolution_s_p50_bot", "Resolution p50, bot", "s"),
    ("resolution_s_p50_agent", "Resolution p50, agents", "s"),
    ("median_first_agent_reply_s", "First agent reply p50", "s"),
)
_CHANNEL_COLUMNS = ("conversations", "fcr", "nps", "first_response_s_p50", "resolution_s_p50_bot")


def add_analytics_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `analytics [--since DAYS] [--json]`."""
    analytics = sub.add_parser(
        "analytics",
        help="live figures: resolution, escalation, FCR, CSAT, NPS, response times",
        description="Read the conversations of the last DAYS UTC days (today included) from "
        "the database and print the admin dashboard's headline figures, overall and per "
        "channel. Definitions: bot/reporting/analytics.py and the README.",
    )
    analytics.add_argument(
        "--since", type=int, default=30, metavar="DAYS", help="UTC days back (default 30)"
    )
    analytics.add_argument("--json", action="store_true", help="print JSON")
    analytics.set_defaults(handler=_analytics)


def _analytics(args: argparse.Namespace, settings: Settings) -> int:
    from bot.db.database import open_database
    from bot.reporting.analytics import compute
    from bot.reporting.resolution import Rules
    from retrieval.factory import build_embedder

    if args.since < 1:
        echo("error: --since needs at least 1 day", err=True)
        return 2
    database = open_database(settings.database_url, 1)
    try:
        report = compute(
            database.windows,
            days=args.since,
            embedder=build_embedder(settings.embedding, settings.data_dir),
            rules=Rules.of(settings),
        )
    finally:
        database.engine.dispose()
    summary = report.summary()
    if args.json:
        echo(json.dumps(summary, indent=2))
        return 0
    echo(f"Conversations started {summary['since'][:10]} .. {summary['until'][:10]} (UTC)")
    for key, label, unit in _ROWS:
        echo(f"  {label:<26} {_show(summary[key], unit)}")
    channels = summary["by_channel"]
    if channels:
        echo()
        echo(f"  {'channel':<8}" + "".join(f"{c:>22}" for c in _CHANNEL_COLUMNS))
        for channel, figures in channels.items():
            cells = "".join(f"{_show(figures[c], _unit(c)):>22}" for c in _CHANNEL_COLUMNS)
            echo(f"  {channel:<8}{cells}")
    return 0


def _unit(key: str) -> str:
    return next(unit for k, _, unit in _ROWS if k == key)


def _show(value: Any, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "%":
        return f"{100 * value:.1f} %"
    if unit == "s":
        return f"{value:.1f} s"
    return f"{value:g}" if isinstance(value, float) else str(value)
