"""Answer latency and grounding per answer backend, end to end through the responder.

For each backend (extractive; openai-compatible against a llama.cpp server this script
starts; local = SmolLM2 in process) every question of `evals/datasets/kb_questions.jsonl`
goes through `Responder.reply` in a new conversation, on the sample KB (`kb_content/`,
ingested once into a temporary folder). Timed per question:

- first text: until the first text the customer sees (LLM backends show a sentence only
  after it passed the grounding check, so this includes generating and checking it);
- first model token: until the model's first piece (LLM backends only);
- full answer: until the bot turn is stored.

Counted per backend: answers that are grounded (kind answer, no grounding fallback) and cite
a gold article, grounding fallbacks (the extractive answer replaced a generated one that lost
its substance), LLM errors, refusals, and generated sentences dropped by the grounding check.
Escalation is turned off: a handoff would skip the answer being measured.

    .venv/bin/python benchmarks/answer_bench.py                      # all backends
    .venv/bin/python benchmarks/answer_bench.py --backends extractive --limit 20
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
from _common import REPO, emit, latency_summary, load, machine, table

from bot.conversations.models import Channel, Customer, Turn
from bot.llm.interfaces import ChatModel
from bot.settings import Settings
from bot.wiring import Services, build_chat_model, build_services
from retrieval.config import EmbeddingConfig
from retrieval.factory import build_embedder
from retrieval.interfaces import Embedder

# No network here: the hub must never be consulted. None of the imports above loads
# huggingface_hub, which reads these once when first imported (by the embedder, lazily).
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

BACKENDS = ("extractive", "openai-compatible", "local")
LLM_DEFAULT_LIMIT = 30
QUESTIONS = Path(REPO) / "evals" / "datasets" / "kb_questions.jsonl"
KB = Path(REPO) / "kb_content"
RESULTS = Path(REPO) / "benchmarks" / "RESULTS.md"
SERVER_MODEL = "smollm2"
WARMUP_QUESTION = "How do I reset my password?"


@dataclass(slots=True)
class Sample:
    """One question's outcome."""

    question_id: str
    first_text_ms: float | None
    first_model_ms: float | None
    full_ms: float
    turn: Turn | None
    gold: frozenset[str]

    @property
    def kind(self) -> str:
        return self.turn.kind if self.turn is not None else "none"

    @property
    def meta(self) -> Mapping[str, Any]:
        return self.turn.meta if self.turn is not None else {}

    @property
    def fell_back(self) -> bool:
        return self.meta.get("fallback") == "grounding"

    @property
    def grounded_gold(self) -> bool:
        if self.turn is None or self.kind != "answer" or self.fell_back:
            return False
        return any(c.article_id in self.gold for c in self.turn.citations)


@dataclass(slots=True)
class Run:
    """One backend's samples."""

    backend: str
    model: str
    samples: list[Sample] = field(default_factory=list)
    load: str = ""


class TimedModel:
    """A ChatModel proxy that records when the first piece of each stream arrives."""

    def __init__(self, inner: ChatModel) -> None:
        self._inner = inner
        self.first_piece_at: float | None = None

    @property
    def model(self) -> str:
        name: str = self._inner.model
        return name

    async def complete(self, messages: Sequence[Mapping[str, str]], *, max_tokens: int) -> str:
        text: str = await self._inner.complete(messages, max_tokens=max_tokens)
        return text

    async def stream(
        self, messages: Sequence[Mapping[str, str]], *, max_tokens: int
    ) -> AsyncIterator[str]:
        async for piece in self._inner.stream(messages, max_tokens=max_tokens):
            if self.first_piece_at is None:
                self.first_piece_at = time.perf_counter()
            yield piece

    async def aclose(self) -> None:
        await self._inner.aclose()


def load_questions(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@contextmanager
def llama_server(threads: int, context: int) -> Iterator[str]:
    """`python -m llama_cpp.server` on the bundled SmolLM2; yields its /v1 base URL."""
    from bot.llm.backends.local import bundled_smollm2

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    base_url = f"http://127.0.0.1:{port}/v1"
    log = tempfile.NamedTemporaryFile(prefix="llama-server-", suffix=".log", delete=False)
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(bundled_smollm2()),
        "--model_alias",
        SERVER_MODEL,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(context),
        "--n_threads",
        str(threads),
        "--n_threads_batch",
        str(threads),
        "--verbose",
        "False",
    ]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited; see {log.name}")
            try:
                if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"llama_cpp.server did not start in 120 s; see {log.name}")
            time.sleep(0.25)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        log.close()
        Path(log.name).unlink(missing_ok=True)


