"""Errors of the email channel, and the TLS trust of its IMAP and SMTP connections."""

from __future__ import annotations

import ssl

from bot.errors import BotError


class MailError(BotError):
    """The mail server (IMAP or SMTP) cannot be reached or refused; the message says which."""


def tls_context(ca_file: str = "") -> ssl.SSLContext:
    """A verifying TLS client context: the system CAs, plus those of `ca_file` (PEM) if given."""
    return ssl.create_default_context(cafile=ca_file or None)


def hint(exc: BaseException) -> str:
    """What to do about a refused server certificate (empty for other errors)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            "; the server's certificate is not trusted: if it is signed by a private CA, set "
            "SUPPORTBOT_MAIL__CA_FILE to that CA's PEM file"
        )
    return ""
