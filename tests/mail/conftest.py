"""Fixtures of the email channel's tests: real Dovecot and aiosmtpd servers (marker `mail`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.mail.servers import USER, Dovecot, SmtpServer, require_dovecot

HELP_URL = "https://help.example.test"


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    """A Dovecot IMAP server with the support mailbox, for this module."""
    require_dovecot()
    with Dovecot() as server:
        yield server


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    """An SMTP server that keeps what it receives, for this module."""
    with SmtpServer() as server:
        yield server


def mail_settings(dovecot: Dovecot, smtp: SmtpServer, **overrides: object) -> dict[str, object]:
    """The `mail` settings section pointed at the test servers."""
    return {
        "enabled": True,
        "address": USER,
        "display_name": "Acme Support",
        "public_url": HELP_URL,
        "imap_host": "127.0.0.1",
        "imap_port": dovecot.port,
        "imap_security": "plain",
        "imap_password": "mailbox secret",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "smtp_security": "plain",
        "poll_interval_s": 0.5,
        "timeout_s": 10,
        **overrides,
    }
