"""What the public help-center pages show, from `HelpPortal` over a real SQLite article store
and knowledge base: home, search input, categories, withdrawn-article suggestions, sitemap."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.db.database import open_database
from bot.errors import Gone, NotFound
from bot.helpcenter.articles import ArticleContent
from bot.helpcenter.editor import EditorService
from bot.helpcenter.help_portal import MAX_QUERY_CHARS, HelpPortal
from bot.settings import EditorConfig
from tests.conftest import KBFactory

pytestmark = pytest.mark.anyio


@dataclass
class Help:
    editor: EditorService
    portal: HelpPortal


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def help_center(tmp_path: Path, make_kb: KBFactory) -> AsyncIterator[Help]:
    database = open_database(f"sqlite:///{tmp_path / 'bot.db'}")
    kb = make_kb(tmp_path / "index")
    editor = EditorService(database.articles, kb, EditorConfig())
    articles = {
        "reset-password": ArticleContent("Reset your password", "Use the link.", "account"),
        "restablecer": ArticleContent(
            "Restablecer la contraseña",
            "Usa el enlace.",
            "account",
            "es",
            translation_of="reset-password",
        ),
        "opening-hours": ArticleContent("Opening hours", "We open at 9."),
    }
    for article_id, content in articles.items():
        await editor.create(article_id, content, author="ed")
        await editor.publish(article_id, author="ed")
    await editor.create("draft-only", ArticleContent("Draft", "Not yet.", "account"), author="ed")
    yield Help(editor, HelpPortal(database.articles, kb, database.gaps, database.votes))
    await editor.aclose()
    await database.conversations.aclose()


async def test_home_falls_back_to_the_default_locale(help_center: Help) -> None:
    for lang in ("", "fr", "<script>"):
        home = await help_center.portal.home(lang)
        assert (home.locale, home.locales) == ("en", ["en", "es"])
        assert [c.slug for c in home.categories] == ["account"]
        assert [a.id for a in home.uncategorised] == ["opening-hours"]
    spanish = await help_center.portal.home("es")
    assert [a.id for c in spanish.categories for a in c.articles] == ["restablecer"]
    assert spanish.uncategorised == []


async def test_search_cleans_and_bounds_the_words(help_center: Help) -> None:
    portal = help_center.portal
    empty = await portal.find(" \x00\t ", "")
    assert (empty.query, empty.locale, empty.hits, empty.too_long) == ("", None, [], False)
    long = await portal.find("a" * (MAX_QUERY_CHARS + 1), "es")
    assert (long.query, long.locale, long.hits) == ("a" * MAX_QUERY_CHARS, "es", [])
    assert long.too_long
    words = await portal.find("reset\x07  password", "zz")
    assert (words.query, words.locale, words.too_long) == ("reset password", "en", False)


async def test_category_page_in_another_locale_or_unknown(help_center: Help) -> None:
    portal = help_center.portal
    found = await portal.category_page("account", "es")
    assert found.category is not None and found.locale == "es"
    assert [a.id for a in found.category.articles] == ["restablecer"]
    unknown = await portal.category_page("billing", "")
    assert (unknown.category, unknown.locale) == (None, "en")
    assert [c.slug for c in unknown.categories] == ["account"]


async def test_article_page_and_suggestions_for_a_withdrawn_one(help_center: Help) -> None:
    portal = help_center.portal
    page = await portal.article_page("reset-password")
    assert page.live.content.title == "Reset your password"
    assert list(page.translations) == ["es"] and page.locales == ["en", "es"]
    await help_center.editor.unpublish("opening-hours", author="ed")
    with pytest.raises(Gone):
        await portal.article_page("opening-hours")
    with pytest.raises(NotFound) as draft:
        await portal.article_page("draft-only")
    assert not isinstance(draft.value, Gone)
    suggested = await portal.suggestions("opening-hours", gone=True)
    assert "opening-hours" not in [a.id for a in suggested]


async def test_sitemap_lists_each_locale_then_articles_with_alternates(help_center: Help) -> None:
    site = await help_center.portal.sitemap()
    shown = [(s.locale, [c.slug for c in s.categories]) for s in site.locales]
    assert shown == [("en", ["account"]), ("es", ["account"])]
    assert sorted(a.id for a in site.articles) == ["opening-hours", "reset-password", "restablecer"]
    group = {"en": "/help/reset-password", "es": "/help/restablecer"}
    assert site.alternates == {"/help/reset-password": group, "/help/restablecer": group}
