"""An Embedder that remembers recent vectors: each text is encoded once while it stays cached.

One customer message is encoded several times on its way through the responder (the
escalation detectors, retrieval, the extractive answerer), and popular articles' sentences are
encoded again for every question that retrieves them (issue 18: less work per query). Vectors
are the wrapped model's own; queries and documents are cached apart (a model may encode them
differently). Least recently used entries go first; large batches (ingestion) pass through,
so they never flush what queries keep using. With a persistent `VectorCache` behind it,
documents missing from memory are looked up there before they are encoded, new ones are kept
there (rounded as it stores them), and `warm` fills it ahead of the first question.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from retrieval.interfaces import Embedder, VectorCache, Vectors

PASS_THROUGH = 256  # a batch larger than this is ingestion, not a query's sentences
WARM_BATCH = 128


class CachedEmbedder:
    """`Embedder` over another, with LRU caches of `max_texts` queries and documents each
    (None: unbounded, for evaluation runs), documents also in `persistent` when given."""

    def __init__(
        self,
        inner: Embedder,
        max_texts: int | None = 20_000,
        persistent: VectorCache | None = None,
    ) -> None:
        self._inner = inner
        self._max = max_texts
        self._persistent = persistent
        self._documents: OrderedDict[str, Vectors] = OrderedDict()
        self._queries: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """The wrapped model's id."""
        return self._inner.model_id

    @property
    def dimension(self) -> int:
        """The wrapped model's dimension."""
        return self._inner.dimension

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Rows for `texts`, encoding only the ones not cached (in one batch)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._max is not None and len(texts) > PASS_THROUGH:
            return self._inner.embed_documents(texts)
        with self._lock:
            cached = {t: self._hit(self._documents, t) for t in dict.fromkeys(texts)}
        found = {t: v for t, v in cached.items() if v is not None}
        missing = [t for t, v in cached.items() if v is None]
        if missing and self._persistent is not None:
            kept = self._persistent.get(self.model_id, missing)
            with self._lock:
                for text, vector in kept.items():
                    found[text] = vector
                    self._keep(self._documents, text, vector)
            missing = [t for t in missing if t not in kept]
        if missing:
            vectors = self._inner.embed_documents(missing)
            if self._persistent is not None:
                vectors = self._persistent.put(self.model_id, missing, vectors)
            with self._lock:
                for text, vector in zip(missing, vectors, strict=True):
                    found[text] = vector
                    self._keep(self._documents, text, vector)
        return np.stack([found[t] for t in texts]).astype(np.float32, copy=True)

    def warm(self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None) -> int:
        """Encode into the persistent cache the `texts` it lacks (not into memory); how many
        were encoded. Without a persistent cache, nothing."""
        if self._persistent is None:
            return 0
        # Sorted so each batch holds texts of similar length and pads little (issue 18).
        missing = sorted(self._persistent.missing(self.model_id, texts), key=len)
        for start in range(0, len(missing), WARM_BATCH):
            part = missing[start : start + WARM_BATCH]
            self._persistent.put(self.model_id, part, self._inner.embed_documents(part))
            if progress is not None:
                progress(start + len(part), len(missing))
        return len(missing)

    def close(self) -> None:
        """Close the persistent cache, if any."""
        if self._persistent is not None:
            self._persistent.close()

    def embed_query(self, text: str) -> Vectors:
        """The query's vector (a copy: callers cannot spoil the cache)."""
        with self._lock:
            vector = self._hit(self._queries, text)
        if vector is None:
            vector = self._inner.embed_query(text)
            with self._lock:
                self._keep(self._queries, text, vector)
        return vector.copy()

    @staticmethod
    def _hit(cache: OrderedDict[str, Vectors], text: str) -> Vectors | None:
        vector = cache.get(text)
        if vector is not None:
            cache.move_to_end(text)
        return vector

    def _keep(self, cache: OrderedDict[str, Vectors], text: str, vector: Vectors) -> None:
        cache[text] = vector
        cache.move_to_end(text)
        if self._max is not None:
            while len(cache) > self._max:
                cache.popitem(last=False)
