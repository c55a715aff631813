"""Console output shared by the `supportbot` command modules."""

from __future__ import annotations

import logging
import sys

# Loggers whose INFO lines are progress a person at the console wants (the one-off model exports).
PROGRESS_LOGGERS = ("retrieval.backends.onnx_export",)


def echo(text: str = "", *, err: bool = False) -> None:
    """Write one line to stdout (or stderr)."""
    (sys.stderr if err else sys.stdout).write(text + "\n")


class _ConsoleFormatter(logging.Formatter):
    """Progress as plain lines, anything worse as "warning: ..." like the commands' own."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.levelno <= logging.INFO:
            return message
        return f"{record.levelname.lower()}: {message}"


def configure_logging() -> None:
    """Log warnings and errors (and PROGRESS_LOGGERS' progress) to stderr in the console's
    style, before any library configures the root logger its own way."""
    handler = logging.StreamHandler()
    handler.setFormatter(_ConsoleFormatter())
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    for name in PROGRESS_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
