"""BM25 keyword index on SQLite FTS5 (persisted, incremental, filterable by SQL)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from retrieval.backends.keyword_rows import (
    CHUNK_COLUMNS,
    chunk_values,
    scored_chunk,
    stored_chunk,
)
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


# FTS5's bm25 gives a term found in at least half the rows an IDF of 1e-6 (its log is <= 0), so
# it cannot move a score; reading its long list of rows was most of a search's time (issue 18).
_COMMON_SHARE = 0.5
# Below this many rows every word is matched: the lists are short, and a match on common words
# alone still counts by its rank when the fusion has few other candidates.
_COMMON_FROM_ROWS = 1_000
_FREQUENCIES_KEPT = 50_000  # terms whose row counts are remembered, at most


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
        # Remembered until the file changes (see _refresh): rows holding each term ("": all
        # rows), and the rows' locales.
        self._frequencies: dict[str, int] = {}
        self._locales: frozenset[str] | None = None
        self._data_version = -1
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
            self._forget()
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
            self._forget()
            self._con.executemany("DELETE FROM chunk_rows WHERE id = ?", [(i,) for i in ids])

    def manifest(self) -> dict[str, Stamp]:
        """Every indexed chunk id with its content hash and source."""
        with self._lock:
            rows = self._con.execute("SELECT id, content_hash, source FROM chunk_rows").fetchall()
        return {chunk_id: Stamp(content_hash, source) for chunk_id, content_hash, source in rows}

    def search(
        self, text: str, k: int, filters: Mapping[str, str] | None = None
    ) -> list[ScoredChunk]:
        """BM25 (FTS5) over the words of `text` joined by OR; scores are positive.

        In an index of 1,000 rows or more, words in at least half the rows are left out of the
        match (they add nothing to a score), unless every word is; rows are read only for the
        k best."""
        terms = content_terms(text)
        if not terms:
            return []
        with self._lock:
            self._refresh()
            where, params = "", []
            for key in ("locale", "category"):
                value = (filters or {}).get(key)
                if value is not None and not (key == "locale" and self._row_locales() == {value}):
                    where += f" AND f.{key} = ?"
                    params.append(value)
            # Filtered, the rows are read for their locale and category as the matches come (a
            # CROSS JOIN keeps the match as the outer loop); otherwise only the k best are read.
            # A locale that every row has filters nothing, and is not tested.
            within = " CROSS JOIN chunk_rows f ON f.rowid = chunk_fts.rowid" if where else ""
            sql = (
                f"SELECT {', '.join('r.' + c for c in CHUNK_COLUMNS)}, r.tokens, "
                "r.content_hash, best.score FROM (SELECT chunk_fts.rowid AS rowid, "
                f"-bm25(chunk_fts) AS score FROM chunk_fts{within} WHERE chunk_fts MATCH ?{where} "
                "ORDER BY bm25(chunk_fts) LIMIT ?) AS best JOIN chunk_rows r "
                "ON r.rowid = best.rowid ORDER BY best.score DESC"
            )
            match = " OR ".join(_quoted(t) for t in self._informative(terms))
            rows = self._con.execute(sql, [match, *params, k]).fetchall()
        return [scored_chunk(row) for row in rows]

    def _refresh(self) -> None:
        """Forget what is remembered of the rows when another connection changed the file
        (PRAGMA data_version; this connection's writes forget it themselves). Call with the
        lock held."""
        (version,) = self._con.execute("PRAGMA data_version").fetchone()
        if version != self._data_version or len(self._frequencies) > _FREQUENCIES_KEPT:
            self._forget()
            self._data_version = version

    def _forget(self) -> None:
        self._frequencies.clear()
        self._locales = None

    def _row_locales(self) -> frozenset[str]:
        """Locales of the indexed chunks, remembered. Call with the lock held, after _refresh."""
        if self._locales is None:
            rows = self._con.execute("SELECT DISTINCT locale FROM chunk_rows").fetchall()
            self._locales = frozenset(str(r[0]) for r in rows)
        return self._locales

    def _informative(self, terms: list[str]) -> list[str]:
        """`terms` without those in at least half the rows of a large index (all of them if
        that is every one). Call with the lock held, after _refresh."""
        rows = self._rows_holding("")
        if rows < _COMMON_FROM_ROWS:
            return terms
        common = rows * _COMMON_SHARE
        kept = [t for t in terms if self._rows_holding(t) < common]
        return kept or terms

    def _rows_holding(self, term: str) -> int:
        """Rows whose text holds `term` ("": all rows), remembered."""
        if term not in self._frequencies:
            query = (
                ("SELECT count(*) FROM chunk_fts WHERE chunk_fts MATCH ?", [_quoted(term)])
                if term
                else ("SELECT count(*) FROM chunk_rows", [])
            )
            self._frequencies[term] = self._con.execute(*query).fetchone()[0]
        return self._frequencies[term]

    def chunks(self, ids: Sequence[str]) -> dict[str, Chunk]:
        """The indexed chunks of these ids, by id."""
        sql = (
            f"SELECT {', '.join(CHUNK_COLUMNS)}, tokens, content_hash FROM chunk_rows "
            f"WHERE id IN ({', '.join('?' * len(ids))})"
        )
        with self._lock:
            rows = self._con.execute(sql, list(ids)).fetchall()
        return {row[0]: stored_chunk(row) for row in rows}

    def locales(self) -> frozenset[str]:
        """Locales of the indexed chunks."""
        with self._lock:
            self._refresh()
            return self._row_locales()

    def reset(self) -> None:
        """Drop every chunk."""
        with self._lock, self._con:
            self._forget()
            self._con.execute("DELETE FROM chunk_rows")
            self._con.execute("INSERT INTO chunk_fts(chunk_fts) VALUES ('rebuild')")

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._con.close()


def _quoted(term: str) -> str:
    """`term` as an FTS5 string (a phrase of its tokens, never query syntax)."""
    return '"' + term.replace('"', '""') + '"'
