"""Heading-aware chunking: markdown sections, then token windows with overlap (tiktoken)."""

from __future__ import annotations

import hashlib

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from retrieval.config import ChunkingConfig
from retrieval.tokens import count_tokens
from retrieval.types import Article, Chunk

_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3"), ("####", "h4")]


class Chunker:
    """Splits articles into chunks; reusable and deterministic."""

    def __init__(self, config: ChunkingConfig) -> None:
        self._sections = MarkdownHeaderTextSplitter(_HEADERS, strip_headers=True)
        self._windows = RecursiveCharacterTextSplitter(
            chunk_size=config.chunk_tokens,
            chunk_overlap=min(config.overlap_tokens, config.chunk_tokens // 2),
            length_function=count_tokens,
            separators=["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
        )

    def split(self, article: Article) -> list[Chunk]:
        """The article's chunks in reading order, ids `<article id>#<n>`."""
        pieces: list[tuple[str, str]] = []
        for section in self._sections.split_text(article.body):
            path = " > ".join(
                str(section.metadata[name]) for _, name in _HEADERS if name in section.metadata
            )
            for window in self._windows.split_text(section.page_content):
                if window.strip():
                    pieces.append((path, window.strip()))
        return [_make_chunk(article, n, section, text) for n, (section, text) in enumerate(pieces)]


def _make_chunk(article: Article, n: int, section: str, text: str) -> Chunk:
    audience = ",".join(article.audience)
    parts = (article.title, section, text, article.url, article.locale, article.category)
    # Only a restricted article's hash covers its audience: existing chunks keep theirs.
    fingerprint = "\x1f".join((*parts, audience) if audience else parts)
    return Chunk(
        id=f"{article.id}#{n}",
        article_id=article.id,
        title=article.title,
        section=section,
        text=text,
        url=article.url,
        locale=article.locale,
        category=article.category,
        tokens=count_tokens(text),
        content_hash=hashlib.sha256(fingerprint.encode()).hexdigest()[:32],
        source=article.source,
        audience=audience,
    )
