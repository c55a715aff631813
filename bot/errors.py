"""Errors of the bot package; all derive from `BotError`."""

from __future__ import annotations


class BotError(Exception):
    """Root of every error raised by the bot package."""


class ConfigError(BotError):
    """Settings are inconsistent; the message says which field to fix."""


class NotFound(BotError):
    """An id that does not exist (conversation, turn, customer)."""


class Gone(NotFound):
    """An id that existed but was withdrawn (an unpublished or deleted article)."""


class Forbidden(BotError):
    """A token that does not grant access to the conversation."""


class InvalidInput(BotError):
    """Input that cannot be accepted; the message says why, `code` names the rule."""

    def __init__(self, message: str, code: str = "invalid_input") -> None:
        super().__init__(message)
        self.code = code


class Conflict(BotError):
    """A change that collides with stored state (a newer version, a taken id); `code` names it."""

    def __init__(self, message: str, code: str = "conflict") -> None:
        super().__init__(message)
        self.code = code


class RateLimited(BotError):
    """Too many requests from one client or on one conversation."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class StorageError(BotError):
    """The conversation database failed or cannot be reached."""


class BackendUnavailable(BotError):
    """A shared service (Redis) cannot be reached; the message names it and what to check."""


class LLMError(BotError):
    """The language model failed (connection, HTTP error, bad output)."""


class LLMTimeout(LLMError):
    """The language model did not answer in time."""


class LLMUnavailable(LLMError):
    """The language model failed too often in a row and is skipped for a cool-off period."""
