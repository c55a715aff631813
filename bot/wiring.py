"""Builds the application's services from Settings."""

from __future__ import annotations

from bot.settings import Settings
from retrieval.factory import build_embedder, build_keyword_index, build_vector_store
from retrieval.interfaces import Embedder
from retrieval.knowledge_base import KnowledgeBase


def build_knowledge_base(settings: Settings, embedder: Embedder | None = None) -> KnowledgeBase:
    """The configured knowledge base (loads the embedder unless one is given)."""
    return KnowledgeBase(
        embedder or build_embedder(settings.embedding),
        build_vector_store(settings.vector, settings.index_dir),
        build_keyword_index(settings.keyword, settings.index_dir),
        settings.chunking,
        settings.search,
    )
