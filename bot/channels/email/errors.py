"""Errors of the email channel."""

from __future__ import annotations

from bot.errors import BotError


class MailError(BotError):
    """The mail server (IMAP or SMTP) cannot be reached or refused; the message says which."""
