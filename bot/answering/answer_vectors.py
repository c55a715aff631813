"""Encode ahead of time the passage texts that answers compare with the question (issue 18).

The extractive answerer scores every quotable unit of the passages it was given, and grounding
(with a language model) every sentence; encoding them at the first question that retrieves an
article was most of an answer's time. `supportbot ingest` calls `warm_answer_vectors` after
indexing, so they are read from the persistent vector cache instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bot.answering.grounding import split_sentences
from bot.answering.passages import Passage
from bot.answering.units import units_of
from retrieval.cached_embedder import CachedEmbedder
from retrieval.chunking import Chunker
from retrieval.types import Article


def answer_texts(
    articles: Iterable[Article], chunker: Chunker, grounding: bool, company: str
) -> list[str]:
    """The texts answers encode from these articles: each chunk's units as scored (without the
    `company`'s name, as the answerer scores them), the first cells and labels of its tables
    (to tell whether a question names a row), and its sentences when a language model's
    answers are grounding-checked."""
    texts: list[str] = []
    for article in articles:
        for chunk in chunker.split(article):
            passage = Passage(
                n=1,
                article_id=article.id,
                title=article.title,
                url=article.url,
                section=chunk.section,
                parts=((chunk.section, chunk.text),),
                relevance=0.0,
                chunk_id=chunk.id,
            )
            units = units_of(passage, company)
            texts.extend(unit.scored for unit in units)
            texts.extend(dict.fromkeys(unit.key for unit in units if unit.key))
            if grounding:
                texts.extend(split_sentences(passage.text))
    return texts


def warm_answer_vectors(
    embedder: CachedEmbedder,
    articles: Iterable[Article],
    chunker: Chunker,
    *,
    grounding: bool,
    company: str,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Encode into the persistent cache what answers from `articles` will need and it lacks
    (`company`: the name answers are given, settings.answer.company_name); how many texts were
    encoded."""
    return embedder.warm(answer_texts(articles, chunker, grounding, company), progress)
