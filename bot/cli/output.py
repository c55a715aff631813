"""Console output shared by the `supportbot` command modules."""

from __future__ import annotations

import sys


def echo(text: str = "", *, err: bool = False) -> None:
    """Write one line to stdout (or stderr)."""
    (sys.stderr if err else sys.stdout).write(text + "\n")
