"""Our hybrid search as a LangChain `BaseRetriever`, for users' own chains."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from retrieval.knowledge_base import KnowledgeBase


class SupportbotRetriever(BaseRetriever):
    """Returns one Document per article: its best chunk, with id, title, url and relevance."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    knowledge_base: KnowledgeBase
    k: int = 5
    locale: str | None = None
    category: str | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        results = self.knowledge_base.search(
            query, self.k, locale=self.locale, category=self.category
        )
        return [
            Document(
                page_content=r.best.text,
                metadata={
                    "article_id": r.article_id,
                    "chunk_id": r.best.id,
                    "title": r.title,
                    "section": r.best.section,
                    "url": r.url,
                    "locale": r.locale,
                    "category": r.category,
                    "relevance": r.relevance,
                },
            )
            for r in results
        ]
