"""Editor import/export and the live markdown preview (editor or admin session token)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile
from pydantic import BaseModel, Field

from bot.api.deps import EditorDep, ServicesDep, limit_ip
from bot.api.routes.editor import author
from bot.helpcenter.article_io import ImportLimits, export_jsonl, export_zip
from bot.helpcenter.importing import ExportStatus, export_articles, import_upload
from bot.helpcenter.sanitize import render_markdown

router = APIRouter(prefix="/api/editor", tags=["editor"], dependencies=[Depends(limit_ip)])

IMPORT_PATH = "/api/editor/import"
_MEDIA = {"zip": "application/zip", "jsonl": "application/x-ndjson"}


class RenderIn(BaseModel):
    """Markdown to preview (raw HTML allowed; it is sanitised)."""

    markdown: str = Field(max_length=200_000)


class RenderOut(BaseModel):
    """The safe HTML a customer would see."""

    html: str


@router.post(IMPORT_PATH.removeprefix("/api/editor"))
async def import_articles(
    services: ServicesDep,
    editor: EditorDep,
    file: Annotated[UploadFile, File(description=".zip, .jsonl, .md, .html or .txt")],
    publish: Annotated[bool, Form()] = False,
) -> dict[str, Any]:
    """Import articles: new ids are created, known ids get a new version; maybe publish them.

    Answers `{imported, updated, unchanged, problems: [{file, reason}]}`; a refused file is
    named in `problems` and nothing of it is imported.
    """
    report = await import_upload(
        services.editor,
        file.filename or "upload",
        file.read,
        ImportLimits.of(services.settings),
        author=author(editor),
        publish=publish,
    )
    return report.as_json()


@router.get("/export")
async def export(
    services: ServicesDep,
    editor: EditorDep,
    format: Literal["zip", "jsonl"] = "zip",
    status: Annotated[ExportStatus, Query()] = "published",
) -> Response:
    """Download articles as a zip of markdown files or as JSONL (both re-importable)."""
    articles = await export_articles(services.editor.store, status)
    if format == "zip":
        body: bytes = await anyio.to_thread.run_sync(export_zip, articles)
    else:
        body = export_jsonl(articles).encode("utf-8")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    return Response(
        body,
        media_type=_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="articles-{stamp}.{format}"'},
    )


@router.post("/render", response_model=RenderOut)
async def render(body: RenderIn, editor: EditorDep) -> RenderOut:
    """Markdown rendered to sanitised HTML, for the editor's live preview."""
    return RenderOut(html=render_markdown(body.markdown))
