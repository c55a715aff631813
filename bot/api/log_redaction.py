"""Redacts secrets from URLs in log lines: access logs write every query string (issue 15)."""

from __future__ import annotations

import logging
import re

SECRET_PARAMS = (
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "key",
    "api_key",
    "apikey",
    "secret",
    "client_secret",
    "password",
    "signature",
    "sig",
    "auth",
)
"""Query parameters whose values never reach a log (matched without regard to case)."""
REDACTED = "[redacted]"
LOGGERS = ("uvicorn.access", "uvicorn.error", "httpx")
"""The loggers that write URLs: the server's access and WebSocket lines, and HTTP clients."""

_NAMES = "|".join(map(re.escape, SECRET_PARAMS))
_SECRET_VALUE = re.compile(rf"([?&;](?:{_NAMES})=)[^&;#\s\"']*", re.IGNORECASE)


def redact(text: str) -> str:
    """`text` with the values of secret query parameters replaced by [redacted]."""
    return _SECRET_VALUE.sub(rf"\g<1>{REDACTED}", text)


class RedactSecrets(logging.Filter):
    """Rewrites a record's message and arguments so that no secret query value is logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact in place; never drops a record."""
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(arg) for arg in record.args)
        return True


def _redact_arg(arg: object) -> object:
    if isinstance(arg, int | float | bool) or arg is None:
        return arg  # keeps %d and %f working
    text = str(arg)  # httpx logs URL objects
    redacted = redact(text)
    return arg if redacted == text else redacted


def install_log_redaction() -> None:
    """Add the filter to the loggers that write URLs (once per process)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
