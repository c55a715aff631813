"""Plain data types of the retrieval package (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Article:
    """One help-center article as loaded from a source file or import row."""

    id: str
    title: str
    body: str
    url: str = ""
    category: str = ""
    locale: str = "en"
    tags: tuple[str, ...] = ()
    updated: str = ""
    source: str = ""
    audience: tuple[str, ...] = ()  # plans the article is for (front matter `audience:`); () = all
    # Page-aware help (issue 21): URL path globs of the host site's pages this article helps
    # with, and the questions the widget suggests there.
    pages: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    # The id of the article this one translates (front matter `translation_of:`); "" = none.
    translation_of: str = ""


@dataclass(frozen=True, slots=True)
class Chunk:
    """A retrievable slice of an article; `id` is stable (`<article id>#<n>`)."""

    id: str
    article_id: str
    title: str
    section: str
    text: str
    url: str
    locale: str
    category: str
    tokens: int
    content_hash: str
    source: str = ""
    audience: str = ""  # the article's plans, comma-separated and lower-case; "" = everyone

    def for_plan(self, plan: str) -> bool:
        """True when a customer on `plan` ("" = anonymous or unverified) may be shown this."""
        return not self.audience or (bool(plan) and plan.lower() in self.audience.split(","))

    @property
    def embed_text(self) -> str:
        """The text that is embedded and keyword-indexed: title, section path, then body."""
        head = f"{self.title} > {self.section}" if self.section else self.title
        return f"{head}\n{self.text}" if head else self.text


@dataclass(frozen=True, slots=True)
class Stamp:
    """What an index remembers of a stored chunk to decide whether it changed."""

    content_hash: str
    source: str


@dataclass(frozen=True, slots=True)
class ScoredChunk:
    """A chunk returned by one index with that index's raw score (higher is better)."""

    chunk: Chunk
    score: float


@dataclass(frozen=True, slots=True)
class Neighbour:
    """A chunk a vector store found near a query: its id and cosine similarity."""

    chunk_id: str
    score: float

    @property
    def article_id(self) -> str:
        """The article the chunk belongs to (chunk ids are `<article id>#<n>`)."""
        return article_of(self.chunk_id)


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One article found for a query: its best chunks and a relevance score in [0, 1]."""

    article_id: str
    title: str
    url: str
    locale: str
    category: str
    relevance: float
    chunks: tuple[ScoredChunk, ...]
    # The chance that this article, found best, is a right one: its dense cosine through the
    # knowledge base's own calibration (retrieval/score_calibration.py); None without one.
    probability: float | None = None
    # The article's best keyword score over the best of all keyword hits: 1 for the keyword
    # search's own first, 0 when it did not find the article; None when it did not run.
    keyword_share: float | None = None

    @property
    def best(self) -> Chunk:
        """The best-matching chunk of the article."""
        return self.chunks[0].chunk


@dataclass(frozen=True, slots=True)
class Problem:
    """A source that could not be ingested, with the reason a person can act on."""

    path: str
    reason: str


@dataclass(slots=True)
class IngestReport:
    """What one ingestion run changed."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every source was ingested."""
        return not self.problems


def article_of(chunk_id: str) -> str:
    """The article id of a chunk id `<article id>#<n>`."""
    return chunk_id.rpartition("#")[0]
