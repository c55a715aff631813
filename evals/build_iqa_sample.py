"""Build the gate's InsuranceQA sample from `shared/evaldata/answers_iqa` (deterministic).

The full answer-level dev set (200 questions over 4,859 answers) takes minutes to index, too long
for every CI run. The sample keeps what makes it hard: a seeded draw of answerable and
unanswerable questions, with a bank made of the answerables' gold answers plus, for every drawn
question, the answers closest to it in words (the same-topic answers that tempt the bot to answer
a question whose answer is gone).

    python -m evals.build_iqa_sample            # writes evals/datasets/iqa_sample/
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from retrieval.stopwords import content_terms

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "evaldata" / "answers_iqa"
OUT = Path(__file__).resolve().parent / "datasets" / "iqa_sample"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every row of a JSONL file."""
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Rows as JSONL, one compact object per line."""
    path.write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
    )


class WordIndex:
    """TF-IDF cosine over content words: which answers share a question's words."""

    def __init__(self, docs: Sequence[dict[str, Any]]) -> None:
        self._ids = [str(d["id"]) for d in docs]
        bags = [Counter(content_terms(f"{d.get('title', '')} {d['text']}")) for d in docs]
        frequency = Counter(word for bag in bags for word in bag)
        self._idf = {w: math.log(len(docs) / n) for w, n in frequency.items()}
        self._vectors = [self._normalised(bag) for bag in bags]

    def _normalised(self, bag: Counter[str]) -> dict[str, float]:
        weights = {w: (1 + math.log(n)) * self._idf.get(w, 0.0) for w, n in bag.items()}
        norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
        return {w: v / norm for w, v in weights.items()}

    def nearest(self, text: str, k: int) -> list[str]:
        """Ids of the k answers most similar to `text` (ties broken by id)."""
        query = self._normalised(Counter(content_terms(text)))
        scores = [
            (sum(query.get(w, 0.0) * v for w, v in vector.items()), doc_id)
            for doc_id, vector in zip(self._ids, self._vectors, strict=True)
        ]
        scores.sort(key=lambda pair: (-pair[0], pair[1]))
        return [doc_id for _, doc_id in scores[:k]]


def build(source: Path, out: Path, *, per_side: int, neighbours: int, seed: int) -> str:
    """Write the sample's questions.jsonl and docs.jsonl; returns a one-line summary."""
    questions = read_jsonl(source / "questions.jsonl")
    docs = read_jsonl(source / "docs.jsonl")
    rng = random.Random(seed)
    picked: list[dict[str, Any]] = []
    for answerable in (True, False):
        side = [q for q in questions if q["answerable"] is answerable]
        picked += rng.sample(side, per_side)
    picked.sort(key=lambda q: questions.index(q))
    index = WordIndex(docs)
    bank = {g for q in picked for g in q["gold_doc_ids"]}
    for question in picked:
        bank.update(index.nearest(question["question"], neighbours))
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "questions.jsonl", picked)
    write_jsonl(out / "docs.jsonl", sorted((d for d in docs if d["id"] in bank), key=_id))
    return f"{len(picked)} questions ({per_side} answerable), {len(bank)} answers -> {out}"


def _id(row: dict[str, Any]) -> str:
    return str(row["id"])


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m evals.build_iqa_sample", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--source", type=Path, default=SOURCE, help="answers_iqa folder")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder")
    parser.add_argument("--per-side", type=int, default=40, help="answerable (and unanswerable)")
    parser.add_argument("--neighbours", type=int, default=8, help="closest answers per question")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if not (args.source / "questions.jsonl").is_file():
        parser.error(f"{args.source}: no questions.jsonl; point --source at answers_iqa")
    summary = build(
        args.source, args.out, per_side=args.per_side, neighbours=args.neighbours, seed=args.seed
    )
    print(summary)  # noqa: T201 - the command's output
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
