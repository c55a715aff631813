"""Keeps the vector and keyword indexes in step with a set of articles (incremental)."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Sequence

from retrieval.chunking import Chunker
from retrieval.interfaces import Embedder, KeywordIndex, VectorStore
from retrieval.types import Article, Chunk, IngestReport, Problem, Stamp, article_of

Progress = Callable[[int, int], None]


def _plan(
    wanted: dict[str, Chunk], stored: dict[str, Stamp], keep_sources: set[str]
) -> tuple[list[Chunk], list[str]]:
    """(chunks to write, ids to delete) that turn `stored` into `wanted`."""
    write = [
        c
        for c in wanted.values()
        if (s := stored.get(c.id)) is None or s.content_hash != c.content_hash
    ]
    drop = [i for i, s in stored.items() if i not in wanted and s.source not in keep_sources]
    return write, drop


def _within(stamps: dict[str, Stamp], scope: Collection[str] | None) -> dict[str, Stamp]:
    """The stamps of chunks whose article is in `scope` (all of them when scope is None)."""
    if scope is None:
        return stamps
    return {i: s for i, s in stamps.items() if article_of(i) in scope}


def sync(
    articles: Sequence[Article],
    chunker: Chunker,
    embedder: Embedder,
    vectors: VectorStore,
    keywords: KeywordIndex,
    *,
    problems: Iterable[Problem] = (),
    progress: Progress | None = None,
    scope: Collection[str] | None = None,
) -> IngestReport:
    """Make both indexes hold exactly the chunks of `articles`; embed only what changed.

    Chunks from a source listed in `problems` (a file that failed to load this time) are kept
    as they were, so a typo in one article never removes it from the index. With a `scope`
    (article ids), only the chunks of those articles are compared, written or deleted: the
    rest of the index is left as it is.
    """
    started = time.perf_counter()
    report = IngestReport(problems=list(problems))
    keep_sources = {p.path for p in report.problems}
    vectors.bind_model(embedder.model_id, embedder.dimension)
    wanted: dict[str, Chunk] = {c.id: c for a in articles for c in chunker.split(a)}

    stored = _within(vectors.manifest(), scope)
    to_embed, stale = _plan(wanted, stored, keep_sources)
    _embed_and_store(to_embed, embedder, vectors, progress)
    vectors.delete(stale)
    to_index, stale_keywords = _plan(wanted, _within(keywords.manifest(), scope), keep_sources)
    keywords.upsert(to_index)
    keywords.delete(stale_keywords)

    stored_articles = {article_of(i) for i in stored}
    touched = {c.article_id for c in to_embed} | {article_of(i) for i in stale}
    for article in articles:
        if article.id not in stored_articles:
            report.added.append(article.id)
        elif article.id in touched:
            report.updated.append(article.id)
        else:
            report.unchanged += 1
    kept = {article_of(i) for i, s in stored.items() if s.source in keep_sources}
    report.deleted = sorted(stored_articles - {a.id for a in articles} - kept)
    report.chunks = len(wanted)
    report.embedded = len(to_embed)
    report.seconds = time.perf_counter() - started
    return report


def _embed_and_store(
    chunks: Sequence[Chunk],
    embedder: Embedder,
    vectors: VectorStore,
    progress: Progress | None,
    batch: int = 256,
) -> None:
    # Batches of similar length pad little (issue 18); vectors do not depend on the order.
    chunks = sorted(chunks, key=lambda c: len(c.embed_text))
    if progress:
        progress(0, len(chunks))
    for start in range(0, len(chunks), batch):
        part = chunks[start : start + batch]
        vectors.upsert(part, embedder.embed_documents([c.embed_text for c in part]))
        if progress:
            progress(start + len(part), len(chunks))
