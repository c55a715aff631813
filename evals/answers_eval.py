"""`supportbot eval answers`: the full responder on labelled questions in a throwaway index.

Each question runs in a fresh conversation (its `history` is sent first, as customer
messages), through the configured answerer, grounding check and escalation policy. What is
measured, per case and in summary:

- citation accuracy: a gold document is among the final answer's citations (answerable
  questions with gold ids; a question that got no bot turn counts as a miss), and the same
  over the questions that got an answer (`citation_accuracy_answered`);
- answer similarity: embedding cosine between the bot's reply and the reference answer
  (cases with a reference that got a bot turn);
- grounded ratio: the share of answer sentences the grounding check kept (`answer` turns);
- refusal precision/recall: unanswerable questions (`"answerable": false`) are the positive
  class, and a bot turn of kind `refusal` or `fallback` is a predicted refusal;
- escalation rate: questions that went to a person (a handoff at the question, or during
  its history) / questions; the same over answerable questions (`handoff_rate_answerable`);
- wrong answers: answers without a right citation (unanswerable questions answered included)
  and not handed to a person / questions (`wrong_answer_rate`), and the same whether or not a
  person was called after the answer (`wrong_answer_shown_rate`: the customer read it);
- calibration error (ECE, 10 bins): the answers' confidence against their being right;
- latency p50/p95 of the final question, end to end through the responder.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import anyio

from bot.answering.responder import ReplyEvent
from bot.conversations.models import AnswerMeta, Channel, Customer, Turn
from bot.settings import Settings, StorageConfig
from bot.wiring import Services, build_services
from evals.cases import load_docs, rows_of
from evals.errors import DatasetError
from evals.judge import Judge, JudgeScores, Source
from evals.metrics import (
    citation_hit,
    cosine,
    expected_calibration_error,
    mean,
    percentile,
    precision_recall,
)
from retrieval.config import KeywordConfig, VectorConfig
from retrieval.factory import onnx_models_dir
from retrieval.interfaces import Embedder
from retrieval.loader import load_kb

REFUSAL_KINDS = frozenset({"refusal", "fallback"})
# Handoff reasons that do not depend on the low-confidence threshold (trade-off curve).
THRESHOLD_REASONS = frozenset({"low_confidence"})


@dataclass(frozen=True, slots=True)
class AnswerCase:
    """A question, with what a good reply looks like."""

    id: str
    question: str
    history: tuple[str, ...] = ()
    gold_doc_ids: tuple[str, ...] = ()
    answerable: bool = True
    reference: str = ""
    category: str = ""
    locale: str = ""
    dataset: str = ""


@dataclass(frozen=True, slots=True)
class AnswerOutcome:
    """What the bot did with one case (`kind` is "" when no bot turn was written)."""

    case: AnswerCase
    kind: str
    text: str
    cited: tuple[str, ...]
    confidence: float | None
    grounded_ratio: float | None
    top_relevance: float | None
    handoff: bool
    handoff_before_answer: bool
    handoff_reasons: tuple[str, ...]
    history_handoff: bool
    ms: float
    sources: tuple[Source, ...] = ()
    similarity: float | None = None
    retrieved: tuple[str, ...] = ()
    judge: JudgeScores | None = None
    signals: dict[str, float] = field(default_factory=dict)  # the answerability model's inputs

    @property
    def refused(self) -> bool:
        """The bot declined to answer (refusal, or the fallback after an error)."""
        return self.kind in REFUSAL_KINDS

    @property
    def correct(self) -> bool:
        """A good outcome: a cited gold document (answerable), or a refusal (unanswerable)."""
        if not self.case.answerable:
            return self.kind != "answer"
        if self.kind != "answer":
            return False
        return not self.case.gold_doc_ids or bool(citation_hit(self.cited, self.case.gold_doc_ids))

    @property
    def wrong_answer(self) -> bool:
        """An answer was written that would mislead the customer if sent."""
        return self.kind == "answer" and not self.correct

    @property
    def escalated(self) -> bool:
        """The question went to a person (at it, or already during its history)."""
        return self.handoff or self.history_handoff

    @property
    def gradable_confidence(self) -> float | None:
        """The confidence the low-confidence detector sees (answers and refusals only)."""
        return self.confidence if self.kind in {"answer", "refusal"} else None

    @property
    def escalated_anyway(self) -> bool:
        """Escalated for a reason the low-confidence threshold does not control."""
        if self.handoff_before_answer or self.history_handoff or self.kind == "fallback":
            return True
        return self.handoff and bool(set(self.handoff_reasons) - THRESHOLD_REASONS)


@dataclass(frozen=True, slots=True)
class AnswerReport:
    """Summary metrics and every outcome."""

    summary: dict[str, float]
    outcomes: list[AnswerOutcome] = field(default_factory=list)


def load_answer_cases(path: Path) -> list[AnswerCase]:
    """Rows `{"id","question","gold_doc_ids"?,"answer"?,"answerable"?,"history"?,...}`."""
    cases = []
    for where, row in rows_of(path):
        question = row.get("question")
        if not isinstance(question, str) or not question.strip():
            raise DatasetError(f"{where}: 'question' must be non-empty text")
        gold = row.get("gold_doc_ids") or []
        history = row.get("history") or []
        answerable = row.get("answerable", True)
        reference = row.get("answer") or ""
        if not isinstance(gold, list) or not isinstance(history, list):
            raise DatasetError(f"{where}: 'gold_doc_ids' and 'history' must be lists")
        if not isinstance(answerable, bool):
            raise DatasetError(f"{where}: 'answerable' must be true or false")
        if not isinstance(reference, str):
            raise DatasetError(f"{where}: 'answer' must be text")
        cases.append(
            AnswerCase(
                id=str(row.get("id") or where),
                question=question,
                history=tuple(str(h) for h in history),
                gold_doc_ids=tuple(str(g) for g in gold),
                answerable=answerable,
                reference=reference,
                category=str(row.get("category") or ""),
                locale=str(row.get("locale") or ""),
                dataset=path.stem,
            )
        )
    return cases


def without_coverage_check(settings: Settings) -> Settings:
    """The settings with the responder's coverage check off (the ablation column)."""
    answer = settings.answer.model_copy(update={"min_coverage": 0.0})
    return settings.model_copy(update={"answer": answer})


