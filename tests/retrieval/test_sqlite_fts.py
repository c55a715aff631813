"""SQLite FTS5 specifics: what it remembers of the rows (which words are common, whether one
locale is every row's) follows every write."""

from __future__ import annotations

from pathlib import Path

from retrieval.backends.sqlite_fts import SqliteKeywordIndex
from retrieval.types import Chunk


def chunk(number: int, text: str, locale: str = "en") -> Chunk:
    return Chunk(
        id=f"a{number}#0",
        article_id=f"a{number}",
        title="",
        section="",
        text=text,
        url="",
        locale=locale,
        category="policies",
        source="test",
        tokens=len(text.split()),
        content_hash=f"h{number}-{hash(text)}",
    )


def filler(start: int, count: int, text: str) -> list[Chunk]:
    return [chunk(n, f"{text} filler{n}") for n in range(start, start + count)]


def ids(index: SqliteKeywordIndex, text: str, **filters: str) -> set[str]:
    return {hit.chunk.article_id for hit in index.search(text, 2_000, filters)}


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


def test_a_locale_filter_holds_when_another_connection_adds_a_locale(tmp_path: Path) -> None:
    path = tmp_path / "k.sqlite3"
    searcher, writer = SqliteKeywordIndex(path), SqliteKeywordIndex(path)
    searcher.upsert([chunk(1, "refund policy"), chunk(2, "refund window")])
    assert ids(searcher, "refund", locale="en") == {"a1", "a2"}  # every row's: not tested
    assert ids(searcher, "refund", locale="es") == set()

    writer.upsert([chunk(3, "refund reembolso", locale="es")])
    assert ids(searcher, "refund", locale="en") == {"a1", "a2"}
    assert ids(searcher, "refund", locale="es") == {"a3"}

    searcher.delete(["a3#0"])  # its own write
    writer.upsert([chunk(4, "refund rules", locale="es")])
    assert ids(searcher, "refund", locale="en") == {"a1", "a2"}
    searcher.close()
    writer.close()
