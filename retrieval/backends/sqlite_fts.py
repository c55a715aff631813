"""BM25 keyword index on SQLite FTS5 (persisted, incremental, filterable by SQL)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from retrieval.backends.keyword_rows import CHUNK_COLUMNS, chunk_values, scored_chunk
from retrieval.errors import BackendUnavailable
from retrieval.stopwords import content_terms
from retrieval.types import Chunk, ScoredChunk, Stamp

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunk_rows (
    rowid INTEGER PRIMARY KEY,
    id TEXT UNIQUE NOT NULL, article_id TEXT NOT NULL, title TEXT, section TEXT, text TEXT,
    url TEXT, locale TEXT, category TEXT, source TEXT, audience TEXT NOT NULL DEFAULT '',
    tokens INTEGER, content_hash TEXT, indexed TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunk_rows_locale ON chunk_rows(locale, category);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_fts USING fts5(
    indexed, content='chunk_rows', content_rowid='rowid',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS chunk_rows_ai AFTER INSERT ON chunk_rows BEGIN
    INSERT INTO chunk_fts(rowid, indexed) VALUES (new.rowid, new.indexed);
END;
CREATE TRIGGER IF NOT EXISTS chunk_rows_ad AFTER DELETE ON chunk_rows BEGIN
    INSERT INTO chunk_fts(chunk_fts, rowid, indexed) VALUES ('delete', old.rowid, old.indexed);
END;
"""


def check_fts5() -> None:
    """Raise BackendUnavailable when this Python's SQLite lacks FTS5."""
    con = sqlite3.connect(":memory:")
    try:
        con.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
    except sqlite3.OperationalError as exc:
        raise BackendUnavailable(
            "this Python's SQLite has no FTS5; install a Python built with a current SQLite"
        ) from exc
    finally:
        con.close()


class SqliteKeywordIndex:
    """KeywordIndex in one SQLite file (or ':memory:')."""

    def __init__(self, path: Path | str) -> None:
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(str(path), check_same_thread=False)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._lock = threading.Lock()
        try:
            self._con.executescript(_SCHEMA)
            columns = {row[1] for row in self._con.execute("PRAGMA table_info(chunk_rows)")}
            if "audience" not in columns:  # an index made before articles had audiences
                with self._con:
                    self._con.execute(
                        "ALTER TABLE chunk_rows ADD COLUMN audience TEXT NOT NULL DEFAULT ''"
                    )
        except sqlite3.OperationalError as exc:
            check_fts5()
            raise BackendUnavailable(f"cannot open keyword index {path}: {exc}") from exc

    def upsert(self, chunks: Sequence[Chunk]) -> None:
        """Insert or replace chunks by id, in one transaction."""
        rows = [(*chunk_values(c), c.embed_text) for c in chunks]
        with self._lock, self._con:
            self._con.executemany("DELETE FROM chunk_rows WHERE id = ?", [(c.id,) for c in chunks])
            self._con.executemany(
                f"INSERT INTO chunk_rows ({', '.join(CHUNK_COLUMNS)}, tokens, content_hash, "
                "indexed) "
                f"VALUES ({', '.join('?' * (len(CHUNK_COLUMNS) + 3))})",
                rows,
            )

    def delete(self, ids: Sequence[str]) -> None:
        """Remove chunks by id."""
        with self._lock, self._con:
            self._con.executemany("DELETE FROM chunk_rows WHERE id = ?", [(i,) for i in ids])

    def manifest(self) -> dict[str, Stamp]:
        """Every indexed chunk id with its content hash and source."""
        with self._lock:
            rows = self._con.execute("SELECT id, content_hash, source FROM chunk_rows").fetchall()
        return {chunk_id: Stamp(content_hash, source) for chunk_id, content_hash, source in rows}

    def search(
        self, text: str, k: int, filters: Mapping[str, str] | None = None
    ) -> list[ScoredChunk]:
        """BM25 (FTS5) over the words of `text` joined by OR; scores are positive."""
        terms = content_terms(text)
        if not terms:
            return []
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        where, params = "", []
        for key in ("locale", "category"):
            if filters and key in filters:
                where += f" AND r.{key} = ?"
                params.append(filters[key])
        sql = (
            f"SELECT {', '.join('r.' + c for c in CHUNK_COLUMNS)}, r.tokens, r.content_hash, "
            "-bm25(chunk_fts) AS score FROM chunk_fts JOIN chunk_rows r "
            f"ON r.rowid = chunk_fts.rowid WHERE chunk_fts MATCH ?{where} "
            "ORDER BY bm25(chunk_fts) LIMIT ?"
        )
        with self._lock:
            rows = self._con.execute(sql, [match, *params, k]).fetchall()
        return [scored_chunk(row) for row in rows]

    def locales(self) -> frozenset[str]:
        """Locales of the indexed chunks."""
        with self._lock:
            rows = self._con.execute("SELECT DISTINCT locale FROM chunk_rows").fetchall()
        return frozenset(str(r[0]) for r in rows)

    def reset(self) -> None:
        """Drop every chunk."""
        with self._lock, self._con:
            self._con.execute("DELETE FROM chunk_rows")
            self._con.execute("INSERT INTO chunk_fts(chunk_fts) VALUES ('rebuild')")

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._con.close()
