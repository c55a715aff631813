"""Builds the email channel from the `mail` settings and the running services."""

from __future__ import annotations

import datetime as dt
import logging

from bot.conversations.channels.email.errors import tls_context
from bot.conversations.channels.email.imap_poller import ImapMailbox
from bot.conversations.channels.email.interfaces import Mailbox
from bot.conversations.channels.email.service import MailService
from bot.conversations.channels.email.smtp_sender import SmtpSender
from bot.wiring import Services

log = logging.getLogger(__name__)


def build_mail_service(services: Services, mailbox: Mailbox | None = None) -> MailService:
    """The mail service on `services` (call only when `mail.enabled`); `mailbox` replaces the
    configured IMAP one."""
    settings = services.settings
    config = settings.mail
    tls = tls_context(config.ca_file)
    return MailService(
        config=config,
        company=settings.answer.company_name,
        max_message_chars=settings.answer.max_message_chars,
        store=services.store,
        emails=services.database.emails,
        conversations=services.conversations,
        replies=services.replies,
        mailbox=mailbox
        or ImapMailbox(
            host=config.imap_host,
            port=config.imap_port,
            security=config.imap_security,
            user=config.imap_user or config.address,
            password=config.imap_password.get_secret_value(),
            folder=config.imap_folder,
            timeout_s=config.timeout_s,
            max_message_bytes=config.max_message_bytes,
            idle=config.idle,
            tls=tls,
        ),
        sender=SmtpSender(
            host=config.smtp_host,
            port=config.smtp_port,
            security=config.smtp_security,
            user=config.smtp_user,
            password=config.smtp_password.get_secret_value(),
            timeout_s=config.timeout_s,
            tls=tls,
        ),
        surveys=services.database.surveys,
        nps_period=dt.timedelta(days=settings.analytics.nps_period_days),
    )


async def run_mail(services: Services) -> None:
    """Run the email channel until cancelled (the background poller of `serve`)."""
    mail = build_mail_service(services)
    try:
        await mail.run()
    except Exception:  # a bug, not the mail server (that is retried): say so, then stop
        log.exception("the email channel stopped")
        raise
    finally:
        await mail.close()
