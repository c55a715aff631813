"""The KeywordIndex contract, run on every backend: SQLite FTS5 and PostgreSQL full text."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings
from retrieval.config import KeywordConfig
from retrieval.errors import RetrievalError
from retrieval.factory import build_keyword_index
from retrieval.interfaces import KeywordIndex
from retrieval.types import Chunk, Stamp
from tests.contracts.conftest import fresh_database, require_postgres

BACKENDS = ["sqlite-fts5", pytest.param("postgres", marks=pytest.mark.postgres)]
# A new index of a backend on the same storage: `variant` names a separate index.
Opener = Callable[[str], KeywordIndex]


@pytest.fixture(scope="module")
def postgres_db() -> Iterator[str]:
    """One fresh database for the module; each test gets its own table (variant)."""
    with fresh_database(require_postgres()) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def open_index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens indexes of the backend under test on one storage; closes them after."""
    backend = request.param
    url = request.getfixturevalue("postgres_db") if backend == "postgres" else ""
    prefix = f"t{secrets.token_hex(4)}"
    opened: list[KeywordIndex] = []

    def open_(variant: str = "") -> KeywordIndex:
        config = KeywordConfig(backend=backend)
        index = build_keyword_index(
            config, tmp_path, f"{prefix}_{variant}" if variant else prefix, url
        )
        opened.append(index)
        return index

    yield open_
    for index in opened:
        index.close()


@pytest.fixture
def index(open_index: Opener) -> KeywordIndex:
    return open_index("")


def chunk(chunk_id: str, text: str, **fields: str) -> Chunk:
    """A chunk of article `<chunk_id before #>` in English, category billing, unless overridden."""
    values: dict[str, str] = {
        "title": "",
        "section": "",
        "url": "",
        "locale": "en",
        "category": "billing",
        "source": "test",
        **fields,
    }
    return Chunk(
        id=chunk_id,
        article_id=chunk_id.split("#")[0],
        text=text,
        tokens=len(text.split()),
        content_hash=f"h-{hash(text)}",
        **values,
    )


REFUND = chunk("refund-timing#0", "Refunds reach your card within five business days.")
PASSWORD = chunk(
    "reset-password#0", "Use the reset link to choose a new password.", category="account"
)
SPANISH = chunk(
    "reembolsos#0", "Los reembolsos llegan a tu tarjeta en cinco días hábiles.", locale="es"
)
SHIPPING = chunk("shipping#0", "Standard shipping takes three to five days.", category="orders")


def ids(index: KeywordIndex, text: str, k: int = 10, **filters: str) -> list[str]:
    return [hit.chunk.id for hit in index.search(text, k, filters or None)]


def test_search_returns_matching_chunks_with_positive_scores_best_first(
    index: KeywordIndex,
) -> None:
    index.upsert([REFUND, PASSWORD, SHIPPING])
    hits = index.search("how many days for shipping?", 10)
    assert [h.chunk.id for h in hits][0] == "shipping#0"
    assert {h.chunk.id for h in hits} == {"shipping#0", "refund-timing#0"}  # "days" matches both
    assert all(h.score > 0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].chunk == SHIPPING


def test_search_stems_words(index: KeywordIndex) -> None:
    index.upsert([REFUND, PASSWORD])
    assert ids(index, "refund") == ["refund-timing#0"]
    assert ids(index, "passwords resetting") == ["reset-password#0"]


def test_search_matches_title_and_section(index: KeywordIndex) -> None:
    index.upsert([chunk("plus#0", "It renews yearly.", title="Membership", section="Renewal")])
    assert ids(index, "membership renewal") == ["plus#0"]


def test_k_limits_the_results(index: KeywordIndex) -> None:
    index.upsert([chunk(f"a{n}#0", f"order number {n}") for n in range(5)])
    assert len(index.search("order", 3)) == 3


def test_filters_by_locale_and_category(index: KeywordIndex) -> None:
    index.upsert([REFUND, SPANISH, PASSWORD, SHIPPING])
    assert ids(index, "reembolsos cinco", locale="es") == ["reembolsos#0"]
    assert ids(index, "reembolsos cinco", locale="en") == []
    assert ids(index, "five", category="orders") == ["shipping#0"]
    assert ids(index, "five", locale="en", category="billing") == ["refund-timing#0"]
    assert ids(index, "five", locale="fr") == []


