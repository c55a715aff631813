"""Reads help-center sources (markdown with front matter, text, HTML, JSONL) into Articles."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from bs4 import BeautifulSoup

from retrieval.errors import ArticleFormatError
from retrieval.types import Article, Problem

MARKDOWN_SUFFIXES = {".md", ".markdown"}
TEXT_SUFFIXES = {".txt"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = MARKDOWN_SUFFIXES | TEXT_SUFFIXES | HTML_SUFFIXES | {".jsonl"}
ASSET_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".pdf", ".css", ".js"}
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,127}$")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


def slugify(text: str) -> str:
    """A lowercase hyphenated slug of `text`."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:128] or "article"


def _check_size(size: int, where: str, max_bytes: int) -> None:
    if size == 0:
        raise ArticleFormatError(where, "file is empty")
    if size > max_bytes:
        raise ArticleFormatError(
            where, f"file is {size:,} bytes, over the {max_bytes:,}-byte limit; split it"
        )


def decode_source(raw: bytes, where: str, max_bytes: int) -> str:
    """The UTF-8 text of one source file's bytes; empty, oversize or binary input raises."""
    _check_size(len(raw), where, max_bytes)
    if b"\x00" in raw:
        raise ArticleFormatError(where, "binary file (contains NUL bytes); not an article")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleFormatError(
            where, f"not valid UTF-8 (byte {exc.start}); save the file as UTF-8"
        ) from exc
    if not text.strip():
        raise ArticleFormatError(where, "file has only whitespace")
    return text


def _read_text(path: Path, max_bytes: int) -> str:
    _check_size(path.stat().st_size, str(path), max_bytes)
    return decode_source(path.read_bytes(), str(path), max_bytes)


def _meta_str(meta: dict[str, Any], key: str, path: Path) -> str:
    value = meta.get(key, "")
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise ArticleFormatError(str(path), f"front matter key {key!r} must be text")
    return str(value).strip()


def _audience(value: Any, path: Path) -> tuple[str, ...]:
    """The plans of front matter `audience:` (a list or comma-separated text), lower-case."""
    if value is None or value == "":
        return ()
    plans = value.split(",") if isinstance(value, str) else value
    if not isinstance(plans, list) or not all(isinstance(p, str | int) for p in plans):
        raise ArticleFormatError(str(path), "'audience' must be a list of plan names")
    return tuple(sorted({str(p).strip().lower() for p in plans if str(p).strip()}))


def _meta_list(meta: dict[str, Any], key: str, path: Path) -> tuple[str, ...]:
    value = meta.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise ArticleFormatError(str(path), f"front matter key {key!r} must be a list of text")
    return tuple(str(v).strip() for v in value if str(v).strip())


def _check_id(article_id: str, path: Path) -> str:
    if not SLUG.match(article_id):
        raise ArticleFormatError(
            str(path),
            f"id {article_id!r} is not a slug (lowercase letters, digits, '-' or '_')",
        )
    return article_id


def parse_markdown(text: str, path: Path) -> Article:
    """An Article from markdown with YAML front matter (`title` required)."""
    match = _FRONT_MATTER.match(text)
    if not match:
        raise ArticleFormatError(
            str(path), "no front matter: start the file with '---', YAML keys, then '---'"
        )
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        raise ArticleFormatError(str(path), f"front matter is not valid YAML{where}") from exc
    if not isinstance(meta, dict):
        raise ArticleFormatError(str(path), "front matter must be YAML key: value pairs")
    title = _meta_str(meta, "title", path)
    if not title:
        raise ArticleFormatError(str(path), "front matter has no 'title'")
    body = text[match.end() :].strip()
    if not body:
        raise ArticleFormatError(str(path), "article has front matter but no body text")
    tags = meta.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",")]
    if not isinstance(tags, list):
        raise ArticleFormatError(str(path), "'tags' must be a list")
    article_id = _check_id(_meta_str(meta, "id", path) or slugify(path.stem), path)
    return Article(
        audience=_audience(meta.get("audience"), path),
        id=article_id,
        title=title,
        body=body,
        url=_meta_str(meta, "url", path),
        category=_meta_str(meta, "category", path),
        locale=_meta_str(meta, "locale", path) or "en",
        tags=tuple(str(t) for t in tags if str(t).strip()),
        updated=_meta_str(meta, "updated", path),
        source=str(path),
        pages=_meta_list(meta, "pages", path),
        questions=_meta_list(meta, "questions", path),
        translation_of=_translation_of(meta, article_id, path),
    )


