"""Keyword index on PostgreSQL full-text search, shared by every worker of a deployment.

The table (`kb_chunks`, or `kb_chunks_<variant>`) is created on first use, not by the alembic
migrations: like the Chroma collections it is a derived index that `supportbot ingest`
rebuilds from the articles at any time, not application data.

Each chunk is stemmed with the text-search configuration of its locale (`english` for en,
`spanish` for es, ... `simple` for a language PostgreSQL has no stemmer for), so "refunds"
finds "refund" as SQLite's porter tokenizer does, and Spanish gets a Spanish stemmer instead
of an English one. A query with a locale filter is stemmed with that locale's configuration
only; without one it is the OR of its stemmings by every configuration PostgreSQL has.

The GIN index finds the matching rows; they are scored with Okapi BM25 computed in SQL
(positive, higher is better), not `ts_rank_cd`: ts_rank has no inverse document frequency,
so a common word counted as much as a rare one. Measured on the sample KB's 160 golden
questions (lexical search only, recall@1 / recall@5): SQLite FTS5 0.631 / 0.869, this BM25
0.625 / 0.856, ts_rank_cd 0.556 / 0.856 (with the locale filter).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import psycopg
from psycopg import sql

from retrieval.backends.keyword_rows import (
    CHUNK_COLUMNS,
    chunk_values,
    scored_chunk,
    stored_chunk,
)
from retrieval.errors import BackendUnavailable, RetrievalError
from retrieval.stopwords import content_terms
from retrieval.types import Chunk, ScoredChunk, Stamp

T = TypeVar("T")
Connection = psycopg.Connection[tuple[Any, ...]]

# ISO 639-1 code -> PostgreSQL's built-in text-search configuration of that language.
_LANGUAGES = {
    "ar": "arabic",
    "ca": "catalan",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nb": "norwegian",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
# Any constant: only the processes creating the table at the same moment must agree on it.
_SCHEMA_LOCK_ID = 0x5B07F7
_SCHEMA = """
CREATE TABLE IF NOT EXISTS {table} (
    id TEXT PRIMARY KEY, article_id TEXT NOT NULL, title TEXT NOT NULL, section TEXT NOT NULL,
    text TEXT NOT NULL, url TEXT NOT NULL, locale TEXT NOT NULL, category TEXT NOT NULL,
    source TEXT NOT NULL, audience TEXT NOT NULL DEFAULT '', tokens INTEGER NOT NULL,
    content_hash TEXT NOT NULL, document TSVECTOR NOT NULL
);
ALTER TABLE {table} ADD COLUMN IF NOT EXISTS audience TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS {document_index} ON {table} USING GIN (document);
CREATE INDEX IF NOT EXISTS {locale_index} ON {table} (locale, category);
"""

# Okapi BM25 as FTS5's bm25() computes it (k1 1.2, b 0.75, idf ln((n - df + 0.5) / (df + 0.5))
# floored at 1e-6). A lexeme in at least half the rows therefore weighs nothing, and in an index
# of 1,000 rows or more it is left out of the match unless every lexeme is: reading its rows was
# nearly all of a query's time (issue 18; InsuranceQA, 5.5k chunks: ~100 ms). Each matched row
# is scored where it is read (no join of the matches with themselves, which a planner misled by
# stale row estimates ran as a nested loop: seconds), and only the k best are read whole.
# Length is the chunk's token count; term frequency is the lexeme's number of positions.
_BM25 = """
WITH lexemes AS (
    SELECT DISTINCT v.lexeme
    FROM unnest(%(configs)s::regconfig[]) AS c(cfg), unnest(to_tsvector(c.cfg, %(words)s)) AS v
), corpus AS (
    SELECT count(*) AS n, greatest(avg(tokens), 1) AS avg_tokens FROM {table} WHERE true{where}
), df AS (  -- the lexemes some row holds (of another language's stemming, maybe none)
    SELECT * FROM (
        SELECT l.lexeme, (
            SELECT count(*) FROM {table} WHERE document @@ quote_literal(l.lexeme)::tsquery{where}
        ) AS df
        FROM lexemes l
    ) AS counted WHERE df > 0
), kept AS (
    SELECT df.lexeme, df.df FROM df, corpus
    WHERE corpus.n < 1000 OR 2 * df.df < corpus.n
        OR NOT EXISTS (SELECT 1 FROM df AS d WHERE 2 * d.df < corpus.n)
), best AS (
    SELECT h.id, (
        SELECT sum(
            greatest(ln((corpus.n - kept.df + 0.5) / (kept.df + 0.5)), 1e-6)
            * cardinality(v.positions) * 2.2 / (
                cardinality(v.positions) + 1.2 * (0.25 + 0.75 * h.tokens / corpus.avg_tokens)
            )
        )
        FROM unnest(h.document) AS v JOIN kept ON kept.lexeme = v.lexeme
    ) AS score
    FROM {table} AS h CROSS JOIN corpus
    WHERE document @@ (SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery FROM kept){where}
    ORDER BY score DESC, h.id LIMIT %(k)s
)
SELECT {columns}, h.tokens, h.content_hash, best.score
FROM best JOIN {table} AS h USING (id)
ORDER BY best.score DESC, h.id
"""


def table_name(variant: str = "") -> str:
    """`kb_chunks`, or `kb_chunks_<variant>` for a separate index such as the editor's preview."""
    if variant and not re.fullmatch(r"[a-z0-9_]+", variant):
        raise RetrievalError(f"invalid index variant {variant!r}: use lowercase letters and _")
    return f"kb_chunks_{variant}" if variant else "kb_chunks"


def libpq_url(url: str) -> str:
    """`url` as psycopg reads it: SQLAlchemy's `postgresql+psycopg://` becomes `postgresql://`."""
    plain, count = re.subn(r"^postgres(?:ql)?(?:\+\w+)?://", "postgresql://", url)
    if not count:
        raise RetrievalError(
            "keyword.backend postgres needs a postgresql:// URL (SUPPORTBOT_KEYWORD__URL "
            "or SUPPORTBOT_STORAGE__URL)"
        )
    return plain


class PostgresKeywordIndex:
    """KeywordIndex in one PostgreSQL table; one connection shared by threads under a lock."""

    def __init__(self, url: str, variant: str = "") -> None:
        self._url = libpq_url(url)
        name = table_name(variant)
        self._table = sql.Identifier(name)
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._configs: dict[str, str] = {}
        self._run(lambda conn: self._create(conn, name))

    def _create(self, conn: Connection, name: str) -> None:
        with conn.transaction():
            # CREATE ... IF NOT EXISTS still races between workers starting together.
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK_ID,))
            conn.execute(
                sql.SQL(_SCHEMA).format(
                    table=self._table,
                    document_index=sql.Identifier(f"{name}_document"),
                    locale_index=sql.Identifier(f"{name}_locale"),
                )
            )
        rows = conn.execute("SELECT cfgname::text FROM pg_ts_config").fetchall()
        installed = {str(row[0]) for row in rows}
        self._configs = {code: cfg for code, cfg in _LANGUAGES.items() if cfg in installed}

    def _run(self, work: Callable[[Connection], T]) -> T:
        """`work` on the connection (reopened after a failure); errors become ours."""
        with self._lock:
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = psycopg.connect(self._url, autocommit=True, connect_timeout=10)
                return work(self._conn)
            except psycopg.OperationalError as exc:
                if self._conn is not None:
                    self._conn.close()
                raise BackendUnavailable(f"the keyword index's PostgreSQL failed: {exc}") from exc
            except psycopg.Error as exc:
                raise BackendUnavailable(f"keyword index query failed: {exc}") from exc

    def config(self, locale: str) -> str:
        """The text-search configuration that stems text of `locale` (`simple`: no stemming)."""
        return self._configs.get(locale.lower().replace("_", "-").split("-")[0], "simple")

    def upsert(self, chunks: Sequence[Chunk]) -> None:
        """Insert or replace chunks by id, in one transaction."""
        if not chunks:
            return
        query = sql.SQL(
            "INSERT INTO {table} ({columns}, tokens, content_hash, document) "
            "VALUES ({values}, %s, %s, to_tsvector(%s::regconfig, %s)) "
            "ON CONFLICT (id) DO UPDATE SET {updates}"
        ).format(
            table=self._table,
            columns=sql.SQL(", ").join(map(sql.Identifier, CHUNK_COLUMNS)),
            values=sql.SQL(", ").join(sql.Placeholder() * len(CHUNK_COLUMNS)),
            updates=sql.SQL(", ").join(
                sql.SQL("{0} = excluded.{0}").format(sql.Identifier(col))
                for col in (*CHUNK_COLUMNS[1:], "tokens", "content_hash", "document")
            ),
        )
        rows = [(*chunk_values(c), self.config(c.locale), c.embed_text) for c in chunks]

        def write(conn: Connection) -> None:
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(query, rows)

        self._run(write)

    def delete(self, ids: Sequence[str]) -> None:
        """Remove chunks by id."""
        query = sql.SQL("DELETE FROM {} WHERE id = ANY(%s)").format(self._table)
        self._run(lambda conn: conn.execute(query, (list(ids),)))

    def manifest(self) -> dict[str, Stamp]:
        """Every indexed chunk id with its content hash and source."""
        query = sql.SQL("SELECT id, content_hash, source FROM {}").format(self._table)
        rows = self._run(lambda conn: conn.execute(query).fetchall())
        return {chunk_id: Stamp(content_hash, source) for chunk_id, content_hash, source in rows}

    def search(
        self, text: str, k: int, filters: Mapping[str, str] | None = None
    ) -> list[ScoredChunk]:
        """Chunks matching any word of `text` (stemmed), best BM25 first; scores are positive."""
        terms = content_terms(text)
        if not terms:
            return []
        filters = filters or {}
        if "locale" in filters:
            configs = [self.config(filters["locale"])]
        else:
            configs = sorted({*self._configs.values(), "simple"})
        where = sql.SQL("").join(
            sql.SQL(" AND {} = {}").format(sql.Identifier(key), sql.Placeholder(key))
            for key in ("locale", "category")
            if key in filters
        )
        query = sql.SQL(_BM25).format(
            columns=sql.SQL(", ").join(
                sql.SQL("h.{}").format(sql.Identifier(c)) for c in CHUNK_COLUMNS
            ),
            table=self._table,
            where=where,
        )
        params = {"words": " ".join(terms), "configs": configs, "k": k, **filters}
        rows = self._run(lambda conn: conn.execute(query, params).fetchall())
        return [scored_chunk(row) for row in rows]

    def chunks(self, ids: Sequence[str]) -> dict[str, Chunk]:
        """The indexed chunks of these ids, by id."""
        query = sql.SQL("SELECT {}, tokens, content_hash FROM {} WHERE id = ANY(%s)").format(
            sql.SQL(", ").join(sql.Identifier(c) for c in CHUNK_COLUMNS), self._table
        )
        rows = self._run(lambda conn: conn.execute(query, (list(ids),)).fetchall())
        return {row[0]: stored_chunk(row) for row in rows}

    def locales(self) -> frozenset[str]:
        """Locales of the indexed chunks."""
        query = sql.SQL("SELECT DISTINCT locale FROM {}").format(self._table)
        rows = self._run(lambda conn: conn.execute(query).fetchall())
        return frozenset(row[0] for row in rows)

    def reset(self) -> None:
        """Drop every chunk."""
        self._run(lambda conn: conn.execute(sql.SQL("TRUNCATE {}").format(self._table)))

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
