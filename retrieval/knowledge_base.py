"""The knowledge base: ingestion and search over one vector store and one keyword index."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from pathlib import Path

from retrieval.chunking import Chunker
from retrieval.config import ChunkingConfig, SearchConfig
from retrieval.indexer import Progress, sync
from retrieval.interfaces import Embedder, KeywordIndex, VectorStore
from retrieval.loader import load_kb
from retrieval.retriever import Mode, Retriever
from retrieval.score_calibration import ScoreCalibration, calibrate
from retrieval.types import Article, Chunk, IngestReport, Problem, SearchResult

log = logging.getLogger(__name__)


class KnowledgeBase:
    """Owns the indexes of one help center; the embedder may be shared between several."""

    def __init__(
        self,
        embedder: Embedder,
        vectors: VectorStore,
        keywords: KeywordIndex,
        chunking: ChunkingConfig,
        search: SearchConfig,
        calibration_file: Path | None = None,
    ) -> None:
        self.embedder = embedder
        self.vectors = vectors
        self.keywords = keywords
        self._chunking = chunking
        self._chunker = Chunker(chunking)
        self.retriever = Retriever(embedder, vectors, keywords, search)
        self._sample = search.calibration_sample
        self._calibration_file = calibration_file
        if calibration_file is not None and self._sample:
            saved = ScoreCalibration.load(calibration_file)
            if saved is not None and saved.model_id == embedder.model_id:
                self.retriever.calibration = saved
            elif calibration_file.exists():
                log.warning(
                    "the score calibration %s is unreadable, from an older release or from "
                    "another model; answers' confidence uses relevance alone until "
                    "`supportbot ingest` refits it (after a change of embedding model: "
                    "`supportbot ingest --rebuild`)",
                    calibration_file,
                )

    def ingest_path(
        self, root: Path, *, rebuild: bool = False, progress: Progress | None = None
    ) -> IngestReport:
        """Sync the indexes with the sources under `root` (the whole KB)."""
        articles, problems = load_kb(root, self._chunking.max_file_bytes)
        return self.ingest(articles, problems=problems, rebuild=rebuild, progress=progress)

    def ingest(
        self,
        articles: Sequence[Article],
        *,
        problems: Sequence[Problem] = (),
        rebuild: bool = False,
        progress: Progress | None = None,
    ) -> IngestReport:
        """Sync the indexes with exactly `articles` (bad sources in `problems` keep theirs)."""
        if rebuild:
            self.vectors.reset()
            self.keywords.reset()
        report = sync(
            articles,
            self._chunker,
            self.embedder,
            self.vectors,
            self.keywords,
            problems=problems,
            progress=progress,
        )
        if self._sample and (
            self.retriever.calibration is None or report.added or report.updated or report.deleted
        ):
            self.recalibrate(articles)
        return report

    def recalibrate(self, articles: Sequence[Article]) -> None:
        """Refit the score calibration on the indexed `articles` (the whole knowledge base) and
        save it beside the index; an edit of a few articles leaves the last fit in place."""
        fitted = calibrate(articles, self._chunker.split, self.embedder, self.vectors, self._sample)
        self.retriever.calibration = fitted
        if self._calibration_file is not None:
            if fitted is None:
                self._calibration_file.unlink(missing_ok=True)
            else:
                fitted.save(self._calibration_file)

    def index_articles(
        self, articles: Sequence[Article], *, progress: Progress | None = None
    ) -> IngestReport:
        """Bring just these articles up to date in the indexes (only changed chunks embedded)."""
        return sync(
            articles,
            self._chunker,
            self.embedder,
            self.vectors,
            self.keywords,
            progress=progress,
            scope={a.id for a in articles},
        )

    def remove_articles(self, ids: Collection[str]) -> IngestReport:
        """Remove every chunk of these articles from both indexes (unknown ids are ignored)."""
        return sync([], self._chunker, self.embedder, self.vectors, self.keywords, scope=set(ids))

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        locale: str | None = None,
        category: str | None = None,
        mode: Mode = "hybrid",
        plan: str | None = None,
    ) -> list[SearchResult]:
        """The k best articles for `query` (for customers on `plan`, see Retriever.search)."""
        return self.retriever.search(
            query, k, locale=locale, category=category, mode=mode, plan=plan
        )

    def locales(self) -> frozenset[str]:
        """Locales that have at least one indexed chunk."""
        return self.keywords.locales()

    def chunks_of(self, article_id: str, start: int, count: int) -> list[Chunk]:
        """The article's indexed chunks from number `start`, up to `count` of them, in reading
        order."""
        ids = [f"{article_id}#{n}" for n in range(start, start + count)]
        found = self.keywords.chunks(ids)
        return [found[i] for i in ids if i in found]

    def close(self) -> None:
        """Close the search and both indexes (the embedder needs no closing)."""
        self.retriever.close()
        self.vectors.close()
        self.keywords.close()
