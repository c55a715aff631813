"""`supportbot mail poll [--once]`: the email channel without the web server."""

from __future__ import annotations

import argparse

from bot.cli.output import echo
from bot.settings import Settings


def add_mail_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `mail poll [--once]`."""
    mail = sub.add_parser("mail", help="the email channel (support mailbox)")
    actions = mail.add_subparsers(dest="mail_command", required=True, metavar="ACTION")
    poll = actions.add_parser(
        "poll",
        help="answer the support mailbox",
        description="Read unseen mail from the IMAP mailbox, answer or escalate it, and send "
        "agents' replies by SMTP (settings: SUPPORTBOT_MAIL__*). Runs until stopped; `serve` "
        "does the same in the background when mail.enabled is set.",
    )
    poll.add_argument(
        "--once", action="store_true", help="one pass (mailbox, then agents' replies), then exit"
    )
    poll.set_defaults(handler=_poll)


def _poll(args: argparse.Namespace, settings: Settings) -> int:
    import anyio

    if not settings.mail.enabled:
        echo(
            "error: the email channel is off: set SUPPORTBOT_MAIL__ENABLED=true and the "
            "SUPPORTBOT_MAIL__* settings (README: Email channel)",
            err=True,
        )
        return 2
    anyio.run(_run, settings, args.once)
    return 0


async def _run(settings: Settings, once: bool) -> None:
    from bot.conversations.channels.email.factory import build_mail_service, run_mail
    from bot.wiring import build_services

    services = build_services(settings)
    try:
        if not once:
            await run_mail(services)
            return
        mail = build_mail_service(services)
        try:
            count = await mail.poll_once()
            sent = await mail.send_agent_replies()
        finally:
            await mail.close()
        echo(f"{count} message(s) read, {sent} agent repl{'y' if sent == 1 else 'ies'} sent")
    finally:
        await services.aclose()
