"""Outgoing mail over SMTP (smtplib): SSL, STARTTLS or plain, optional login."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Literal

from bot.conversations.channels.email.errors import MailError, hint, tls_context


class SmtpSender:
    """Sends each message on a new connection (replies are few; no idle connection to keep)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: Literal["ssl", "starttls", "plain"],
        user: str = "",
        password: str = "",
        timeout_s: float = 30.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._host = host
        self._port = port or (465 if security == "ssl" else 587)
        self._security = security
        self._user = user
        self._password = password
        self._timeout_s = timeout_s
        self._tls = tls or tls_context()

    def send(self, message: EmailMessage) -> None:
        """Hand `message` to the server; MailError if it is not accepted."""
        try:
            smtp: smtplib.SMTP
            if self._security == "ssl":
                smtp = smtplib.SMTP_SSL(
                    self._host,
                    self._port,
                    timeout=self._timeout_s,
                    context=self._tls,
                )
            else:
                smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout_s)
            with smtp:
                if self._security == "starttls":
                    smtp.starttls(context=self._tls)
                if self._user:
                    smtp.login(self._user, self._password)
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(
                f"sending mail through {self._host}:{self._port} ({self._security}) failed: "
                f"{exc}{hint(exc)}; check SUPPORTBOT_MAIL__SMTP_*"
            ) from exc
