"""Plan-aware retrieval (issue 21): front matter `audience:` lists the plans an article is for;
a search for one plan never returns another plan's article, and an anonymous customer's
search ("" plan) only articles for everyone. Real embedder, Chroma and SQLite FTS5."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from retrieval.config import SearchConfig
from retrieval.errors import ArticleFormatError
from retrieval.knowledge_base import KnowledgeBase
from retrieval.loader import parse_markdown
from tests.conftest import KB_FIXTURE, KBFactory

ARTICLES = {
    "plus-priority-line.md": (
        "[plus]",
        "Priority phone line for Plus members",
        "Plus members call the priority phone line at 1-800-555-0199 for help with orders.",
    ),
    "business-priority-line.md": (
        "[business, enterprise]",
        "Priority phone line for Business",
        "Business accounts call the priority phone line at 1-800-555-0100 for help with orders.",
    ),
    "phone-support.md": (
        "",
        "Phone support",
        "Everyone can call our phone line at 1-800-555-0000 for help with orders, 9am-5pm.",
    ),
}
QUESTIONS = ["what is the priority phone line number?", "can I call you about my order?"]


def write_kb(folder: Path) -> Path:
    folder.mkdir()
    for name, (audience, title, body) in ARTICLES.items():
        front = f"audience: {audience}\n" if audience else ""
        (folder / name).write_text(
            f"---\ntitle: {title}\n{front}---\n## {title}\n\n{body}\n", encoding="utf-8"
        )
    return folder


@pytest.fixture
def kb(make_kb: KBFactory, tmp_path: Path) -> KnowledgeBase:
    kb = make_kb(tmp_path / "index")
    report = kb.ingest_path(write_kb(tmp_path / "kb"))
    assert report.ok, report.problems
    return kb


def found(kb: KnowledgeBase, plan: str | None) -> set[str]:
    return {
        r.article_id
        for q in QUESTIONS
        for mode in ("hybrid", "dense", "lexical")
        for r in kb.search(q, 10, plan=plan, mode=mode)
    }


def test_a_plan_never_gets_another_plans_article(kb: KnowledgeBase) -> None:
    assert found(kb, "plus") == {"plus-priority-line", "phone-support"}
    assert found(kb, "PLUS") == {"plus-priority-line", "phone-support"}
    assert found(kb, "enterprise") == {"business-priority-line", "phone-support"}


def test_anonymous_customers_get_articles_for_everyone_only(kb: KnowledgeBase) -> None:
    assert found(kb, "") == {"phone-support"}


def test_staff_tools_search_every_article(kb: KnowledgeBase) -> None:
    assert found(kb, None) == {name.removesuffix(".md") for name in ARTICLES}


def test_changing_the_audience_re_indexes_the_article(kb: KnowledgeBase, tmp_path: Path) -> None:
    source = tmp_path / "kb" / "plus-priority-line.md"
    source.write_text(source.read_text().replace("[plus]", "[business]"), encoding="utf-8")
    report = kb.ingest_path(tmp_path / "kb")
    assert report.updated == ["plus-priority-line"]
    assert "plus-priority-line" not in found(kb, "plus")
    assert "plus-priority-line" in found(kb, "business")


def test_audience_must_list_plans(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    text = "---\ntitle: T\naudience: {plus: 1}\n---\nBody\n"
    with pytest.raises(ArticleFormatError, match="audience"):
        parse_markdown(text, path)
    ok = parse_markdown("---\ntitle: T\naudience: Plus, Business\n---\nBody\n", path)
    assert ok.audience == ("business", "plus")


def counted(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes each of the real indexes is asked for, in order (both indexes in one list)."""
    asked: list[int] = []
    for store, method in ((kb.keywords, "search"), (kb.vectors, "nearest")):
        inner = getattr(store, method)

        def fetch(what: Any, n: int, filters: Any = None, inner: Any = inner) -> Any:
            asked.append(n)
            return inner(what, n, filters)

        monkeypatch.setattr(store, method, fetch)
    return asked


def test_plan_only_articles_filling_the_candidates_are_fetched_past(
    make_kb: KBFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The two priority lines take both places.
    kb = make_kb(tmp_path / "index", search=SearchConfig(candidates=2))
    assert kb.ingest_path(write_kb(tmp_path / "kb")).ok
    asked = counted(kb, monkeypatch)
    for mode in ("dense", "lexical"):
        found = kb.search(QUESTIONS[0], 10, plan="", mode=mode)
        assert [r.article_id for r in found] == ["phone-support"], mode
    assert sorted(asked) == [2, 2, 4, 4]  # each index asked again, for twice as many


def test_without_plan_only_articles_each_index_is_asked_once(
    make_kb: KBFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = make_kb(tmp_path / "index")
    assert kb.ingest_path(KB_FIXTURE).ok
    asked = counted(kb, monkeypatch)
    assert kb.search("where is my package", 5, plan="")
    assert asked == [SearchConfig().candidates] * 2
