"""Chunking: heading paths, token-sized windows, stable ids and hashes."""

from __future__ import annotations

import dataclasses

from retrieval.chunking import Chunker
from retrieval.config import ChunkingConfig
from retrieval.tokens import count_tokens
from retrieval.types import Article


def article(body: str) -> Article:
    return Article(id="a", title="Title", body=body, url="u", category="c", locale="en")


def test_sections_carry_their_heading_path() -> None:
    chunks = Chunker(ChunkingConfig()).split(
        article("Intro.\n\n## Returns\nThirty days.\n\n### Exceptions\nFood is final sale.")
    )
    assert [(c.id, c.section) for c in chunks] == [
        ("a#0", ""),
        ("a#1", "Returns"),
        ("a#2", "Returns > Exceptions"),
    ]
    assert chunks[2].embed_text == "Title > Returns > Exceptions\nFood is final sale."
    assert {c.article_id for c in chunks} == {"a"}


def test_long_sections_become_overlapping_token_windows() -> None:
    words = " ".join(f"word{i}" for i in range(1500))
    config = ChunkingConfig(chunk_tokens=100, overlap_tokens=20)
    chunks = Chunker(config).split(article(f"## Long\n{words}"))
    assert len(chunks) > 5
    assert all(count_tokens(c.text) <= 100 for c in chunks)
    assert all(c.tokens == count_tokens(c.text) for c in chunks)
    first_tail = chunks[0].text.split()[-3:]
    assert " ".join(first_tail) in chunks[1].text  # overlap


def test_hash_is_stable_and_changes_with_content() -> None:
    chunker = Chunker(ChunkingConfig())
    body = "## A\nOne.\n\n## B\nTwo."
    first, again = chunker.split(article(body)), chunker.split(article(body))
    assert [c.content_hash for c in first] == [c.content_hash for c in again]
    edited = chunker.split(article(body.replace("Two.", "Three.")))
    assert first[0].content_hash == edited[0].content_hash
    assert first[1].content_hash != edited[1].content_hash
    moved = chunker.split(dataclasses.replace(article(body), locale="es"))
    assert moved[0].content_hash != first[0].content_hash
