"""Where an answer's time goes: p50/p95 per stage of the embedded default (issue 18).

Every golden question (`evals/datasets/kb_questions.jsonl`) goes through `Responder.reply` in a
new conversation, escalation on, extractive answerer, on the sample KB ingested into a
temporary folder. `--docs` adds JSONL document sets to the index (e.g. InsuranceQA's 5,026
answers) to see how the stages grow with the index; `--copies N` adds each of their documents
N times under other ids (the issue's ~20k chunks from the 7.5k articles of both public dev
sets); `--index DIR` keeps what was ingested in DIR, and a later run with the same DIR times it
without ingesting again. Stages are timed at the seams (protocol objects wrapped by timing
proxies, no change to the code measured), each exclusive of the stages inside it:

- embed: the embedder (the query, the answer's sentences, the escalation detectors' message)
- lexical: the keyword index, beside embed + vector (its time overlaps theirs)
- vector: the vector store
- fusion: the rest of the hybrid search (waiting for the keyword half when it is the slower
  one, per-article grouping, score fusion, relevance)
- compose: the extractive answerer without its embedding
- grounding: the grounding check without its embedding
- escalation: the detectors (emotion scorer included) without their embedding
- storage: the conversation store (reads and the stored turns)
- other: the rest of the responder (follow-up rewriting, coverage, the composer)

The passages' sentence vectors are prepared after indexing, as `supportbot ingest` does
(`--cold`: not, so an article's sentences are encoded the first time it is quoted).

    .venv/bin/python benchmarks/latency_budget.py
    .venv/bin/python benchmarks/latency_budget.py --docs ../shared/evaldata/insuranceqa/docs.jsonl
    .venv/bin/python benchmarks/latency_budget.py --index /tmp/budget-20k --copies 2 \
        --docs ../shared/evaldata/insuranceqa/docs.jsonl ../shared/evaldata/liveqa_med/docs.jsonl
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import inspect
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
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
from retrieval.retriever import KEYWORD_THREAD_PREFIX
from retrieval.types import Article

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


@dataclasses.dataclass
class _Frame:
    """A stage being timed, and the time its nested stages took."""

    parent: _Frame | None
    children: float = 0.0


class Budget:
    """Exclusive time per stage of the answer being timed (nested stages subtract).

    Stages nest along the context (which follows the responder into its worker threads and
    tasks). The keyword half of a hybrid search runs on a thread of its own beside the query's
    embedding and vector search (retrieval/retriever.py), so its time overlaps theirs: it is
    reported, but neither subtracted from the search, which waits for it, nor counted again in
    "other"."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self.beside: set[str] = set()
        self._current: ContextVar[_Frame | None] = ContextVar("stage", default=None)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        parent = self._current.get()
        if parent is None and threading.current_thread().name.startswith(KEYWORD_THREAD_PREFIX):
            self.beside.add(name)
        frame = _Frame(parent)
        token = self._current.set(frame)
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            self._current.reset(token)
            self.spent[name] += elapsed - frame.children
            if parent is not None:
                parent.children += elapsed

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
    budget.wrap(kb.vectors, "nearest", "vector")
    budget.wrap(kb.keywords, "chunks", "vector")  # the vector hits' fields, read by id
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
    spent["other"] = total - sum(v for name, v in spent.items() if name not in budget.beside)
    return spent, total


def extra_docs(paths: Sequence[Path], copies: int) -> list[Article]:
    """The documents of `paths`, each `copies` times (copy n > 1 under the id `<id>~n`)."""
    docs = [doc for path in paths for doc in load_docs(path)]
    return [
        dataclasses.replace(doc, id=f"{doc.id}~{n}") if n > 1 else doc
        for n in range(1, copies + 1)
        for doc in docs
    ]


def index_folder(keep: Path | None) -> AbstractContextManager[str]:
    """`keep` (created if missing) or a temporary folder removed afterwards."""
    if keep is None:
        return tempfile.TemporaryDirectory(prefix="supportbot-budget-")
    keep.mkdir(parents=True, exist_ok=True)
    return nullcontext(str(keep))


def main() -> int:
    parser = argparse.ArgumentParser(
        description="p50/p95 per stage of a whole answer (extractive, escalation on)."
    )
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument(
        "--docs", type=Path, nargs="+", default=[], help="JSONL docs added to the KB"
    )
    parser.add_argument(
        "--copies", type=int, default=1, help="add each --docs document N times (other ids)"
    )
    parser.add_argument(
        "--index",
        type=Path,
        default=None,
        help="keep the index in DIR; a DIR holding one from an earlier run is timed as it is",
    )
    parser.add_argument("--limit", type=int, default=0, help="first N questions (0: all)")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="skip preparing the passages' sentence vectors (as `supportbot ingest` does)",
    )
    args = parser.parse_args()
    cases = load_answer_cases(args.questions)[: args.limit or None]
    emit(machine())
    reuse = args.index is not None and (args.index / "DONE").exists()
    with index_folder(args.index) as folder:
        settings = Settings(data_dir=Path(folder), escalation=EscalationConfig(business_hours=""))
        services = build_services(settings)
        if reuse:
            emit(f"timing the index already in {folder} ...")
        else:
            articles, _ = load_kb(KB, settings.chunking.max_file_bytes)
            if args.docs:
                docs = extra_docs(args.docs, args.copies)
                emit(f"indexing the sample KB and {len(docs):,} more documents ...")
                articles += docs
            services.kb.ingest(articles)  # one sync: the sample KB stays beside the others
            if not args.cold and isinstance(services.kb.embedder, CachedEmbedder):
                started = time.perf_counter()
                encoded = warm_answer_vectors(
                    services.kb.embedder,
                    articles,
                    Chunker(settings.chunking),
                    grounding=False,
                    company=settings.answer.company_name,
                )
                elapsed = time.perf_counter() - started
                emit(f"prepared {encoded:,} sentence vectors in {elapsed:.1f}s")
            (Path(folder) / "DONE").touch()
        chunks = services.kb.vectors.count()
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
        label = f"{name} (beside)" if name in budget.beside else name
        rows.append([label, round(summary["p50_ms"], 1), round(summary["p95_ms"], 1)])
    emit(f"\n{len(totals)} questions, {chunks:,} chunks indexed; {load()}")
    emit(table(["stage", "p50 ms", "p95 ms"], rows))
    emit("Stage p95s do not add up to the whole answer's p95 (different questions are slowest).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