def eval_settings(settings: Settings, data_dir: Path) -> Settings:
    """The settings with every store embedded in `data_dir` and no webhooks fired; ONNX
    exports stay where the configured data folder keeps them (made once, not per run)."""
    models = onnx_models_dir(settings.embedding, settings.data_dir)
    embedding = settings.embedding.model_copy(
        update={"cache_dir": str(models) if models is not None else ""}
    )
    return settings.model_copy(
        update={
            "data_dir": data_dir,
            "embedding": embedding,
            "storage": StorageConfig(),
            "vector": VectorConfig(),
            "keyword": KeywordConfig(),
            "escalation": settings.escalation.model_copy(update={"webhook_urls": []}),
        }
    )


@contextlib.contextmanager
def throwaway_services(settings: Settings, embedder: Embedder) -> Iterator[Services]:
    """Services on a temporary folder (index and database), closed and deleted after."""
    with tempfile.TemporaryDirectory(prefix="supportbot-eval-") as tmp:
        services = build_services(eval_settings(settings, Path(tmp)), embedder=embedder)
        try:
            yield services
        finally:
            anyio.run(services.aclose)


def ingest_sources(services: Services, *, docs: Path | None, kb_dir: Path | None) -> None:
    """Index a JSONL document set or a KB folder; DatasetError if neither or it fails."""
    if (docs is None) == (kb_dir is None):
        raise DatasetError("give exactly one of a JSONL document set or a KB folder")
    if docs is not None:
        services.kb.ingest(load_docs(docs))
        return
    assert kb_dir is not None
    if not kb_dir.is_dir():
        raise DatasetError(f"{kb_dir}: no such KB folder")
    # As `supportbot ingest` does: the articles' questions and pages are the editor store's.
    articles, problems = load_kb(kb_dir, services.settings.chunking.max_file_bytes)
    report = anyio.run(lambda: services.editor.sync_files(articles, problems))
    if report.problems:
        first = report.problems[0]
        raise DatasetError(f"{first.path}: {first.reason}")


