"""Bulk import into and export from the editor's articles (API and CLI share this)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

import anyio.to_thread

from bot.errors import Conflict, InvalidInput, NotFound
from bot.helpcenter.article_io import ImportBatch, ImportLimits, parse_upload
from bot.helpcenter.articles import ArticleStatus, StoredArticle
from bot.helpcenter.editor import EditorService, as_article, content_of
from bot.helpcenter.interfaces import ArticleStore
from retrieval.types import Article, Problem

__all__ = ["ExportStatus", "ImportReport", "export_articles", "import_batch", "import_upload"]

IMPORT_SOURCE = "import"
ExportStatus = Literal["published", "all"]


@dataclass(slots=True)
class ImportReport:
    """What an import did: new ids, ids given a new version, ids already equal, refusals."""

    imported: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every file was imported."""
        return not self.problems

    def as_json(self) -> dict[str, object]:
        """The API's shape: `{imported, updated, unchanged, problems: [{file, reason}]}`."""
        return {
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "problems": [{"file": p.path, "reason": p.reason} for p in self.problems],
        }


async def import_upload(
    editor: EditorService,
    name: str,
    read: Callable[[int], Awaitable[bytes]],
    limits: ImportLimits,
    *,
    author: str,
    publish: bool,
) -> ImportReport:
    """Import an uploaded file called `name`; `read(n)` returns at most `n` of its bytes.

    Only one byte over `limits.max_upload_bytes` is read: enough for `parse_upload` to refuse
    the file (naming it in the report) without holding a hostile upload in memory.
    """
    data = await read(limits.max_upload_bytes + 1)
    batch = await anyio.to_thread.run_sync(parse_upload, name, data, limits)
    return await import_batch(editor, batch, author=author, publish=publish)


async def import_batch(
    editor: EditorService, batch: ImportBatch, *, author: str, publish: bool
) -> ImportReport:
    """Create each new article, save a new version over each existing one, maybe publish.

    An existing article gets a version only when its content differs; with `publish`, the
    imported version goes live (indexing runs in the background, as for any publish).
    """
    report = ImportReport(problems=list(batch.problems))
    # Originals first, so that a translation imported with its original can name it.
    for article in sorted(batch.articles, key=lambda a: bool(a.translation_of)):
        try:
            stored, outcome = await _write(editor, article, author)
            if publish and (
                stored.status is not ArticleStatus.PUBLISHED or stored.has_unpublished_changes
            ):
                await editor.publish(article.id, author=author)
                outcome = outcome or "updated"
        except (Conflict, InvalidInput) as exc:
            report.problems.append(Problem(article.source, f"{exc}; import it again"))
            continue
        if outcome == "imported":
            report.imported.append(article.id)
        elif outcome == "updated":
            report.updated.append(article.id)
        else:
            report.unchanged.append(article.id)
    return report


Outcome = Literal["imported", "updated", ""]


async def _write(
    editor: EditorService, article: Article, author: str
) -> tuple[StoredArticle, Outcome]:
    """The article after writing it, and whether it was imported, updated or already equal."""
    content = content_of(article)
    note = f"imported from {article.source}"
    await editor.check_translation(article.id, content)
    try:
        current = await editor.get(article.id)
    except NotFound:
        # The store, not `editor.create`: an import records its own source and note; the
        # content was checked by `article_io` with the editor's own rules.
        created = await editor.store.create(
            article.id, content, author=author, source=IMPORT_SOURCE, note=note
        )
        return created, "imported"
    if current.content == content:
        return current, ""
    saved = await editor.store.save(
        article.id, content, author=author, base_version=current.current_version, note=note
    )
    return saved, "updated"


async def export_articles(store: ArticleStore, status: ExportStatus) -> list[Article]:
    """Articles to export: the live version of published ones, or the newest of every one
    (deleted articles left out)."""
    published = ArticleStatus.PUBLISHED if status == "published" else None
    articles = []
    for item in await store.list(status=published):
        content = item.content
        if published and item.published_version is not None:
            content = (await store.version(item.id, item.published_version)).content
        articles.append(as_article(item.id, content, item.updated_at, item.source))
    return articles