def test_upsert_replaces_by_id(index: KeywordIndex) -> None:
    index.upsert([REFUND])
    changed = replace(REFUND, text="Store credit is instant.", content_hash="h2")
    index.upsert([changed])
    assert ids(index, "card") == []
    assert [h.chunk for h in index.search("credit", 5)] == [changed]
    assert index.manifest() == {"refund-timing#0": Stamp("h2", "test")}


def test_delete_ignores_unknown_ids(index: KeywordIndex) -> None:
    index.upsert([REFUND, PASSWORD])
    index.delete(["refund-timing#0", "never-indexed#3"])
    index.delete([])
    assert set(index.manifest()) == {"reset-password#0"}
    assert ids(index, "refund") == []


def filler(start: int, count: int, text: str) -> list[Chunk]:
    return [chunk(f"a{n}#0", f"{text} filler{n}") for n in range(start, start + count)]


def test_a_word_in_half_a_large_index_is_left_out_unless_every_word_is(
    index: KeywordIndex,
) -> None:
    index.upsert([*filler(0, 1_000, "insurance"), chunk("a5000#0", "a deductible explained")])
    # "insurance" is in 1,000 of 1,001 rows: it cannot move a bm25 score, so it is not read.
    assert ids(index, "insurance deductible", 2_000) == ["a5000#0"]
    assert ids(index, "insurance deductible", 2_000, locale="en", category="billing") == ["a5000#0"]
    assert ids(index, "insurance deductible", 2_000, locale="es") == []
    assert len(ids(index, "insurance", 2_000)) == 1_000  # nothing else asked: matched after all


def test_a_small_index_matches_every_word(index: KeywordIndex) -> None:
    index.upsert([*filler(0, 10, "insurance"), chunk("a5000#0", "a deductible explained")])
    assert ids(index, "insurance deductible")[0] == "a5000#0"
    assert len(ids(index, "insurance deductible")) == 10  # k


def test_chunks_are_read_back_by_id(index: KeywordIndex) -> None:
    index.upsert([REFUND, SPANISH, PASSWORD])
    assert index.chunks(["reembolsos#0", "never-indexed#3", "refund-timing#0"]) == {
        "reembolsos#0": SPANISH,
        "refund-timing#0": REFUND,
    }
    assert index.chunks([]) == {}


def test_manifest_and_locales(index: KeywordIndex) -> None:
    assert index.manifest() == {}
    assert index.locales() == frozenset()
    index.upsert([REFUND, SPANISH])
    assert index.manifest() == {
        "refund-timing#0": Stamp(REFUND.content_hash, "test"),
        "reembolsos#0": Stamp(SPANISH.content_hash, "test"),
    }
    assert index.locales() == {"en", "es"}


def test_reset_drops_every_chunk(index: KeywordIndex) -> None:
    index.upsert([REFUND, SPANISH])
    index.reset()
    assert index.manifest() == {}
    assert ids(index, "refund") == []
    index.upsert([PASSWORD])
    assert ids(index, "password") == ["reset-password#0"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "the and of",
        "?!...",
        '"unbalanced quote refund',
        "refund' OR 1=1; DROP TABLE kb_chunks; --",
        "refund* NEAR(card) AND -days ^title:x",
        "(refund | !card) & <-> :* \\",
        "refund:A card:*",
        "don't l'été naïve 退款 🙂",
    ],
)
def test_any_punctuation_is_safe(index: KeywordIndex, text: str) -> None:
    index.upsert([REFUND])
    hits = index.search(text, 5)
    assert all(h.chunk.id == "refund-timing#0" for h in hits)
    assert index.manifest()  # the table survived


def test_reopened_index_sees_the_same_chunks(open_index: Opener) -> None:
    open_index("").upsert([REFUND])
    assert ids(open_index(""), "refund") == ["refund-timing#0"]


def test_variants_are_separate_indexes(open_index: Opener) -> None:
    live, preview = open_index(""), open_index("preview")
    preview.upsert([REFUND])
    assert ids(live, "refund") == []
    assert ids(preview, "refund") == ["refund-timing#0"]


def test_postgres_backend_needs_a_postgresql_url(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="SUPPORTBOT_STORAGE__URL"):
        Settings(data_dir=tmp_path, keyword=KeywordConfig(backend="postgres"))
    with pytest.raises(RetrievalError, match="postgresql://"):
        build_keyword_index(KeywordConfig(backend="postgres"), tmp_path, url="sqlite:///x.db")
    settings = Settings(
        data_dir=tmp_path,
        keyword=KeywordConfig(backend="postgres", url="postgresql://u@db/kb"),
    )
    assert settings.keyword.url == "postgresql://u@db/kb"