def settings_for(backend: str, data_dir: Path, args: argparse.Namespace, base_url: str) -> Settings:
    llm: dict[str, Any] = {
        "backend": backend,
        "context_tokens": args.context_tokens,
        "max_answer_tokens": args.max_answer_tokens,
        "timeout_s": args.timeout,
        "max_retries": 0,
    }
    if backend == "openai-compatible":
        llm |= {"base_url": base_url, "model": SERVER_MODEL}
    return Settings.model_validate(
        {
            "data_dir": data_dir,
            "llm": llm,
            "answer": {"passages": args.passages},
            "escalation": {"enabled": False},
        }
    )


async def ask(services: Services, timed: TimedModel | None, row: Mapping[str, Any]) -> Sample:
    conversation, _ = await services.store.create_conversation(
        Customer(id=""), channel=Channel.CLI, locale=str(row.get("locale") or "en")
    )
    if timed is not None:
        timed.first_piece_at = None
    started = time.perf_counter()
    first_text: float | None = None
    turn: Turn | None = None
    async for event in services.responder.reply(conversation.id, str(row["question"])):
        if event.type == "token" and event.text.strip() and first_text is None:
            first_text = time.perf_counter()
        elif event.type == "done":
            turn = event.turn
    ended = time.perf_counter()
    first_model = timed.first_piece_at if timed is not None else None
    return Sample(
        question_id=str(row.get("id", "")),
        first_text_ms=(first_text - started) * 1000 if first_text is not None else None,
        first_model_ms=(first_model - started) * 1000 if first_model is not None else None,
        full_ms=(ended - started) * 1000,
        turn=turn,
        gold=frozenset(row.get("gold_doc_ids") or ()),
    )


def run_backend(
    backend: str,
    rows: Sequence[Mapping[str, Any]],
    data_dir: Path,
    embedder: Embedder,
    args: argparse.Namespace,
    base_url: str = "",
) -> Run:
    settings = settings_for(backend, data_dir, args, base_url)
    inner = build_chat_model(settings.llm)
    timed = TimedModel(inner) if inner is not None else None
    services = build_services(settings, embedder=embedder, chat_model=timed)
    run = Run(backend, timed.model if timed is not None else "-")

    async def go() -> None:
        try:
            await ask(services, timed, {"question": WARMUP_QUESTION})  # not counted
            for i, row in enumerate(rows, start=1):
                sample = await ask(services, timed, row)
                run.samples.append(sample)
                dropped = len(sample.meta.get("dropped") or ())
                emit(
                    f"  {backend} {i}/{len(rows)} {sample.question_id}: {sample.kind}"
                    f"{' (fallback)' if sample.fell_back else ''}, {sample.full_ms / 1000:.1f}s"
                    f"{f', {dropped} dropped' if dropped else ''}"
                )
        finally:
            await services.aclose()

    anyio.run(go)
    run.load = load()
    return run


def fmt_ms(values: Sequence[float]) -> tuple[float | str, float | str]:
    if not values:
        return "-", "-"
    summary = latency_summary(values)
    return summary["p50_ms"], summary["p95_ms"]


def latency_rows(runs: Sequence[Run]) -> list[list[object]]:
    rows: list[list[object]] = []
    for run in runs:
        first_text = [s.first_text_ms for s in run.samples if s.first_text_ms is not None]
        first_model = [s.first_model_ms for s in run.samples if s.first_model_ms is not None]
        full = [s.full_ms for s in run.samples]
        rows.append(
            [
                run.backend,
                len(run.samples),
                *fmt_ms(first_model),
                *fmt_ms(first_text),
                *fmt_ms(full),
            ]
        )
    return rows


def outcome_rows(runs: Sequence[Run]) -> list[list[object]]:
    rows: list[list[object]] = []
    for run in runs:
        n = len(run.samples)
        grounded = sum(s.grounded_gold for s in run.samples)
        fell_back = sum(s.fell_back for s in run.samples)
        errors = sum(s.kind == "fallback" for s in run.samples)
        refusals = sum(s.kind == "refusal" for s in run.samples)
        dropped = sum(len(s.meta.get("dropped") or ()) for s in run.samples)
        with_drops = sum(bool(s.meta.get("dropped")) for s in run.samples)
        rows.append(
            [
                run.backend,
                n,
                f"{grounded} ({grounded / n:.0%})" if n else "-",
                fell_back,
                errors,
                refusals,
                dropped,
                with_drops,
            ]
        )
    return rows


