"""Hybrid search latency at ~20k chunks, with and without locale and category filters.

Synthetic articles of ~20 chunks each are made from the sample KB's chunks (sentences
shuffled) over 2 locales (en 80%, es 20%) and 7 categories. To keep the run short, a pool of
chunk texts is embedded once and every chunk gets a pool vector plus a little noise
(re-normalised); `--pool 0` embeds every chunk instead. For context, chromadb's own
`where={"locale": ...}` filter on one collection holding every chunk is timed against an
unfiltered query, next to our per-locale collections.

    .venv/bin/python benchmarks/search_latency.py --chunks 20000 --queries 100
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from _common import REPO, emit, latency_summary, machine, progress, ratio, table

from retrieval.chunking import Chunker
from retrieval.config import (
    ChunkingConfig,
    EmbeddingConfig,
    KeywordConfig,
    SearchConfig,
    VectorConfig,
)
from retrieval.factory import build_embedder, build_keyword_index, build_vector_store
from retrieval.interfaces import Embedder, Vectors
from retrieval.knowledge_base import KnowledgeBase
from retrieval.loader import load_kb
from retrieval.types import Chunk

CATEGORIES = (
    "account-login",
    "billing-plans",
    "getting-started",
    "orders-shipping",
    "privacy-security",
    "returns-refunds",
    "troubleshooting",
)
PER_ARTICLE = 20
ES_SHARE = 0.2
WARMUP = 5
K = 10
QUESTIONS = Path(REPO) / "evals" / "datasets" / "kb_questions.jsonl"
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def synthetic_chunks(kb: Path, target: int, seed: int) -> list[Chunk]:
    """About `target` chunks in articles of PER_ARTICLE chunks, built from the sample KB."""
    articles, _ = load_kb(kb, ChunkingConfig().max_file_bytes)
    chunker = Chunker(ChunkingConfig())
    pools: dict[str, list[Chunk]] = {"en": [], "es": []}
    for article in articles:
        pools["es" if article.locale == "es" else "en"].extend(chunker.split(article))
    rng = random.Random(seed)
    out: list[Chunk] = []
    n_articles = -(-target // PER_ARTICLE)
    for j in range(n_articles):
        locale = "es" if rng.random() < ES_SHARE else "en"
        category = CATEGORIES[j % len(CATEGORIES)]
        article_id = f"syn-{locale}-{j:05d}"
        title = f"{rng.choice(pools[locale]).title} ({j})"
        for n in range(min(PER_ARTICLE, target - len(out))):
            src = rng.choice(pools[locale])
            sentences = _SENTENCE.split(src.text)
            rng.shuffle(sentences)
            text = " ".join(sentences)
            out.append(
                Chunk(
                    id=f"{article_id}#{n}",
                    article_id=article_id,
                    title=title,
                    section=src.section,
                    text=text,
                    url=f"https://help.example/{article_id}",
                    locale=locale,
                    category=category,
                    tokens=src.tokens,
                    content_hash=hashlib.sha256(text.encode()).hexdigest()[:32],
                )
            )
    return out


def chunk_vectors(embedder: Embedder, chunks: Sequence[Chunk], pool: int, seed: int) -> Vectors:
    """One unit vector per chunk: its own embedding, or a pool vector plus noise."""
    if pool <= 0 or pool >= len(chunks):
        return embedder.embed_documents([c.embed_text for c in chunks])
    base = embedder.embed_documents([c.embed_text for c in chunks[:pool]])
    rng = np.random.default_rng(seed)
    # sigma 0.025 over 384 dims: cosine to the pool vector ~0.9 (a close paraphrase).
    noisy = base[np.arange(len(chunks)) % pool] + rng.normal(
        0.0, 0.025, (len(chunks), base.shape[1])
    ).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    return noisy.astype(np.float32)


def load_queries(n: int, chunks: Sequence[Chunk], seed: int) -> list[tuple[str, str, str]]:
    """(text, locale, category) of up to n queries: the eval questions, else chunk titles."""
    rows: list[tuple[str, str, str]] = []
    if QUESTIONS.is_file():
        for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                rows.append(
                    (
                        str(row["question"]),
                        str(row.get("locale") or "en"),
                        str(row.get("category") or CATEGORIES[len(rows) % len(CATEGORIES)]),
                    )
                )
    rng = random.Random(seed)
    while len(rows) < n:
        c = rng.choice(chunks)
        rows.append((c.title.rsplit(" (", 1)[0], c.locale, c.category))
    return rows[:n]


Timings = dict[str, tuple[list[float], list[float]]]


def time_calls(calls: dict[str, Callable[[int], object]], n: int) -> Timings:
    """(wall ms, CPU ms) per call of each named call over inputs 0..n-1, interleaved."""
    for i in range(min(WARMUP, n)):
        for call in calls.values():
            call(i)
    out: Timings = {name: ([], []) for name in calls}
    for i in range(n):
        for name, call in calls.items():
            cpu = time.process_time()
            started = time.perf_counter()
            call(i)
            out[name][0].append((time.perf_counter() - started) * 1e3)
            out[name][1].append((time.process_time() - cpu) * 1e3)
    return out


def rows_of(timings: Timings, baseline: str) -> list[list[object]]:
    """Rows (name, p50, p95, mean, p50 CPU, p50 vs baseline, p50 CPU vs baseline)."""
    base = latency_summary(timings[baseline][0])["p50_ms"]
    base_cpu = latency_summary(timings[baseline][1])["p50_ms"]
    out: list[list[object]] = []
    for name, (wall, cpu) in timings.items():
        s, c = latency_summary(wall), latency_summary(cpu)
        out.append(
            [
                name,
                s["p50_ms"],
                s["p95_ms"],
                s["mean_ms"],
                c["p50_ms"],
                ratio(s["p50_ms"], base),
                ratio(c["p50_ms"], base_cpu),
            ]
        )
    return out


HEADERS = ["p50 ms", "p95 ms", "mean ms", "p50 CPU ms", "p50 vs base", "CPU vs base"]


def single_collection(folder: Path, chunks: Sequence[Chunk], vectors: Vectors) -> Any:
    """A plain chromadb collection holding every chunk, locale and category as metadata."""
    import chromadb
    from chromadb.config import Settings

    client = chromadb.PersistentClient(
        path=str(folder), settings=Settings(anonymized_telemetry=False)
    )
    collection = client.get_or_create_collection(
        "all", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
    )
    step = client.get_max_batch_size()
    for start in range(0, len(chunks), step):
        part = chunks[start : start + step]
        collection.add(
            ids=[c.id for c in part],
            embeddings=vectors[start : start + len(part)],
            documents=[c.text for c in part],
            metadatas=[{"locale": c.locale, "category": c.category} for c in part],
        )
    return collection


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=20_000, help="number of chunks indexed")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument(
        "--pool", type=int, default=600, help="texts embedded for real (0 = every chunk)"
    )
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--kb", type=Path, default=Path(REPO) / "kb_content")
    args = parser.parse_args(argv)

    embedder = build_embedder(EmbeddingConfig())
    emit(f"machine: {machine()}")
    started = time.perf_counter()
    chunks = synthetic_chunks(args.kb, args.chunks, args.seed)
    n_es = sum(c.locale == "es" for c in chunks)
    emit(
        f"{len(chunks):,} chunks in {len({c.article_id for c in chunks}):,} articles "
        f"({n_es / len(chunks):.0%} es, {len(CATEGORIES)} categories)"
    )
    emit(f"embedding {'all chunks' if args.pool <= 0 else f'a pool of {args.pool}'} ...")
    vectors = chunk_vectors(embedder, chunks, args.pool, args.seed)
    emit(f"  done after {time.perf_counter() - started:.1f}s")
    queries = load_queries(args.queries, chunks, args.seed)
    cfg = SearchConfig()

    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        kb = KnowledgeBase(
            embedder,
            build_vector_store(VectorConfig(), Path(tmp) / "ours"),
            build_keyword_index(KeywordConfig(), Path(tmp) / "ours"),
            ChunkingConfig(),
            cfg,
        )
        try:
            kb.vectors.bind_model(embedder.model_id, embedder.dimension)
            show = progress("ours: Chroma per-locale upsert", 0.25)
            step = 2000
            for start in range(0, len(chunks), step):
                part = chunks[start : start + step]
                kb.vectors.upsert(part, vectors[start : start + len(part)])
                show(start + len(part), len(chunks))
            kb.keywords.upsert(chunks)
            elapsed = time.perf_counter() - started
            emit(f"  indexed {kb.vectors.count():,} chunks after {elapsed:.1f}s")

            def search(**kw: Any) -> Callable[[int], object]:
                return lambda i: kb.search(queries[i][0], K, **kw)

            hybrid = time_calls(
                {
                    "no filter": search(),
                    "locale = question's (en/es)": lambda i: kb.search(
                        queries[i][0], K, locale=queries[i][1]
                    ),
                    "locale = es (20% of chunks)": search(locale="es"),
                    "category = question's": lambda i: kb.search(
                        queries[i][0], K, category=queries[i][2]
                    ),
                    "locale + category": lambda i: kb.search(
                        queries[i][0], K, locale=queries[i][1], category=queries[i][2]
                    ),
                    "dense only, no filter": search(mode="dense"),
                    "lexical only, no filter": search(mode="lexical"),
                },
                len(queries),
            )

            emit("building one chromadb collection with every chunk (for comparison) ...")
            qvecs = [embedder.embed_query(q[0]) for q in queries]
            single = single_collection(Path(tmp) / "single", chunks, vectors)
            n = cfg.candidates

            def raw(where: dict[str, str] | None) -> Callable[[int], object]:
                return lambda i: single.query(
                    query_embeddings=[qvecs[i]],
                    n_results=n,
                    where=where,
                    include=["distances"],  # as VectorStore.nearest asks
                )

            vector_only = time_calls(
                {
                    "chromadb, one collection, no where": raw(None),
                    "chromadb, one collection, where locale=en": raw({"locale": "en"}),
                    "chromadb, one collection, where locale=es": raw({"locale": "es"}),
                    "chromadb, one collection, where category": lambda i: raw(
                        {"category": queries[i][2]}
                    )(i),
                    "ours, VectorStore.nearest, no filter": lambda i: kb.vectors.nearest(
                        qvecs[i], n
                    ),
                    "ours, VectorStore.nearest, locale=en": lambda i: kb.vectors.nearest(
                        qvecs[i], n, {"locale": "en"}
                    ),
                    "ours, VectorStore.nearest, locale=es": lambda i: kb.vectors.nearest(
                        qvecs[i], n, {"locale": "es"}
                    ),
                    "ours, VectorStore.nearest, category": lambda i: kb.vectors.nearest(
                        qvecs[i], n, {"category": queries[i][2]}
                    ),
                },
                len(queries),
            )
        finally:
            kb.close()

    emit("\n# Results")
    emit(
        f"KnowledgeBase.search, k={K}, {len(chunks):,} chunks, {len(queries)} queries "
        f"(query embedding included; {WARMUP} warm-up queries not counted)"
    )
    emit(table(["hybrid search (base: no filter)", *HEADERS], rows_of(hybrid, "no filter")))
    emit(f"\nvector query only, n_results={n} (precomputed query vectors)")
    emit(
        table(
            ["vector query (base: chromadb, no where)", *HEADERS],
            rows_of(vector_only, "chromadb, one collection, no where"),
        )
    )
    emit("(CPU = process CPU time over all threads; less skewed than wall time by other load)")
    emit(f"finished: {machine()}")


if __name__ == "__main__":
    main()
