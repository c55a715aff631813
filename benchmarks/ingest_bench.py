"""Ingestion throughput of our whole pipeline vs the raw embedder, and incremental re-ingest.

(a) The sample KB (`kb_content/`) is replicated to N markdown articles (new ids, slightly
varied text) in a temporary folder; `KnowledgeBase.ingest_path` then loads, chunks, embeds and
stores them (Chroma + SQLite FTS5). Its chunks/s is compared with `embed_documents` alone on
the same chunk texts in the same run. (b) One article is edited and the KB re-ingested: the
IngestReport must show exactly that article updated and only its changed chunks embedded.

    .venv/bin/python benchmarks/ingest_bench.py --articles 1000
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import yaml
from _common import REPO, Stopwatch, emit, machine, progress, ratio, table

from retrieval.chunking import Chunker
from retrieval.config import (
    ChunkingConfig,
    EmbeddingConfig,
    KeywordConfig,
    SearchConfig,
    VectorConfig,
)
from retrieval.factory import build_embedder, build_keyword_index, build_vector_store
from retrieval.interfaces import Embedder, KeywordIndex, Vectors, VectorStore
from retrieval.knowledge_base import KnowledgeBase
from retrieval.loader import load_kb
from retrieval.types import Article, Chunk, IngestReport

REGIONS = ("US", "Canada", "UK", "Ireland", "Australia", "New Zealand", "Mexico", "Spain")
EDIT = "Update: this article was reviewed by the support team and one detail changed."


class TimedEmbedder:
    """Delegates to an Embedder and records the time spent embedding documents."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self.watch = Stopwatch()
        self.texts = 0

    @property
    def model_id(self) -> str:
        """The wrapped model id."""
        return self._inner.model_id

    @property
    def dimension(self) -> int:
        """The wrapped dimension."""
        return self._inner.dimension

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Embed and time."""
        with self.watch:
            self.texts += len(texts)
            return self._inner.embed_documents(texts)

    def embed_query(self, text: str) -> Vectors:
        """Embed one query (not timed)."""
        return self._inner.embed_query(text)


class TimedVectors:
    """Delegates to a VectorStore and records the time spent in `upsert`."""

    def __init__(self, inner: VectorStore) -> None:
        self._inner = inner
        self.watch = Stopwatch()

    def upsert(self, chunks: Sequence[Chunk], vectors: Vectors) -> None:
        """Upsert and time."""
        with self.watch:
            self._inner.upsert(chunks, vectors)

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


class TimedKeywords:
    """Delegates to a KeywordIndex and records the time spent in `upsert`."""

    def __init__(self, inner: KeywordIndex) -> None:
        self._inner = inner
        self.watch = Stopwatch()

    def upsert(self, chunks: Sequence[Chunk]) -> None:
        """Upsert and time."""
        with self.watch:
            self._inner.upsert(chunks)

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


def replicate(base: Sequence[Article], n: int, seed: int = 7) -> list[Article]:
    """n articles cycling through `base`, each with a new id, title and slightly varied text."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        src = base[i % len(base)]
        region = REGIONS[rng.randrange(len(REGIONS))]
        paragraphs = src.body.split("\n\n")
        # Swap two neighbouring plain paragraphs (headings and tables stay put).
        plain = [
            j for j, p in enumerate(paragraphs[:-1]) if _plain(p) and _plain(paragraphs[j + 1])
        ]
        if plain:
            j = rng.choice(plain)
            paragraphs[j], paragraphs[j + 1] = paragraphs[j + 1], paragraphs[j]
        intro = f"This version applies to customers in {region} (edition {i // len(base) + 1})."
        out.append(
            Article(
                id=f"{src.id}-v{i:05d}",
                title=f"{src.title} ({region})",
                body=intro + "\n\n" + "\n\n".join(paragraphs),
                url=f"{src.url}-v{i}" if src.url else "",
                category=src.category,
                locale=src.locale,
                tags=src.tags,
                updated=src.updated,
            )
        )
    return out


def _plain(paragraph: str) -> bool:
    return not paragraph.lstrip().startswith(("#", "|", "-", "*", "1."))


def write_markdown(article: Article, root: Path) -> Path:
    """Write one article as `<category>/<id>.md` with front matter; return its path."""
    meta = {
        "id": article.id,
        "title": article.title,
        "category": article.category,
        "locale": article.locale,
        "tags": list(article.tags),
        "url": article.url,
        "updated": article.updated,
    }
    path = root / (article.category or "misc") / f"{article.id}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
    path.write_text(f"---\n{front}---\n{article.body}\n", encoding="utf-8")
    return path


def changed_chunks(chunker: Chunker, before: Article, after: Article) -> int:
    """How many chunks of `after` are new or differ from those of `before`."""
    old = {c.id: c.content_hash for c in chunker.split(before)}
    return sum(1 for c in chunker.split(after) if old.get(c.id) != c.content_hash)


def report_row(name: str, seconds: float, report: IngestReport) -> list[object]:
    """One row of the re-ingest table."""
    return [
        name,
        seconds,
        len(report.updated),
        len(report.added),
        len(report.deleted),
        report.unchanged,
        report.embedded,
    ]


