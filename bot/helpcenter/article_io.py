"""Bulk article files: parse uploads (.zip, .jsonl, one article, a folder) and export them.

Parsing reuses `retrieval.loader` (front matter, HTML, JSONL) and the editor's checks; every
body is passed through `clean_markdown`, so raw HTML is stored only in its sanitised form.
Each source file is all-or-nothing: one bad row or a duplicate id refuses that whole file,
and the report says which file and why (issue #6).
"""

from __future__ import annotations

import io
import json
import stat
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

import yaml

from bot.errors import InvalidInput
from bot.helpcenter.editor import check_content, check_id, content_of
from bot.helpcenter.sanitize import clean_markdown, clean_text
from bot.settings import Settings
from retrieval.errors import ArticleFormatError
from retrieval.loader import (
    ASSET_SUFFIXES,
    SUPPORTED_SUFFIXES,
    decode_source,
    parse_source,
    slugify,
    source_files,
)
from retrieval.types import Article, Problem

__all__ = [
    "FRONT_MATTER_KEYS",
    "ImportBatch",
    "ImportLimits",
    "export_jsonl",
    "export_path",
    "export_zip",
    "parse_path",
    "parse_upload",
    "to_markdown",
]

FRONT_MATTER_KEYS = (
    "id",
    "title",
    "category",
    "tags",
    "locale",
    "url",
    "updated",
    "pages",
    "questions",
    "translation_of",
    "audience",
)
_SKIPPED_NAMES = {"readme.md", "readme.txt"}
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed: the same articles always give the same archive


@dataclass(frozen=True, slots=True)
class ImportLimits:
    """Bounds on one import, so that a hostile archive cannot exhaust memory."""

    max_upload_bytes: int
    max_unpacked_bytes: int
    max_files: int
    max_file_bytes: int
    max_article_chars: int

    @classmethod
    def of(cls, settings: Settings) -> ImportLimits:
        """The limits configured in `settings.editor` and `settings.chunking`."""
        upload = settings.editor.max_import_bytes
        return cls(
            max_upload_bytes=upload,
            max_unpacked_bytes=5 * upload,
            max_files=settings.editor.max_import_files,
            max_file_bytes=settings.chunking.max_file_bytes,
            max_article_chars=settings.editor.max_article_chars,
        )


@dataclass(slots=True)
class ImportBatch:
    """The articles an upload holds (validated, sanitised) and the files that were refused."""

    articles: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def parse_upload(name: str, data: bytes, limits: ImportLimits) -> ImportBatch:
    """Articles of an uploaded .zip, .jsonl or single article file."""
    name = PurePosixPath(name.replace("\\", "/")).name or "upload"
    if len(data) > limits.max_upload_bytes:
        return ImportBatch(problems=[_too_big(name, limits.max_upload_bytes)])
    if name.lower().endswith(".zip"):
        entries, problems = _zip_entries(name, data, limits)
        return _collect(entries, problems, limits)
    return _collect([(name, data)], [], limits)


def parse_path(path: Path, limits: ImportLimits) -> ImportBatch:
    """Articles of a folder (README and hidden files skipped), a .zip or one file on disk."""
    if path.is_file():
        return parse_upload(path.name, path.read_bytes(), limits)
    try:
        files = source_files(path)
    except ArticleFormatError as exc:
        return ImportBatch(problems=[Problem(exc.path, exc.reason)])
    if len(files) > limits.max_files:
        return ImportBatch(problems=[_too_many(str(path), len(files), limits.max_files)])
    entries: list[tuple[str, bytes]] = []
    problems: list[Problem] = []
    for file in files:
        where = file.relative_to(path).as_posix()
        if file.stat().st_size > limits.max_upload_bytes:
            problems.append(_too_big(where, limits.max_upload_bytes))
        else:
            entries.append((where, file.read_bytes()))
    return _collect(entries, problems, limits)


def to_markdown(article: Article) -> str:
    """The article as a markdown file with the same front matter keys as `kb_content/`."""
    meta = {
        "id": article.id,
        "title": article.title,
        "category": article.category,
        "tags": list(article.tags),
        "locale": article.locale,
        "url": article.url,
        "updated": article.updated,
    }
    if article.pages or article.questions:
        meta |= {"pages": list(article.pages), "questions": list(article.questions)}
    if article.translation_of:
        meta["translation_of"] = article.translation_of
    if article.audience:
        meta["audience"] = list(article.audience)
    head = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=10_000)
    return f"---\n{head}---\n{article.body.strip()}\n"


def export_path(article: Article) -> str:
    """`<category>/<id>.md`, the category made a safe folder name (never `..` or absolute)."""
    folder = slugify(article.category) if article.category else "uncategorized"
    return f"{folder}/{article.id}.md"