async def _drain(events: AsyncIterator[ReplyEvent]) -> tuple[Turn | None, Turn | None]:
    """(the bot's `done` turn, the handoff notice turn) of one reply."""
    done = handoff = None
    async for event in events:
        if event.type == "done":
            done = event.turn
        elif event.type == "handoff":
            handoff = event.turn
    return done, handoff


async def answer_case(services: Services, case: AnswerCase) -> AnswerOutcome:
    """Run one case in a fresh conversation."""
    conversation, _ = await services.store.create_conversation(
        Customer(id=""), channel=Channel.API, locale=case.locale
    )
    history_handoff = False
    for text in case.history:
        _, notice = await _drain(services.responder.reply(conversation.id, text))
        history_handoff = history_handoff or notice is not None
    started = time.perf_counter()
    done, notice = await _drain(services.responder.reply(conversation.id, case.question))
    ms = (time.perf_counter() - started) * 1e3
    meta = AnswerMeta.of(done.meta) if done is not None else AnswerMeta()
    reasons = notice.meta.get("reasons", []) if notice is not None else []
    return AnswerOutcome(
        case=case,
        kind=done.kind.value if done is not None else "",
        text=done.text if done is not None else "",
        cited=tuple(dict.fromkeys(c.article_id for c in done.citations)) if done else (),
        confidence=done.confidence if done is not None else None,
        grounded_ratio=meta.grounded_ratio,
        top_relevance=meta.top_relevance,
        handoff=notice is not None,
        handoff_before_answer=notice is not None and done is None,
        handoff_reasons=tuple(str(r) for r in reasons),
        history_handoff=history_handoff,
        ms=ms,
        sources=tuple(Source(c.n, c.title, c.snippet) for c in done.citations) if done else (),
        signals=dict(meta.signals or {}),
    )


def with_similarity(outcomes: Sequence[AnswerOutcome], embedder: Embedder) -> list[AnswerOutcome]:
    """Outcomes with the reply-to-reference cosine set where both exist."""
    pairs = [i for i, o in enumerate(outcomes) if o.case.reference and o.text]
    vectors = embedder.embed_documents(
        [t for i in pairs for t in (outcomes[i].text, outcomes[i].case.reference)]
    )
    out = list(outcomes)
    for n, i in enumerate(pairs):
        similarity = cosine(list(vectors[2 * n]), list(vectors[2 * n + 1]))
        out[i] = replace(out[i], similarity=round(similarity, 4))
    return out


def with_retrieved(outcomes: Sequence[AnswerOutcome], services: Services) -> list[AnswerOutcome]:
    """Failing outcomes with the article ids retrieved for their question (for reports)."""
    k = services.settings.answer.passages
    out = []
    for outcome in outcomes:
        if not outcome.correct:
            query = " ".join([*outcome.case.history[-1:], outcome.case.question])
            hits = services.kb.search(query, k, plan="")  # what an anonymous customer gets
            outcome = replace(outcome, retrieved=tuple(h.article_id for h in hits))
        out.append(outcome)
    return out


async def judge_outcomes(judge: Judge, outcomes: Sequence[AnswerOutcome]) -> list[AnswerOutcome]:
    """Outcomes with the judge's scores on every `answer` turn."""
    out = []
    for outcome in outcomes:
        if outcome.kind == "answer":
            scores = await judge.score(
                outcome.case.question, outcome.text, outcome.sources, outcome.case.reference
            )
            outcome = replace(outcome, judge=scores)
        out.append(outcome)
    return out


def run_cases(
    services: Services,
    cases: Sequence[AnswerCase],
    judge: Judge | None = None,
    *,
    explain: bool = True,
) -> list[AnswerOutcome]:
    """Every case through the responder, then similarity, the judge, and (with `explain`)
    what was retrieved for each failing case."""

    async def run() -> list[AnswerOutcome]:
        outcomes = [await answer_case(services, case) for case in cases]
        return await judge_outcomes(judge, outcomes) if judge is not None else outcomes

    outcomes = with_similarity(anyio.run(run), services.kb.embedder)
    return with_retrieved(outcomes, services) if explain else outcomes


