"""Hybrid search on the shipped sample KB: paraphrases, filters, relevance, LangChain adapter."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from retrieval.backends.langchain_retriever import SupportbotRetriever
from retrieval.knowledge_base import KnowledgeBase
from retrieval.retriever import KEYWORD_THREAD_PREFIX
from retrieval.stopwords import PRICE_WORDS, content_terms, keyword_query
from tests.conftest import KBFactory

PARAPHRASES = [
    ("i clicked the link to change my pasword but it says its expired", "reset-password"),
    (
        "the tracking says my parcel was delivered but theres nothing at my door",
        "package-marked-delivered-not-received",
    ),
    ("how many days do i have to send something back", "return-policy"),
    ("my card keeps getting rejected when i try to pay", "payment-declined-at-checkout"),
    ("can i stop paying for the membership thing", "cancel-plus-refunds"),
    ("lost my phone and can't get the 6 digit code to log in", "two-step-verification"),
    ("i want all the data you have about me", "download-my-data"),
]

# The return policy ranks 4th with the int8 embedder, after the getting-started guide (which
# states the 30 days too); 3rd with fp32 vectors.
KNOWN_MISS = ("how many days do i have to send something back", "return-policy")


@pytest.mark.parametrize(
    ("question", "article_id"),
    [
        pytest.param(*case, marks=pytest.mark.xfail(strict=True, reason="known miss (int8)"))
        if case == KNOWN_MISS
        else case
        for case in PARAPHRASES
    ],
)
def test_paraphrased_questions_find_the_right_article(
    sample_kb: KnowledgeBase, question: str, article_id: str
) -> None:
    assert article_id in [r.article_id for r in sample_kb.search(question, 3)]


def test_results_are_articles_with_bounded_relevance(sample_kb: KnowledgeBase) -> None:
    results = sample_kb.search("how long does a refund take", 5)
    assert len({r.article_id for r in results}) == len(results) == 5
    assert all(0.0 <= r.relevance <= 1.0 for r in results)
    assert results[0].relevance > 0.5
    assert all(c.chunk.article_id == results[0].article_id for c in results[0].chunks)


def test_unrelated_question_gets_low_relevance(sample_kb: KnowledgeBase) -> None:
    best = sample_kb.search("what is the boiling point of tungsten", 1)[0]
    good = sample_kb.search("how do i reset my password", 1)[0]
    assert best.relevance < 0.4 < good.relevance


def test_locale_filter(sample_kb: KnowledgeBase) -> None:
    spanish = sample_kb.search("¿cómo devuelvo un producto?", 5, locale="es")
    assert spanish and all(r.locale == "es" for r in spanish)
    assert spanish[0].article_id == "politica-devoluciones-es"
    english = sample_kb.search("how do I return an item", 5, locale="en")
    assert all(r.locale == "en" for r in english)
    assert sample_kb.search("return", 5, locale="fr") == []


def test_category_filter(sample_kb: KnowledgeBase) -> None:
    results = sample_kb.search("password", 5, category="privacy-security")
    assert results and all(r.category == "privacy-security" for r in results)
    combined = sample_kb.search("refund", 3, locale="en", category="returns-refunds")
    assert combined and all((r.locale, r.category) == ("en", "returns-refunds") for r in combined)


def test_modes_each_rank_the_obvious_article_first(sample_kb: KnowledgeBase) -> None:
    for mode in ("hybrid", "dense", "lexical"):
        top = sample_kb.search("reset password link expired", 1, mode=mode)
        assert top[0].article_id == "reset-password", mode


def test_langchain_retriever_adapter(sample_kb: KnowledgeBase) -> None:
    retriever = SupportbotRetriever(knowledge_base=sample_kb, k=2, locale="en")
    docs = retriever.invoke("where is my package")
    assert len(docs) == 2
    assert docs[0].metadata["url"].startswith("https://help.brightcart.example/")
    assert 0 <= docs[0].metadata["relevance"] <= 1 and docs[0].page_content


def test_searches_at_once_find_what_each_finds_alone(sample_kb: KnowledgeBase) -> None:
    """Each hybrid search runs its keyword half on a shared pool beside its dense half: many
    at once (more than the pool's threads) still get their own articles, in the same order."""

    def ranked(question: str) -> list[tuple[str, float]]:
        return [(r.article_id, r.relevance) for r in sample_kb.search(question, 5)]

    questions = [question for question, _ in PARAPHRASES]
    alone = {question: ranked(question) for question in questions}
    asked = questions * 3
    with ThreadPoolExecutor(len(asked)) as customers:
        together = list(customers.map(ranked, asked))
    assert together == [alone[question] for question in asked]


def test_closing_the_knowledge_base_stops_its_search_threads(
    make_kb: KBFactory, tmp_path: Path
) -> None:
    kb = make_kb(tmp_path)
    before = set(threading.enumerate())  # other knowledge bases' threads stay
    assert kb.search("where is my package") == []  # an empty index: no articles, no error
    kb.close()
    left = [t.name for t in set(threading.enumerate()) - before]
    assert not [name for name in left if name.startswith(KEYWORD_THREAD_PREFIX)], left


def test_a_chunk_not_yet_in_the_keyword_index_is_left_out_of_dense_results(
    make_kb: KBFactory, kb_copy: Path, tmp_path: Path
) -> None:
    """Dense hits are read from the keyword index; an ingestion stores vectors first."""
    kb = make_kb(tmp_path / "index")
    assert kb.ingest_path(kb_copy).ok
    question = "i clicked the link to change my pasword but it says its expired"
    assert kb.search(question, 3, mode="dense")[0].article_id == "reset-password"
    kb.keywords.delete([i for i in kb.keywords.manifest() if i.startswith("reset-password#")])
    assert "reset-password" not in [r.article_id for r in kb.search(question, 10, mode="dense")]


def test_results_say_how_strongly_the_keyword_search_agrees(sample_kb: KnowledgeBase) -> None:
    """keyword_share: 1 for the keyword search's own first, 0 for an article it did not find,
    None when it did not run (dense mode)."""
    question = "how long is the password reset link valid"
    hybrid = sample_kb.search(question, 10)
    lexical_first = sample_kb.search(question, 1, mode="lexical")[0].article_id
    shares = {r.article_id: r.keyword_share for r in hybrid}
    assert shares[lexical_first] == 1.0
    assert all(s is not None and 0.0 <= s <= 1.0 for s in shares.values())
    assert all(r.keyword_share is None for r in sample_kb.search(question, 5, mode="dense"))
    assert sample_kb.search("zzqx unrelated flurb", 3)[0].keyword_share == 0.0


def test_how_much_finds_the_section_that_says_what_it_costs(sample_kb: KnowledgeBase) -> None:
    """ "How much is Plus?" shares no word but "Plus" with "What Brightcart Plus costs"."""
    assert keyword_query("how much is plus") == f"how much is plus {PRICE_WORDS}"
    assert keyword_query("how much time do i have") == "how much time do i have"
    overview = sample_kb.search("how much is plus", 1, plan="")[0]
    assert overview.article_id == "brightcart-plus-overview"
    assert "What Brightcart Plus costs" in [c.chunk.section for c in overview.chunks]


def test_an_articles_chunks_are_read_by_number_in_reading_order(
    sample_kb: KnowledgeBase,
) -> None:
    opening = sample_kb.chunks_of("return-policy", 0, 2)
    assert [c.id for c in opening] == ["return-policy#0", "return-policy#1"]
    assert "30 days" in opening[1].text  # the return-window table follows the lede
    assert [c.id for c in sample_kb.chunks_of("return-policy", 1, 1)] == ["return-policy#1"]
    assert sample_kb.chunks_of("no-such-article", 0, 2) == []


def test_spanish_stop_words_count_with_or_without_accents() -> None:
    """Customers write "dónde" and "donde": neither is what a question is about."""
    assert content_terms("¿Dónde puedo ver mi pedido?") == ["ver", "pedido"]
    assert content_terms("donde puedo ver mi pedido") == ["ver", "pedido"]
    assert content_terms("¿Qué métodos de pago aceptan? ¿Cómo cambio mi contraseña?") == [
        "métodos",
        "pago",
        "aceptan",
        "cambio",
        "contraseña",
    ]
