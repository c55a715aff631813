"""Where an answer's time goes: p50/p95 per stage of the embedded default (issue 18).

Every golden question (`evals/datasets/kb_questions.jsonl`) goes through `Responder.reply` in a
new conversation, escalation on, extractive answerer, on the sample KB ingested into a
temporary folder; `--docs` adds a JSONL document set to the index (e.g. InsuranceQA's 5,026
answers) to see how the stages grow with the index. Stages are timed at the seams (protocol
objects wrapped by timing proxies, no change to the code measured), each exclusive of the
stages inside it:

- embed: the embedder (the query, the answer's sentences, the escalation detectors' message)
- lexical, vector: the keyword index and the vector store
- fusion: the rest of the hybrid search (per-article grouping, weighted RRF, relevance)
- compose: the extractive answerer without its embedding
- grounding: the grounding check without its embedding
- escalation: the detectors (emotion scorer included) without their embedding
- storage: the conversation store (reads and the stored turns)
- other: the rest of the responder (follow-up rewriting, coverage, the composer)

The passages' sentence vectors are prepared after indexing, as `supportbot ingest` does
(`--cold`: not, so an article's sentences are encoded the first time it is quoted).

    .venv/bin/python benchmarks/latency_budget.py
    .venv/bin/python benchmarks/latency_budget.py --docs ../shared/evaldata/insuranceqa/docs.jsonl
"""

from __future__ import annotations

import argparse
import functools
import inspect
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
from _common import REPO, emit, latency_summary, load, machine, table

from bot.answering.answer_vectors import warm_answer_vectors
from bot.conversations.models import Channel, Customer
from bot.settings import Settings
from bot.wiring import Services, build_services
from escalation.config import EscalationConfig
from evals.answers_eval import load_answer_cases
from evals.cases import load_docs
from retrieval.cached_embedder import CachedEmbedder
from retrieval.chunking import Chunker
from retrieval.loader import load_kb

QUESTIONS = Path(REPO) / "evals" / "datasets" / "kb_questions.jsonl"
KB = Path(REPO) / "kb_content"
STAGES = (
    "embed",
    "lexical",
    "vector",
    "fusion",
    "compose",
    "grounding",
    "escalation",
    "storage",
    "other",
)


class Budget:
    """Exclusive time per stage of the answer being timed (nested stages subtract)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self._children: list[float] = []

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self._children.append(0.0)
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            self.spent[name] += elapsed - self._children.pop()
            if self._children:
                self._children[-1] += elapsed

    def wrap(self, owner: Any, method: str, name: str) -> None:
        """Time `owner.method` (sync or async) as stage `name`, on this instance only."""
        inner: Callable[..., Any] = getattr(owner, method)
        if inspect.iscoroutinefunction(inner):

            @functools.wraps(inner)
            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                with self.stage(name):
                    return await inner(*args, **kwargs)

            setattr(owner, method, timed_async)
            return

        @functools.wraps(inner)
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.stage(name):
                return inner(*args, **kwargs)

        setattr(owner, method, timed)


def instrument(services: Services, budget: Budget) -> None:
    """Timing proxies on every seam the responder crosses."""
    kb = services.kb
    for method in ("embed_query", "embed_documents"):
        budget.wrap(kb.embedder, method, "embed")
    budget.wrap(kb.keywords, "search", "lexical")
    budget.wrap(kb.vectors, "query", "vector")
    budget.wrap(kb, "search", "fusion")  # what search spends outside the three above
    responder: Any = services.responder
    budget.wrap(responder._answerer, "compose", "compose")
    for method in ("prepare", "check"):
        budget.wrap(responder._checker, method, "grounding")
    for method in ("check_message", "check_answer", "escalate"):
        budget.wrap(services.escalator, method, "escalation")
    for method in ("get", "turns", "append"):
        budget.wrap(services.store, method, "storage")


async def ask(services: Services, budget: Budget, question: str) -> tuple[dict[str, float], float]:
    """One question in a new conversation: its stages and total, in milliseconds."""
    conversation, _ = await services.store.create_conversation(
        Customer(id=""), channel=Channel.API, locale="en"
    )
    budget.spent.clear()
    started = time.perf_counter()
    async for _ in services.responder.reply(conversation.id, question):
        pass
    total = (time.perf_counter() - started) * 1000
    spent = {name: seconds * 1000 for name, seconds in budget.spent.items()}
    spent["other"] = total - sum(spent.values())
    return spent, total


def main() -> int:
    parser = argparse.ArgumentParser(
        description="p50/p95 per stage of a whole answer (extractive, escalation on)."
    )
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--docs", type=Path, default=None, help="JSONL docs added to the KB")
    parser.add_argument("--limit", type=int, default=0, help="first N questions (0: all)")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="skip preparing the passages' sentence vectors (as `supportbot ingest` does)",
    )
    args = parser.parse_args()
    cases = load_answer_cases(args.questions)[: args.limit or None]
    emit(machine())
    with tempfile.TemporaryDirectory(prefix="supportbot-budget-") as tmp:
        settings = Settings(data_dir=Path(tmp), escalation=EscalationConfig(business_hours=""))
        services = build_services(settings)
        services.kb.ingest_path(KB)
        articles, _ = load_kb(KB, settings.chunking.max_file_bytes)
        if args.docs is not None:
            emit(f"adding {args.docs} to the index ...")
            docs = load_docs(args.docs)
            services.kb.ingest(docs)
            articles += docs
        chunks = services.kb.vectors.count()
        if not args.cold and isinstance(services.kb.embedder, CachedEmbedder):
            started = time.perf_counter()
            encoded = warm_answer_vectors(
                services.kb.embedder, articles, Chunker(settings.chunking), grounding=False
            )
            emit(f"prepared {encoded:,} sentence vectors in {time.perf_counter() - started:.1f}s")
        budget = Budget()
        instrument(services, budget)
        per_stage: dict[str, list[float]] = defaultdict(list)
        totals: list[float] = []

        async def run() -> None:
            try:
                await ask(services, budget, "How do I reset my password?")  # warm-up
                for case in cases:
                    spent, total = await ask(services, budget, case.question)
                    totals.append(total)
                    for name in STAGES:
                        per_stage[name].append(spent.get(name, 0.0))
            finally:
                await services.aclose()

        anyio.run(run)
    rows = []
    for name in (*STAGES, "whole answer"):
        values = totals if name == "whole answer" else per_stage[name]
        summary = latency_summary(values)
        rows.append([name, round(summary["p50_ms"], 1), round(summary["p95_ms"], 1)])
    emit(f"\n{len(totals)} questions, {chunks:,} chunks indexed; {load()}")
    emit(table(["stage", "p50 ms", "p95 ms"], rows))
    emit("Stage p95s do not add up to the whole answer's p95 (different questions are slowest).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
