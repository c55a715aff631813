"""Document vectors in a SQLite file beside the index, shared by every process of one host.

Issue 18: most of an extractive answer's time was encoding the sentences of the passages it
quotes, again after every restart and again in every worker. Sentences are stored by model and
a 16-byte BLAKE2 digest of their text, as float16 (half the space of float32: rankings by
cosine move by less than 1e-3); `put` returns the vectors so rounded, so a vector reads the
same whether it was just computed or stored long ago. WAL mode lets several
workers read while one writes.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from retrieval.errors import BackendUnavailable
from retrieval.interfaces import Vectors

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    model TEXT NOT NULL,
    digest BLOB NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, digest)
) WITHOUT ROWID
"""
_BATCH = 500  # SQLite's bound-parameter limit is far above this


def digest(text: str) -> bytes:
    """The key of a text (16 bytes of BLAKE2b)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class SqliteVectorCache:
    """`VectorCache` in one SQLite file (created with its folder when missing)."""

    def __init__(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
            self._db.commit()
        except (OSError, sqlite3.Error) as exc:
            raise BackendUnavailable(
                f"cannot open the vector cache {path}: {exc}; check the data folder's "
                "permissions and free space"
            ) from exc
        self._lock = threading.Lock()

    def get(self, model_id: str, texts: Sequence[str]) -> dict[str, Vectors]:
        """The stored vectors of those `texts` that have one."""
        keys = {digest(t): t for t in texts}
        return {
            keys[key]: np.frombuffer(blob, dtype=np.float16).astype(np.float32)
            for key, blob in self._rows(model_id, list(keys), "digest, vector")
        }

    def missing(self, model_id: str, texts: Sequence[str]) -> list[str]:
        """Those `texts` without a stored vector, in order, each once (no vector is read)."""
        keys = {digest(t): t for t in texts}
        stored = {key for (key,) in self._rows(model_id, list(keys), "digest")}
        return [text for key, text in keys.items() if key not in stored]

    def _rows(self, model_id: str, keys: list[bytes], columns: str) -> list[tuple[bytes, ...]]:
        rows: list[tuple[bytes, ...]] = []
        with self._lock:
            for start in range(0, len(keys), _BATCH):
                part = keys[start : start + _BATCH]
                marks = ",".join("?" * len(part))
                rows += self._db.execute(
                    f"SELECT {columns} FROM vectors WHERE model = ? AND digest IN ({marks})",
                    [model_id, *part],
                ).fetchall()
        return rows

    def put(self, model_id: str, texts: Sequence[str], vectors: Vectors) -> Vectors:
        """Store a row per text (a text already stored keeps its vector); the rows as stored."""
        half = np.asarray(vectors, dtype=np.float16)
        rows = [(model_id, digest(t), row.tobytes()) for t, row in zip(texts, half, strict=True)]
        with self._lock:
            try:
                self._db.executemany("INSERT OR IGNORE INTO vectors VALUES (?, ?, ?)", rows)
                self._db.commit()
            except sqlite3.OperationalError:  # another worker holds the write lock too long:
                self._db.rollback()  # the vectors are recomputed next time, nothing is lost
        return half.astype(np.float32)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()
