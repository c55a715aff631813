"""Loads and validates evaluation datasets (JSONL)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evals.errors import DatasetError
from retrieval.errors import ArticleFormatError
from retrieval.loader import article_from_row, iter_jsonl
from retrieval.types import Article


@dataclass(frozen=True, slots=True)
class RetrievalCase:
    """A question with the ids of the documents that answer it."""

    id: str
    question: str
    gold_doc_ids: tuple[str, ...]
    history: tuple[str, ...] = ()


def rows_of(path: Path) -> list[tuple[str, dict[str, object]]]:
    """(location, object) for each line of a JSONL dataset; DatasetError names bad lines."""
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    try:
        rows = [(f"{path}:{n}", row) for n, row in iter_jsonl(path)]
    except ArticleFormatError as exc:
        raise DatasetError(str(exc)) from exc
    bad = [where for where, row in rows if not isinstance(row, dict)]
    if bad:
        raise DatasetError(f"{bad[0]}: each line must be a JSON object")
    if not rows:
        raise DatasetError(f"{path}: no rows")
    return rows


def load_docs(path: Path) -> list[Article]:
    """Documents `{"id","title","text","url"?}` as Articles.

    A row repeated verbatim is read once; two different rows with one id are an error.
    """
    articles: dict[str, Article] = {}
    for where, row in rows_of(path):
        try:
            article = article_from_row(row, where)
        except ArticleFormatError as exc:
            raise DatasetError(str(exc)) from exc
        first = articles.get(article.id)
        if first is not None:
            if (first.title, first.body, first.url) == (article.title, article.body, article.url):
                continue
            raise DatasetError(f"{where}: duplicate document id {article.id!r} with other text")
        articles[article.id] = article
    return list(articles.values())


def load_retrieval_cases(path: Path) -> list[RetrievalCase]:
    """Questions `{"id","question","gold_doc_ids":[...],"history"?:[...]}`."""
    cases = []
    for where, row in rows_of(path):
        question, gold = row.get("question"), row.get("gold_doc_ids")
        if not isinstance(question, str) or not question.strip():
            raise DatasetError(f"{where}: 'question' must be non-empty text")
        if not isinstance(gold, list) or not gold:
            raise DatasetError(f"{where}: 'gold_doc_ids' must be a non-empty list")
        history = row.get("history") or []
        if not isinstance(history, list):
            raise DatasetError(f"{where}: 'history' must be a list of earlier messages")
        cases.append(
            RetrievalCase(
                id=str(row.get("id") or where),
                question=question,
                gold_doc_ids=tuple(str(g) for g in gold),
                history=tuple(str(h) for h in history),
            )
        )
    return cases