def _translation_of(meta: dict[str, Any], article_id: str, path: Path) -> str:
    """Front matter `translation_of`: the id of the original (a slug, not the article's own)."""
    original = _meta_str(meta, "translation_of", path)
    if original and not SLUG.match(original):
        raise ArticleFormatError(
            str(path), f"'translation_of' {original!r} is not an article id; use the original's id"
        )
    if original == article_id:
        raise ArticleFormatError(
            str(path), "'translation_of' names the article itself; use the original's id"
        )
    return original


def parse_text(text: str, path: Path) -> Article:
    """An Article from plain text: the first non-empty line is the title."""
    lines = text.strip().splitlines()
    title, body = lines[0].strip(), "\n".join(lines[1:]).strip()
    if not body:
        raise ArticleFormatError(str(path), "text file needs a title line followed by a body")
    return Article(id=slugify(path.stem), title=title, body=body, source=str(path))


def html_to_markdown(html: str) -> tuple[str, str]:
    """(title, markdown-ish body) from HTML; scripts, styles and markup are dropped."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "iframe", "template", "nav", "footer"]):
        tag.decompose()
    title_tag = soup.find("title") or soup.find("h1")
    title = title_tag.get_text(" ", strip=True) if title_tag else ""
    lines: list[str] = []
    for el in soup.find_all(["h1", "h2", "h3", "h4", "p", "li", "td", "pre"]):
        text = el.get_text(" ", strip=True)
        if not text or (el.name == "h1" and text == title):
            continue
        if el.name in {"h1", "h2", "h3", "h4"}:
            lines.append("\n" + "#" * max(2, int(el.name[1])) + " " + text)
        elif el.name == "li":
            lines.append("- " + text)
        else:
            lines.append(text + "\n")
    return title, "\n".join(lines).strip()


def parse_html(text: str, path: Path) -> Article:
    """An Article from an HTML page (title from <title> or the first <h1>)."""
    title, body = html_to_markdown(text)
    if not title:
        raise ArticleFormatError(str(path), "HTML has no <title> or <h1>")
    if not body:
        raise ArticleFormatError(str(path), "HTML has no readable text")
    return Article(id=slugify(path.stem), title=title, body=body, source=str(path))


def article_from_row(row: Any, where: str) -> Article:
    """An Article from one JSONL import row `{"id","title","text","url"?,"tags"?,...}`."""
    if not isinstance(row, dict):
        raise ArticleFormatError(where, "row is not a JSON object")
    missing = [key for key in ("id", "text") if not str(row.get(key) or "").strip()]
    if missing:
        raise ArticleFormatError(where, f"row lacks {', '.join(missing)}")
    tags = row.get("tags") or []
    if not isinstance(tags, list):
        raise ArticleFormatError(where, "'tags' must be a list of strings")
    article_id = str(row["id"]).strip()
    return Article(
        id=article_id,
        title=str(row.get("title") or "").strip(),
        body=str(row["text"]).strip(),
        url=str(row.get("url") or ""),
        category=str(row.get("category") or ""),
        locale=str(row.get("locale") or "en"),
        tags=tuple(str(t) for t in tags if str(t).strip()),
        updated=str(row.get("updated") or ""),
        source=where,
        translation_of=str(row.get("translation_of") or "").strip(),
    )


def _jsonl_rows(lines: Iterable[str], where: str) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise ArticleFormatError(f"{where}:{number}", f"invalid JSON ({exc.msg})") from exc


def iter_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed value) for each non-blank line; malformed JSON raises with its line."""
    with path.open(encoding="utf-8") as handle:
        yield from _jsonl_rows(handle, str(path))


