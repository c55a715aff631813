"""SQLite FTS5 specifics: the row counts that decide which words are matched stay current."""

from __future__ import annotations

from pathlib import Path

from retrieval.backends.sqlite_fts import SqliteKeywordIndex
from retrieval.types import Chunk


def chunk(number: int, text: str) -> Chunk:
    return Chunk(
        id=f"a{number}#0",
        article_id=f"a{number}",
        title="",
        section="",
        text=text,
        url="",
        locale="en",
        category="policies",
        source="test",
        tokens=len(text.split()),
        content_hash=f"h{number}-{hash(text)}",
    )


def filler(start: int, count: int, text: str) -> list[Chunk]:
    return [chunk(n, f"{text} filler{n}") for n in range(start, start + count)]


def ids(index: SqliteKeywordIndex, text: str) -> set[str]:
    return {hit.chunk.article_id for hit in index.search(text, 2_000)}


def test_row_counts_follow_writes_from_this_and_other_connections(tmp_path: Path) -> None:
    path = tmp_path / "k.sqlite3"
    searcher, writer = SqliteKeywordIndex(path), SqliteKeywordIndex(path)
    searcher.upsert([*filler(0, 400, "rider"), *filler(400, 700, "term"), chunk(5_000, "waiver")])
    assert len(ids(searcher, "rider waiver")) == 401  # 400 of 1,101 rows: still matched

    writer.upsert(filler(2_000, 800, "rider"))  # another connection: 1,200 of 1,901 rows now
    assert ids(searcher, "rider waiver") == {"a5000"}

    searcher.delete([f"a{n}#0" for n in range(2_000, 2_800)])  # its own write: 400 of 1,101
    assert len(ids(searcher, "rider waiver")) == 401
    searcher.close()
    writer.close()
