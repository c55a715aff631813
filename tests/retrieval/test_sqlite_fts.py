"""SQLite FTS5 specifics: words in half a large index's rows are left out of the match."""

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


def ids(index: SqliteKeywordIndex, text: str, **filters: str) -> set[str]:
    return {hit.chunk.article_id for hit in index.search(text, 2_000, filters)}


def test_a_word_in_half_a_large_index_is_left_out_unless_every_word_is(tmp_path: Path) -> None:
    index = SqliteKeywordIndex(tmp_path / "k.sqlite3")
    index.upsert([*filler(0, 1_000, "insurance"), chunk(5_000, "a deductible explained")])
    # "insurance" is in 1,000 of 1,001 rows: it cannot move a bm25 score, so it is not read.
    assert ids(index, "insurance deductible") == {"a5000"}
    assert ids(index, "insurance deductible", locale="en", category="policies") == {"a5000"}
    assert ids(index, "insurance deductible", locale="es") == set()
    assert len(ids(index, "insurance")) == 1_000  # nothing else asked: it is matched after all
    index.close()


def test_a_small_index_matches_every_word(tmp_path: Path) -> None:
    index = SqliteKeywordIndex(tmp_path / "k.sqlite3")
    index.upsert([*filler(0, 10, "insurance"), chunk(5_000, "a deductible explained")])
    assert len(ids(index, "insurance deductible")) == 11


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
