"""Errors of the evals package."""

from __future__ import annotations


class EvalError(Exception):
    """Root of every error raised by the evals package."""


class DatasetError(EvalError):
    """A dataset file is missing or malformed; the message names the file and line."""


class GateFailure(EvalError):
    """A measured metric fell below its committed threshold."""
