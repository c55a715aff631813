"""Page-aware help (issue 21): URL globs to suggestions, and the page tie-breaker in retrieval."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest

from bot.answering.yes_no import asks_the_same
from bot.errors import InvalidInput
from bot.helpcenter.articles import ArticleContent
from bot.helpcenter.editor import check_content, content_hash
from bot.helpcenter.page_help import (
    PageArticle,
    declaring,
    mapped,
    page_path,
    prefer_page,
    suggest,
)
from bot.settings import Settings
from retrieval.errors import ArticleFormatError
from retrieval.loader import load_kb, parse_markdown
from retrieval.types import SearchResult

ROOT = Path(__file__).resolve().parents[2]

CHECKOUT = PageArticle(
    "declined", "Payment declined", "https://help.example/declined", "en",
    ("*/checkout*",), ("Why was my payment declined?",),
)  # fmt: skip
METODOS = PageArticle(
    "metodos", "Métodos de pago", "", "es", ("*/checkout*",), ("¿Qué métodos de pago aceptan?",)
)
HOME = PageArticle("account", "Create an account", "", "en", ("/",), ("How do I sign up?",))


def result(article_id: str, relevance: float) -> SearchResult:
    return SearchResult(article_id, article_id, "", "en", "", relevance, ())


@pytest.mark.parametrize(
    ("page", "path"),
    [
        ("https://shop.example/checkout/pay?step=2#card", "/checkout/pay"),
        ("https://shop.example", "/"),
        ("/orders/1042", "/orders/1042"),
        ("orders", "/orders"),
        ("http://[broken/x", "/"),
        ("", "/"),
    ],
)
def test_a_page_is_matched_by_its_path(page: str, path: str) -> None:
    assert page_path(page) == path


def test_suggestions_follow_the_page_and_the_language() -> None:
    entries = [CHECKOUT, METODOS, HOME]
    checkout = suggest(entries, "https://shop.example/demo/checkout", "en-US", 4)
    assert checkout.questions == ("Why was my payment declined?",)
    assert checkout.articles == (("declined", "Payment declined", "https://help.example/declined"),)
    spanish = suggest(entries, "/checkout", "es", 4)
    assert spanish.questions == ("¿Qué métodos de pago aceptan?",)
    assert spanish.articles == (("metodos", "Métodos de pago", "/help/metodos"),)
    # No article in the customer's language: the page's articles in any language.
    assert [a.article_id for a in mapped(entries, "/checkout", "fr")] == ["declined", "metodos"]
    assert suggest(entries, "/", "en", 4).questions == ("How do I sign up?",)
    assert suggest(entries, "/about", "en", 4) == suggest([], "/about", "en", 4)


def test_a_declared_question_is_found_in_the_customers_words() -> None:
    entries = [CHECKOUT, METODOS, HOME]
    for asked in ("why was my payment declined", "my payment was declined, why?"):
        assert declaring(entries, asked, "en") == "declined", asked
    assert declaring(entries, "¿qué métodos de pago aceptan?", "es") == "metodos"
    assert declaring(entries, "how do i sign up", "en") == "account"
    # More or other words ask something else.
    for other in ("why was my payment declined twice?", "payment methods", "sign up for plus"):
        assert declaring(entries, other, "en") == "", other
    assert asks_the_same("whats the return policy", "What is your return policy?")
    assert not asks_the_same(
        "what is your return policy for opened items?", "What is your return policy?"
    )


def test_the_page_article_wins_only_close_calls() -> None:
    mapped_ids = frozenset({"declined"})
    close = [result("methods", 0.62), result("declined", 0.60), result("other", 0.3)]
    assert [r.article_id for r in prefer_page(close, mapped_ids, 0.05)] == [
        "declined",
        "methods",
        "other",
    ]
    clear = [result("methods", 0.80), result("declined", 0.60)]
    assert prefer_page(clear, mapped_ids, 0.05) == clear  # a clearly better match stays first
    assert prefer_page(close, mapped_ids, 0.0) == close  # off
    assert prefer_page(close, frozenset(), 0.05) == close  # nothing mapped to the page
    assert prefer_page([], mapped_ids, 0.05) == []


def test_front_matter_pages_and_questions_are_lists_of_text(tmp_path: Path) -> None:
    text = "---\ntitle: T\npages: /checkout*\nquestions: ['Why?', ' ']\n---\nBody.\n"
    article = parse_markdown(text, tmp_path / "t.md")
    assert (article.pages, article.questions) == (("/checkout*",), ("Why?",))
    with pytest.raises(ArticleFormatError, match="'pages' must be a list of text"):
        parse_markdown("---\ntitle: T\npages: {a: 1}\n---\nBody.\n", tmp_path / "t.md")


def test_the_sample_store_suggests_other_questions_at_checkout_than_at_home() -> None:
    articles, problems = load_kb(ROOT / "kb_content", Settings().chunking.max_file_bytes)
    assert problems == []
    entries = [
        PageArticle(a.id, a.title, a.url, a.locale, a.pages, a.questions)
        for a in articles
        if a.pages
    ]
    home = suggest(entries, "http://127.0.0.1:8000/", "en", 4)
    checkout = suggest(entries, "http://127.0.0.1:8000/demo/checkout", "en", 4)
    assert home.questions and checkout.questions
    assert not set(home.questions) & set(checkout.questions)
    assert "Why was my payment declined?" in checkout.questions


def test_editors_page_patterns_and_questions_are_bounded_and_deduplicated() -> None:
    content = ArticleContent(
        "T", "Body.", pages=(" /checkout* ", "/checkout*", ""), questions=("Why?", " ")
    )
    checked = check_content(content, 10_000)
    assert (checked.pages, checked.questions) == (("/checkout*",), ("Why?",))
    with pytest.raises(InvalidInput, match="at most 10 questions"):
        check_content(ArticleContent("T", "B", questions=tuple(f"q{n}" for n in range(11))), 100)
    with pytest.raises(InvalidInput, match="page patterns of at most 300"):
        check_content(ArticleContent("T", "B", pages=("/" + "x" * 300,)), 100)


def test_an_article_without_pages_keeps_its_content_hash() -> None:
    plain = ArticleContent("T", "Body.", tags=("a",), url="/x")
    # The hash of the fields as they were before pages and questions existed (issue 21).
    before = hashlib.sha256(
        json.dumps(["T", "Body.", "", "en", ["a"], "/x"], ensure_ascii=False).encode()
    ).hexdigest()
    assert content_hash(plain) == before
    assert content_hash(replace(plain, pages=("/",))) != before
    # An original to translate changes it too (issue 20); without one it stays as it was.
    translated = replace(plain, translation_of="original")
    assert (
        len({content_hash(translated), content_hash(replace(translated, pages=("/",))), before})
        == 3
    )
