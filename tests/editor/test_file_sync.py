"""`supportbot ingest` through the article store: files become published versions, vanished
files unpublish, broken files keep their article, and the indexes follow (real KB, SQLite)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.helpcenter.articles import ArticleContent, ArticleStatus, IndexState
from bot.helpcenter.editor import EditorService
from retrieval.loader import load_kb
from retrieval.types import IngestReport
from tests.conftest import KB_FIXTURE

pytestmark = pytest.mark.anyio
MAX_BYTES = 200_000


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    target.mkdir()
    for name in ("reset-password.md", "return-policy.md", "shipping-times.md"):
        shutil.copy(KB_FIXTURE / name, target / name)
    return target


async def sync(editor: EditorService, kb_dir: Path) -> IngestReport:
    articles, problems = load_kb(kb_dir, MAX_BYTES)
    return await editor.sync_files(articles, problems)


def found(editor: EditorService, query: str) -> list[str]:
    return [r.article_id for r in editor._kb.search(query, 3)]


async def test_files_become_published_versions_and_only_changes_make_new_ones(
    editor: EditorService, kb_dir: Path
) -> None:
    report = await sync(editor, kb_dir)
    assert sorted(report.added) == ["reset-password", "return-policy", "shipping-times"]
    assert report.ok
    article = await editor.get("reset-password")
    assert article.status is ArticleStatus.PUBLISHED and article.published_version == 1
    assert article.source == f"file:{kb_dir / 'reset-password.md'}"
    assert article.index_state is IndexState.INDEXED
    [first] = await editor.versions("reset-password")
    assert first.author == "kb_content"

    again = await sync(editor, kb_dir)
    assert (again.added, again.updated, again.unchanged) == ([], [], 3)
    assert len(await editor.versions("reset-password")) == 1

    path = kb_dir / "reset-password.md"
    path.write_text(path.read_text() + "\n\nThe reset link also works for the Zorblax app.\n")
    changed = await sync(editor, kb_dir)
    assert changed.updated == ["reset-password"]
    article = await editor.get("reset-password")
    assert (article.current_version, article.published_version) == (2, 2)
    assert "Zorblax" in (await editor.version("reset-password", 2)).content.body
    assert found(editor, "Zorblax app reset link")[0] == "reset-password"


async def test_removed_file_unpublishes_and_a_returning_file_publishes_again(
    editor: EditorService, kb_dir: Path
) -> None:
    await sync(editor, kb_dir)
    saved = (kb_dir / "shipping-times.md").read_text()
    (kb_dir / "shipping-times.md").unlink()
    report = await sync(editor, kb_dir)
    assert report.deleted == ["shipping-times"]
    gone = await editor.get("shipping-times")
    assert gone.status is ArticleStatus.UNPUBLISHED
    assert "shipping-times" not in found(editor, "how long does shipping take")
    assert len(await editor.versions("shipping-times")) == 1  # history kept

    (kb_dir / "shipping-times.md").write_text(saved)
    await sync(editor, kb_dir)
    back = await editor.get("shipping-times")
    assert back.status is ArticleStatus.PUBLISHED
    assert found(editor, "how long does shipping take")[0] == "shipping-times"


async def test_broken_file_keeps_its_article_and_its_index_entries(
    editor: EditorService, kb_dir: Path
) -> None:
    await sync(editor, kb_dir)
    (kb_dir / "return-policy.md").write_text("---\ntitle: 'unterminated\n---\nx")
    report = await sync(editor, kb_dir)
    assert [p.path for p in report.problems] == [str(kb_dir / "return-policy.md")]
    assert report.deleted == []
    kept = await editor.get("return-policy")
    assert kept.status is ArticleStatus.PUBLISHED and kept.current_version == 1
    assert found(editor, "how many days do I have to return an item")[0] == "return-policy"


async def test_app_articles_are_not_overwritten_by_a_file_with_their_id(
    editor: EditorService, kb_dir: Path
) -> None:
    await editor.create("reset-password", ArticleContent("Mine", "Written in the app."), author="e")
    report = await sync(editor, kb_dir)
    [problem] = report.problems
    assert "made in the app" in problem.reason and "another id" in problem.reason
    article = await editor.get("reset-password")
    assert article.content.title == "Mine" and article.status is ArticleStatus.DRAFT


async def test_index_holds_exactly_the_published_articles(
    editor: EditorService, kb_dir: Path
) -> None:
    await sync(editor, kb_dir)
    await editor.unpublish("return-policy", author="erin")
    assert "return-policy" not in found(editor, "how many days do I have to return an item")
    report = await sync(editor, kb_dir)  # the file did not change: the editor's choice stays
    assert report.ok and (await editor.get("return-policy")).status is ArticleStatus.UNPUBLISHED
    assert "return-policy" not in found(editor, "how many days do I have to return an item")


async def test_a_plan_only_file_stays_for_its_plan_through_the_store(
    editor: EditorService, kb_dir: Path
) -> None:
    # `supportbot ingest` indexes what the store publishes: the store lost `audience:` once,
    # and the Plus priority line was cited to anonymous customers.
    (kb_dir / "plus-line.md").write_text(
        "---\ntitle: Plus priority phone line\naudience: [Plus]\n---\n"
        "Plus members call the priority phone line at 1-800-555-0199.\n",
        encoding="utf-8",
    )
    assert (await sync(editor, kb_dir)).ok
    assert (await editor.get("plus-line")).content.audience == ("plus",)
    query = "priority phone line number"
    assert "plus-line" not in [r.article_id for r in editor._kb.search(query, 3, plan="")]
    assert [r.article_id for r in editor._kb.search(query, 3, plan="plus")][0] == "plus-line"

    shown = (kb_dir / "plus-line.md").read_text().replace("audience: [Plus]\n", "")
    (kb_dir / "plus-line.md").write_text(shown, encoding="utf-8")
    assert (await sync(editor, kb_dir)).updated == ["plus-line"]  # for everyone now
    assert "plus-line" in [r.article_id for r in editor._kb.search(query, 3, plan="")]
