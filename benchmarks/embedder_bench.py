"""The embedding backends side by side: start time, passages/s and query latency (issue 18).

Each backend (torch, onnx, onnx-int8) embeds the sample KB's chunk texts and answers the dev
questions one at a time, in the same run; rounds alternate the backends so load from other
work on the machine falls on all of them alike. CPU time is shown beside wall time. The ONNX
exports are made first (into --data-dir/models, once) and their one-off cost shown apart;
"start s" is loading a backend with its export cached, in a process that has torch loaded.

    .venv/bin/python benchmarks/embedder_bench.py --rounds 2
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Literal

from _common import REPO, Stopwatch, emit, latency_summary, machine, ratio, table

from retrieval.chunking import Chunker
from retrieval.config import ChunkingConfig, EmbeddingConfig
from retrieval.factory import build_embedder
from retrieval.interfaces import Embedder
from retrieval.loader import load_kb

BACKENDS: tuple[Literal["torch", "onnx", "onnx-int8"], ...] = ("torch", "onnx", "onnx-int8")


def main() -> None:
    """Measure every backend and print one table with ratios against torch."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kb", type=Path, default=Path(REPO) / "kb_content")
    parser.add_argument(
        "--questions", type=Path, default=Path(REPO) / "evals/datasets/kb_questions.jsonl"
    )
    parser.add_argument("--data-dir", type=Path, default=Path(REPO) / "data")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    chunking = ChunkingConfig()
    articles, _ = load_kb(args.kb, chunking.max_file_bytes)
    chunker = Chunker(chunking)
    texts = [c.embed_text for a in articles for c in chunker.split(a)]
    with args.questions.open(encoding="utf-8") as handle:
        queries = [json.loads(line)["question"] for line in handle if line.strip()]
    emit(f"machine: {machine()}")
    emit(f"{len(texts)} passages (sample KB chunks), {len(queries)} queries, {args.rounds} rounds")

    start: dict[str, Stopwatch] = {}
    embedders: dict[str, Embedder] = {}
    for backend in BACKENDS:
        config = EmbeddingConfig(backend=backend)
        if backend != "torch":
            export = Stopwatch()
            with export:  # a no-op when data/models already holds the export
                build_embedder(config, args.data_dir)
            emit(f"{backend}: first use (export if missing) {export.seconds:.1f}s")
        start[backend] = Stopwatch()
        with start[backend]:
            embedders[backend] = build_embedder(config, args.data_dir)
        embedders[backend].embed_documents(texts[:64])  # warm-up
    passages = {b: Stopwatch() for b in BACKENDS}
    query_ms: dict[str, list[float]] = {b: [] for b in BACKENDS}
    query_cpu = {b: Stopwatch() for b in BACKENDS}
    for n in range(args.rounds):
        for backend in BACKENDS:
            embedder = embedders[backend]
            with passages[backend]:
                embedder.embed_documents(texts)
            for query in queries:
                one = Stopwatch()
                with one, query_cpu[backend]:
                    embedder.embed_query(query)
                query_ms[backend].append(one.seconds * 1000)
        emit(f"  round {n + 1}/{args.rounds} done; {machine().rsplit('|', 1)[1].strip()}")

    base = BACKENDS[0]
    rows = []
    for backend in BACKENDS:
        done = len(texts) * args.rounds
        lat = latency_summary(query_ms[backend])
        rows.append(
            [
                backend,
                start[backend].seconds,
                done / passages[backend].seconds,
                done / passages[backend].cpu,
                ratio(passages[base].seconds, passages[backend].seconds),
                lat["p50_ms"],
                lat["p95_ms"],
                query_cpu[backend].cpu * 1000 / len(query_ms[backend]),
                ratio(latency_summary(query_ms[base])["p50_ms"], lat["p50_ms"]),
            ]
        )
    emit()
    emit(
        table(
            [
                "backend",
                "start s",
                "passages/s",
                "passages/CPU-s",
                "speed-up",
                "query p50 ms",
                "query p95 ms",
                "query CPU ms",
                "query speed-up",
            ],
            rows,
        )
    )
    emit(f"machine at the end: {machine()}")


if __name__ == "__main__":
    main()
