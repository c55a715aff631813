"""Errors of the retrieval package; all derive from `RetrievalError`."""

from __future__ import annotations


class RetrievalError(Exception):
    """Root of every error raised by the retrieval package."""


class ArticleFormatError(RetrievalError):
    """A source file cannot be read as an article; the message names the file and the fix."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class EmbeddingModelMismatch(RetrievalError):
    """The index was built with another embedding model than the one configured."""


class BackendUnavailable(RetrievalError):
    """A storage backend (Chroma server, database) cannot be reached."""


class ModelFileError(RetrievalError):
    """A shipped model file is missing, corrupt, or does not fit this code or encoder."""