def describe(report: IngestReport) -> str:
    """added/updated/deleted/unchanged/embedded of a report, on one line."""
    return (
        f"added {len(report.added)}, updated {len(report.updated)} {report.updated[:3]}, "
        f"deleted {len(report.deleted)}, unchanged {report.unchanged}, "
        f"embedded {report.embedded} of {report.chunks} chunks"
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="size of the replicated KB")
    parser.add_argument("--kb", type=Path, default=Path(REPO) / "kb_content")
    args = parser.parse_args(argv)

    chunking = ChunkingConfig()
    base, problems = load_kb(args.kb, chunking.max_file_bytes)
    if problems:
        emit(f"note: {len(problems)} sample files did not load: {problems[:2]}")
    articles = replicate(base, args.articles)
    embedder = build_embedder(EmbeddingConfig())
    emit(f"machine: {machine()}")
    emit(f"sample KB: {len(base)} articles -> replicated to {len(articles):,}")
    chunker = Chunker(chunking)

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        root = Path(tmp) / "kb"
        for article in articles:
            write_markdown(article, root)
        # Load and chunk once outside the pipeline only to get the texts for the raw baseline.
        loaded, _ = load_kb(root, chunking.max_file_bytes)
        texts = [c.embed_text for a in loaded for c in chunker.split(a)]
        embedder.embed_documents(texts[:64])  # warm-up: first batches pay one-off costs

        emit(f"raw embedder: {len(texts):,} chunk texts ...")
        raw = Stopwatch()
        with raw:
            embedder.embed_documents(texts)
        emit(f"  {raw.seconds:.1f}s")

        timed = TimedEmbedder(embedder)
        vectors = TimedVectors(build_vector_store(VectorConfig(), Path(tmp) / "index"))
        keywords = TimedKeywords(build_keyword_index(KeywordConfig(), Path(tmp) / "index"))
        kb = KnowledgeBase(timed, vectors, keywords, chunking, SearchConfig())  # type: ignore[arg-type]
        try:
            emit("whole pipeline (load + chunk + embed + Chroma + FTS5) ...")
            whole = Stopwatch()
            with whole:
                full = kb.ingest_path(root, progress=progress("embed+store"))
            emit(f"  {whole.seconds:.1f}s: {describe(full)}")
            stages = [
                (name, watch.seconds, watch.cpu)
                for name, watch in (
                    ("embedding", timed.watch),
                    ("Chroma upsert", vectors.watch),
                    ("FTS5 upsert", keywords.watch),
                )
            ]

            emit("re-ingest with nothing changed ...")
            started = time.perf_counter()
            noop = kb.ingest_path(root)
            noop_s = time.perf_counter() - started

            victim = articles[len(articles) // 2]
            paragraphs = victim.body.split("\n\n")
            middle = len(paragraphs) // 2
            paragraphs[middle] = paragraphs[middle] + " " + EDIT
            edited = dataclasses.replace(victim, body="\n\n".join(paragraphs))
            write_markdown(edited, root)
            expected = changed_chunks(chunker, victim, edited)
            emit(f"re-ingest after editing {victim.id!r} ({expected} chunk(s) changed) ...")
            started = time.perf_counter()
            one = kb.ingest_path(root)
            one_s = time.perf_counter() - started
        finally:
            kb.close()

    n = full.chunks
    full_s = whole.seconds
    stages.append(
        (
            "load + chunk + diff",
            full_s - sum(st[1] for st in stages),
            whole.cpu - sum(st[2] for st in stages),
        )
    )
    rows: list[list[object]] = [
        [
            "raw embedder (embed_documents, one call)",
            raw.seconds,
            raw.cpu,
            n / raw.seconds,
            n / raw.cpu,
            "",
        ],
        ["whole pipeline (ingest_path)", full_s, whole.cpu, n / full_s, n / whole.cpu, "100%"],
    ]
    for name, wall, cpu in stages:
        per = name == "embedding"
        rows.append(
            [
                f"  of which {name}",
                wall,
                cpu,
                n / wall if per else "",
                n / cpu if per else "",
                f"{wall / full_s:.0%}",
            ]
        )
    emit("\n# Results")
    emit(f"(a) throughput, {len(articles):,} articles, {n:,} chunks")
    emit(table(["stage", "wall s", "CPU s", "chunks/s", "chunks/CPU-s", "share of wall"], rows))
    emit(
        f"whole pipeline / raw embedder throughput: {ratio(raw.seconds, full_s)} by wall time "
        f"({n / full_s:.1f} vs {n / raw.seconds:.1f} chunks/s), "
        f"{ratio(raw.cpu, whole.cpu)} by CPU time "
        f"({n / whole.cpu:.1f} vs {n / raw.cpu:.1f} chunks/CPU-s)"
    )
    emit(f"\n(b) incremental re-ingest of the {len(articles):,}-article KB")
    one_ok = (
        one.updated == [victim.id]
        and not one.added
        and not one.deleted
        and one.embedded == expected
    )
    emit(
        table(
            ["run", "seconds", "updated", "added", "deleted", "unchanged", "embedded"],
            [
                report_row("first ingest", full_s, full),
                report_row("nothing changed", noop_s, noop),
                report_row("one article edited", one_s, one),
            ],
        )
    )
    verdict = "OK: exactly 1 article updated, only its changed chunks embedded"
    emit(
        f"edited {victim.id!r}: report.updated={one.updated}, embedded {one.embedded} chunk(s); "
        f"chunks that changed: {expected} -> {verdict if one_ok else 'MISMATCH'}"
    )
    emit(f"re-ingest after one edit vs first ingest: {ratio(full_s, one_s)} faster")


if __name__ == "__main__":
    main()
