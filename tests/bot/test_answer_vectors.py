"""Answers read the passage sentences prepared at ingestion instead of encoding them (issue 18)."""

from __future__ import annotations

from pathlib import Path

from bot.answering.answer_vectors import answer_texts, warm_answer_vectors
from bot.answering.extractive import ExtractiveAnswerer
from bot.answering.passages import AnswerRequest, Passage, passages_from
from bot.answering.prompting import PromptBuilder
from bot.answering.units import units_of
from retrieval.backends.sqlite_vector_cache import SqliteVectorCache
from retrieval.cached_embedder import CachedEmbedder
from retrieval.chunking import Chunker
from retrieval.config import ChunkingConfig, SearchConfig
from retrieval.interfaces import Embedder
from retrieval.knowledge_base import KnowledgeBase
from retrieval.loader import load_kb
from retrieval.types import Article
from tests.conftest import ROOT, KBFactory
from tests.retrieval.test_cached_embedder import Counting

QUESTIONS = (
    "what's your return window?",
    "how do I reset my password?",
    "can I return a gift card?",
    "how long does standard shipping take?",
)


def test_after_warming_an_answer_encodes_nothing_but_its_question(
    sample_kb: KnowledgeBase, embedder: Embedder, tmp_path: Path
) -> None:
    articles, problems = load_kb(ROOT / "kb_content", ChunkingConfig().max_file_bytes)
    assert not problems
    chunker = Chunker(ChunkingConfig())
    warming = Counting(embedder)
    cache = CachedEmbedder(warming, persistent=SqliteVectorCache(tmp_path / "v.sqlite"))
    encoded = warm_answer_vectors(cache, articles, chunker, grounding=False, company="Brightcart")
    texts = answer_texts(articles, chunker, grounding=False, company="Brightcart")
    assert encoded == len(set(texts)) > 300
    # A restarted server: a new cache over the same file.
    answering = Counting(embedder)
    served = CachedEmbedder(answering, persistent=SqliteVectorCache(tmp_path / "v.sqlite"))
    answerer = ExtractiveAnswerer(served, PromptBuilder("Brightcart", 3000), 60)
    for question in QUESTIONS:
        passages = passages_from(sample_kb.search(question, 4, locale="en"), 4)
        request = AnswerRequest(question, question, passages, [], "en")
        assert answerer.compose(request)
    assert answering.documents == [], "every unit was read from the file"
    assert answering.queries == list(QUESTIONS)


def test_grounding_sentences_are_prepared_only_for_a_language_model() -> None:
    articles, _ = load_kb(ROOT / "kb_content", ChunkingConfig().max_file_bytes)
    chunker = Chunker(ChunkingConfig())
    units = set(answer_texts(articles[:3], chunker, grounding=False, company="Brightcart"))
    both = set(answer_texts(articles[:3], chunker, grounding=True, company="Brightcart"))
    assert units < both


def test_a_units_wording_depends_on_its_own_chunk_only() -> None:
    """Ingestion prepares units one chunk at a time; a passage of several chunks must give the
    same texts, or its answer encodes them again (a list's wording once took hints from the
    passage's other chunks)."""
    articles, _ = load_kb(ROOT / "kb_content", ChunkingConfig().max_file_bytes)
    chunker = Chunker(ChunkingConfig())

    def passage(parts: tuple[tuple[str, str], ...]) -> Passage:
        return Passage(1, "a", "A", "", parts[0][0], parts, 0.0, "a#0")

    for article in articles:
        chunks = [(c.section, c.text) for c in chunker.split(article)]
        alone = [u.scored for part in chunks for u in units_of(passage((part,)))]
        assert [u.scored for u in units_of(passage(tuple(chunks)))] == alone, article.id


def test_a_chunk_that_is_one_unpunctuated_unit_is_not_encoded_again(
    embedder: Embedder, make_kb: KBFactory, tmp_path: Path
) -> None:
    """Answers from InsuranceQA-style text (one answer per article, no title, no punctuation) are
    scored with the text their chunk was indexed with: ingestion encodes each once."""
    answers = [
        "most homeowner policy cover jewelry up to a limit you can schedule valuable item",
        "term life insurance pay a death benefit only if you die during the term",
    ]
    articles = [Article(f"a{i}", "", text) for i, text in enumerate(answers)]
    counting = Counting(embedder)
    cached = CachedEmbedder(counting, persistent=SqliteVectorCache(tmp_path / "v.sqlite"))
    kb = make_kb(tmp_path / "index", cached, SearchConfig(calibration_sample=0))
    try:
        kb.ingest(articles)
        assert sorted(counting.documents) == sorted(answers)
        assert (
            warm_answer_vectors(
                cached, articles, Chunker(ChunkingConfig()), grounding=False, company="Brightcart"
            )
            == 0
        )
        assert [u.text for u in units_of(passages_from(kb.search(answers[1], 1), 1)[0])] == [
            answers[1] + "."  # shown as a sentence
        ]
    finally:
        cached.close()