def export_zip(articles: Sequence[Article]) -> bytes:
    """A zip of `<category>/<id>.md` files that `parse_upload` reads back unchanged."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for article in sorted(articles, key=lambda a: a.id):
            info = zipfile.ZipInfo(export_path(article), date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, to_markdown(article).encode("utf-8"))
    return buffer.getvalue()


def export_jsonl(articles: Sequence[Article]) -> str:
    """One JSON object per line (`text` is the markdown body), as the JSONL import reads it."""
    rows = (
        {
            "id": a.id,
            "title": a.title,
            "text": a.body,
            "category": a.category,
            "tags": list(a.tags),
            "locale": a.locale,
            "url": a.url,
            "updated": a.updated,
        }
        | ({"translation_of": a.translation_of} if a.translation_of else {})
        for a in sorted(articles, key=lambda a: a.id)
    )
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def _too_big(where: str, limit: int) -> Problem:
    return Problem(where, f"more than {limit:,} bytes, the limit; split it into smaller files")


def _too_many(where: str, count: int, limit: int) -> Problem:
    return Problem(
        where, f"{count:,} files, over the {limit:,}-file limit; import it in several parts"
    )


def _unsafe_name(name: str) -> str:
    """Why a zip entry name is refused, or '' when it is a plain relative path."""
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "absolute path in the archive; refused (use paths relative to the archive root)"
    if ".." in parts:
        return "path leaves the archive folder ('..', zip-slip); refused"
    return ""


def _skipped(name: str) -> bool:
    parts = PurePosixPath(name).parts
    hidden = any(part.startswith(".") or part == "__MACOSX" for part in parts)
    return hidden or PurePosixPath(name).name.lower() in _SKIPPED_NAMES


def _zip_entries(
    upload: str, data: bytes, limits: ImportLimits
) -> tuple[list[tuple[str, bytes]], list[Problem]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return [], [Problem(upload, "not a valid zip archive; upload a .zip, .jsonl or .md file")]
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > limits.max_files:
            return [], [_too_many(upload, len(infos), limits.max_files)]
        entries: list[tuple[str, bytes]] = []
        problems: list[Problem] = []
        unpacked = 0
        for info in infos:
            where = f"{upload}/{info.filename}"
            unsafe = _unsafe_name(info.filename)
            if unsafe:
                problems.append(Problem(where, unsafe))
                continue
            if _skipped(info.filename):
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                problems.append(Problem(where, "symbolic link in the archive; refused"))
                continue
            remaining = limits.max_unpacked_bytes - unpacked
            try:
                # Read at most limit + 1 bytes: declared sizes in a zip can lie (zip bombs).
                with archive.open(info) as member:
                    raw = member.read(min(limits.max_upload_bytes, remaining) + 1)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError) as exc:
                problems.append(Problem(where, f"cannot unpack this entry ({exc})"))
                continue
            if len(raw) > remaining:
                reason = f"unpacks to more than {limits.max_unpacked_bytes:,} bytes; split it"
                return [], [Problem(upload, reason)]
            if len(raw) > limits.max_upload_bytes:
                problems.append(_too_big(where, limits.max_upload_bytes))
                continue
            unpacked += len(raw)
            entries.append((where, raw))
    return entries, problems


def _parse_file(where: str, raw: bytes, limits: ImportLimits) -> list[Article]:
    """The articles of one source file, validated and sanitised; raises for the whole file."""
    suffix = PurePosixPath(where).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise ArticleFormatError(
            where, f"unsupported file type {suffix or '(none)'!r}; use {kinds}"
        )
    limit = limits.max_upload_bytes if suffix == ".jsonl" else limits.max_file_bytes
    articles = parse_source(decode_source(raw, where, limit), Path(where))
    return [_checked(article, limits.max_article_chars) for article in articles]


def _checked(article: Article, max_chars: int) -> Article:
    body = clean_markdown(article.body).strip()
    if not body:
        raise ArticleFormatError(article.source, "no text is left once unsafe HTML is removed")
    raw = replace(content_of(article), title=clean_text(article.title), body=body)
    try:
        content = check_content(raw, max_chars)
        article_id = check_id(article.id)
    except InvalidInput as exc:
        raise ArticleFormatError(article.source, str(exc)) from exc
    return replace(
        article,
        id=article_id,
        title=content.title,
        body=content.body,
        category=content.category,
        locale=content.locale,
        tags=content.tags,
        url=content.url,
        pages=content.pages,
        questions=content.questions,
        translation_of=content.translation_of,
        audience=content.audience,
    )


def _collect(
    entries: Iterable[tuple[str, bytes]], problems: list[Problem], limits: ImportLimits
) -> ImportBatch:
    batch = ImportBatch(problems=list(problems))
    seen: dict[str, str] = {}
    for where, raw in entries:
        if PurePosixPath(where).suffix.lower() in ASSET_SUFFIXES:
            continue  # images and PDFs beside the articles are not articles
        try:
            articles = _parse_file(where, raw, limits)
        except ArticleFormatError as exc:
            batch.problems.append(Problem(exc.path, exc.reason))
            continue
        ids: dict[str, str] = {}
        clash = None
        for article in articles:
            first = seen.get(article.id) or ids.get(article.id)
            if first is not None:
                clash = Problem(
                    article.source,
                    f"duplicate id {article.id!r} (already used by {first}); this file was "
                    "not imported: give one of them another id",
                )
                break
            ids[article.id] = article.source
        if clash is not None:
            batch.problems.append(clash)
            continue
        seen.update(ids)
        batch.articles.extend(articles)
    return batch
