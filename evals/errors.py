"""Errors of the evals package."""

from __future__ import annotations


class EvalError(Exception):
    """Root of every error raised by the evals package."""


class DatasetError(EvalError):
    """A dataset file is missing or malformed; the message names the file and line."""


class GateFailure(EvalError):
    """A measured metric fell below its committed threshold."""


class MissingExtra(EvalError):
    """An optional dependency is not installed; the message names the extra that brings it."""


def require_extra(module: str, extra: str, feature: str) -> None:
    """Raise `MissingExtra` naming `extra` when `module` cannot be imported."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise MissingExtra(f"{feature} needs {module}: pip install 'supportbot[{extra}]'")