def report(runs: Sequence[Run], args: argparse.Namespace, header: str) -> str:
    lines = [
        header,
        "",
        f"Settings: passages {args.passages}, max answer tokens {args.max_answer_tokens}, "
        f"context {args.context_tokens} tokens, llama.cpp threads {args.threads}; escalation off. "
        "Models: " + ", ".join(f"{r.backend}={r.model}" for r in runs) + ".",
        "Load average after each backend: " + "; ".join(f"{r.backend}: {r.load}" for r in runs),
        "",
        "Latency (ms; first model token = the model's first piece, first text = the first "
        "text shown, i.e. after the grounding check):",
        "",
        table(
            [
                "backend",
                "questions",
                "model p50",
                "model p95",
                "first text p50",
                "first text p95",
                "full p50",
                "full p95",
            ],
            latency_rows(runs),
        ),
        "",
        "Outcomes (grounded+gold = kind answer, no grounding fallback, cites a gold article; "
        "fallback = generated answer replaced by the extractive one; errors = LLM failures):",
        "",
        table(
            [
                "backend",
                "questions",
                "grounded+gold",
                "fallback",
                "errors",
                "refusals",
                "dropped sentences",
                "answers with drops",
            ],
            outcome_rows(runs),
        ),
    ]
    return "\n".join(lines)


def append_results(path: Path, text: str, command: str) -> None:
    block = f"\n## Answers\n\n`{command}`\n\n```\n{text}\n```\n"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(block)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    defaults = Settings.model_construct()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--backends",
        default=",".join(BACKENDS),
        help=f"comma-separated, from {', '.join(BACKENDS)} (default: all)",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help=f"first N questions per backend (default: all for extractive, "
        f"{LLM_DEFAULT_LIMIT} for the LLM backends)",
    )
    parser.add_argument(
        "--llm-limit",
        type=int,
        default=None,
        help="first N questions for the LLM backends (overrides --limit for them)",
    )
    parser.add_argument("--questions", type=Path, default=QUESTIONS, help="JSONL questions")
    parser.add_argument("--kb", type=Path, default=KB, help="help-center folder to ingest")
    parser.add_argument(
        "--passages", type=int, default=defaults.answer.passages, help="articles per prompt"
    )
    parser.add_argument("--max-answer-tokens", type=int, default=defaults.llm.max_answer_tokens)
    parser.add_argument("--context-tokens", type=int, default=defaults.llm.context_tokens)
    parser.add_argument("--timeout", type=float, default=120.0, help="LLM timeout, seconds")
    parser.add_argument(
        "--threads",
        type=int,
        default=max(1, (os.cpu_count() or 2) // 2),
        help="llama.cpp server threads (the local backend uses llama.cpp's default, "
        "the same half of the cores)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=RESULTS,
        help="Markdown file the tables are appended to under '## Answers'",
    )
    parser.add_argument("--no-results", action="store_true", help="print only")
    args = parser.parse_args(argv)
    args.backend_list = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = sorted(set(args.backend_list) - set(BACKENDS))
    if unknown:
        parser.error(f"unknown backend(s) {', '.join(unknown)}; choose from {', '.join(BACKENDS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    questions = load_questions(args.questions)
    embedder = build_embedder(EmbeddingConfig())
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="answer-bench-") as tmp:
        data_dir = Path(tmp)
        emit(f"Ingesting {args.kb} ...")
        started = time.perf_counter()
        setup = build_services(settings_for("extractive", data_dir, args, ""), embedder=embedder)
        ingest = setup.kb.ingest_path(args.kb)
        anyio.run(setup.aclose)
        if not ingest.ok:
            emit(f"  problems: {ingest.problems}")
        emit(
            f"  {len(ingest.added)} articles, {ingest.chunks} chunks in "
            f"{time.perf_counter() - started:.1f}s"
        )
        for backend in args.backend_list:
            if backend == "extractive":
                limit = args.limit or len(questions)
            else:
                limit = args.llm_limit or args.limit or LLM_DEFAULT_LIMIT
            rows = questions[:limit]
            emit(f"Backend {backend}: {len(rows)} questions")
            if backend == "openai-compatible":
                with llama_server(args.threads, args.context_tokens) as base_url:
                    runs.append(run_backend(backend, rows, data_dir, embedder, args, base_url))
            else:
                runs.append(run_backend(backend, rows, data_dir, embedder, args))
    text = report(runs, args, machine())
    emit()
    emit("# Results")
    emit()
    emit(text)
    if not args.no_results:
        command = "python benchmarks/answer_bench.py " + " ".join(sys.argv[1:])
        append_results(args.results, text, command.strip())
        emit()
        emit(f"(appended to {args.results})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