def summarise_answers(outcomes: Sequence[AnswerOutcome]) -> dict[str, float]:
    """The summary metrics of a set of outcomes (see the module docstring)."""
    answerable = [o for o in outcomes if o.case.answerable]
    with_gold = [o for o in answerable if o.case.gold_doc_ids]
    unanswerable = [o for o in outcomes if not o.case.answerable]
    similarities = [o.similarity for o in outcomes if o.similarity is not None]
    grounded = [o.grounded_ratio for o in outcomes if o.kind == "answer"]
    ms = [o.ms for o in outcomes]
    summary: dict[str, float] = {
        "n": len(outcomes),
        "answerable_n": len(answerable),
        "unanswerable_n": len(unanswerable),
    }
    # A metric is reported only where its cases exist (no misleading zeros).
    if with_gold:
        summary["citation_accuracy"] = _r(
            mean([citation_hit(o.cited, o.case.gold_doc_ids) for o in with_gold])
        )
        answered = [o for o in with_gold if o.kind == "answer"]
        if answered:  # the same, leaving out the questions that were escalated or refused
            summary["citation_accuracy_answered"] = _r(
                mean([citation_hit(o.cited, o.case.gold_doc_ids) for o in answered])
            )
    if answerable:
        summary["answer_rate"] = _r(mean([1.0 if o.kind == "answer" else 0.0 for o in answerable]))
        summary["handoff_rate_answerable"] = _r(
            mean([1.0 if o.escalated else 0.0 for o in answerable])
        )
    if similarities:
        summary["answer_similarity"] = _r(mean(similarities))
    if grounded:
        summary["grounded_ratio"] = _r(mean([g for g in grounded if g is not None]))
    summary |= {
        "escalation_rate": _r(mean([1.0 if o.escalated else 0.0 for o in outcomes])),
        "wrong_answer_rate": _r(
            mean([1.0 if o.wrong_answer and not o.handoff else 0.0 for o in outcomes])
        ),
        "wrong_answer_shown_rate": _r(mean([1.0 if o.wrong_answer else 0.0 for o in outcomes])),
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
    }
    summary["calibration_error"] = _r(answer_calibration_error(outcomes))
    if unanswerable:
        precision, recall = precision_recall(
            [not o.case.answerable for o in outcomes], [o.refused for o in outcomes]
        )
        if answerable:  # precision needs questions that should have been answered
            summary["refusal_precision"] = _r(precision)
        summary["refusal_recall"] = _r(recall)
    judged = [o.judge for o in outcomes if o.judge is not None]
    if judged:
        summary["judge_faithfulness"] = _r(mean([j.faithfulness for j in judged]))
        summary["judge_relevance"] = _r(mean([j.relevance for j in judged]))
        summary["judge_n"] = len(judged)
        summary["judge_failures"] = sum(
            1 for o in outcomes if o.kind == "answer" and o.judge is None
        )
    return summary


def answer_calibration_error(outcomes: Sequence[AnswerOutcome]) -> float:
    """ECE (10 bins) of the answers' confidence against their being right."""
    answered = [o for o in outcomes if o.kind == "answer" and o.confidence is not None]
    return expected_calibration_error(
        [o.confidence or 0.0 for o in answered], [o.correct for o in answered], bins=10
    )


def _r(value: float) -> float:
    return round(value, 4)


def evaluate_answers(
    settings: Settings,
    embedder: Embedder,
    question_paths: Sequence[Path],
    *,
    docs: Path | None = None,
    kb_dir: Path | None = None,
    judge: bool = False,
) -> AnswerReport:
    """Index the docs (JSONL) or KB folder in a temporary folder and run every question."""
    cases = [case for path in question_paths for case in load_answer_cases(path)]
    with throwaway_services(settings, embedder) as services:
        ingest_sources(services, docs=docs, kb_dir=kb_dir)
        grader = Judge(services.chat_model) if judge and services.chat_model else None
        outcomes = run_cases(services, cases, grader)
    return AnswerReport(summarise_answers(outcomes), outcomes)