def load_file(path: Path, max_bytes: int) -> list[Article]:
    """Articles from one source file (a JSONL file may hold many)."""
    if path.suffix.lower() == ".jsonl":
        return [article_from_row(row, f"{path}:{n}") for n, row in iter_jsonl(path)]
    return parse_source(_read_text(path, max_bytes), path)


def parse_source(text: str, path: Path) -> list[Article]:
    """Articles from the decoded text of a source named `path` (its suffix picks the parser)."""
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        rows = _jsonl_rows(text.splitlines(), str(path))
        return [article_from_row(row, f"{path}:{n}") for n, row in rows]
    if suffix in MARKDOWN_SUFFIXES:
        return [parse_markdown(text, path)]
    if suffix in HTML_SUFFIXES:
        return [parse_html(text, path)]
    if suffix in TEXT_SUFFIXES:
        return [parse_text(text, path)]
    raise ArticleFormatError(
        str(path), f"unsupported file type {suffix!r}; use {sorted(SUPPORTED_SUFFIXES)}"
    )


def source_files(root: Path) -> list[Path]:
    """Every candidate source under `root` (README files and hidden paths skipped), sorted."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise ArticleFormatError(str(root), "no such file or folder")
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
        and p.name.lower() not in {"readme.md", "readme.txt"}
    )


def load_sources(paths: Iterable[Path], max_bytes: int) -> tuple[list[Article], list[Problem]]:
    """Load every source; bad files become Problems and the rest is still returned."""
    articles: dict[str, Article] = {}
    problems: list[Problem] = []
    for path in paths:
        try:
            loaded = load_file(path, max_bytes)
        except ArticleFormatError as exc:
            problems.append(Problem(exc.path, exc.reason))
            continue
        except OSError as exc:
            problems.append(Problem(str(path), f"cannot read file ({exc.strerror})"))
            continue
        for article in loaded:
            first = articles.get(article.id)
            if first is not None:
                problems.append(
                    Problem(
                        article.source,
                        f"duplicate id {article.id!r} (already used by {first.source}); "
                        "give one of them another id",
                    )
                )
                continue
            articles[article.id] = article
    return _linked(articles, problems), problems


def _linked(articles: dict[str, Article], problems: list[Problem]) -> list[Article]:
    """The articles, each `translation_of` naming a loaded original (one that translates
    nothing itself); any other link is dropped with a warning in `problems` (the article
    itself still loads)."""
    kept = []
    for article in articles.values():
        original = articles.get(article.translation_of)
        if article.translation_of and (original is None or original.translation_of):
            why = "no loaded article has that id" if original is None else "it is a translation"
            problems.append(
                Problem(
                    article.source,
                    f"'translation_of' {article.translation_of!r} ignored: {why}; "
                    "name the original article's id",
                )
            )
            article = replace(article, translation_of="")
        kept.append(article)
    return kept


def load_kb(root: Path, max_bytes: int) -> tuple[list[Article], list[Problem]]:
    """Load a folder (or single file) of sources; assets (images, PDFs) are skipped quietly,
    other unsupported file types are reported."""
    files = source_files(root)
    supported = [p for p in files if p.suffix.lower() in SUPPORTED_SUFFIXES]
    problems = [
        Problem(str(p), f"unsupported file type {p.suffix or '(none)'!r}; skipped")
        for p in files
        if p.suffix.lower() not in SUPPORTED_SUFFIXES | ASSET_SUFFIXES
    ]
    articles, load_problems = load_sources(supported, max_bytes)
    return articles, problems + load_problems
